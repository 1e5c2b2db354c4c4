"""What a payment carries from one velocity stage to the next: its masked bytes, the
payment as the routing worker decoded it, where it came from, the stages still to visit
and the velocity results found so far.

Each stage topic is keyed by that stage's key (`screening.velocity.payee` by the payee
key, and so on), so every key's window state lives in one partition of the stage's table
and the last stage decides the payment with every result in hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from streams.payment import Payment
from streams.payment_wire import payment_fields, payment_from_fields
from streams.rules.base import RuleResult
from streams.rules.velocity import velocity_key

# The velocity key kind each stage partitions by (payee_member state is keyed by payee
# first, so it lives in the payee stage).
STAGE_KEY_KIND = {"payee": "payee", "payer": "payer", "member": "member"}


@dataclass(frozen=True, slots=True)
class StageSource:
    """The payment message's coordinates in its `payments.<member>` topic."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True)
class StageHandoff:
    """One payment between stages (JSON on the stage topics). `decoded` is `payment`
    decoded, so that no stage decodes it again; a hand-off without it (written before it
    was added) has its bytes decoded."""

    payment: bytes
    member: str | None
    source: StageSource
    stages: tuple[str, ...]
    results: tuple[RuleResult, ...]
    decoded: Payment | None = None

    def encode(self) -> bytes:
        """The hand-off as the stage topic's message value."""
        document: dict[str, Any] = {
            "payment": self.payment.decode("utf-8"),
            "member": self.member,
            "source": [self.source.topic, self.source.partition, self.source.offset],
            "stages": list(self.stages),
            "results": [{"effect": r.effect, "evidence": dict(r.evidence)} for r in self.results],
        }
        if self.decoded is not None:
            document["decoded"] = payment_fields(self.decoded)
        return orjson.dumps(document)

    @classmethod
    def decode(cls, value: bytes, payer_key: bytes | None = None) -> StageHandoff:
        """A stage topic's message value back to the hand-off, its payment's payer under
        `payer_key`; ValueError if malformed."""
        try:
            document: Any = orjson.loads(value)
            topic, partition, offset = document["source"]
            decoded = document.get("decoded")
            return cls(
                document["payment"].encode("utf-8"),
                document["member"],
                StageSource(str(topic), int(partition), int(offset)),
                tuple(str(s) for s in document["stages"]),
                tuple(
                    RuleResult("VELOCITY", str(r["effect"]), dict(r["evidence"]))
                    for r in document["results"]
                ),
                None if decoded is None else payment_from_fields(decoded, payer_key),
            )
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"malformed stage hand-off: {exc}") from None


def stage_key(stage: str, payment: Payment) -> str | None:
    """The key a payment is partitioned by on its way into `stage`."""
    return velocity_key(STAGE_KEY_KIND[stage], payment)


def is_enforced(result: RuleResult) -> bool:
    """Whether a velocity result may change the decision: enforce mode, hold or block;
    shadow rules and alert-only rules only raise alerts."""
    return result.evidence.get("mode") == "enforce" and result.effect in ("hold", "block")
