"""Watchlist governance: privacy-preserving (hashed) contributions and member overrides."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner

from streams.cli.main import cli
from streams.model.payee import index_key
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.watchlist.entry import encode_entry, parse_entry, parse_record
from streams.watchlist.hashed_entry import hashed_document
from streams.watchlist.identifier_hash import identifier_token
from streams.watchlist.index import WatchlistIndex
from tests.factories import payment_bytes, watchlist_entry

KEY = b"coalition-test-key-0123456789"


def decide(
    index: WatchlistIndex, payee: dict[str, str], member: str = "m1", key: bytes | None = KEY
) -> dict[str, Any]:
    processor = PaymentProcessor(index, 88.0, coalition_key=key)
    raw = payment_bytes("t", member, ts="2026-11-23T10:00:00Z", amount="5", payee=payee)
    records = processor.process(raw, Source("payments." + member, 0, 0, None), member)
    decision: dict[str, Any] = orjson.loads(records[0].value)
    return decision


def index_of(*documents: dict[str, Any]) -> WatchlistIndex:
    index = WatchlistIndex()
    for document in documents:
        index.upsert(parse_record(document), encode_entry(document))
    return index


HASHABLE = [
    ("iban", "DE89 3704 0044 0532 0130 00", {"iban": "de89370400440532013000"}),
    ("domain", "Hidden-Seller.example", {"url": "https://shop.hidden-seller.example/x"}),
    ("email", "Sales@Hidden.example", {"email": "sales@hidden.example"}),
    ("phone", "+44 20 7946 0958", {"phone": "0044 20 7946 0958"}),
    (
        "wallet_address",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        {"wallet_address": "0x52908400098527886e0f7030069857d2e4169ee7"},
    ),
    ("merchant_id", "mid-9", {"merchant_id": " MID-9 "}),
    ("card_acceptor_id", "ca-1", {"card_acceptor_id": "CA-1"}),
    ("account", "12-34-56", {"account": "123456"}),
]


@pytest.mark.parametrize(("kind", "listed", "payee"), HASHABLE)
def test_hashed_contribution_matches_like_the_clear_one(
    kind: str, listed: str, payee: dict[str, str]
) -> None:
    clear = watchlist_entry("e1", [{"type": kind, "value": listed}])
    hashed, dropped = hashed_document(clear, parse_entry(clear), KEY)
    assert dropped == 0
    assert listed not in orjson.dumps(hashed).decode()
    assert hashed["identifiers"][0]["hashed"] is True
    decision = decide(index_of(hashed), payee)
    assert decision["decision"] == "block"
    assert decision["reasons"][0]["entry_id"] == "e1"
    assert decision["reasons"][0]["hashed"] is True


def test_hashed_entry_needs_the_same_key() -> None:
    clear = watchlist_entry("e1", [{"type": "iban", "value": "DE89370400440532013000"}])
    hashed, _ = hashed_document(clear, parse_entry(clear), KEY)
    other_key = b"another-coalition-key-000000"
    assert (
        decide(index_of(hashed), {"iban": "DE89370400440532013000"}, key=other_key)["decision"]
        == "allow"
    )
    assert (
        decide(index_of(hashed), {"iban": "DE89370400440532013000"}, key=None)["decision"]
        == "allow"
    )


def test_hash_includes_the_kind() -> None:
    assert identifier_token(KEY, index_key("account", "123")) != identifier_token(
        KEY, index_key("merchant_id", "123")
    )


def test_names_are_left_out_of_hashed_contributions() -> None:
    clear = watchlist_entry(
        "e1",
        [
            {"type": "name", "value": "Secret Seller Ltd"},
            {"type": "iban", "value": "DE89370400440532013000"},
        ],
    )
    hashed, dropped = hashed_document(clear, parse_entry(clear), KEY)
    assert dropped == 1
    assert [i["type"] for i in hashed["identifiers"]] == ["iban"]
    assert "Secret" not in orjson.dumps(hashed).decode()


def test_hashed_name_is_rejected() -> None:
    document = watchlist_entry(
        "e1",
        [
            {"type": "name", "value": "a" * 64, "hashed": True},
            {"type": "iban", "value": "DE89370400440532013000"},
        ],
    )
    assert parse_entry(document).rejected == (("name", "a" * 64),)


def test_load_hash_requires_the_key(tmp_path: Path) -> None:
    file = tmp_path / "w.jsonl"
    file.write_bytes(
        orjson.dumps(watchlist_entry("e1", [{"type": "iban", "value": "DE89370400440532013000"}]))
    )
    result = CliRunner(env={"SCREENING_COALITION_KEY": ""}).invoke(
        cli, ["watchlist", "load", "--hash", str(file)]
    )
    assert result.exit_code == 2
    assert "SCREENING_COALITION_KEY" in result.output


SUSPECT = watchlist_entry(
    "wl-s",
    [{"type": "name", "value": "Lumen Media Holdings"}, {"type": "merchant_id", "value": "MID-1"}],
    status="suspected",
)
CONFIRMED = watchlist_entry("wl-c", [{"type": "merchant_id", "value": "MID-2"}])


def override(member: str, target: str, payee: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "entry_id": f"ovr-{member}-{target}",
        "kind": "override",
        "member_id": member,
        "overrides": target,
        "identifiers": payee,
        "source": f"{member} fraud desk",
        "reason": "known florist, reviewed",
        **extra,
    }


def test_override_stops_holds_for_its_member_only() -> None:
    index = index_of(SUSPECT, override("m1", "wl-s", [{"type": "merchant_id", "value": "mid-1"}]))
    mine = decide(index, {"merchant_id": "MID-1"}, member="m1")
    assert mine["decision"] == "allow"
    assert mine["overrides"] == ["ovr-m1-wl-s"]
    other = decide(index, {"merchant_id": "MID-1"}, member="m2")
    assert other["decision"] == "hold"
    assert "overrides" not in other


def test_override_only_for_that_payee_and_entry() -> None:
    index = index_of(
        SUSPECT,
        CONFIRMED,
        override("m1", "wl-s", [{"type": "name", "value": "Lumen Media Holdings"}]),
    )
    assert decide(index, {"name": "LUMEN MEDIA HOLDINGS LTD"}, member="m1")["decision"] == "allow"
    assert decide(index, {"merchant_id": "MID-1"}, member="m1")["decision"] == "hold"


def test_override_never_lifts_a_confirmed_block() -> None:
    index = index_of(CONFIRMED, override("m1", "wl-c", [{"type": "merchant_id", "value": "MID-2"}]))
    assert decide(index, {"merchant_id": "MID-2"}, member="m1")["decision"] == "block"


def test_override_expires_in_event_time() -> None:
    index = index_of(
        SUSPECT,
        override(
            "m1",
            "wl-s",
            [{"type": "merchant_id", "value": "MID-1"}],
            expires_at="2026-01-01T00:00:00Z",
        ),
    )
    assert decide(index, {"merchant_id": "MID-1"}, member="m1")["decision"] == "hold"


def test_override_changes_and_deletion_change_the_version() -> None:
    index = index_of(SUSPECT)
    before = index.version
    ovr = override("m1", "wl-s", [{"type": "merchant_id", "value": "MID-1"}])
    index.upsert(parse_record(ovr), encode_entry(ovr))
    assert index.version != before
    index.delete(ovr["entry_id"])
    assert index.version == before
    assert decide(index, {"merchant_id": "MID-1"}, member="m1")["decision"] == "hold"


def test_override_command_validates_and_refuses_bad_identifier() -> None:
    result = CliRunner().invoke(
        cli,
        [
            "watchlist",
            "override",
            "--member",
            "m1",
            "--entry",
            "wl-s",
            "--identifier",
            "iban",
            "--source",
            "desk",
            "--reason",
            "r",
        ],
    )
    assert result.exit_code == 2
    assert "TYPE=VALUE" in result.output


def test_now_is_not_used_for_expiry() -> None:
    # Entries expire in event time: a payment stamped before expiry still matches later.
    document = watchlist_entry(
        "e1", [{"type": "merchant_id", "value": "M"}], expires_at="2030-01-01T00:00:00Z"
    )
    assert parse_entry(document).effect(datetime(2029, 12, 31, tzinfo=UTC)) == "block"
    assert parse_entry(document).effect(datetime(2030, 1, 1, tzinfo=UTC)) is None
