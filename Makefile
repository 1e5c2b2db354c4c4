# Two entry points: `make demo` runs the main job, `make test` runs every check.
# Both create the virtual environment and install what they need on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint test-tools bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/screening demo

lint: $(STAMP)
	$(BIN)/ruff check streams tests
	$(BIN)/ruff format --check streams tests
	$(BIN)/mypy

# promtool and docker-compose for the two test files that run them, from Debian's packages
# when missing, as root (CI, containers); one line naming them and no failure otherwise.
test-tools:
	@bash deploy/dev/install-test-tools.sh

# Unit tests and the whole integration suite on the default broker (Apache Kafka where java
# and mvn are on PATH; SCREENING_TEST_BROKER=kafka|tansu picks one), then the smoke set on
# the embedded broker, which `screening demo` runs on.
test: lint test-tools
	$(BIN)/pytest
	SCREENING_TEST_BROKER=tansu $(BIN)/pytest -m smoke tests/integration

bench: $(STAMP)
	$(BIN)/screening bench --json bench.json

clean:
	rm -rf $(VENV) .screening-data .pytest_cache .mypy_cache .ruff_cache
