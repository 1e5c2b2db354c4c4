"""`screening bench`'s updates phase: how long a change takes to reach running workers'
decisions. Payments go to one payee at a steady rate while the bench publishes a
watchlist entry for it, then its revocation, then a velocity rule on it; each figure runs
from the change's record to the first decision that follows the change (see `stamps` for
which two instants that is on a given broker)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from confluent_kafka import Producer

from streams.benchmarks.stamps import Stamp, elapsed_ms, latency_span, on_broker_clock, wall_ms
from streams.benchmarks.tail import Tail
from streams.kafka import topics
from streams.settings import Settings
from streams.velocity.rule import parse_rule

# Payments per second to the watched payee: steady, and far below what saturates the
# embedded broker, so the figures are the update path's and not a queue's.
RATE = 100.0
# The longest a change may take to show in a decision before its figure is given up (None).
STEP_TIMEOUT_S = 60.0

Decision = dict[str, Any]
FIGURES = ("watchlist_add", "watchlist_revoke", "velocity_rule")


def held_by(rule_id: str) -> Callable[[Decision], bool]:
    """Whether a decision is a hold with a velocity reason from `rule_id`."""

    def check(decision: Decision) -> bool:
        return decision.get("decision") == "hold" and any(
            r.get("code") == "VELOCITY" and r.get("rule_id") == rule_id
            for r in decision.get("reasons", ())
        )

    return check


class PayeeFeed:
    """Payments to one payee of `member`, one every 1/RATE s, with txn ids `tag-N`, and
    their decisions."""

    def __init__(self, settings: Settings, member: str, payee: dict[str, str], tag: str) -> None:
        self.out = Producer({**settings.kafka_client_config(), "linger.ms": 0})
        self.member = member
        self.payee = payee
        self.tag = tag
        self.sent = 0

    def publish(self, topic: str, key: str, document: dict[str, Any] | None) -> Stamp:
        """Publish a change and wait for the broker to have it; its stamp."""
        stamps: list[Stamp] = []
        handed = wall_ms()

        def delivered(err: Any, msg: Any) -> None:
            if err is None:
                kind, record_ms = msg.timestamp()
                stamps.append(Stamp(kind, record_ms, handed))

        value = orjson.dumps(document) if document is not None else None
        self.out.produce(topic, value, key.encode(), on_delivery=delivered)
        self.out.flush(30)
        if not stamps:
            raise RuntimeError(f"the change to {topic} was not delivered")
        return stamps[0]

    def until(self, tail: Tail, wanted: Callable[[Decision], bool]) -> Stamp | None:
        """Keep paying until a decision on a payment sent by this call is `wanted`; that
        decision's stamp, None after STEP_TIMEOUT_S. Only this call's payments: with
        several workers, or decisions on several partitions, a decision made before the
        change can arrive after one made after it."""
        txns: set[bytes] = set()
        started = time.perf_counter()
        while time.perf_counter() - started < STEP_TIMEOUT_S:
            txn = f"{self.tag}-{self.sent}"
            self.sent += 1
            txns.add(txn.encode())
            payment = {
                "txn_id": txn,
                "member_id": self.member,
                "ts": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "amount": "12.50",
                "currency": "EUR",
                "payer": {"id": "payer-updates"},
                "payee": self.payee,
            }
            self.out.produce(topics.payments_topic(self.member), orjson.dumps(payment), txn)
            self.out.poll(0)
            next_at = time.perf_counter() + 1.0 / RATE
            while (ahead := next_at - time.perf_counter()) > 0:
                for arrival in tail.poll(ahead):
                    if arrival.key in txns and wanted(orjson.loads(arrival.value or b"{}")):
                        return arrival.stamp
        return None


def figure(
    change: Stamp, decision: Stamp | None, what: str, topic: str, then: str
) -> dict[str, Any]:
    """The ms from a change (`what`, on `topic`) to the first decision that follows it
    (`then`; None if none did in time), and the two instants it spans."""
    broker = decision is not None and on_broker_clock([change, decision])
    first = f"the first decision {then} (on a payment sent after the change)"
    return {
        "ms": elapsed_ms(change, decision, broker) if decision is not None else None,
        "spans": latency_span(what, topic, first, "decisions.<member>", broker),
    }


def run(settings: Settings, member: str) -> dict[str, Any]:
    """The three figures, from running workers serving `member`: `watchlist_add`,
    `watchlist_revoke` and `velocity_rule`, each {"ms", "spans"}. The entry and the rule
    are deleted afterwards."""
    tag = f"bench-updates-{int(time.time())}"
    payee = {"merchant_id": f"MID-{tag}", "name": "Updates Bench Shop", "mcc": "5411"}
    feed = PayeeFeed(settings, member, payee, tag)
    entry = {
        "entry_id": tag,
        "identifiers": [{"type": "merchant_id", "value": payee["merchant_id"]}],
        "action": "block",
        "status": "confirmed",
        "source": "bench",
    }
    rule = parse_rule(
        {
            "rule_id": tag,
            "key": "payee",
            "window": "1h",
            "measure": "count",
            "threshold": 1,
            "action": "hold",
            "members": [member],
        }
    )
    results: dict[str, Any] = {"payments_eps": RATE}
    with Tail(settings, [topics.decisions_topic(member)]) as tail:
        if feed.until(tail, lambda d: d.get("decision") == "allow") is None:
            raise TimeoutError(f"no payment to the updates payee was allowed in {STEP_TIMEOUT_S}s")
        try:
            added = feed.publish(topics.WATCHLIST, tag, entry)
            blocked = feed.until(tail, lambda d: d.get("decision") == "block")
            results["watchlist_add"] = figure(
                added, blocked, "watchlist entry", topics.WATCHLIST, "blocking the payee"
            )
            revoked = feed.publish(topics.WATCHLIST, tag, {**entry, "status": "revoked"})
            freed = feed.until(tail, lambda d: d.get("decision") != "block")
            results["watchlist_revoke"] = figure(
                revoked, freed, "watchlist revocation", topics.WATCHLIST, "not blocking it"
            )
            applied = feed.publish(topics.RULES, rule.rule_id, rule.document())
            held = feed.until(tail, held_by(rule.rule_id))
            results["velocity_rule"] = figure(
                applied, held, "velocity rule", topics.RULES, "held by the rule"
            )
        finally:
            feed.publish(topics.RULES, rule.rule_id, None)
            feed.publish(topics.WATCHLIST, tag, None)
    return results
