"""The console's pages over the in-memory desk: sessions and their cookies, CSRF on every
POST, the rules the API applies (roles, another member's hold as not found, reasons of the
other outcome), four eyes, escaping and the Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from streams.console.accounts import AccountStore
from streams.console.console_settings import ConsoleSettings
from streams.console.pages.app import create_console_app
from tests.integration.console_browser import inline_code
from tests.unit.console.conftest import PASSWORD
from tests.unit.console.fake_desk import FakeDesk

XSS = "<img src=x onerror=alert(1)>"
Login = Callable[[str], TestClient]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


@pytest.fixture
def make(desk: FakeDesk, accounts: AccountStore) -> Callable[..., TestClient]:
    def client(**settings: object) -> TestClient:
        console = ConsoleSettings(hold_sla_s=5.0, **settings)  # type: ignore[arg-type]
        app = create_console_app(desk, accounts, console)
        return TestClient(app, raise_server_exceptions=True)

    return client


@pytest.fixture
def login(make: Callable[..., TestClient]) -> Login:
    def logged_in(user: str) -> TestClient:
        client = make()
        form = client.get("/login")
        answer = client.post(
            "/login",
            data={"csrf": csrf_of(form.text), "username": user, "password": PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client

    return logged_in


def test_pages_need_a_session(make: Callable[..., TestClient]) -> None:
    client = make()
    answer = client.get("/holds/bank-a/t1", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fholds%2Fbank-a%2Ft1"
    assert client.get("/holds/poll").status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"] == "/holds"


def test_login_cookies_and_one_message_for_either_mistake(
    make: Callable[..., TestClient], desk: FakeDesk
) -> None:
    client = make()
    form = client.get("/login")
    assert "HttpOnly" in form.headers["set-cookie"]
    token = csrf_of(form.text)
    assert client.post("/login", data={"username": "ana", "password": PASSWORD}).status_code == 403
    wrong = client.post("/login", data={"csrf": token, "username": "ana", "password": "x"})
    nobody = client.post("/login", data={"csrf": token, "username": "zed", "password": PASSWORD})
    assert wrong.status_code == nobody.status_code == 401
    assert "Unknown user name or wrong password." in wrong.text and "zed" in nobody.text
    assert ("audit", "login_failed") in desk.writes
    right = client.post(
        "/login",
        data={"csrf": token, "username": "ana", "password": PASSWORD, "next": "//evil.example"},
        follow_redirects=False,
    )
    assert right.headers["location"] == "/holds"
    cookie = right.headers["set-cookie"]
    assert "screening_session=" in cookie and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower() and "secure" not in cookie.lower()


@pytest.mark.parametrize("how", ["header", "setting"])
def test_secure_cookies_behind_tls(make: Callable[..., TestClient], how: str) -> None:
    client = make(secure_cookies=how == "setting")
    headers = {"X-Forwarded-Proto": "https"} if how == "header" else {}
    assert "secure" in client.get("/login", headers=headers).headers["set-cookie"].lower()


def test_logout_ends_the_session(login: Login) -> None:
    client = login("ana")
    token = csrf_of(client.get("/holds").text)
    assert client.post("/logout", data={}).status_code == 403
    out = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert out.headers["location"] == "/login"
    assert client.get("/holds", follow_redirects=False).status_code == 303


def test_cookie_does_not_open_the_api(login: Login) -> None:
    assert login("ana").get("/api/holds").status_code == 401


def test_every_post_needs_the_sessions_csrf_token(login: Login, desk: FakeDesk) -> None:
    client = login("ana")
    other = login("sam")
    before = list(desk.writes)
    posts = [
        ("/holds/next", {}),
        ("/holds/bank-a/t1/claim", {}),
        ("/holds/bank-a/t1/resolution", {"outcome": "block", "reason_code": "SUSPECTED_SELLER"}),
        ("/lookup", {"value": "shop.example"}),
    ]
    for path, form in posts:
        for extra in ({}, {"csrf": "0" * 64}):
            assert client.post(path, data={**form, **extra}).status_code == 403, path
    stolen = csrf_of(other.get("/holds").text)
    assert client.post("/holds/next", data={"csrf": stolen}).status_code == 403
    assert desk.writes == before


def test_next_claims_the_oldest_unclaimed_and_opens_it(login: Login, desk: FakeDesk) -> None:
    client = login("ana")
    token = csrf_of(client.get("/holds").text)
    answer = client.post("/holds/next", data={"csrf": token}, follow_redirects=False)
    assert answer.headers["location"] == "/holds/bank-a/t1?done=claimed"
    assert desk.store[("bank-a", "t1")]["claimed_by"] == "ana"
    second = client.post("/holds/next", data={"csrf": token}, follow_redirects=False)
    assert second.headers["location"] == "/holds/bank-a/t2?done=claimed"
    third = client.post("/holds/next", data={"csrf": token}, follow_redirects=False)
    assert third.headers["location"] == "/holds?done=none"


def test_another_members_hold_is_the_not_found_page(login: Login) -> None:
    client = login("ana")
    theirs = client.get("/holds/bank-b/t9")
    unknown = client.get("/holds/bank-a/nope")
    assert theirs.status_code == unknown.status_code == 404
    assert theirs.text == unknown.text and "<h1>Not found</h1>" in theirs.text
    token = csrf_of(client.get("/holds").text)
    claim = client.post("/holds/bank-b/t9/claim", data={"csrf": token})
    assert claim.status_code == 404 and "text/html" in claim.headers["content-type"]


def test_a_reason_of_the_other_outcome_is_refused(login: Login, desk: FakeDesk) -> None:
    client = login("ana")
    token = csrf_of(client.get("/holds/bank-a/t1").text)
    before = list(desk.writes)
    form = {"csrf": token, "outcome": "block", "reason_code": "FALSE_POSITIVE", "note": "n<b>"}
    answer = client.post("/holds/bank-a/t1/resolution", data=form)
    assert answer.status_code == 400
    assert "FALSE_POSITIVE is a reason to release, not to block" in answer.text
    assert "n&lt;b&gt;</textarea>" in answer.text
    assert desk.writes == before and desk.store[("bank-a", "t1")]["status"] == "open"
    ok = {**form, "outcome": "release"}
    done = client.post("/holds/bank-a/t1/resolution", data=ok, follow_redirects=False)
    assert done.headers["location"].endswith("?done=resolved")
    assert desk.writes[-1][0] == "resolutions"


def test_four_eyes(login: Login, desk: FakeDesk) -> None:
    analyst = login("ana")
    page = analyst.get("/holds/bank-a/t2").text
    assert '<optgroup label="Release">' in page and '<optgroup label="Block">' in page
    form = {"csrf": csrf_of(page), "outcome": "release", "reason_code": "VERIFIED_LEGITIMATE"}
    analyst.post("/holds/bank-a/t2/resolution", data=form)
    waiting = analyst.get("/holds/bank-a/t2").text
    assert "Waiting for approval" in waiting and ">Approve<" not in waiting
    supervisor = login("sam")
    shown = supervisor.get("/holds/bank-a/t2").text
    assert ">Approve<" in shown and ">Refuse<" in shown
    approve = {"csrf": csrf_of(shown), "approve": "yes"}
    done = supervisor.post("/holds/bank-a/t2/approval", data=approve, follow_redirects=False)
    assert done.headers["location"].endswith("?done=approved")
    assert desk.store[("bank-a", "t2")]["resolution"]["approved_by"] == "sam"
    again = supervisor.post("/holds/bank-a/t2/approval", data=approve)
    assert again.status_code == 409 and "nothing pending" in again.text


def test_payment_values_are_text(login: Login, desk: FakeDesk) -> None:
    desk.store[("bank-a", "t1")]["payee"] = {"name": XSS}
    desk.store[("bank-a", "t1")]["payment"]["payee"] = {"name": XSS, "domain": "x.example"}
    client = login("ana")
    for path in ("/holds", "/holds/bank-a/t1", "/holds/rows"):
        html = client.get(path).text
        assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html, path


def test_security_headers_and_no_inline_code_on_every_page(
    login: Login, make: Callable[..., TestClient]
) -> None:
    pages = {
        "ana": ["/holds", "/holds/bank-a/t1", "/lookup", "/nowhere", "/holds/bank-b/t9"],
        "cora": ["/proposals", "/routes", "/holds"],
        "audrey": ["/audit", "/lookup"],
    }
    answers = [make().get("/login")]
    for user, paths in pages.items():
        client = login(user)
        answers += [client.get(path) for path in paths]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert answer.headers["cache-control"] == "no-store"
        assert not inline_code(answer.text), (answer.url, inline_code(answer.text))
    assert make().get("/static/console.js").status_code == 200


def test_roles_open_their_pages_only(login: Login) -> None:
    expected = {
        "ana": {"/lookup": 200, "/proposals": 403, "/routes": 403, "/audit": 403},
        "sam": {"/audit": 200, "/routes": 403},
        "cora": {"/proposals": 200, "/routes": 200, "/audit": 403},
        "audrey": {"/audit": 200, "/lookup": 403, "/proposals": 403},
    }
    for user, paths in expected.items():
        client = login(user)
        for path, status in paths.items():
            assert client.get(path).status_code == status, (user, path)
    assert ">Next<" not in login("cora").get("/holds").text


def test_proposals_promote_but_not_ones_own(login: Login, desk: FakeDesk) -> None:
    client = login("cora")
    page = client.get("/proposals").text
    assert ">Promote<" in page and ">Dismiss<" in page
    form = {"csrf": csrf_of(page), "proposal_id": "p1", "decision": "promote"}
    done = client.post("/proposals/decide", data=form, follow_redirects=False)
    assert done.headers["location"] == "/proposals?done=promote"
    assert ("watchlist", "p1") in desk.writes
    desk.proposals = lambda principal, status: [  # type: ignore[method-assign]
        {"proposal_id": "p2", "status": "open", "kind": "confirmed_seller", "proposer": "cora"}
    ]
    own = client.get("/proposals").text
    assert ">Promote<" not in own and "Your own proposal" in own


def test_routes_chart_and_period(login: Login) -> None:
    client = login("cora")
    page = client.get("/routes?period=all").text
    assert page.count("<svg viewBox") == 3 and "<polyline" in page
    assert "crypto" in page and "card" in page
    assert client.get("/routes?period=bogus").status_code == 200


def test_lookup_and_audit(login: Login, desk: FakeDesk) -> None:
    client = login("ana")
    token = csrf_of(client.get("/lookup").text)
    found = client.post("/lookup", data={"csrf": token, "value": "Shop.Example"})
    assert found.status_code == 200 and "shop.example" in found.text
    bad = client.post("/lookup", data={"csrf": token, "value": "not-valid", "type": "name"})
    assert bad.status_code == 400 and "not a valid identifier" in bad.text
    audit = login("audrey").get("/audit?user=ana&action=lookup")
    assert audit.status_code == 200 and "lookup" in audit.text


def test_queue_poll_and_rows(login: Login, desk: FakeDesk) -> None:
    client = login("ana")
    first = client.get("/holds/poll").json()
    assert first["count"] == 2
    desk.store[("bank-a", "t3")] = {**desk.store[("bank-a", "t1")], "txn_id": "t3"}
    second = client.get("/holds/poll").json()
    assert second["signature"] != first["signature"] and second["count"] == 3
    rows = client.get("/holds/rows")
    assert rows.headers["x-queue-signature"] == second["signature"]
    assert 'data-key="bank-a/t3"' in rows.text and "Past SLA" in rows.text


def test_form_body_limits(login: Login) -> None:
    client = login("ana")
    token = csrf_of(client.get("/holds").text)
    big = client.post("/lookup", data={"csrf": token, "value": "x" * 40_000})
    assert big.status_code == 413
    as_json = client.post("/lookup", json={"csrf": token, "value": "x"})
    assert as_json.status_code == 403
