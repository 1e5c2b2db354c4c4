"""The console's pages (issue 21) in a real browser: Debian's Chromium driven by
Playwright against `screening console` as a process, over a real broker where a running
worker decides two members' payments (tests/integration/console_pages_env.py). Each step
is checked where it lands too (the `resolutions.<member>` and `watchlist` topics, the audit
trail), and each page is screenshotted at a desktop and a phone size into test-output/console/
(SCREENING_CONSOLE_SCREENSHOTS=docs/console refreshes the README's pictures)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from streams.kafka import topics
from tests.factories import payment_bytes
from tests.integration.console_browser import (
    SCREENSHOTS,
    STARTED,
    chromium,
    inline_code,
    log_in,
    shoot,
)
from tests.integration.console_pages_env import (
    LISTED_DOMAIN,
    PASSWORD,
    SLA_S,
    XSS,
    Env,
    running_env,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def env(engine: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from running_env(engine, tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) whose page fails the test on any dialog or
    Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    opened.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield opened
    context.close()
    assert not problems, problems


def _as(page: Any, env: Env, user: str) -> Any:
    log_in(page, env.url, user, PASSWORD)
    return page


def test_login_wrong_then_right_with_cookie_flags(env: Env, page: Any) -> None:
    page.goto(f"{env.url}/holds")
    assert "/login" in page.url
    shoot(page, "login")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "Unknown user name or wrong password."
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_role("alert").inner_text() == "Unknown user name or wrong password."
    log_in(page, env.url, "ana", PASSWORD)
    expect(page.get_by_role("heading", name="Holds")).to_be_visible()
    cookie = next(c for c in page.context.cookies() if c["name"] == "screening_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]
    behind_tls = httpx.get(f"{env.url}/login", headers={"X-Forwarded-Proto": "https"})
    assert "secure" in behind_tls.headers["set-cookie"].lower()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{env.url}/login")
    page.goto(f"{env.url}/holds")
    assert "/login" in page.url


def test_queue_oldest_first_with_sla_badge(env: Env, page: Any) -> None:
    listed = env.api("ana", "/api/holds")["holds"]
    wait = SLA_S + 1 - min(h["age_s"] for h in listed[:1])
    time.sleep(max(0.0, wait))
    _as(page, env, "ana")
    keys = page.locator("#queue tbody tr[data-key]").evaluate_all(
        "rows => rows.map(r => r.getAttribute('data-key'))"
    )
    assert keys == [
        f"{h['member_id']}/{h['txn_id']}" for h in env.api("ana", "/api/holds")["holds"]
    ]
    assert keys[0].startswith(f"{env.a}/a-name-")
    first = page.locator("#queue tbody tr").first
    expect(first.get_by_text("Past SLA")).to_be_visible()
    assert "DarkPix".lower() in first.inner_text().lower()
    page.get_by_label("Reason").select_option("WATCHLIST_MATCH")
    page.get_by_role("button", name="Filter").click()
    shown = page.locator("#queue tbody tr[data-key]").count()
    assert 0 < shown < len(keys)
    assert all("WATCHLIST_MATCH" in t for t in page.locator("#queue tbody tr").all_inner_texts())
    page.goto(f"{env.url}/holds")
    shoot(page, "queue")


def test_next_claims_the_oldest_and_block_lands_on_the_topic(env: Env, page: Any) -> None:
    oldest = env.hold("a-name-", claimed_by=None, status="open")
    _as(page, env, "ana")
    page.get_by_role("button", name="Next").click()
    page.wait_for_url(re.compile(rf".*/holds/{env.a}/{oldest}\?done=claimed$"))
    expect(page.get_by_text("You claimed this hold.")).to_be_visible()
    page.get_by_label("Reason").select_option("SUSPECTED_SELLER")
    page.get_by_label("Note").fill("same seller as last week")
    page.get_by_role("button", name="Block").click()
    page.wait_for_url(re.compile(r".*done=resolved$"))
    expect(page.get_by_role("status").filter(has_text="Resolved:")).to_be_visible()
    record = next(r for r in env.resolutions() if r["txn_id"] == oldest)
    assert record["outcome"] == "block" and record["reason_code"] == "SUSPECTED_SELLER"
    assert record["note"] == "same seller as last week" and record["resolved_by"] == "ana"


def test_a_reason_of_the_other_outcome_is_refused(env: Env, page: Any) -> None:
    txn = env.hold("a-name-", status="open")
    before = env.count(topics.resolutions_topic(env.a))
    _as(page, env, "ana")
    page.goto(f"{env.url}/holds/{env.a}/{txn}")
    reason = page.get_by_label("Reason")
    assert reason.locator("optgroup").evaluate_all("gs => gs.map(g => g.label)") == [
        "Release", "Block",
    ]  # fmt: skip
    reason.select_option("FALSE_POSITIVE")
    page.get_by_label("Note").fill("kept after the refusal")
    page.get_by_role("button", name="Block").click()
    alert = page.get_by_role("alert")
    assert "FALSE_POSITIVE is a reason to release, not to block" in alert.inner_text()
    assert page.get_by_label("Note").input_value() == "kept after the refusal"
    shoot(page, "hold-refused")
    assert env.count(topics.resolutions_topic(env.a)) == before
    assert env.api("ana", f"/api/holds/{env.a}/{txn}")["status"] == "open"


def test_four_eyes_release_waits_and_a_supervisor_approves(env: Env, browser: Any) -> None:
    txn = env.hold("a-wl-", status="open")
    analyst = browser.new_context().new_page()
    _as(analyst, env, "ana")
    analyst.goto(f"{env.url}/holds/{env.a}/{txn}")
    shoot(analyst, "hold")
    analyst.get_by_label("Reason").select_option("VERIFIED_LEGITIMATE")
    analyst.get_by_role("button", name="Release").click()
    expect(analyst.get_by_text("Waiting for approval").first).to_be_visible()
    expect(analyst.get_by_role("button", name="Approve")).to_have_count(0)
    assert not [r for r in env.resolutions() if r["txn_id"] == txn]
    shoot(analyst, "hold-pending")
    supervisor = browser.new_context().new_page()
    _as(supervisor, env, "sam")
    supervisor.goto(f"{env.url}/holds/{env.a}/{txn}")
    expect(supervisor.get_by_role("button", name="Refuse")).to_be_visible()
    supervisor.get_by_role("button", name="Approve").click()
    expect(supervisor.get_by_role("status").filter(has_text="Approved:")).to_be_visible()
    record = next(r for r in env.resolutions() if r["txn_id"] == txn)
    assert record["resolved_by"] == "ana" and record["approved_by"] == "sam"
    analyst.context.close()
    supervisor.context.close()


def test_a_script_bearing_payee_name_is_text(env: Env, page: Any) -> None:
    _as(page, env, "ana")
    page.goto(f"{env.url}/holds/{env.a}/a-xss")
    expect(page.get_by_text(XSS, exact=True).first).to_be_visible()
    assert page.locator("img").count() == 0
    time.sleep(0.5)  # any onerror would have fired by now; the fixture fails on a dialog


def test_another_members_hold_is_a_not_found_page(env: Env, page: Any) -> None:
    _as(page, env, "ana")
    answer = page.goto(f"{env.url}/holds/{env.b}/b-wl-1")
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    unknown = page.goto(f"{env.url}/holds/{env.a}/no-such-txn")
    assert unknown.status == 404
    shoot(page, "not-found")


def test_a_form_posted_without_its_csrf_token_is_refused(env: Env, page: Any) -> None:
    _as(page, env, "ana")
    txn = env.hold("a-name-", status="open")
    cookie = next(c for c in page.context.cookies() if c["name"] == "screening_session")
    before = env.count(topics.resolutions_topic(env.a))
    form = {"outcome": "block", "reason_code": "SUSPECTED_SELLER"}
    for extra in ({}, {"csrf": "forged"}):
        answer = httpx.post(
            f"{env.url}/holds/{env.a}/{txn}/resolution",
            data={**form, **extra},
            cookies={"screening_session": cookie["value"]},
        )
        assert answer.status_code == 403, answer.text
    assert env.count(topics.resolutions_topic(env.a)) == before
    no_token = httpx.post(f"{env.url}/login", data={"username": "ana", "password": PASSWORD})
    assert no_token.status_code == 403
    assert "screening_session" not in no_token.headers.get("set-cookie", "")


def test_every_page_has_the_csp_and_no_inline_script(env: Env, browser: Any) -> None:
    pages = {
        "ana": ["/holds", f"/holds/{env.a}/a-xss", "/lookup", "/nowhere"],
        "cora": ["/proposals", "/routes"],
        "audrey": ["/audit"],
    }
    for user, paths in pages.items():
        context = browser.new_context()
        opened = context.new_page()
        for path in ["/login", *paths]:
            answer = opened.goto(env.url + path)
            policy = answer.headers["content-security-policy"]
            assert "script-src 'self'" in policy and "unsafe-inline" not in policy
            assert "style-src 'self'" in policy
            html = answer.text()
            assert not inline_code(html), (path, inline_code(html))
            if path == "/login":
                _as(opened, env, user)
        context.close()


def test_lookup(env: Env, page: Any) -> None:
    _as(page, env, "ana")
    page.get_by_role("link", name="Lookup").click()
    page.get_by_label("Identifier").fill(f"HTTPS://WWW.{LISTED_DOMAIN.upper()}/x")
    page.get_by_role("button", name="Look up").click()
    result = page.locator(".result")
    assert LISTED_DOMAIN in result.get_by_role("heading").first.inner_text()
    text = result.inner_text()
    assert "suspected" in text and "REF-SELLER-1" in text and "coalition" in text
    assert env.b not in text and "b-wl-1" not in text
    shoot(page, "lookup")


def test_a_coalition_analyst_promotes_a_proposal(env: Env, browser: Any) -> None:
    analyst = browser.new_context().new_page()
    _as(analyst, env, "ana")
    analyst.goto(f"{env.url}/holds/{env.a}/a-new-1")
    analyst.get_by_label("Reason").select_option("CONFIRMED_SELLER")
    analyst.get_by_role("button", name="Block").click()
    analyst.wait_for_url(re.compile(r".*done=resolved$"))
    assert analyst.get_by_role("link", name="Proposals").count() == 0
    assert analyst.goto(f"{env.url}/proposals").status == 403
    analyst.context.close()
    coalition = browser.new_context().new_page()
    _as(coalition, env, "cora")
    coalition.get_by_role("link", name="Proposals").click()
    card = coalition.locator("article", has_text="Confirmed seller").filter(has_text="a-new-1")
    assert "ana" in card.inner_text()
    shoot(coalition, "proposals")
    before = env.count(topics.WATCHLIST)
    card.get_by_role("button", name="Promote").click()
    expect(coalition.get_by_role("status").filter(has_text="Promoted:")).to_be_visible()
    assert env.count(topics.WATCHLIST) > before
    coalition.context.close()


def test_routes_chart(env: Env, page: Any) -> None:
    _as(page, env, "cora")
    page.get_by_role("link", name="Routes").click()
    charts = page.locator("figure.chart svg")
    assert charts.count() == 3
    assert page.locator("figure.chart polyline").count() >= 3
    legend = page.get_by_role("list", name="Payment methods").inner_text()
    assert "crypto" in legend and "card" in legend
    shoot(page, "routes")
    page.get_by_label("Period").select_option("7d")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r".*period=7d$"))
    assert page.locator("figure.chart svg").count() == 3


def test_audit_page_filters_by_user_and_action(env: Env, page: Any) -> None:
    _as(page, env, "audrey")
    page.get_by_role("link", name="Audit").click()
    actions = set(page.locator("table.audit tbody td[data-label=Action]").all_inner_texts())
    assert {"login", "login_failed", "claim", "resolution", "approval", "lookup"} <= actions
    assert {"proposal", "promotion"} <= actions
    page.get_by_label("User").fill("ana")
    page.get_by_label("Action").select_option("claim")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.audit tbody tr")
    assert rows.count() >= 1
    for text in rows.all_inner_texts():
        assert "ana" in text and "claim" in text
    shoot(page, "audit")


def test_the_queue_shows_a_new_hold_without_a_reload(env: Env, page: Any) -> None:
    _as(page, env, "ana")
    page.evaluate("window.stillHere = true")
    page.locator("#queue tbody tr a").first.focus()
    focused = page.evaluate("document.activeElement.closest('tr').dataset.key")
    name = {"name": "Darkpix Media Ltd", "country": "GB"}
    env.produce(env.a, [payment_bytes("a-late-1", env.a, payee=name)])
    produced = time.monotonic()
    page.locator(f'#queue tr[data-key="{env.a}/a-late-1"]').wait_for(timeout=15_000)
    took = time.monotonic() - produced
    assert page.evaluate("window.stillHere") is True
    assert page.evaluate("document.activeElement.closest('tr').dataset.key") == focused
    assert "Queue updated" in page.locator("#queue-status").inner_text()
    assert took < 5.0, f"the new hold showed after {took:.1f}s"


def test_screenshots_were_written() -> None:
    names = ["login", "queue", "hold", "hold-pending", "hold-refused", "lookup", "proposals"]
    for name in [*names, "routes", "audit", "not-found"]:
        for suffix in ("", "-phone"):
            shot = (SCREENSHOTS / f"{name}{suffix}.png").stat()
            assert shot.st_size > 5000 and shot.st_mtime >= STARTED - 1, (name, suffix)
