"""A real Kafka-protocol broker for integration tests: KAFKA_BOOTSTRAP_SERVERS when set,
otherwise the one SCREENING_TEST_BROKER names (`kafka`: Apache Kafka, the default where
java and mvn are on PATH; `tansu`: the embedded broker), started with `screening broker`.
No Docker engine runs on the project's machines: a Kafka run elsewhere (a container) is
reached through KAFKA_BOOTSTRAP_SERVERS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace

import pytest

from streams.settings import Settings
from tests.external_tools import record_broker
from tests.integration.brokers import BrokerCommand, chosen_engine, why_engine

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def engine() -> str:
    """`kafka` or `tansu`: the engine of the session's broker and of fresh ones."""
    return chosen_engine()


@pytest.fixture(scope="session")
def bootstrap_servers(engine: str) -> Iterator[str]:
    """The broker every integration test talks to."""
    external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if external:
        record_broker(f"{external} (KAFKA_BOOTSTRAP_SERVERS)")
        yield external
        return
    with BrokerCommand(engine) as broker:
        record_broker(f"{broker.description} ({why_engine()})")
        yield broker.bootstrap_servers


@pytest.fixture
def own_broker(engine: str) -> Iterator[str]:
    """A fresh broker of this test's own, on every engine: for a discovering worker that
    would otherwise serve every other test's member topics, and for tests that read
    everything the broker holds or topics shared by every test (the dead-letter topic,
    the benchmarks')."""
    with BrokerCommand(engine) as broker:
        record_broker(broker.description, fresh=True)
        yield broker.bootstrap_servers


@pytest.fixture
def restart_broker(engine: str, bootstrap_servers: str) -> Iterator[str]:
    """A broker for a test that restarts a worker's consumer group: a fresh one on the
    embedded broker, where a group restarted after other tests' groups came and went was
    seen not to fetch again; the session's broker on Apache Kafka, which has no such
    state."""
    if engine == "kafka" or os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield bootstrap_servers
        return
    with BrokerCommand(engine) as broker:
        record_broker(broker.description, fresh=True)
        yield broker.bootstrap_servers


@pytest.fixture
def settings(bootstrap_servers: str) -> Settings:
    """Settings pointing at the test broker, whose shared topics exist."""
    from streams.kafka import admin

    configured = replace(Settings.from_env({}), bootstrap_servers=bootstrap_servers)
    admin.ensure_core_topics(admin.wait_for_broker(configured, timeout_s=60), configured)
    return configured
