"""An app over the in-memory desk with one user of each kind, and their tokens."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from streams.console.accounts import AccountStore
from streams.console.api import create_app
from streams.console.database import open_engine
from tests.unit.console.fake_desk import FakeDesk, hold_doc

USERS = {
    "ana": ("member-analyst", "bank-a"),
    "sam": ("member-supervisor", "bank-a"),
    "sid": ("member-supervisor", "bank-a"),
    "bea": ("member-analyst", "bank-b"),
    "bob": ("member-supervisor", "bank-b"),
    "cora": ("coalition-analyst", None),
    "audrey": ("auditor", None),
}
PASSWORD = "correct horse"


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk(
        [
            hold_doc("bank-a", "t1"),
            hold_doc("bank-a", "t2", "WATCHLIST_MATCH"),
            hold_doc("bank-b", "t9"),
        ]
    )


@pytest.fixture
def accounts(tmp_path: Path) -> AccountStore:
    hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    store = AccountStore(open_engine(f"sqlite:///{tmp_path / 'c.db'}"), 3600.0, hasher=hasher)
    store.create_tables()
    for name, (role, member) in USERS.items():
        store.put(store.new_record(name, role, member, PASSWORD))
    return store


@pytest.fixture
def client(desk: FakeDesk, accounts: AccountStore) -> TestClient:
    return TestClient(create_app(desk, accounts), raise_server_exceptions=False)


@pytest.fixture
def auth(client: TestClient) -> Callable[[str], dict[str, str]]:
    """User name -> the Authorization header of a fresh token of theirs."""

    def headers(name: str) -> dict[str, str]:
        answer = client.post("/api/token", json={"username": name, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['token']}"}

    return headers
