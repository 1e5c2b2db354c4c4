# A screening worker image: `docker build -t coalition-screening .`
# `docker run coalition-screening` runs `screening worker` against KAFKA_BOOTSTRAP_SERVERS;
# any other subcommand works too (`docker run --rm -i coalition-screening screen ...`).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a source change does not reinstall them.
# The runtime only: the `tools` extra (embedded broker binary, chart library) is for the
# demo, the benchmarks and `report routes --png`, none of which a worker image runs.
COPY pyproject.toml README.md ./
RUN mkdir streams && touch streams/__init__.py \
    && pip install . \
    && pip uninstall -y coalition-screening \
    && rm -rf streams build ./*.egg-info

# The repository, installed in editable mode: schemas/ and data/ are read from the source
# tree at run time.
COPY . /app
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --user-group --create-home --home-dir /home/screening screening \
    && mkdir -p /var/lib/screening /data \
    && chown screening:screening /var/lib/screening /data

ENV SCREENING_DATA_DIR=/var/lib/screening \
    SCREENING_WEB_PORT=6066

USER screening

EXPOSE 6066

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SCREENING_WEB_PORT', '6066') + '/metrics', timeout=4)"]

ENTRYPOINT ["screening"]
CMD ["worker"]
