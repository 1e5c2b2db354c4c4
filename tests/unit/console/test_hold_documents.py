"""Hold documents: four eyes, the override offer, masking, ages."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from streams.console.hold_documents import (
    hold_detail,
    hold_summary,
    needs_four_eyes,
    override_offer,
)
from streams.console.hold_state import HoldState

CARD = "4111111111111111"


def state(*codes: str, **fields: object) -> HoldState:
    reasons = [{"code": c, "entry_id": "e1"} for c in codes]
    decision = {"decision": "hold", "reasons": reasons, "decided_at": "2026-01-15T10:00:00Z"}
    return HoldState("acme", "t-1", decision=decision, **fields)  # type: ignore[arg-type]


def test_four_eyes_only_for_releasing_a_listed_or_sealed_match() -> None:
    assert needs_four_eyes(state("WATCHLIST_MATCH"), "release")
    assert needs_four_eyes(state("VELOCITY", "WATCHLIST_SEALED"), "release")
    assert not needs_four_eyes(state("WATCHLIST_MATCH"), "block")
    assert not needs_four_eyes(state("WATCHLIST_NAME_MATCH"), "release")


def test_a_false_positive_release_of_a_name_match_offers_an_override() -> None:
    payment = {"payee": {"name": "Acme Shop"}}
    released = {"outcome": "release", "reason_code": "FALSE_POSITIVE"}
    offer = override_offer(state("WATCHLIST_NAME_MATCH", payment=payment, resolution=released))
    assert offer == {"entry_ids": ["e1"], "identifiers": [{"type": "name", "value": "Acme Shop"}]}
    verified = {**released, "reason_code": "VERIFIED_LEGITIMATE"}
    assert (
        override_offer(state("WATCHLIST_NAME_MATCH", payment=payment, resolution=verified)) is None
    )
    accepted = state("WATCHLIST_NAME_MATCH", payment=payment, resolution=released, override={})
    assert override_offer(accepted) is None


def test_documents_mask_cards_and_never_carry_the_payer() -> None:
    payment = {"payee": {"name": f"Shop {CARD}"}, "payer": {"id": "b-1"}, "payer_ref": "ab"}
    held = state("VELOCITY", payment=payment, alert={"amount": "1.00", "currency": "EUR"})
    now = datetime(2026, 1, 15, 10, 1, tzinfo=UTC)
    summary = hold_summary(held, now)
    assert summary["age_s"] == 60.0 and summary["payer_ref"] == "ab"
    text = orjson.dumps(hold_detail(held, [], now)).decode()
    assert CARD not in text and "b-1" not in text
