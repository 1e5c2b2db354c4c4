"""A stream of payments that visits every velocity stage, and the processor with the
rules of every stage that screens it, for tests of the stages' hand-offs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson

from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.velocity.rule_set import RuleSet
from streams.watchlist.index import WatchlistIndex
from tests.factories import payment_bytes, velocity_rule

T0 = datetime(2026, 3, 14, 9, 0, tzinfo=UTC)
MEMBERS = ("acme-bank", "beta-pay")

# Rules of every stage, so a payment visits all three.
RULES = RuleSet.from_rules(
    [
        velocity_rule("buyers", measure="distinct_payers", threshold=3, mode="enforce"),
        velocity_rule("per-member", key="payee_member", threshold=4, mode="enforce"),
        velocity_rule("buyer-repeat", key="payer", threshold=3, mode="shadow"),
        velocity_rule(
            "member-volume", key="member", measure="sum_amount", threshold=120, mode="enforce"
        ),
    ]
)


def payment(i: int, payee: str = "M") -> bytes:
    """The i-th payment of the stream, 3 minutes after the one before: two members, five
    buyers, three amounts, four sellers named `payee`-0 to -3."""
    return payment_bytes(
        f"t{i}",
        MEMBERS[i % 2],
        ts=T0 + timedelta(minutes=3 * i),
        amount=("9.99", "19.99", "49.99")[i % 3],
        payer_id=f"buyer-{i % 5}",
        payee={"merchant_id": f"{payee}-{i % 4}"},
    )


def new_processor() -> PaymentProcessor:
    """A processor with RULES whose clock reads a day after the stream begins."""
    screening = PaymentProcessor(WatchlistIndex(), 0.9, clock=lambda: T0 + timedelta(days=1))
    screening.rules = RULES
    return screening


def source(raw: bytes, offset: int) -> tuple[Source, str]:
    """Where the payment `raw` was read (its member's payments topic, at `offset`) and the
    member."""
    member = orjson.loads(raw)["member_id"]
    return Source(topics.payments_topic(member), 0, offset, None), member
