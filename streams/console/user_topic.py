"""Console users on the compacted `console.users` topic (key: user name; value: role,
member, password hash, at), so that a console whose database was lost gets its users back."""

from __future__ import annotations

from typing import Any

import orjson

from streams.console.accounts import AccountStore, UserRecord, validate_account
from streams.kafka import admin, topics
from streams.kafka.client import produce_all, producer, read_range
from streams.settings import Settings


def ensure_users_topic(settings: Settings, timeout_s: float = 15.0) -> None:
    """Create the compacted users topic when missing; BrokerUnavailable when the broker
    does not answer within `timeout_s`."""
    client = admin.wait_for_broker(settings, timeout_s=timeout_s)
    admin.ensure_topics(client, [topics.CONSOLE_USERS], 1, admin.COMPACTED)


def encode(record: UserRecord) -> tuple[bytes, bytes]:
    """A user record as the topic's (key, value)."""
    value = {
        "role": record.role,
        "member": record.member,
        "hash": record.password_hash,
        "at": record.at,
    }
    return record.username.encode(), orjson.dumps(value)


def decode(key: bytes | None, value: bytes | None) -> UserRecord | None:
    """The user record of one topic record; None for a deletion or anything malformed
    (a record nobody can log in with is better skipped than fatal at start)."""
    if key is None or value is None:
        return None
    try:
        document: Any = orjson.loads(value)
        record = UserRecord(
            key.decode(),
            str(document["role"]),
            None if document.get("member") is None else str(document["member"]),
            str(document["hash"]),
            float(document["at"]),
        )
        validate_account(record.username, record.role, record.member)
    except (ValueError, KeyError, TypeError):
        return None
    return record


def publish(settings: Settings, records: list[UserRecord]) -> None:
    """Write user records to the topic, acknowledged by the broker before returning."""
    if not records:
        return
    client = producer(settings, **{"linger.ms": 0})
    produce_all(client, topics.CONSOLE_USERS, [encode(r) for r in records])


def read_users(settings: Settings) -> dict[str, UserRecord]:
    """The topic's latest record of each user (deleted users absent)."""
    latest: dict[str, UserRecord | None] = {}
    for message in read_range(settings, topics.CONSOLE_USERS, idle_timeout_s=5.0):
        if message.key is not None:
            latest[message.key.decode(errors="replace")] = decode(message.key, message.value)
    return {name: record for name, record in latest.items() if record is not None}


def sync_users(settings: Settings, store: AccountStore) -> tuple[int, int]:
    """Reconcile the database with the topic at start: users newer on the topic are written
    to the database, users missing from the topic (or newer in the database) are published.
    Returns (restored, published)."""
    ensure_users_topic(settings)
    on_topic = read_users(settings)
    restored = 0
    for record in on_topic.values():
        stored = store.get(record.username)
        if stored is None or stored.at < record.at:
            store.put(record)
            restored += 1
    missing = [
        r for r in store.all() if r.username not in on_topic or on_topic[r.username].at < r.at
    ]
    publish(settings, missing)
    return restored, len(missing)


def add_user(settings: Settings, store: AccountStore, record: UserRecord) -> bool:
    """Publish a new or changed user, then store it; True when it already existed."""
    ensure_users_topic(settings)
    publish(settings, [record])
    return store.put(record)
