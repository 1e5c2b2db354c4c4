"""The decision written when the pipeline itself fails on a payment
(streams/pipeline/fail_closed.py): hold, or allow for a fail-open member, with the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from streams.pipeline.fail_closed import fail_closed
from streams.rules.internal_error import INTERNAL_ERROR
from streams.watchlist.index import WatchlistIndex
from tests.factories import decoded_payment

AT = datetime(2026, 1, 15, 10, 0, 1, tzinfo=UTC)


def decision(records: list[Any]) -> dict[str, Any]:
    [record] = records
    assert record.topic == "decisions.acme"
    assert record.key == b"txn-9"
    assert record.headers == []  # no payment digest: a failed decision is not remembered
    loaded: dict[str, Any] = orjson.loads(record.value)
    return loaded


def failed(fail_open: bool) -> list[Any]:
    try:
        raise RuntimeError("stage topic unknown")
    except RuntimeError as exc:
        return fail_closed(
            decoded_payment("txn-9"), "route", exc, fail_open, lambda: AT, WatchlistIndex()
        )


def test_a_failed_pipeline_holds_the_payment() -> None:
    document = decision(failed(fail_open=False))
    assert document["decision"] == "hold"
    assert document["reasons"] == [
        {
            "code": INTERNAL_ERROR,
            "action": "hold",
            "rule": "route",
            "error": "RuntimeError: stage topic unknown",
        }
    ]
    assert document["decided_at"] == "2026-01-15T10:00:01.000Z"


def test_a_failed_pipeline_allows_a_fail_open_members_payment_with_the_reason() -> None:
    document = decision(failed(fail_open=True))
    assert document["decision"] == "allow"
    [reason] = document["reasons"]
    assert (reason["code"], reason["action"]) == (INTERNAL_ERROR, "allow")
