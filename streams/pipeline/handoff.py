"""What a payment carries from one velocity stage to the next: its masked bytes, the
payment as the routing worker decoded it, where it came from, the stages still to visit
and the velocity results found so far.

Each hand-off goes to the partition of its stage's key (`screening.velocity.payee` by
the payee key, and so on; several to one partition travel as one record, see
`streams.pipeline.stage_batches`), so every key's window state lives in one partition of the
stage's table and the last stage decides the payment with every result in hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from streams.model.payment import Payment
from streams.pipeline.payment_wire import payment_fields, payment_from_fields
from streams.rules.base import RuleResult
from streams.velocity.evaluate import velocity_key
from streams.velocity.stages import partition_kind


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
        return encode_handoff(
            self.payment,
            self.member,
            (self.source.topic, self.source.partition, self.source.offset),
            self.stages,
            self.results,
            self.decoded,
        )

    @classmethod
    def decode(cls, value: bytes, payer_key: bytes | None = None) -> StageHandoff:
        """One encoded hand-off back to the hand-off, its payment's payer under
        `payer_key`; ValueError if malformed."""
        try:
            document: Any = orjson.loads(value)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"malformed stage hand-off: {exc}") from None
        return cls.from_document(document, payer_key)

    @classmethod
    def from_document(cls, document: Any, payer_key: bytes | None = None) -> StageHandoff:
        """A decoded hand-off object back to the hand-off; ValueError if malformed."""
        try:
            topic, partition, offset = document["source"]
            decoded = document.get("decoded")
            # List comprehensions, not generators: this runs for every hand-off.
            return cls(
                document["payment"].encode("utf-8"),
                document["member"],
                StageSource(str(topic), int(partition), int(offset)),
                tuple([str(s) for s in document["stages"]]),
                tuple(
                    [
                        RuleResult("VELOCITY", str(r["effect"]), dict(r["evidence"]))
                        for r in document["results"]
                    ]
                ),
                None if decoded is None else payment_from_fields(decoded, payer_key),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"malformed stage hand-off: {exc}") from None


def encode_handoff(
    payment: bytes,
    member: str | None,
    source: tuple[str, int, int],
    stages: tuple[str, ...],
    results: tuple[RuleResult, ...],
    decoded: Payment | None,
) -> bytes:
    """`StageHandoff(...).encode()` of these fields, without building the hand-off (a
    routing worker encodes one for every payment with rules)."""
    document: dict[str, Any] = {
        "payment": payment.decode("utf-8"),
        "member": member,
        "source": source,
        "stages": stages,
        "results": [{"effect": r.effect, "evidence": dict(r.evidence)} for r in results],
    }
    if decoded is not None:
        document["decoded"] = payment_fields(decoded)
    return orjson.dumps(document)


@dataclass(frozen=True, slots=True)
class UnreadableHandoff:
    """A hand-off in a stage record that cannot be read: its bytes and why."""

    value: bytes
    error: str


def decode_record(value: bytes, payer_key: bytes | None) -> list[StageHandoff | UnreadableHandoff]:
    """The hand-offs one stage-topic record carries, in order: a single hand-off or a
    batch (`{"handoffs": [...]}`, streams.pipeline.stage_batches); one that cannot be read stands
    as an UnreadableHandoff, the others are read all the same."""
    try:
        document: Any = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        return [UnreadableHandoff(value, f"malformed stage hand-off: {exc}")]
    if not (isinstance(document, dict) and "handoffs" in document):
        items = [document]
    elif isinstance(document["handoffs"], list):
        items = document["handoffs"]
    else:
        return [UnreadableHandoff(value, "malformed stage hand-off batch: not a list")]
    handoffs: list[StageHandoff | UnreadableHandoff] = []
    for item in items:
        try:
            handoffs.append(StageHandoff.from_document(item, payer_key))
        except ValueError as exc:
            raw = value if len(items) == 1 else orjson.dumps(item)
            handoffs.append(UnreadableHandoff(raw, str(exc)))
    return handoffs


def stage_key(stage: str, payment: Payment) -> str | None:
    """The key a payment is partitioned by on its way into `stage`."""
    return velocity_key(partition_kind(stage), payment)


def is_enforced(result: RuleResult) -> bool:
    """Whether a velocity result may change the decision: enforce mode, hold or block;
    shadow rules and alert-only rules only raise alerts."""
    return result.evidence.get("mode") == "enforce" and result.effect in ("hold", "block")
