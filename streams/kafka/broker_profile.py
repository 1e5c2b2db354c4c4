"""What the project does differently per broker, decided in this one place from what the
broker reports in its metadata: its cluster id and how many brokers it has.

Apache Kafka names its cluster with a random UUID in URL-safe base64 (22 characters,
`A15uPfc4QfKzjbGxVlQo0A`); Tansu, the embedded broker, answers `tansu_cluster` unless
told otherwise. A broker that is neither gets the workarounds too: they are safe on Kafka,
only slower. The README's "Broker-specific workarounds" lists every one."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

KAFKA = "Apache Kafka"
TANSU = "tansu"
OTHER = "another Kafka-protocol broker"


def replication_factor(brokers: int) -> int:
    """Replicas per partition of the topics the project creates: 3 where there are three
    brokers or more, else every broker (at least one)."""
    return max(1, min(3, brokers))


@dataclass(frozen=True, slots=True)
class BrokerProfile:
    """The broker's kind and size, and the choices that follow from them."""

    kind: str
    brokers: int
    # Read each changelog past its reported end offset before table recovery stops there:
    # Tansu reports a partition's end as its last batch's base offset plus one, and the
    # state written by that batch's later records would be lost after a crash.
    read_past_end_offsets: bool

    @property
    def replication_factor(self) -> int:
        """Replicas per partition of the topics the project and Faust create."""
        return replication_factor(self.brokers)

    def describe(self) -> str:
        """One line for the worker's log."""
        ends = "read past the reported ones" if self.read_past_end_offsets else "as reported"
        return (
            f"{self.kind}, {self.brokers} broker{'s' * (self.brokers != 1)}: "
            f"replication factor {self.replication_factor}, changelog ends {ends}"
        )


def is_kafka_cluster_id(cluster_id: str | None) -> bool:
    """True for an Apache Kafka cluster id: a UUID in URL-safe base64 without padding."""
    if cluster_id is None or len(cluster_id) != 22:
        return False
    try:
        return len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    except (binascii.Error, ValueError):
        return False


def profile_for(cluster_id: str | None, brokers: int) -> BrokerProfile:
    """The profile of a broker reporting `cluster_id` and `brokers` in its metadata."""
    if is_kafka_cluster_id(cluster_id):
        return BrokerProfile(KAFKA, brokers, read_past_end_offsets=False)
    kind = TANSU if (cluster_id or "").startswith(TANSU) else OTHER
    return BrokerProfile(kind, brokers, read_past_end_offsets=True)


def profile_of(metadata: Any) -> BrokerProfile:
    """The profile from a confluent-kafka ClusterMetadata (`AdminClient.list_topics()`)."""
    return profile_for(metadata.cluster_id, len(metadata.brokers))
