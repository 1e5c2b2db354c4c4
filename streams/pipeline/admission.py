"""From message bytes to a payment the pipeline can screen, or the dead letter: payment
messages (card numbers masked before anything is decoded) and stage hand-offs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from streams.model.card_masking import mask_card_bytes
from streams.model.payment import Payment, PaymentError, decode_payment
from streams.model.payment_masking import mask_payment
from streams.ops import metrics
from streams.pipeline.dead_letters import dead_letter
from streams.pipeline.handoff import StageHandoff, UnreadableHandoff
from streams.pipeline.records import OutRecord, Source


def admit(
    raw: bytes,
    source: Source,
    member: str | None,
    payer_key: bytes | None,
    clock: Callable[[], datetime],
) -> tuple[Payment, bytes] | OutRecord:
    """Consumes a payment message from `member`'s topic (None offline); produces the
    payment and its masked bytes, or the dead letter. Counts it consumed, dead-lettered
    and its invalid payee identifiers."""
    metrics.payment_consumed(member or "offline")
    masked = mask_payment(raw)
    try:
        payment = decode_payment(masked, member, payer_key)
    except PaymentError as exc:
        metrics.dead_letter(member or "offline", exc.code)
        return dead_letter(mask_card_bytes(raw), exc.code, str(exc), source, clock())
    for kind in payment.payee.invalid:
        metrics.INVALID_IDENTIFIERS.labels(kind).inc()
    return payment, masked


def read_handoff(
    handoff: StageHandoff | UnreadableHandoff,
    source: Source,
    payer_key: bytes | None,
    clock: Callable[[], datetime],
) -> tuple[StageHandoff, Payment] | OutRecord:
    """Consumes one hand-off of a stage-topic record; produces it with its payment (the
    decoded form it carries, else its bytes decoded), or an INVALID_HANDOFF dead letter."""
    if isinstance(handoff, UnreadableHandoff):
        # Only workers write stage topics: a hand-off they cannot read is a bug
        # or a foreign producer, kept for inspection like any bad payment.
        return dead_letter(handoff.value, "INVALID_HANDOFF", handoff.error, source, clock())
    payment = handoff.decoded
    if payment is None:
        try:
            payment = decode_payment(handoff.payment, handoff.member, payer_key)
        except PaymentError as exc:
            return dead_letter(handoff.payment, "INVALID_HANDOFF", str(exc), source, clock())
    return handoff, payment
