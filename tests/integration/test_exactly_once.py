"""Exactly-once on the decision path, on Apache Kafka: the transactional loop of
`streams.benchmarks.transactions` SIGKILLed mid-stream and started again leaves no
duplicate decision visible to a read_committed consumer, though the killed loop's
aborted decisions are in the log (a read_uncommitted reader sees them); at least once,
the same kill leaves duplicates for every reader."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from streams.benchmarks.exactly_once import kill_check
from streams.benchmarks.transactions import AT_LEAST_ONCE, EXACTLY_ONCE
from streams.kafka.kafka_cluster import KafkaCluster

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    """A one-node Apache Kafka of this module's own (transactions need a real one)."""
    if shutil.which("java") is None or shutil.which("mvn") is None:
        pytest.skip("Apache Kafka needs java and mvn on PATH")
    with KafkaCluster(nodes=1) as cluster:
        yield cluster.bootstrap_servers


def test_sigkill_mid_transaction_leaves_no_visible_duplicate(kafka: str) -> None:
    # The kill lands inside an open transaction by design (the loop holds a flushed batch
    # uncommitted when it is killed): its aborted decisions are in the log, and visible
    # to read_uncommitted only.
    result = kill_check(kafka, EXACTLY_ONCE)
    print("exactly once, SIGKILL mid-stream:", result)
    assert result.decided == result.payments
    assert result.open_at_kill > 0
    assert result.duplicates_committed == 0
    assert result.duplicates_uncommitted > 0, f"no kill landed in a transaction: {result}"


def test_at_least_once_the_same_kill_leaves_duplicates(kafka: str) -> None:
    result = kill_check(kafka, AT_LEAST_ONCE)
    print("at least once, SIGKILL mid-stream:", result)
    assert result.decided == result.payments
    assert result.duplicates_committed > 0
