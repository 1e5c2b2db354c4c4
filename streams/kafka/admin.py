"""Topic administration through the broker's metadata: create what the contract needs and
discover members from their `payments.<member>` topics."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from streams.kafka import topics
from streams.kafka.broker_profile import BrokerProfile, profile_of, replication_factor
from streams.settings import Settings

COMPACTED = {"cleanup.policy": "compact"}


class BrokerUnavailable(RuntimeError):
    """The broker did not answer; the message names the bootstrap servers."""


class BrokerRefused(BrokerUnavailable):
    """The broker answered but refused the client's login or TLS handshake: retrying with
    the same settings cannot help. The message says which and names no secret."""


# librdkafka's codes for a refused login and a failed TLS handshake (certificate not
# trusted, host name not in it, TLS against a plain listener).
# (By name: librdkafka's local error codes are the underscored KafkaError constants.)
_REFUSALS = {
    "_AUTHENTICATION": "authentication failed: Kafka at {} refused the login",
    "_SSL": "TLS with Kafka at {} failed",
}


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
    """Retry until the broker answers metadata; BrokerUnavailable with a clear message,
    BrokerRefused at once when it refuses the credentials or the TLS handshake."""
    wait_for_cluster(
        settings.kafka_client_config(),
        timeout_s,
        address_hint="KAFKA_BOOTSTRAP_SERVERS",
        security_hint="KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_CAFILE",
    )
    return admin_client(settings)


def wait_for_cluster(
    config: Mapping[str, str | int | float | bool],
    timeout_s: float,
    address_hint: str,
    security_hint: str,
) -> None:
    """Return once the cluster `config` names answers metadata; BrokerUnavailable after
    `timeout_s`, BrokerRefused as soon as it refuses the login or the TLS handshake (a
    retry loop would never end). The hints say where the address and the security
    settings came from (variables, a file). The probe client is silent: a refusal is
    reported once, here, not logged on every retry."""
    refusal = _Refusal()
    probe_config: dict[str, Any] = {**config, "log_level": 0, "error_cb": refusal}
    probe = AdminClient(probe_config)
    bootstrap = config.get("bootstrap.servers")
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            list_topics(probe, timeout_s=1.0)
            return
        except BrokerUnavailable:
            probe.poll(0)  # serves the error callback
            if refusal.reason is not None:
                what, detail = refusal.reason
                raise BrokerRefused(
                    f"{what.format(bootstrap)}: {detail} (check {security_hint})"
                ) from None
            if time.monotonic() >= deadline:
                raise BrokerUnavailable(
                    f"no Kafka broker answered at {bootstrap} "
                    f"within {timeout_s:.0f}s ({address_hint})"
                ) from None
            time.sleep(0.5)


class _Refusal:
    """librdkafka's error callback: keeps the first refusal, ignores transient errors."""

    def __init__(self) -> None:
        self.reason: tuple[str, str] | None = None

    def __call__(self, error: KafkaError) -> None:
        what = _REFUSALS.get(error.name())
        if what is not None and self.reason is None:
            # "sasl_ssl://host:port/bootstrap: SASL authentication error: ..." -> the detail.
            detail = error.str().split(": ", 1)[-1]
            self.reason = (what, detail)


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


def ensure_core_topics(admin: AdminClient, settings: Settings) -> list[str]:
    """The shared topics: compacted watchlist and rules, alerts and the dead-letter topic,
    and the internal velocity stage topics (as many partitions as the stage tables);
    returns the names created."""
    created = ensure_topics(
        admin,
        [topics.WATCHLIST, topics.RULES, topics.LINKS],
        settings.topic_partitions,
        COMPACTED,
    )
    return created + ensure_topics(
        admin,
        [
            topics.ALERTS,
            topics.DLQ_PAYMENTS,
            *topics.velocity_stage_topics(settings.app_id),
        ],
        settings.topic_partitions,
    )


def ensure_member_topics(admin: AdminClient, settings: Settings, members: list[str]) -> list[str]:
    """`payments.<member>` and `decisions.<member>` for each member; returns the names
    created."""
    names = [topics.payments_topic(m) for m in members] + [
        topics.decisions_topic(m) for m in members
    ]
    return ensure_topics(admin, names, settings.topic_partitions)


def discover_members(admin: AdminClient) -> list[str]:
    """Members that have a `payments.<member>` topic on the broker, sorted."""
    return sorted(m for name in list_topics(admin) if (m := topics.member_of(name)) is not None)
