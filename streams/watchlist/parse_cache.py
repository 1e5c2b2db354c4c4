"""A persistent cache of parsed watchlist records, so a restarting worker replays the
watchlist topic without validating and canonicalising every entry again.

Keyed by a digest of the record's bytes (content-addressed: the topic stays the only
source of truth, and no offset bookkeeping can go stale) under a prefix derived from the
source of the parsing code, so an upgrade that parses differently never reads old rows.
Stored in RocksDB (rocksdict, which Faust's table store already brings) under
SCREENING_DATA_DIR."""

from __future__ import annotations

import hashlib
import logging
import marshal
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

from rocksdict import Options, Rdict

from streams.model import canonical, legal_forms, payee
from streams.watchlist import entry as watchlist_entry
from streams.watchlist import identifier_hash
from streams.watchlist.entry import ListedIdentifier, Override, WatchlistEntry

log = logging.getLogger(__name__)

_PARSING_MODULES = (canonical, legal_forms, identifier_hash, payee, watchlist_entry)
# Libraries whose data decides canonical names (rigour: the legal forms removed).
_PARSING_LIBRARIES = ("rigour",)


def code_version() -> bytes:
    """Digest of the parsing code and the versions of the libraries it reads its data
    from: rows written by other code are never read."""
    digest = hashlib.blake2b(digest_size=8)
    for module in _PARSING_MODULES:
        digest.update(Path(str(module.__file__)).read_bytes())
    for library in _PARSING_LIBRARIES:
        digest.update(f"{library}=={metadata.version(library)}".encode())
    return digest.digest()


Parsed = tuple[WatchlistEntry | Override, bytes]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime | None) -> int | None:
    return None if moment is None else (moment - _EPOCH) // _MICROSECOND


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else _EPOCH + micros * _MICROSECOND


def to_row(parsed: Parsed) -> bytes:
    """A parsed record as marshalled plain tuples (ten times faster to load than pickle)."""
    record, encoded = parsed
    return marshal.dumps((record_fields(record), encoded))


def from_row(row: bytes) -> Parsed:
    """The inverse of `to_row`."""
    fields, encoded = marshal.loads(row)
    return record_from_fields(fields), encoded


def record_fields(record: WatchlistEntry | Override) -> tuple[Any, ...]:
    """An entry or override as a tuple of plain values (marshal-able)."""
    if isinstance(record, Override):
        fields: tuple[Any, ...] = (
            "O",
            record.entry_id,
            record.member_id,
            record.overrides,
            tuple(sorted(record.keys)),
            tuple(sorted(record.names)),
            record.source,
            record.reason,
            _micros(record.expires_at),
        )
    else:
        fields = (
            "E",
            record.entry_id,
            tuple((i.type, i.value, i.key, i.hashed) for i in record.identifiers),
            record.names,
            record.action,
            record.status,
            record.source,
            _micros(record.expires_at),
            record.reference,
            record.rejected,
            record.sealed,
        )
    return fields


def record_from_fields(fields: tuple[Any, ...]) -> WatchlistEntry | Override:
    """The inverse of `record_fields`."""
    if fields[0] == "O":
        _, entry_id, member, target, keys, names, source, reason, expires = fields
        return Override(
            entry_id,
            member,
            target,
            frozenset(keys),
            frozenset(names),
            source,
            reason,
            _moment(expires),
        )
    _, entry_id, idents, names, action, status, source, expires, reference, rejected, sealed = (
        fields
    )
    return WatchlistEntry(
        entry_id,
        tuple(ListedIdentifier(*i) for i in idents),
        names,
        action,
        status,
        source,
        _moment(expires),
        reference,
        rejected,
        sealed,
    )


class ParseCache:
    """Consumes (record bytes, parsed record) pairs; answers record bytes with the record."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        options = Options(raw_mode=True)
        options.create_if_missing(True)
        self._db = Rdict(str(path), options)
        self._prefix = code_version()

    def _key(self, raw: bytes) -> bytes:
        return self._prefix + hashlib.blake2b(raw, digest_size=16).digest()

    def get(self, raw: bytes) -> Parsed | None:
        """The record parsed earlier from these exact bytes, if any."""
        stored = self._db.get(self._key(raw))
        if stored is None:
            return None
        try:
            return from_row(stored)
        except Exception:  # a damaged row is only a cache miss
            return None

    def put(self, raw: bytes, parsed: Parsed) -> None:
        """Remember what these bytes parse to."""
        self._db.put(self._key(raw), to_row(parsed))

    def close(self) -> None:
        """Flush and close the store."""
        self._db.close()


def open_cache(data_dir: Path) -> ParseCache | None:
    """The watchlist parse cache under data_dir, or None (and a warning) if the store
    cannot be opened, e.g. held by another process: the replica then parses everything."""
    try:
        return ParseCache(data_dir / "watchlist-parse-cache")
    except Exception as exc:
        log.warning("watchlist parse cache unavailable (%s); parsing every entry", exc)
        return None
