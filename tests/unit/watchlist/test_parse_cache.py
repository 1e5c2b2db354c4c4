"""The watchlist parse cache: what comes back equals what was parsed, and a restart with
the cache rebuilds the same index (same version) as parsing everything."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.watchlist.entry import decode_entry
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.parse_cache import ParseCache, from_row, to_row

DOCUMENTS = [
    {
        "entry_id": "e1",
        "identifiers": [
            {"type": "iban", "value": "DE89370400440532013000"},
            {"type": "name", "value": "Dark-Pix Media GmbH"},
            {"type": "iban", "value": "DE00 bad"},
        ],
        "action": "block",
        "status": "confirmed",
        "source": "police",
        "expires_at": "2030-01-02T03:04:05.678Z",
        "reference": "case-1",
    },
    {
        "entry_id": "e2",
        "identifiers": [{"type": "wallet_address", "value": "a" * 64, "hashed": True}],
        "action": "hold",
        "status": "suspected",
        "source": "bank",
    },
    {
        "entry_id": "o1",
        "kind": "override",
        "member_id": "m1",
        "overrides": "e1",
        "identifiers": [{"type": "merchant_id", "value": "MID-1"}, {"type": "name", "value": "X"}],
        "source": "desk",
        "reason": "florist",
        "expires_at": "2027-01-01T00:00:00Z",
    },
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda d: d["entry_id"])
def test_row_round_trip_is_exact(document: dict[str, object]) -> None:
    parsed = decode_entry(orjson.dumps(document))
    assert from_row(to_row(parsed)) == parsed


def test_cache_hit_rebuilds_the_same_index(tmp_path: Path) -> None:
    raws = [orjson.dumps(d) for d in DOCUMENTS]
    parsed_index, cached_index = WatchlistIndex(), WatchlistIndex()
    cache = ParseCache(tmp_path / "cache")
    for raw in raws:
        entry, encoded = decode_entry(raw)
        parsed_index.upsert(entry, encoded)
        cache.put(raw, (entry, encoded))
    cache.close()
    reopened = ParseCache(tmp_path / "cache")
    for raw in raws:
        hit = reopened.get(raw)
        assert hit is not None
        cached_index.upsert(*hit)
    assert cached_index.version == parsed_index.version
    assert cached_index.entries == parsed_index.entries
    assert cached_index.overrides == parsed_index.overrides
    assert reopened.get(b'{"entry_id": "unknown"}') is None
