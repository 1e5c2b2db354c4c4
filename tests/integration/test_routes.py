"""Follow the money against a real broker: one NEW_ROUTE alert for the first linking, a
hold for the linked identifier, and a block once an analyst promotes it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.kafka import admin, topics
from streams.settings import Settings
from tests.factories import identifier, payment_bytes, watchlist_entry
from tests.integration.harness import (
    Collector,
    WorkerProcess,
    produce,
    publish_entries,
    txn_tag,
    unique,
)

pytestmark = pytest.mark.integration


def test_new_route_alert_link_hold_and_promotion(settings: Settings, tmp_path: Path) -> None:
    member, tag = unique("route"), txn_tag("r")
    site, mid = f"site-{tag}.example", f"MID-{tag}".upper()
    entry_id = f"{tag}-site"
    client = admin.wait_for_broker(settings, timeout_s=60)
    admin.ensure_member_topics(client, settings, [member])
    listed = watchlist_entry(entry_id, [identifier("domain", site)], source="hotline")
    publish_entries(settings, [listed])
    worker = WorkerProcess(settings.bootstrap_servers, tmp_path, [member]).start()
    decisions = Collector(settings, [topics.decisions_topic(member)])
    alerts = Collector(settings, [topics.ALERTS])

    def decide(txn: str, payee: dict[str, str]) -> dict[str, Any]:
        raw = payment_bytes(
            txn,
            member,
            ts="2026-11-23T10:00:00Z",
            amount="29.00",
            currency="USD",
            method="card",
            payer_id="buyer-42",
            payee=payee,
        )
        produce(settings, topics.payments_topic(member), [(None, raw)])

        def found(records: list[dict[str, object]]) -> dict[str, Any] | None:
            for r in records:
                document: dict[str, Any] = orjson.loads(r["value"])  # type: ignore[arg-type]
                if document["txn_id"] == txn:
                    return document
            return None

        assert decisions.until(lambda r: found(r) is not None, 60), worker.log()
        result = found(decisions.records)
        assert result is not None
        return result

    try:
        first = decide("p1", {"url": f"https://{site}/vip", "merchant_id": mid})
        assert first["decision"] == "block"
        again = decide("p2", {"domain": site, "merchant_id": mid})
        assert again["decision"] == "block"
        linked = decide("p3", {"merchant_id": mid})
        assert linked["decision"] == "hold"
        assert linked["reasons"][0]["code"] == "WATCHLIST_LINK"
        assert linked["reasons"][0]["entry_id"] == entry_id
        assert linked["reasons"][0]["linked_by_txn"] == "p1"

        alerts.poll(1.0)
        routes = [orjson.loads(r["value"]) for r in alerts.records]  # type: ignore[arg-type]
        routes = [a for a in routes if a["kind"] == "NEW_ROUTE" and a["entry_id"] == entry_id]
        assert len(routes) == 1
        assert routes[0]["identifier"] == {"type": "merchant_id", "value": mid}
        assert routes[0]["member_id"] == member and routes[0]["method"] == "card"
        assert b"buyer-42" not in b"".join(r["value"] for r in alerts.records)  # type: ignore[misc]

        promoted = subprocess.run(
            [
                sys.executable,
                "-m",
                "streams.cli.main",
                "watchlist",
                "promote",
                f"merchant_id:{mid}",
                "--entry",
                entry_id,
                "--reason",
                "same seller",
            ],
            env={**os.environ, "KAFKA_BOOTSTRAP_SERVERS": settings.bootstrap_servers},
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert promoted.returncode == 0, promoted.stderr
        # The promotion reaches the worker as a watchlist record: in about a second; 60 s
        # keeps a loaded machine from failing the test for being slow rather than wrong.
        deadline = time.monotonic() + 60
        attempt = 0
        while True:
            attempt += 1
            after = decide(f"p4-{attempt}", {"merchant_id": mid})
            if after["decision"] == "block" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert after["decision"] == "block", after
        assert after["reasons"][0]["code"] == "WATCHLIST_MATCH"
        assert after["reasons"][0]["entry_id"] == f"{entry_id}~merchant_id:{mid}"
        assert not any(r["code"] == "WATCHLIST_LINK" for r in after["reasons"])
    finally:
        decisions.close()
        alerts.close()
        worker.stop()
