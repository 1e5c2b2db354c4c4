"""Users, password hashes and session tokens in an SQLite database, and their form on the
`console.users` topic."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from streams.console.accounts import (
    AccountError,
    AccountStore,
    UserRecord,
    sessions,
    token_digest,
    users,
    validate_account,
)
from streams.console.database import open_engine
from streams.console.roles import Principal
from streams.console.user_topic import decode, encode


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> AccountStore:
    # Cheap argon2 parameters: the tests check the mechanics, not the cost.
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    accounts = AccountStore(open_engine(f"sqlite:///{tmp_path / 'c.db'}"), 60.0, clock, hasher)
    accounts.create_tables()
    accounts.put(accounts.new_record("ana", "member-analyst", "bank-a", "s3cret pass"))
    return accounts


def test_only_a_salted_argon2_hash_is_stored(store: AccountStore) -> None:
    record = store.get("ana")
    assert record is not None
    assert record.password_hash.startswith("$argon2id$")
    assert "s3cret" not in record.password_hash
    other = store.hash_password("s3cret pass")
    assert other != record.password_hash  # salted


def test_authenticate(store: AccountStore) -> None:
    assert store.authenticate("ana", "s3cret pass") == Principal("ana", "member-analyst", "bank-a")
    assert store.authenticate("ana", "wrong") is None
    assert store.authenticate("nobody", "s3cret pass") is None
    assert store.authenticate("not a name!", "x") is None
    assert store.authenticate("ana", "x" * 5000) is None


def test_tokens_are_random_stored_as_digests_and_expire(store: AccountStore, clock: Clock) -> None:
    principal = Principal("ana", "member-analyst", "bank-a")
    token = store.issue_token(principal)
    assert token != store.issue_token(principal)
    with store.engine.connect() as connection:
        stored = connection.execute(select(sessions.c.token_hash)).scalars().all()
    assert token not in stored and token_digest(token) in stored
    assert store.principal_for(token) == principal
    assert store.principal_for("") is None
    assert store.principal_for(token + "x") is None
    clock.now += 59
    assert store.principal_for(token) == principal
    clock.now += 1
    assert store.principal_for(token) is None


def test_changing_a_user_updates_them_and_ends_their_sessions(store: AccountStore) -> None:
    token = store.issue_token(Principal("ana", "member-analyst", "bank-a"))
    existed = store.put(store.new_record("ana", "member-supervisor", "bank-a", "new pass"))
    assert existed
    assert store.principal_for(token) is None
    assert store.authenticate("ana", "s3cret pass") is None
    assert store.authenticate("ana", "new pass") == Principal("ana", "member-supervisor", "bank-a")
    assert not store.put(store.new_record("cora", "coalition-analyst", None, "pw"))
    with store.engine.connect() as connection:
        assert len(connection.execute(select(users)).all()) == 2


@pytest.mark.parametrize(
    ("username", "role", "member", "message"),
    [
        ("ana", "admin", None, "role 'admin' is not one of"),
        ("ana", "member-analyst", None, "needs --member"),
        ("ana", "member-supervisor", None, "needs --member"),
        ("ana", "auditor", "bank-a", "takes no --member"),
        ("ana", "coalition-analyst", "bank-a", "takes no --member"),
        ("ana", "member-analyst", "Bank_A", "is not a member id"),
        ("ana", "member-analyst", "-bank", "is not a member id"),
        ("", "auditor", None, "user name"),
        ("a b", "auditor", None, "user name"),
        ("x" * 65, "auditor", None, "user name"),
    ],
)
def test_invalid_accounts(username: str, role: str, member: str | None, message: str) -> None:
    with pytest.raises(AccountError, match=message):
        validate_account(username, role, member)


@pytest.mark.parametrize(
    ("username", "role", "member"),
    [
        ("ana", "member-analyst", "bank-a"),
        ("sue.b@bank-a", "member-supervisor", "b2"),
        ("cora", "coalition-analyst", None),
        ("audrey", "auditor", None),
    ],
)
def test_valid_accounts(username: str, role: str, member: str | None) -> None:
    validate_account(username, role, member)


def test_empty_and_overlong_passwords_are_refused(store: AccountStore) -> None:
    with pytest.raises(AccountError, match="empty"):
        store.new_record("bob", "auditor", None, "")
    with pytest.raises(AccountError, match="longer"):
        store.new_record("bob", "auditor", None, "x" * 1025)


def test_topic_form_round_trips_and_carries_no_password(store: AccountStore) -> None:
    record = store.get("ana")
    assert record is not None
    key, value = encode(record)
    assert key == b"ana"
    assert set(orjson.loads(value)) == {"role", "member", "hash", "at"}
    assert b"s3cret" not in value
    assert decode(key, value) == record


@pytest.mark.parametrize(
    "value",
    [
        None,
        b"not json",
        b"[]",
        b'{"role": "member-analyst", "hash": "h", "at": 1}',
        b'{"role": "boss", "member": null, "hash": "h", "at": 1}',
        b'{"role": "auditor", "member": null, "at": 1}',
    ],
)
def test_malformed_topic_records_are_skipped(value: bytes | None) -> None:
    assert decode(b"ana", value) is None


def test_user_record_principal() -> None:
    record = UserRecord("cora", "coalition-analyst", None, "h", 1.0)
    assert record.principal == Principal("cora", "coalition-analyst", None)


def test_sync_restores_newer_topic_users_and_publishes_the_rest(
    store: AccountStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streams.console import user_topic
    from streams.settings import Settings

    ana = store.get("ana")
    assert ana is not None
    newer_ana = UserRecord("ana", "member-supervisor", "bank-a", ana.password_hash, ana.at + 1)
    lost = UserRecord("lost", "auditor", None, ana.password_hash, 5.0)
    store.put(UserRecord("only-here", "auditor", None, ana.password_hash, 7.0))
    published: list[UserRecord] = []
    monkeypatch.setattr(user_topic, "ensure_users_topic", lambda settings: None)
    monkeypatch.setattr(user_topic, "read_users", lambda settings: {"ana": newer_ana, "lost": lost})
    monkeypatch.setattr(user_topic, "publish", lambda settings, records: published.extend(records))
    restored, sent = user_topic.sync_users(Settings(), store)
    assert (restored, sent) == (2, 1)
    assert store.get("ana") == newer_ana and store.get("lost") == lost
    assert [r.username for r in published] == ["only-here"]
