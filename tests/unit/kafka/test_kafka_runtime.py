"""The pinned Apache Kafka release and its jar cache, without Maven or Java."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams.kafka import kafka_runtime
from streams.kafka.broker_error import BrokerError


def test_the_version_is_pinned_in_the_pom() -> None:
    version = kafka_runtime.kafka_version()
    parts = [int(part) for part in version.split(".")]
    assert len(parts) == 3
    assert parts[0] == 4
    assert f"<kafka.version>{version}</kafka.version>" in kafka_runtime.POM.read_text()


def test_a_pom_without_a_version_is_refused(tmp_path: Path) -> None:
    pom = tmp_path / "pom.xml"
    pom.write_text('<project xmlns="http://maven.apache.org/POM/4.0.0"><properties/></project>')
    with pytest.raises(BrokerError, match=r"pins no kafka\.version"):
        kafka_runtime.kafka_version(pom)


def test_the_cache_is_keyed_by_version_and_pom_content(tmp_path: Path) -> None:
    first = kafka_runtime.cache_dir({kafka_runtime.CACHE_ENV: str(tmp_path)})
    assert first.parent == tmp_path
    assert first.name.startswith(kafka_runtime.kafka_version() + "-")
    assert kafka_runtime.cache_dir({}).parent == Path.home() / ".cache" / "screening" / "kafka"


def test_missing_java_names_what_to_install_and_the_alternative(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(kafka_runtime.shutil, "which", lambda name: None)
    with pytest.raises(BrokerError) as caught:
        kafka_runtime.require_java_and_maven()
    message = str(caught.value)
    assert "java (17+) and mvn" in message
    assert "--engine tansu" in message
    assert "\n" not in message


def test_a_warm_cache_needs_no_maven(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(kafka_runtime.CACHE_ENV, str(tmp_path))
    target = kafka_runtime.cache_dir()
    target.mkdir(parents=True)
    for jar in ("b.jar", "a.jar"):
        (target / jar).write_bytes(b"")
    (target / ".complete").write_text("done\n")
    monkeypatch.setattr(kafka_runtime.shutil, "which", lambda name: f"/usr/bin/{name}")

    def no_maven(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("Maven ran although the cache was complete")

    monkeypatch.setattr(kafka_runtime.subprocess, "run", no_maven)
    assert kafka_runtime.kafka_classpath() == f"{target / 'a.jar'}:{target / 'b.jar'}"


def test_a_maven_failure_is_one_line_and_leaves_no_partial_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import subprocess

    monkeypatch.setenv(kafka_runtime.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(kafka_runtime.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        kafka_runtime.subprocess,
        "run",
        lambda *a, **k: subprocess.CompletedProcess(
            a, 1, "[ERROR] Could not resolve dependencies for project\n[ERROR] more\n", ""
        ),
    )
    lines: list[str] = []
    with pytest.raises(BrokerError, match="Could not resolve dependencies") as caught:
        kafka_runtime.kafka_classpath(lines.append)
    assert "\n" not in str(caught.value)
    assert lines and "first use only" in lines[0]
    assert list(tmp_path.iterdir()) == []
