"""A real Kafka-protocol broker for integration tests: KAFKA_BOOTSTRAP_SERVERS when set,
testcontainers' Kafka when a Docker engine answers, the embedded broker otherwise."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import replace

import pytest

from streams.kafka.embedded_broker import EmbeddedBroker
from streams.settings import Settings

pytestmark = pytest.mark.integration


def docker_engine_answers() -> bool:
    """True when a Docker engine (not just the client) responds."""
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and bool(result.stdout.strip())


def embedded_broker() -> EmbeddedBroker:
    """An embedded broker, run from SCREENING_BROKER_BIN when set, as the commands do."""
    return EmbeddedBroker(binary=Settings.from_env().broker_bin)


@pytest.fixture(scope="session")
def bootstrap_servers() -> Iterator[str]:
    """The broker every integration test talks to."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    if docker_engine_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:3.9.0").with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    with embedded_broker() as broker:
        yield broker.bootstrap_servers


@pytest.fixture
def own_broker(bootstrap_servers: str) -> Iterator[str]:
    """A fresh embedded broker of this test's own: for a discovering worker that would
    otherwise serve every other test's member topics, and for restart tests, which the
    embedded broker's group state left by earlier tests can stall (see the test)."""
    with embedded_broker() as broker:
        yield broker.bootstrap_servers


@pytest.fixture
def settings(bootstrap_servers: str) -> Settings:
    """Settings pointing at the test broker, whose shared topics exist."""
    from streams.kafka import admin

    configured = replace(Settings.from_env({}), bootstrap_servers=bootstrap_servers)
    admin.ensure_core_topics(admin.wait_for_broker(configured, timeout_s=60), configured)
    return configured
