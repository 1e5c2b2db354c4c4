"""The watchlist snapshot file: what is written comes back (records, marks, version, the
same index), and a corrupt, truncated, foreign, out-of-date or misfitting snapshot is
refused, so the replica rebuilds from the topic."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.watchlist import snapshot as snap
from streams.watchlist.entry import decode_entry
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.snapshot import Identity, Mark, identity, read_chunks, read_snapshot
from streams.watchlist.snapshot_store import SnapshotStore, misfit
from tests.factories import identifier, watchlist_entry

DOCUMENTS = [
    watchlist_entry("e1", [identifier("iban", "DE89370400440532013000")]),
    watchlist_entry("e2", [identifier("name", "Dark-Pix Media GmbH")], status="suspected"),
    watchlist_entry(
        "e3",
        [identifier("domain", "seller.example"), identifier("email", "Sales@Seller.example")],
        visibility="sealed",
        expires_at="2030-01-02T03:04:05Z",
    ),
    {
        "kind": "override",
        "entry_id": "o1",
        "member_id": "acme",
        "overrides": "e2",
        "identifiers": [identifier("name", "Dark Pix Media")],
        "source": "acme",
        "reason": "false positive",
    },
]
MARKS = {0: Mark(5, 4, "aa"), 1: Mark(0), 2: Mark(2, 1, "bb")}
WATERMARKS = {0: (0, 5), 1: (0, 0), 2: (0, 3)}
IDENT = identity("watchlist", b"coalition-key")


def built_index(count: int = 1) -> WatchlistIndex:
    index = WatchlistIndex()
    for document in DOCUMENTS:
        index.upsert(*decode_entry(orjson.dumps(document)))
    for i in range(count - 1):
        doc = watchlist_entry(f"x{i}", [identifier("merchant_id", f"MID-{i}")])
        index.upsert(*decode_entry(orjson.dumps(doc)))
    return index


def written(tmp_path: Path, index: WatchlistIndex) -> Path:
    path = tmp_path / "watchlist.snapshot"
    snap.write_snapshot(path, IDENT, MARKS, index.version, index.records())
    return path


def restored(snapshot: snap.Snapshot) -> WatchlistIndex:
    index = WatchlistIndex()
    for chunk in read_chunks(snapshot):
        for record, digest in chunk:
            index.restore(record, digest)
    return index


@pytest.mark.parametrize("count", [1, snap.CHUNK + 7])
def test_a_snapshot_restores_the_same_index(tmp_path: Path, count: int) -> None:
    index = built_index(count)
    loaded = read_snapshot(written(tmp_path, index), IDENT, 3600)
    assert loaded is not None
    assert loaded.marks == MARKS
    assert loaded.version == index.version
    assert loaded.records == len(index) + len(index.overrides)
    copy = restored(loaded)
    assert copy.version == index.version
    assert copy.entries == index.entries
    assert copy.overrides == index.overrides
    key = index.entries["e1"].identifiers[0].key
    assert copy.lookup(key) == index.lookup(key)
    assert copy.search_names("darkpix media", 80) == index.search_names("darkpix media", 80)
    assert copy.overrides_for("acme", "e2") == index.overrides_for("acme", "e2")


def test_writing_replaces_the_file_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = written(tmp_path, built_index())
    smaller = WatchlistIndex()
    snap.write_snapshot(path, IDENT, {0: Mark(0)}, smaller.version, smaller.records())
    loaded = read_snapshot(path, IDENT, 3600)
    assert loaded is not None and loaded.records == 0 and loaded.marks == {0: Mark(0)}
    assert [p.name for p in tmp_path.iterdir()] == ["watchlist.snapshot"]


@pytest.mark.parametrize("where", [0, 20, 200, -40, -1])
def test_a_flipped_byte_anywhere_is_refused(tmp_path: Path, where: int) -> None:
    path = written(tmp_path, built_index())
    data = bytearray(path.read_bytes())
    data[where] ^= 0x01
    path.write_bytes(bytes(data))
    assert read_snapshot(path, IDENT, 3600) is None


@pytest.mark.parametrize("keep", [0, 5, 100, -1])
def test_a_truncated_file_is_refused(tmp_path: Path, keep: int) -> None:
    path = written(tmp_path, built_index())
    path.write_bytes(path.read_bytes()[:keep])
    assert read_snapshot(path, IDENT, 3600) is None


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    assert read_snapshot(tmp_path / "none", IDENT, 3600) is None


@pytest.mark.parametrize(
    "other",
    [
        identity("watchlist", b"another-key"),
        identity("watchlist", None),
        identity("watchlist-2", b"coalition-key"),
        Identity("watchlist", "other-code:" + IDENT.fingerprint.split(":")[1]),
    ],
)
def test_a_snapshot_of_another_key_topic_or_code_is_refused(
    tmp_path: Path, other: Identity
) -> None:
    path = written(tmp_path, built_index())
    assert read_snapshot(path, other, 3600) is None


def test_another_format_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = written(tmp_path, built_index())
    monkeypatch.setattr(snap, "FORMAT", snap.FORMAT + 1)
    assert read_snapshot(path, IDENT, 3600) is None


def test_the_code_version_covers_the_parsing_and_snapshot_code() -> None:
    assert IDENT.fingerprint.startswith(snap.code_version() + ":")
    assert identity("watchlist", b"coalition-key") == IDENT


def test_an_old_snapshot_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = written(tmp_path, built_index())
    now = snap.time.time()
    monkeypatch.setattr(snap.time, "time", lambda: now + 7200)
    assert read_snapshot(path, IDENT, 3600) is None
    assert read_snapshot(path, IDENT, 10_000) is not None


def test_the_version_it_claims_is_what_its_records_make(tmp_path: Path) -> None:
    index = built_index()
    loaded = read_snapshot(written(tmp_path, index), IDENT, 3600)
    assert loaded is not None
    assert restored(loaded).version == loaded.version


@pytest.mark.parametrize(
    ("watermarks", "reason"),
    [
        (WATERMARKS, ""),
        ({0: (0, 9), 1: (0, 4), 2: (0, 3)}, ""),
        ({0: (0, 5), 1: (0, 0)}, "partitions"),
        ({0: (0, 5), 1: (0, 0), 2: (0, 3), 3: (0, 0)}, "partitions"),
        ({0: (5, 9), 1: (0, 0), 2: (0, 3)}, "is gone"),  # its last record deleted
    ],
)
def test_marks_must_fit_the_topic(
    tmp_path: Path, watermarks: dict[int, tuple[int, int]], reason: str
) -> None:
    store = SnapshotStore(tmp_path, IDENT, 3600)
    index = built_index()
    store.write(MARKS, index.version, index.records())
    loaded = read_snapshot(store.path, IDENT, 3600)
    assert loaded is not None
    problem = misfit(loaded, watermarks)
    assert reason in problem if reason else problem == ""
    assert (store.load(watermarks) is None) == bool(reason)


def test_records_stay_a_consistent_copy_while_the_index_changes() -> None:
    index = built_index()
    records = index.records()
    version = index.version
    index.delete("e1")
    copy = WatchlistIndex()
    for record, digest in records:
        copy.restore(record, digest)
    assert copy.version == version != index.version


def test_clear_empties_the_index() -> None:
    index = built_index()
    index.clear()
    assert index.version == WatchlistIndex().version
    assert not index.entries and not index.overrides and len(index.names) == 0
