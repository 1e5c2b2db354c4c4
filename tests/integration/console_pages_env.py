"""The world the console's page tests run in: a broker of their own, two members, a
worker that keeps running (so a payment produced during a test becomes a hold), the
decisions of a first batch (the oldest holds) and of the rest, and the console with one
user of each role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from streams.kafka import topics
from streams.kafka.client import read_range
from streams.settings import Settings
from tests.external_tools import record_broker
from tests.factories import identifier, payment_bytes, watchlist_entry
from tests.integration.brokers import BrokerCommand
from tests.integration.console_process import ConsoleProcess, end_offsets
from tests.integration.harness import Collector, WorkerProcess, prepare_members, produce, unique

PASSWORD = "correct horse battery"
XSS = "<img src=x onerror=alert(1)>"
LISTED_NAME = "DarkPix Media"
LISTED_DOMAIN = "seller-one.example"
ROUTE_DOMAIN = "seller-two.example"
SLA_S = 8


@dataclass
class Env:
    """The broker, the members, the worker still running and the console."""

    bootstrap: str
    a: str
    b: str
    console: ConsoleProcess
    worker: WorkerProcess

    @property
    def url(self) -> str:
        return self.console.url

    @property
    def settings(self) -> Settings:
        return Settings(bootstrap_servers=self.bootstrap)

    def api(self, user: str, path: str) -> Any:
        token = httpx.post(
            f"{self.url}/api/token", json={"username": user, "password": PASSWORD}, timeout=30
        ).json()["token"]
        answer = httpx.get(self.url + path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def resolutions(self) -> list[dict[str, Any]]:
        found = read_range(self.settings, topics.resolutions_topic(self.a), idle_timeout_s=3)
        return [orjson.loads(r.value) for r in found if r.value is not None]

    def count(self, topic: str) -> int:
        return sum(end for (_, _), end in end_offsets(self.bootstrap, [topic]).items())

    def produce(self, member: str, values: list[bytes]) -> None:
        produce(self.settings, topics.payments_topic(member), [(None, v) for v in values])

    def hold(self, prefix: str, **want: Any) -> str:
        """The first open hold of member a whose id starts with `prefix`, as the API lists."""
        holds = self.api("ana", "/api/holds")["holds"]
        return next(
            h["txn_id"]
            for h in holds
            if h["txn_id"].startswith(prefix) and all(h.get(k) == v for k, v in want.items())
        )


def _payments(a: str, b: str) -> tuple[list[bytes], dict[str, list[bytes]]]:
    """First the name matches (the oldest holds), then everything else."""
    now = datetime.now(UTC)

    def ts(days: int) -> str:
        return (now - timedelta(days=days, hours=1)).isoformat().replace("+00:00", "Z")

    name = {"name": "Darkpix Media Ltd", "country": "GB"}
    listed = {"domain": f"https://www.{LISTED_DOMAIN.upper()}/shop"}
    first = [
        payment_bytes(f"a-name-{i}", a, payee=name, payer_id="cust-1", ts=ts(i), method="card")
        for i in (1, 2, 3, 4)
    ]
    wallet = [f"0x{i:040x}" for i in range(1, 5)]
    rest = {
        a: [
            *(
                payment_bytes(f"a-wl-{i}", a, payee=listed, ts=ts(i + 3), method="wallet")
                for i in (1, 2, 3)
            ),
            payment_bytes("a-xss", a, payee={"name": XSS, "domain": LISTED_DOMAIN}, ts=ts(0)),
            payment_bytes(
                "a-new-1", a, payee={"name": "Darkpix Medya", "domain": "new.example"}, ts=ts(2)
            ),
            *(
                payment_bytes(
                    f"a-route-{i}",
                    a,
                    payee={"domain": ROUTE_DOMAIN, "wallet_address": w},
                    ts=ts(i * 4),
                    method="crypto",
                )
                for i, w in enumerate(wallet)
            ),
        ],
        b: [payment_bytes("b-wl-1", b, payee=listed, ts=ts(1))],
    }
    return first, rest


def running_env(engine: str, tmp: Path) -> Iterator[Env]:
    """The broker, worker and console, stopped afterwards."""
    with BrokerCommand(engine) as broker:
        record_broker(broker.description, fresh=True)
        a, b = unique("bank-a"), unique("bank-b")
        settings = Settings(bootstrap_servers=broker.bootstrap_servers)
        entries = [
            watchlist_entry("wl-name", [identifier("name", LISTED_NAME)], source="ncmec"),
            watchlist_entry(
                "wl-domain", [identifier("domain", LISTED_DOMAIN)], status="suspected",
                source=b, reference="REF-SELLER-1",
            ),
            watchlist_entry("wl-route", [identifier("domain", ROUTE_DOMAIN)], source="hotline"),
        ]  # fmt: skip
        prepare_members(settings, [a, b], entries)
        worker = WorkerProcess(broker.bootstrap_servers, tmp, [a, b]).start()
        collector = Collector(settings, [topics.decisions_topic(a), topics.decisions_topic(b)])
        first, rest = _payments(a, b)
        try:
            produce(settings, topics.payments_topic(a), [(None, v) for v in first])
            assert collector.until(lambda rs: len(rs) >= len(first), 180), worker.log()
            for member, values in rest.items():
                produce(settings, topics.payments_topic(member), [(None, v) for v in values])
            total = len(first) + sum(len(v) for v in rest.values())
            assert collector.until(lambda rs: len(rs) >= total, 120), worker.log()
        finally:
            collector.close()
        console = ConsoleProcess(broker.bootstrap_servers, tmp, SCREENING_HOLD_SLA=f"{SLA_S}s")
        users = {
            "ana": ("member-analyst", a),
            "sam": ("member-supervisor", a),
            "cora": ("coalition-analyst", None),
            "audrey": ("auditor", None),
        }
        for user, (role, member) in users.items():
            console.add_user(user, role, member, PASSWORD)
        console.start()
        try:
            yield Env(broker.bootstrap_servers, a, b, console, worker)
        finally:
            console.stop()
            worker.stop()
