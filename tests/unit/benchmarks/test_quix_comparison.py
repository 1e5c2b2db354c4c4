"""The Quix Streams comparison's parts that need neither a broker nor PyPI: where its
virtualenv lives, that a ready one is reused, that a failed install is one line saying
why; the passthrough's own logic (loaded from the package data, without Quix Streams),
and how its report becomes the bench's figures."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from streams.benchmarks import quix_compare, quix_venv
from streams.benchmarks.stamps import Stamp


def passthrough() -> ModuleType:
    """The shipped passthrough script as a module (it imports Quix Streams only in main)."""
    spec = importlib.util.spec_from_file_location("passthrough", quix_compare.PASSTHROUGH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_passthrough_ships_as_package_data() -> None:
    assert quix_compare.PASSTHROUGH.is_file()
    pyproject = (Path(__file__).resolve().parents[3] / "pyproject.toml").read_text()
    assert '"streams.benchmarks" = ["quix_dist/*"]' in pyproject


def test_the_passthrough_adds_one_field_and_counts_cpu_from_the_first_record() -> None:
    script = passthrough()
    payment = {"txn_id": "t-1", "amount": "10.00"}
    assert script.passed_through(dict(payment)) == {**payment, script.FIELD: "quixstreams"}
    clock = script.CpuFromFirst()
    assert clock.seconds() == 0.0
    clock.mark()
    sum(range(200_000))  # some CPU after the first record
    clock.mark()
    report = json.loads(script.report(clock, "3.28.1"))
    assert report["records"] == 2 and report["cpu_s"] > 0 and report["version"] == "3.28.1"


def test_its_report_and_outputs_become_the_figures(tmp_path: Path) -> None:
    stamps = {f"k{i}".encode(): Stamp(1, 1000 + i, 0.0) for i in range(1001)}
    line = json.dumps({"records": 1001, "cpu_s": 0.05005, "version": "3.28.1"}).encode()
    result = quix_compare.figures(stamps, b"a warning\n" + line + b"\n", 1001, tmp_path / "log")
    assert result["reason"] is None
    assert result["eps"] == pytest.approx(1000.0)  # 1,000 intervals over one second
    assert result["cpu_us_per_record"] == pytest.approx(50.0)
    assert result["records"] == 1001 and result["version"] == "3.28.1"
    assert set(result["spans"]) == {"from", "to"}


def test_a_passthrough_that_fell_short_reports_why(tmp_path: Path) -> None:
    log = tmp_path / "quix.log"
    log.write_text("starting\nERROR KafkaException: UNKNOWN_TOPIC_OR_PART\nshutting down\n")
    stamps = {b"k": Stamp(1, 1, 0.0)}
    result = quix_compare.figures(stamps, b"", 10, log)
    assert result["eps"] is None and result["cpu_us_per_record"] is None
    assert result["reason"] == (
        "the Quix Streams passthrough passed 1 of 10: ERROR KafkaException: UNKNOWN_TOPIC_OR_PART"
    )


def test_the_venv_lives_under_the_cache_unless_the_environment_says() -> None:
    assert quix_venv.venv_dir({"SCREENING_QUIX_VENV": "/x/q"}) == Path("/x/q")
    assert quix_venv.venv_dir({}).parts[-3:] == (".cache", "screening", "quix-venv")


def ready_venv(root: Path, pin: str) -> None:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "python").write_text("")
    (root / quix_venv.READY).write_text(pin + "\n")


def test_a_ready_venv_is_reused_without_running_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ready_venv(tmp_path / "q", quix_venv.QUIX_PIN)
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran a command"))
    lines: list[str] = []
    assert quix_venv.ensure_venv(lines.append, tmp_path / "q") == tmp_path / "q/bin/python"
    assert lines == []


def test_a_venv_of_another_pin_is_made_afresh_with_a_progress_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "q"
    ready_venv(root, "quixstreams==1.0")
    commands: list[list[str]] = []

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            (root / "bin").mkdir(parents=True)
            (root / "bin" / "python").write_text("")
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", run)
    lines: list[str] = []
    quix_venv.ensure_venv(lines.append, root)
    assert commands[0][1:] == ["-m", "venv", str(root)]
    assert commands[1][:4] == [str(root / "bin/python"), "-m", "pip", "install"]
    assert commands[1][-1] == quix_venv.QUIX_PIN
    assert quix_venv.is_ready(root)
    assert "first use only" in lines[0] and "ready in" in lines[-1]


def test_without_network_the_venv_is_unavailable_with_one_line_saying_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip_output = (
        "WARNING: Retrying ... NewConnectionError\n"
        "ERROR: Could not find a version that satisfies the requirement quixstreams==3.28.1\n"
        "ERROR: No matching distribution found for quixstreams==3.28.1\n"
    )

    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        failed = command[1:3] == ["-m", "pip"]
        return subprocess.CompletedProcess(command, int(failed), "", pip_output if failed else "")

    monkeypatch.setattr(subprocess, "run", run)
    with pytest.raises(quix_venv.QuixUnavailable) as raised:
        quix_venv.ensure_venv(lambda _line: None, tmp_path / "q")
    assert str(raised.value) == (
        f"pip install {quix_venv.QUIX_PIN} failed: "
        "ERROR: No matching distribution found for quixstreams==3.28.1"
    )
    assert not quix_venv.is_ready(tmp_path / "q")


def test_the_bench_carries_on_without_quix_when_its_venv_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_venv(progress: object) -> Path:
        raise quix_venv.QuixUnavailable("pip install failed: no network")

    monkeypatch.setattr(quix_venv, "ensure_venv", no_venv)
    result = quix_compare.run(None, None, tmp_path, print)  # type: ignore[arg-type]
    assert result["eps"] is None
    assert (
        result["reason"] == "Quix Streams environment unavailable: pip install failed: no network"
    )


def test_a_long_error_line_is_shortened_to_fit_the_table() -> None:
    assert len(quix_venv.last_line("error: " + "x" * 500)) == 160
    assert quix_venv.last_line("") == "no output"
