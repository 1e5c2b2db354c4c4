"""The world of the console's HTTP integration tests: a broker of their own, two members
whose payments a real worker decided (name matches, a suspected listed domain contributed by
the second member, a card number and payer ids in the payments), and `screening console`
running over them with one user of each kind, added through `screening console user add`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
from jsonschema import Draft202012Validator, FormatChecker

from streams.kafka import topics
from streams.kafka.client import read_range
from streams.settings import Settings
from tests.external_tools import record_broker
from tests.factories import identifier, payment_bytes, watchlist_entry
from tests.integration.brokers import BrokerCommand
from tests.integration.console_process import ConsoleProcess, end_offsets
from tests.integration.harness import Collector, WorkerProcess, prepare_members, produce, unique

PASSWORD = "correct horse battery"
PAN = "4111111111111111"
PAYER = "cust-777"
LISTED_DOMAIN = "seller-one.example"
LISTED_NAME = "DarkPix Media"
# A law-enforcement embargo: held, but no member may learn the entry or who listed it.
SEALED_DOMAIN = "embargoed-shop.example"
SEALED_ENTRY = "wl-sealed-op"
SEALED_SOURCE = "national-police-unit"
SEALED_REFERENCE = "OP-NIGHTJAR"
CONTRACT_FIELDS = {
    "txn_id", "member_id", "decided_at", "amount", "currency", "payee", "payer_ref",
    "reasons", "status", "age_s", "claimed_by",
}  # fmt: skip
RESOLUTION_FIELDS = {
    "txn_id", "member_id", "outcome", "reason_code", "note", "resolved_by", "approved_by",
    "resolved_at", "decision", "watchlist_version",
}  # fmt: skip


SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def assert_valid(kind: str, document: dict[str, Any]) -> None:
    """`document` is valid against schemas/<kind>.schema.json (formats checked)."""
    schema = orjson.loads((SCHEMAS / f"{kind}.schema.json").read_bytes())
    Draft202012Validator(schema, format_checker=FormatChecker()).validate(document)


@dataclass
class DeskEnv:
    """The broker, the two members, the running console and its users' tokens."""

    bootstrap: str
    a: str
    b: str
    console: ConsoleProcess
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return Settings(bootstrap_servers=self.bootstrap)

    def call(self, user: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if user is not None:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        answer = httpx.request(method, self.console.url + path, headers=headers, timeout=30, **kw)
        assert answer.status_code < 500, answer.text
        assert PAN not in answer.text and "4111 1111" not in answer.text
        return answer

    def token(self, user: str) -> str:
        if user not in self.tokens:
            answer = httpx.post(
                self.console.url + "/api/token",
                json={"username": user, "password": PASSWORD},
                timeout=30,
            )
            assert answer.status_code == 200, answer.text
            self.tokens[user] = answer.json()["token"]
        return self.tokens[user]

    def written(self) -> dict[tuple[str, int], int]:
        """End offsets of every topic the console writes."""
        names = [
            topics.resolutions_topic(self.a),
            topics.resolutions_topic(self.b),
            topics.AUDIT,
            topics.WATCHLIST,
            topics.PROPOSALS,
        ]
        return end_offsets(self.bootstrap, names)

    def count(self, topic: str) -> int:
        """Records ever written to `topic` (the sum of its partitions' end offsets)."""
        return sum(end for (name, _), end in self.written().items() if name == topic)

    def resolutions(self, member: str) -> list[dict[str, Any]]:
        found = read_range(self.settings, topics.resolutions_topic(member), idle_timeout_s=3)
        return [orjson.loads(r.value) for r in found if r.value is not None]

    def audit(self) -> list[dict[str, Any]]:
        found = read_range(self.settings, topics.AUDIT, idle_timeout_s=3)
        return [orjson.loads(r.value) for r in found if r.value is not None]


def users(a: str, b: str) -> dict[str, tuple[str, str | None]]:
    return {
        "ana": ("member-analyst", a),
        "sam": ("member-supervisor", a),
        "sid": ("member-supervisor", a),
        "bea": ("member-analyst", b),
        "bob": ("member-supervisor", b),
        "cora": ("coalition-analyst", None),
        "audrey": ("auditor", None),
    }


def payments(a: str, b: str) -> dict[str, list[bytes]]:
    name_payee = {"name": "Darkpix Media Ltd", "country": "GB"}
    listed = {"domain": f"https://www.{LISTED_DOMAIN.upper()}/shop"}
    card = {"number": PAN}
    return {
        a: [
            *(
                payment_bytes(f"a-name-{i}", a, payee=name_payee, payer_id=PAYER, card=card)
                for i in (1, 2, 3)
            ),
            # A typo of the listed name: held by the name match, yet no listed identifier.
            payment_bytes("a-name-4", a, payee={"name": "Darkpix Medya", "domain": "new.example"}),
            *(payment_bytes(f"a-wl-{i}", a, payee=listed, payer_id=PAYER) for i in (1, 2, 3, 4)),
            payment_bytes("a-sealed-1", a, payee={"domain": SEALED_DOMAIN}),
        ],
        b: [
            payment_bytes("b-wl-1", b, payee=listed, payer_id="b-payer-1"),
            payment_bytes("b-name-1", b, payee=name_payee),
        ],
    }


@contextmanager
def desk_env(engine: str, tmp: Path) -> Iterator[DeskEnv]:
    """Decisions by a real worker on a broker of its own, then the console over them."""
    with BrokerCommand(engine) as broker:
        record_broker(broker.description, fresh=True)
        a, b = unique("bank-a"), unique("bank-b")
        settings = Settings(bootstrap_servers=broker.bootstrap_servers)
        entries = [
            watchlist_entry("wl-name", [identifier("name", LISTED_NAME)], source="ncmec"),
            watchlist_entry(
                "wl-domain",
                [identifier("domain", LISTED_DOMAIN)],
                status="suspected",
                source=b,
                reference="REF-SELLER-1",
            ),
            watchlist_entry(
                SEALED_ENTRY,
                [identifier("domain", SEALED_DOMAIN)],
                action="hold",
                source=SEALED_SOURCE,
                reference=SEALED_REFERENCE,
                visibility="sealed",
            ),
        ]
        prepare_members(settings, [a, b], entries)
        sent = payments(a, b)
        for member, values in sent.items():
            produce(settings, topics.payments_topic(member), [(None, v) for v in values])
        worker = WorkerProcess(broker.bootstrap_servers, tmp, [a, b]).start()
        collector = Collector(settings, [topics.decisions_topic(a), topics.decisions_topic(b)])
        try:
            total = sum(len(v) for v in sent.values())
            assert collector.until(lambda rs: len(rs) >= total, 180), worker.log()
        finally:
            collector.close()
            worker.stop()
        console = ConsoleProcess(broker.bootstrap_servers, tmp)
        for name, (role, member) in users(a, b).items():
            assert console.add_user(name, role, member, PASSWORD).startswith(f"user {name} added")
        console.start()
        try:
            yield DeskEnv(broker.bootstrap_servers, a, b, console)
        finally:
            console.stop()
