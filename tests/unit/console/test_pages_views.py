"""The pages' pure parts: the queue's rows, filters, signature and `Next`'s pick, the
reason refusal, the payee's other holds, the lookup's kind guess, the routes chart's
buckets and geometry, and the CSRF token derived from a session token."""

from __future__ import annotations

from datetime import date

import pytest

from streams.console.pages import queue_view as qv
from streams.console.pages.lookup_kind import guess_kind
from streams.console.pages.render import age_text, payee_label
from streams.console.pages.routes_chart import bucket_of, buckets, chart, since_day
from streams.console.pages.session import csrf_of, same_token
from tests.unit.console.fake_desk import hold_doc


def test_rows_filters_signature_and_next() -> None:
    old, new = hold_doc("m", "t1"), hold_doc("m", "t2", "WATCHLIST_MATCH")
    old["age_s"], new["age_s"] = 7200.0, 10.0
    row = qv.queue_row(old, sla_s=3600)
    assert row["past_sla"] and row["top_reason"] == "VELOCITY" and row["amount"] == "19.99 EUR"
    assert not qv.queue_row(new, sla_s=3600)["past_sla"]
    assert qv.with_reason([old, new], "WATCHLIST_MATCH") == [new]
    assert qv.with_reason([old, new], "") == [old, new]
    before = qv.signature([old, new])
    assert qv.signature([old, new]) == before
    new["age_s"] = 99.0
    assert qv.signature([old, new]) == before
    old["claimed_by"] = "ana"
    assert qv.signature([old, new]) != before
    assert qv.next_unclaimed([old, new]) == new
    new["status"] = "pending_approval"
    assert qv.next_unclaimed([old, new]) is None


def test_reason_refusal() -> None:
    assert qv.reason_refusal("block", "SUSPECTED_SELLER") is None
    refusal = qv.reason_refusal("block", "FALSE_POSITIVE")
    assert refusal is not None and "reason to release, not to block" in refusal
    assert qv.reason_refusal("release", "") == "Pick a reason."
    assert qv.reason_refusal("allow", "FALSE_POSITIVE") == "Press Release or Block."


def test_payee_history_shares_an_identifier() -> None:
    this, same, other = hold_doc("m", "t1"), hold_doc("m", "t2"), hold_doc("m", "t3")
    other["payee"] = {"domain": "elsewhere.example"}
    same["payee"] = {"domain": "SHOP.example", "name": "Shop"}
    assert qv.payee_history([this, same, other], this) == [same]


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("seller@Example.com", "email"),
        ("https://shop.example/x", "url"),
        ("DE89 3704 0044 0532 0130 00", "iban"),
        ("+44 20 7946 0958", "phone"),
        ("0x52908400098527886E0F7030069857D2E4169EE7", "wallet_address"),
        ("www.seller-one.example", "domain"),
        ("DarkPix Media Ltd", "name"),
    ],
)
def test_lookup_kind_guess(value: str, kind: str) -> None:
    assert guess_kind(value) == kind


def test_age_and_payee_text() -> None:
    assert [age_text(s) for s in (5, 125, 3 * 3600 + 300, 2 * 86400 + 7200)] == [
        "5 s", "2 min", "3 h 05 min", "2 d 2 h",
    ]  # fmt: skip
    assert payee_label({"name": "Shop", "iban": "DE89", "domain": "x"}) == "Shop · DE89"
    assert payee_label({}) == "(no identifier)"


def test_routes_buckets_and_chart() -> None:
    today = date(2026, 12, 7)
    assert since_day("7d", today) == "2026-12-01" and since_day("all", today) is None
    assert bucket_of("2026-12-07", "week") == "2026-W50"
    assert buckets(date(2026, 12, 5), today, "day")[-1] == "2026-12-07"
    assert buckets(date(2026, 11, 30), today, "week") == ["2026-W49", "2026-W50"]
    documents = [
        {"day": "2026-12-01", "method": "card", "measure": "blocked", "count": 3},
        {"day": "2026-12-07", "method": "crypto", "measure": "blocked", "count": 5},
        {"day": "2026-12-07", "method": "crypto", "measure": "new_routes", "count": 1},
    ]
    drawn = chart(documents, "7d", today)
    assert len(drawn.buckets) == 7 and [m for m, _ in drawn.legend] == ["card", "crypto"]
    blocked = drawn.panels[0]
    assert blocked.measure == "blocked" and blocked.total == 8
    assert [s.method for s in blocked.series] == ["card", "crypto"]
    crypto = blocked.series[1].dots
    assert crypto[-1][2] == 5 and crypto[-1][1] < crypto[0][1]  # higher count, higher up
    assert drawn.panels[1].series == [] and drawn.panels[2].total == 1
    assert {r["bucket"] for r in drawn.rows} == {"2026-12-01", "2026-12-07"}
    empty = chart([], "all", today)
    assert empty.legend == [] and empty.rows == [] and len(empty.panels) == 3


def test_csrf_token_of_a_session() -> None:
    token = csrf_of("session-token")
    assert token == csrf_of("session-token") != csrf_of("another")
    assert "session-token" not in token
    assert same_token(token, token) and not same_token("", "") and not same_token(None, token)
