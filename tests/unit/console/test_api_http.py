"""The HTTP layer over an in-memory desk: status codes, validation, roles, isolation and
headers (the contract over the real topics is tests/integration/test_console_api.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from streams.console.accounts import AccountStore
from tests.unit.console.conftest import PASSWORD
from tests.unit.console.fake_desk import FakeDesk

Auth = Callable[[str], dict[str, str]]
RELEASE = {"outcome": "release", "reason_code": "FALSE_POSITIVE", "note": "seen before"}


def test_token_and_login_audit(client: TestClient, desk: FakeDesk) -> None:
    ok = client.post("/api/token", json={"username": "ana", "password": PASSWORD})
    assert ok.status_code == 200 and set(ok.json()) == {"token"}
    bad = client.post("/api/token", json={"username": "ana", "password": "nope"})
    assert bad.status_code == 401 and "error" in bad.json()
    unknown = client.post("/api/token", json={"username": "zed", "password": PASSWORD})
    assert unknown.status_code == 401 and unknown.json() == bad.json()
    assert [w for w in desk.writes] == [
        ("audit", "login"),
        ("audit", "login_failed"),
        ("audit", "login_failed"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{", "body"),
        (b"[]", "body"),
        (b'{"username": "ana"}', "password"),
        (b'{"username": "ana", "password": 5}', "password"),
        (b'{"username": "ana", "password": "x", "otp": 1}', "otp"),
    ],
)
def test_bad_token_requests_are_400(client: TestClient, body: bytes, field: str) -> None:
    answer = client.post("/api/token", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{field}:")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/holds"),
        ("GET", "/api/holds/bank-a/t1"),
        ("POST", "/api/holds/bank-a/t1/claim"),
        ("POST", "/api/holds/bank-a/t1/resolution"),
        ("POST", "/api/holds/bank-a/t1/approval"),
        ("POST", "/api/holds/bank-a/t1/override"),
        ("GET", "/api/lookup?type=domain&value=x.example"),
        ("GET", "/api/audit"),
        ("GET", "/api/proposals"),
        ("POST", "/api/proposals/p1/promote"),
        ("GET", "/api/no-such-thing"),
    ],
)
@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic YW5hOng=", "Bearer "])
def test_every_api_call_needs_a_valid_token(
    client: TestClient, desk: FakeDesk, method: str, path: str, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    answer = client.request(method, path, headers=headers, content=b"{bad")
    assert answer.status_code == 401
    assert answer.json() == {"error": "missing, unknown or expired bearer token"}
    assert desk.writes == []


def test_expired_token_is_401(client: TestClient, accounts: AccountStore, auth: Auth) -> None:
    headers = auth("ana")
    accounts.clock = lambda: 10**12
    assert client.get("/api/holds", headers=headers).status_code == 401


def test_holds_listing_by_role(client: TestClient, auth: Auth) -> None:
    mine = client.get("/api/holds", headers=auth("ana"))
    assert mine.status_code == 200
    assert {h["member_id"] for h in mine.json()["holds"]} == {"bank-a"}
    assert client.get("/api/holds?member=bank-b", headers=auth("ana")).status_code == 403
    for coalition in ("cora", "audrey"):
        every = client.get("/api/holds?status=all", headers=auth(coalition)).json()["holds"]
        assert {h["member_id"] for h in every} == {"bank-a", "bank-b"}
        one = client.get("/api/holds?member=bank-b", headers=auth(coalition)).json()["holds"]
        assert {h["member_id"] for h in one} == {"bank-b"}
    bad_status = client.get("/api/holds?status=closed", headers=auth("ana"))
    assert bad_status.status_code == 400 and bad_status.json()["error"].startswith("status:")
    bad_member = client.get("/api/holds?member=BANK", headers=auth("cora"))
    assert bad_member.status_code == 400 and bad_member.json()["error"].startswith("member:")


def test_another_members_hold_looks_like_an_unknown_one(client: TestClient, auth: Auth) -> None:
    theirs = client.get("/api/holds/bank-b/t9", headers=auth("ana"))
    unknown = client.get("/api/holds/bank-a/nope", headers=auth("ana"))
    malformed = client.get("/api/holds/Bank!/t1", headers=auth("ana"))
    assert theirs.status_code == unknown.status_code == malformed.status_code == 404
    assert theirs.json() == unknown.json() == malformed.json()
    assert client.get("/api/holds/bank-b/t9", headers=auth("cora")).status_code == 200


def test_claim_and_resolve(client: TestClient, desk: FakeDesk, auth: Auth) -> None:
    claimed = client.post("/api/holds/bank-a/t1/claim", headers=auth("ana"))
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "ana"
    body = {"outcome": "block", "reason_code": "SUSPECTED_SELLER"}
    done = client.post("/api/holds/bank-a/t1/resolution", json=body, headers=auth("ana"))
    assert done.status_code == 200 and done.json()["status"] == "resolved"
    again = client.post("/api/holds/bank-a/t1/resolution", json=body, headers=auth("ana"))
    assert again.status_code == 409
    assert next(w for w in desk.writes if w[0] == "resolutions")[1]["note"] is None


def test_four_eyes(client: TestClient, desk: FakeDesk, auth: Auth) -> None:
    path = "/api/holds/bank-a/t2"
    pending = client.post(f"{path}/resolution", json=RELEASE, headers=auth("sam"))
    assert pending.status_code == 202 and pending.json()["status"] == "pending_approval"
    assert not [w for w in desk.writes if w[0] == "resolutions"]
    yes = {"approve": True}
    assert client.post(f"{path}/approval", json=yes, headers=auth("sam")).status_code == 403
    assert client.post(f"{path}/approval", json=yes, headers=auth("ana")).status_code == 403
    assert client.post(f"{path}/approval", json=yes, headers=auth("bob")).status_code == 404
    approved = client.post(f"{path}/approval", json=yes, headers=auth("sid"))
    assert approved.status_code == 200
    assert approved.json()["resolution"]["approved_by"] == "sid"
    assert client.post(f"{path}/approval", json=yes, headers=auth("sid")).status_code == 409


def test_refusal_reopens(client: TestClient, auth: Auth) -> None:
    path = "/api/holds/bank-a/t2"
    client.post(f"{path}/resolution", json=RELEASE, headers=auth("ana"))
    refused = client.post(f"{path}/approval", json={"approve": False}, headers=auth("sam"))
    assert refused.status_code == 200 and refused.json()["status"] == "open"


BAD_RESOLUTIONS: list[tuple[Any, str]] = [
    ({"outcome": "allow", "reason_code": "FALSE_POSITIVE"}, "outcome"),
    ({"outcome": "release", "reason_code": "CONFIRMED_SELLER"}, "reason_code"),
    ({"outcome": "block", "reason_code": "FALSE_POSITIVE"}, "reason_code"),
    ({"outcome": "block", "reason_code": "MADE_UP"}, "reason_code"),
    ({"outcome": "block", "reason_code": "SUSPECTED_SELLER", "note": "x" * 2001}, "note"),
    ({"outcome": "block", "reason_code": "SUSPECTED_SELLER", "note": 5}, "note"),
    ({"outcome": "block", "reason_code": "SUSPECTED_SELLER", "notes": "typo"}, "notes"),
    ({"reason_code": "SUSPECTED_SELLER"}, "outcome"),
    ({"outcome": "block"}, "reason_code"),
    ({"outcome": ["block"], "reason_code": "SUSPECTED_SELLER"}, "outcome"),
    ([], "body"),
    ("block", "body"),
    (None, "body"),
    (b"{not json", "body"),
    (b"", "body"),
]


@pytest.mark.parametrize(("body", "field"), BAD_RESOLUTIONS)
def test_bad_resolutions_are_400_naming_the_field_and_write_nothing(
    client: TestClient, desk: FakeDesk, auth: Auth, body: Any, field: str
) -> None:
    headers = {**auth("ana"), "Content-Type": "application/json"}
    desk.writes.clear()
    if isinstance(body, bytes):
        answer = client.post("/api/holds/bank-a/t1/resolution", content=body, headers=headers)
    else:
        answer = client.post("/api/holds/bank-a/t1/resolution", json=body, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"].startswith(f"{field}:")
    assert desk.writes == []
    assert desk.store[("bank-a", "t1")]["status"] == "open"


@pytest.mark.parametrize(
    "body", [{"approve": "yes"}, {"approve": 1}, {}, {"approve": True, "x": 1}]
)
def test_bad_approvals_are_400(client: TestClient, auth: Auth, body: Any) -> None:
    answer = client.post("/api/holds/bank-a/t2/approval", json=body, headers=auth("sam"))
    assert answer.status_code == 400


ROLE_TABLE = [
    # (user, method, path, body, status)
    ("audrey", "POST", "/api/holds/bank-a/t1/claim", None, 403),
    ("cora", "POST", "/api/holds/bank-a/t1/claim", None, 403),
    ("audrey", "POST", "/api/holds/bank-a/t1/resolution", RELEASE, 403),
    ("cora", "POST", "/api/holds/bank-a/t1/resolution", RELEASE, 403),
    ("ana", "POST", "/api/holds/bank-a/t1/override", None, 403),
    ("cora", "POST", "/api/holds/bank-a/t1/approval", {"approve": True}, 403),
    ("ana", "GET", "/api/audit", None, 403),
    ("cora", "GET", "/api/audit", None, 403),
    ("sam", "GET", "/api/audit", None, 200),
    ("audrey", "GET", "/api/audit?user=ana&action=login", None, 200),
    ("audrey", "GET", "/api/audit?limit=0", None, 400),
    ("ana", "GET", "/api/proposals", None, 403),
    ("sam", "POST", "/api/proposals/p1/promote", None, 403),
    ("cora", "GET", "/api/proposals", None, 200),
    ("cora", "POST", "/api/proposals/p1/dismiss", None, 200),
    ("cora", "POST", "/api/proposals/nope/promote", None, 404),
    ("audrey", "GET", "/api/lookup?type=domain&value=a.example", None, 403),
    ("cora", "GET", "/api/lookup?type=domain&value=a.example", None, 200),
    ("ana", "GET", "/api/lookup?type=colour&value=red", None, 400),
    ("ana", "GET", "/api/lookup?type=domain", None, 400),
    ("ana", "GET", "/api/lookup?type=domain&value=not-valid", None, 400),
    ("sam", "POST", "/api/holds/bank-a/t1/override", None, 409),
]


@pytest.mark.parametrize(("user", "method", "path", "body", "status"), ROLE_TABLE)
def test_roles(
    client: TestClient, auth: Auth, user: str, method: str, path: str, body: Any, status: int
) -> None:
    answer = client.request(method, path, json=body, headers=auth(user))
    assert answer.status_code == status, answer.text
    if status >= 400:
        assert set(answer.json()) == {"error"}


ISOLATION = [
    ("GET", "/api/holds?member=bank-b", None),
    ("GET", "/api/holds?member=bank-b&status=all", None),
    ("GET", "/api/holds/bank-b/t9", None),
    ("POST", "/api/holds/bank-b/t9/claim", None),
    ("POST", "/api/holds/bank-b/t9/resolution", RELEASE),
    ("POST", "/api/holds/bank-b/t9/approval", {"approve": True}),
    ("POST", "/api/holds/bank-b/t9/override", None),
    ("GET", "/api/holds/bank-b%2Ft9/x", None),
    ("GET", "/api/audit?user=bea", None),
    ("GET", "/api/proposals", None),
    ("POST", "/api/proposals/p1/promote", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ISOLATION)
@pytest.mark.parametrize("user", ["ana", "sam"])
def test_a_member_never_reaches_another_members_holds(
    client: TestClient,
    desk: FakeDesk,
    auth: Auth,
    user: str,
    method: str,
    path: str,
    body: Any,
) -> None:
    headers = auth(user)
    desk.writes.clear()
    answer = client.request(method, path, json=body, headers=headers)
    assert answer.status_code in (200, 403, 404), answer.text
    assert "t9" not in answer.text and "bank-b" not in answer.text
    assert desk.writes == []
    assert desk.store[("bank-b", "t9")]["status"] == "open"
    assert desk.store[("bank-b", "t9")]["claimed_by"] is None


def test_lookup_is_audited(client: TestClient, desk: FakeDesk, auth: Auth) -> None:
    headers = auth("ana")
    desk.writes.clear()
    found = client.get("/api/lookup?type=domain&value=Shop.Example", headers=headers)
    assert found.status_code == 200 and found.json()["canonical"] == "shop.example"
    assert desk.writes == [("audit", "lookup")]


def test_health_metrics_and_headers(client: TestClient, desk: FakeDesk, auth: Auth) -> None:
    ready = client.get("/healthz")
    assert ready.status_code == 200
    assert ready.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert ready.headers["X-Content-Type-Options"] == "nosniff"
    desk.is_ready = False
    assert client.get("/healthz").status_code == 503
    assert client.get("/metrics").content == b"screening_holds_open 1\n"
    api = client.get("/api/holds", headers=auth("ana"))
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_routes_and_methods_answer_json(client: TestClient, auth: Auth) -> None:
    assert client.get("/nowhere").json() == {"error": "not found"}
    wrong = client.delete("/api/holds/bank-a/t1", headers=auth("ana"))
    assert wrong.status_code == 405 and set(wrong.json()) == {"error"}


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    for path, verb in [
        ("/api/token", "post"),
        ("/api/holds", "get"),
        ("/api/holds/{member}/{txn_id}", "get"),
        ("/api/holds/{member}/{txn_id}/claim", "post"),
        ("/api/holds/{member}/{txn_id}/resolution", "post"),
        ("/api/holds/{member}/{txn_id}/approval", "post"),
        ("/api/holds/{member}/{txn_id}/override", "post"),
        ("/api/lookup", "get"),
        ("/api/audit", "get"),
        ("/api/proposals", "get"),
        ("/api/proposals/{proposal_id}/promote", "post"),
        ("/api/proposals/{proposal_id}/dismiss", "post"),
        ("/healthz", "get"),
        ("/metrics", "get"),
    ]:
        assert verb in paths[path], path
    resolution = paths["/api/holds/{member}/{txn_id}/resolution"]["post"]
    assert {"200", "202", "400", "401", "403", "404", "409"} <= set(resolution["responses"])
    assert "bearerAuth" in str(document["components"]) or "HTTPBearer" in str(document)
    assert "422" not in str(document["paths"])


def test_no_card_number_in_any_answer_or_resolution_note(
    client: TestClient, desk: FakeDesk, auth: Auth
) -> None:
    headers = auth("ana")
    looked = client.get("/api/lookup?type=account&value=4111 1111 1111 1111", headers=headers)
    assert looked.status_code == 200
    assert "4111 1111 1111 1111" not in looked.text and "4111 11** **** 1111" in looked.text
    body = {"outcome": "block", "reason_code": "SUSPECTED_SELLER", "note": "card 4111111111111111"}
    done = client.post("/api/holds/bank-a/t1/resolution", json=body, headers=headers)
    assert done.status_code == 200
    written = next(w for w in desk.writes if w[0] == "resolutions")[1]
    assert written["note"] == "card 411111******1111"
    assert "4111111111111111" not in done.text


def test_masked_walks_every_string() -> None:
    from streams.console.api_json import masked

    document = {"a": ["x 4111111111111111", 4111111111111111, {"4111111111111111": None}]}
    assert masked(document) == {
        "a": ["x 411111******1111", 4111111111111111, {"411111******1111": None}]
    }
