"""The broker profile: which broker it is from its metadata, and what follows from it."""

from __future__ import annotations

import base64
import uuid
from types import SimpleNamespace

import pytest

from streams.kafka.broker_profile import (
    KAFKA,
    OTHER,
    TANSU,
    is_kafka_cluster_id,
    profile_for,
    profile_of,
    replication_factor,
)

# What the brokers on these machines answered (Apache Kafka 4.4.0, tansu 0.6.0).
KAFKA_ID = "A15uPfc4QfKzjbGxVlQo0A"
TANSU_ID = "tansu_cluster"


@pytest.mark.parametrize(("brokers", "replicas"), [(0, 1), (1, 1), (2, 2), (3, 3), (5, 3)])
def test_replication_factor_is_three_where_there_are_three_brokers(
    brokers: int, replicas: int
) -> None:
    assert replication_factor(brokers) == replicas


def test_kafka_cluster_ids_are_uuids_in_url_safe_base64() -> None:
    generated = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    assert is_kafka_cluster_id(KAFKA_ID)
    assert is_kafka_cluster_id(generated)
    for other in (
        TANSU_ID,
        None,
        "",
        "redpanda.0a1b2c3d4e5f6a7b",
        "A15uPfc4QfKzjbGxVlQo0",
        "!" * 22,
    ):
        assert not is_kafka_cluster_id(other)


def test_apache_kafka_gets_no_workaround() -> None:
    profile = profile_for(KAFKA_ID, 3)
    assert (profile.kind, profile.read_past_end_offsets, profile.replication_factor) == (
        KAFKA,
        False,
        3,
    )


def test_tansu_and_unknown_brokers_get_the_workarounds() -> None:
    tansu, other = profile_for(TANSU_ID, 1), profile_for("redpanda.0a1b", 1)
    assert (tansu.kind, tansu.read_past_end_offsets, tansu.replication_factor) == (TANSU, True, 1)
    assert (other.kind, other.read_past_end_offsets) == (OTHER, True)


def test_the_profile_reads_confluent_kafka_metadata() -> None:
    metadata = SimpleNamespace(cluster_id=KAFKA_ID, brokers={1: object(), 2: object()})
    profile = profile_of(metadata)
    assert (profile.kind, profile.brokers, profile.replication_factor) == (KAFKA, 2, 2)
    assert profile.describe() == (
        "Apache Kafka, 2 brokers: replication factor 2, changelog ends as reported"
    )
