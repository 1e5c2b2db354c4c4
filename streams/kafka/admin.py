"""Topic administration through the broker's metadata: create what the contract needs and
discover members from their `payments.<member>` topics."""

from __future__ import annotations

import time
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from streams.kafka import topics
from streams.kafka.broker_profile import BrokerProfile, profile_of, replication_factor
from streams.settings import Settings

COMPACTED = {"cleanup.policy": "compact"}


class BrokerUnavailable(RuntimeError):
    """The broker did not answer; the message names the bootstrap servers."""


def admin_client(settings: Settings) -> AdminClient:
    """An admin client for the configured cluster."""
    return AdminClient(settings.kafka_client_config())


def cluster_metadata(admin: AdminClient, timeout_s: float = 10.0) -> Any:
    """The broker's metadata (ClusterMetadata); BrokerUnavailable if it does not answer."""
    try:
        return admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise BrokerUnavailable(f"broker did not answer: {exc}") from None


def topics_of(metadata: Any) -> dict[str, int]:
    """Topic name -> partition count of the topics in `metadata` without an error."""
    return {name: len(t.partitions) for name, t in metadata.topics.items() if not t.error}


def list_topics(admin: AdminClient, timeout_s: float = 10.0) -> dict[str, int]:
    """Topic name -> partition count; BrokerUnavailable if the broker does not answer."""
    return topics_of(cluster_metadata(admin, timeout_s))


def broker_profile(admin: AdminClient) -> BrokerProfile:
    """What the project does differently on this broker (`streams.kafka.broker_profile`)."""
    return profile_of(cluster_metadata(admin))


def wait_for_broker(settings: Settings, timeout_s: float = 60.0) -> AdminClient:
    """Retry until the broker answers metadata; BrokerUnavailable with a clear message."""
    admin = admin_client(settings)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            list_topics(admin, timeout_s=5.0)
            return admin
        except BrokerUnavailable:
            if time.monotonic() >= deadline:
                raise BrokerUnavailable(
                    f"no Kafka broker answered at {settings.bootstrap_servers} "
                    f"within {timeout_s:.0f}s (KAFKA_BOOTSTRAP_SERVERS)"
                ) from None
            time.sleep(1.0)


def ensure_topics(
    admin: AdminClient,
    names: list[str],
    partitions: int,
    config: dict[str, str] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet, with `replication_factor` of the brokers
    in the metadata; returns the names created."""
    metadata = cluster_metadata(admin)
    existing = topics_of(metadata)
    missing = [n for n in dict.fromkeys(names) if n not in existing]
    if not missing:
        return []
    replicas = replication_factor(len(metadata.brokers))
    futures = admin.create_topics(
        [NewTopic(n, partitions, replicas, config=dict(config or {})) for n in missing],
        operation_timeout=10,
    )
    for future in futures.values():
        try:
            future.result()
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    wait_until_served(admin, missing)
    return missing


def wait_until_served(admin: AdminClient, names: list[str], timeout_s: float = 15.0) -> None:
    """Wait until the broker's metadata shows every topic of `names` with a leader for each
    partition. Apache Kafka confirms a creation once its controller has it, and a broker's
    metadata follows a moment later: a client that asks at once is told there is no such
    topic. TimeoutError when they are not served within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        metadata = cluster_metadata(admin)
        pending = [name for name in names if not _served(metadata, name)]
        if not pending:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"topics created but not served within {timeout_s:.0f}s: {pending}")
        time.sleep(0.05)


def _served(metadata: Any, name: str) -> bool:
    topic = metadata.topics.get(name)
    return (
        topic is not None
        and not topic.error
        and bool(topic.partitions)
        and all(p.leader >= 0 for p in topic.partitions.values())
    )


def ensure_core_topics(admin: AdminClient, settings: Settings) -> None:
    """The shared topics: compacted watchlist and rules, alerts and the dead-letter topic,
    and the internal velocity stage topics (as many partitions as the stage tables)."""
    ensure_topics(
        admin,
        [topics.WATCHLIST, topics.RULES, topics.LINKS],
        settings.topic_partitions,
        COMPACTED,
    )
    ensure_topics(
        admin,
        [
            topics.ALERTS,
            topics.DLQ_PAYMENTS,
            *topics.velocity_stage_topics(settings.app_id),
        ],
        settings.topic_partitions,
    )


def ensure_member_topics(admin: AdminClient, settings: Settings, members: list[str]) -> None:
    """`payments.<member>` and `decisions.<member>` for each member."""
    names = [topics.payments_topic(m) for m in members] + [
        topics.decisions_topic(m) for m in members
    ]
    ensure_topics(admin, names, settings.topic_partitions)


def discover_members(admin: AdminClient) -> list[str]:
    """Members that have a `payments.<member>` topic on the broker, sorted."""
    return sorted(m for name in list_topics(admin) if (m := topics.member_of(name)) is not None)
