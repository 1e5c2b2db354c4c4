"""Proposals: a confirmed seller's suspected entry names no member in its ids; routes from
links; live entries decide whether a payee is listed."""

from __future__ import annotations

from datetime import UTC, datetime

from streams.console.hold_state import HoldState
from streams.console.proposals import (
    OPEN,
    PROMOTED,
    decided,
    live_entries,
    parse_route_id,
    route_proposal,
    seller_proposal,
    wants_proposal,
)
from streams.watchlist.entry import parse_entry

NOW = datetime(2026, 1, 15, tzinfo=UTC)


def test_only_a_confirmed_seller_block_proposes() -> None:
    assert wants_proposal("block", "CONFIRMED_SELLER")
    assert not wants_proposal("block", "SUSPECTED_SELLER")
    assert not wants_proposal("release", "FALSE_POSITIVE")


def test_a_seller_proposal_is_a_valid_suspected_entry_with_the_hold_as_evidence() -> None:
    held = HoldState(
        "acme",
        "t-1",
        decision={"reasons": []},
        payment={"payee": {"iban": "GB82 WEST 1234 5698 7654 32", "mcc": "5967"}},
    )
    proposal = seller_proposal(held, {"outcome": "block"}, "ann", NOW)
    assert proposal is not None and proposal["status"] == OPEN and proposal["proposer"] == "ann"
    entry = parse_entry(proposal["entry"])
    assert entry.status == "suspected" and "acme" not in entry.entry_id
    assert proposal["evidence"]["txn_id"] == "t-1"
    assert decided(proposal, "cora", True, NOW)["status"] == PROMOTED
    assert seller_proposal(HoldState("acme", "t-2"), {}, "ann", NOW) is None


def test_routes_come_from_links() -> None:
    link = {
        "identifier": "domain:x.com",
        "entry_id": "e1",
        "status": "promoted",
        "type": "domain",
        "value": "x.com",
    }
    proposal = route_proposal(link)
    assert proposal["status"] == PROMOTED and proposal["proposer"] is None
    assert parse_route_id(proposal["proposal_id"]) == ("domain:x.com", "e1")
    assert parse_route_id("seller:abc") is None


def test_revoked_and_expired_entries_are_not_live() -> None:
    entries = [{"status": "revoked"}, {"status": "confirmed", "expires_at": "2025-01-01T00:00:00Z"}]
    assert live_entries(entries, NOW) == []
    assert live_entries([{"status": "suspected"}], NOW) == [{"status": "suspected"}]
