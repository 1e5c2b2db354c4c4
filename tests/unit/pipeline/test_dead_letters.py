"""The dead-letter record: the refused bytes kept, error text and key masked, the
`dlq.*` headers naming the error and the source."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import orjson

from streams.pipeline.dead_letters import dead_letter
from streams.pipeline.records import Source

AT = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
CARD = "4111111111111111"


def test_headers_name_the_error_and_the_source() -> None:
    source = Source("payments.a", 2, 7, b"k")
    record = dead_letter(b"{", "INVALID_JSON", "unexpected end", source, AT)
    assert record.topic == "dlq.payments"
    assert record.key == b"k"
    assert record.headers == [
        ("dlq.error", b"unexpected end"),
        ("dlq.error_code", b"INVALID_JSON"),
        ("dlq.source.topic", b"payments.a"),
        ("dlq.source.partition", b"2"),
        ("dlq.source.offset", b"7"),
    ]
    document = orjson.loads(record.value)
    assert base64.b64decode(document["original_base64"]) == b"{"
    assert document["failed_at"] == "2026-01-15T10:00:00.000Z"


def test_card_numbers_in_error_and_key_are_masked() -> None:
    source = Source("payments.a", 0, 0, f"key-{CARD}".encode())
    record = dead_letter(b"{}", "SCHEMA", f"bad pan {CARD}", source, AT)
    document = orjson.loads(record.value)
    assert CARD not in document["error"]
    assert CARD not in document["source_key"]
    assert record.key is not None
    assert CARD.encode() not in record.key
    assert CARD.encode() not in dict(record.headers)["dlq.error"]


def test_the_error_header_is_cut_the_document_keeps_the_whole_text() -> None:
    record = dead_letter(b"{}", "SCHEMA", "e" * 3000, Source("payments.a", 0, 0, None), AT)
    assert record.key is None
    assert dict(record.headers)["dlq.error"] == b"e" * 1000
    assert orjson.loads(record.value)["error"] == "e" * 3000
