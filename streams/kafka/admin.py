"""Topic administration through the broker's metadata: create what the contract needs and
discover members from their `payments.<member>` topics."""

from __future__ import annotations

import time

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from streams.kafka import topics
from streams.settings import Settings

COMPACTED = {"cleanup.policy": "compact"}


class BrokerUnavailable(RuntimeError):
    """The broker did not answer; the message names the bootstrap servers."""


def admin_client(settings: Settings) -> AdminClient:
    """An admin client for the configured cluster."""
    return AdminClient(settings.kafka_client_config())


def list_topics(admin: AdminClient, timeout_s: float = 10.0) -> dict[str, int]:
    """Topic name -> partition count; BrokerUnavailable if the broker does not answer."""
    try:
        metadata = admin.list_topics(timeout=timeout_s)
    except KafkaException as exc:
        raise BrokerUnavailable(f"broker did not answer: {exc}") from None
    return {name: len(t.partitions) for name, t in metadata.topics.items() if not t.error}


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


def replication_factor(brokers: int) -> int:
    """Replicas per partition on a cluster of `brokers`: 3 where there are three, so a
    topic outlives one broker's loss with acks=all (min.insync.replicas=2)."""
    return max(1, min(3, brokers))


def broker_count(admin: AdminClient, timeout_s: float = 10.0) -> int:
    """How many brokers the cluster has; BrokerUnavailable if it does not answer."""
    try:
        return len(admin.list_topics(timeout=timeout_s).brokers)
    except KafkaException as exc:
        raise BrokerUnavailable(f"broker did not answer: {exc}") from None


def ensure_topics(
    admin: AdminClient,
    names: list[str],
    partitions: int,
    config: dict[str, str] | None = None,
) -> list[str]:
    """Create the topics that do not exist yet, with `replication_factor` replicas for
    the cluster's brokers; returns the names created."""
    existing = list_topics(admin)
    missing = [n for n in dict.fromkeys(names) if n not in existing]
    if not missing:
        return []
    replicas = replication_factor(broker_count(admin))
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
    return missing


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
