"""Lookup privacy: member roles never see a contributor, a sealed entry or another
member's transaction; coalition analysts see everything."""

from __future__ import annotations

import pytest

from streams.console.lookup import (
    COALITION,
    SEALED_NOTE,
    LookupError_,
    decision_view,
    entry_view,
    link_view,
    lookup_keys,
)
from streams.console.roles import COALITION_ANALYST, MEMBER_ANALYST, Principal

MEMBER = Principal("ann", MEMBER_ANALYST, "acme")
ANALYST = Principal("cora", COALITION_ANALYST)
ENTRY = {
    "entry_id": "e1",
    "status": "confirmed",
    "action": "block",
    "reference": "R-1",
    "source": "other-bank",
    "identifiers": [],
}


def test_identifiers_are_canonicalised_as_the_engine_does() -> None:
    assert lookup_keys("iban", "gb82 west 1234 5698 7654 32")[1] == ["iban:GB82WEST12345698765432"]
    _, keys = lookup_keys("url", "https://WWW.Shop.example.com/x")
    assert "domain:shop.example.com" in keys and "domain:example.com" in keys
    with pytest.raises(LookupError_, match="type"):
        lookup_keys("payer", "x")
    with pytest.raises(LookupError_, match="value"):
        lookup_keys("iban", "not an iban")


def test_member_roles_see_the_coalition_not_the_contributor() -> None:
    seen = entry_view(ENTRY, 0, MEMBER)
    assert seen["source"] == COALITION and "other-bank" not in str(seen)
    assert seen["status"] == "confirmed" and seen["reference"] == "R-1"
    assert entry_view(ENTRY, 0, ANALYST)["source"] == "other-bank"


def test_a_sealed_entry_shows_to_member_roles_only_as_sealed() -> None:
    sealed = {**ENTRY, "visibility": "sealed"}
    assert entry_view(sealed, 0, MEMBER) == {"sealed": True, "status": SEALED_NOTE}
    assert entry_view(sealed, 0, ANALYST)["entry_id"] == "e1"


def test_links_hide_another_members_transactions_and_sealed_entries() -> None:
    link = {
        "identifier": "domain:x.com",
        "entry_id": "e1",
        "first_member": "other-bank",
        "first_txn": "t-9",
        "last_txn": "t-10",
        "status": "linked",
    }
    seen = link_view(link, MEMBER, set())
    assert seen is not None and "other-bank" not in str(seen) and "t-9" not in str(seen)
    assert link_view(link, MEMBER, {"e1"}) is None
    assert (link_view(link, ANALYST, {"e1"}) or {})["first_member"] == "other-bank"
    own = link_view({**link, "first_member": "acme"}, MEMBER, set())
    assert own is not None and own["first_txn"] == "t-9"


def test_a_members_decisions_name_contributors_as_coalition() -> None:
    decision = {"txn_id": "t", "reasons": [{"code": "WATCHLIST_MATCH", "source": "other-bank"}]}
    assert decision_view(decision)["reasons"][0]["source"] == COALITION
