"""A local snapshot of the watchlist replica: every parsed entry and override with its
digest, taken at known offsets of the `watchlist` topic, so that a restarting worker
loads it and catches up from those offsets instead of replaying the whole topic.

File layout: MAGIC, a 4-byte header length, the header (JSON: format, code version, topic,
coalition key fingerprint, per-partition marks, when written, how many records, the
list's version), then chunks (4-byte length + marshalled list of (fields, digest)), then a
32-byte BLAKE2b of everything before it. Written to a temporary file and renamed, so a
reader sees a whole snapshot or none. `read_snapshot` answers None (and logs why) for a
missing, corrupt, foreign or out-of-date file: the caller then rebuilds from the topic.
Checking the marks against the broker is the replica's part (streams/agents)."""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import struct
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from streams.watchlist import parse_cache
from streams.watchlist.entry import Override, WatchlistEntry

log = logging.getLogger(__name__)

MAGIC = b"SCRWLSNP"
FORMAT = 1
CHUNK = 20_000
_LENGTH = struct.Struct(">I")
_CHECKSUM_SIZE = 32
_READ_BLOCK = 1 << 20

Record = tuple[WatchlistEntry | Override, int]  # a record and its digest (index.entry_digest)


@dataclass(frozen=True)
class Mark:
    """Where a partition was read to: the next offset, and the offset and digest of the
    last record read (checked against the broker at restart; -1 and "" when none was)."""

    next_offset: int
    last_offset: int = -1
    last_digest: str = ""


@dataclass(frozen=True)
class Identity:
    """What a snapshot must have been taken under to be used: the topic and a fingerprint
    of the coalition key and the code that parses entries and writes snapshots."""

    topic: str
    fingerprint: str


@dataclass(frozen=True)
class Snapshot:
    """A checked snapshot file: its header, and where its chunks start."""

    path: Path
    marks: dict[int, Mark]
    written_at: float
    records: int
    version: str
    body_offset: int


def code_version() -> str:
    """Digest of the parsing code and of this format: snapshots of other code are stale."""
    digest = hashlib.blake2b(parse_cache.code_version(), digest_size=8)
    for source in (str(parse_cache.__file__), __file__):
        digest.update(Path(source).read_bytes())
    return digest.hexdigest()


def identity(topic: str, coalition_key: bytes | None) -> Identity:
    """The identity a worker with this coalition key expects (the key itself is not
    stored: a keyed digest of a constant stands for it)."""
    keyed = hashlib.blake2b(b"watchlist-snapshot", key=coalition_key or b"", digest_size=16)
    return Identity(topic, f"{code_version()}:{keyed.hexdigest()}")


def record_digest(key: bytes | None, value: bytes | None) -> str:
    """Digest of one topic record (key and value), to recognise it at restart."""
    digest = hashlib.blake2b(digest_size=16)
    for part in (key, value):
        digest.update(b"-" if part is None else b"+%d:" % len(part))
        digest.update(part or b"")
    return digest.hexdigest()


def write_snapshot(
    path: Path, ident: Identity, marks: dict[int, Mark], version: str, records: Sequence[Record]
) -> int:
    """Write a snapshot atomically (temporary file, fsync, rename); its size in bytes."""
    header = orjson.dumps(
        {
            "format": FORMAT,
            "topic": ident.topic,
            "fingerprint": ident.fingerprint,
            "marks": {
                str(p): [m.next_offset, m.last_offset, m.last_digest] for p, m in marks.items()
            },
            "written_at": time.time(),
            "records": len(records),
            "version": version,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    checksum = hashlib.blake2b(digest_size=_CHECKSUM_SIZE)
    with temporary.open("wb") as handle:

        def put(data: bytes) -> None:
            checksum.update(data)
            handle.write(data)

        put(MAGIC + _LENGTH.pack(len(header)) + header)
        for start in range(0, len(records), CHUNK):
            rows = [
                (parse_cache.record_fields(record), digest)
                for record, digest in records[start : start + CHUNK]
            ]
            chunk = marshal.dumps(rows)
            put(_LENGTH.pack(len(chunk)) + chunk)
        handle.write(checksum.digest())
        handle.flush()
        os.fsync(handle.fileno())
        size = handle.tell()
    os.replace(temporary, path)
    return size


def read_snapshot(path: Path, ident: Identity, max_age_s: float) -> Snapshot | None:
    """The snapshot at `path` if it is whole (checksum), of this identity and format and
    younger than `max_age_s`; else None, with the reason logged."""
    try:
        problem, snapshot = _check(path, ident, max_age_s)
    except (OSError, ValueError, KeyError, TypeError, struct.error) as exc:
        problem, snapshot = f"unreadable ({exc})", None
    if problem:
        # A first start has none: not worth a warning.
        level = logging.INFO if snapshot is None and not path.exists() else logging.WARNING
        log.log(
            level, "watchlist snapshot %s not used: %s; rebuilding from the topic", path, problem
        )
        return None
    return snapshot


def _check(path: Path, ident: Identity, max_age_s: float) -> tuple[str, Snapshot | None]:
    if not path.exists():
        return "none written yet", None
    with path.open("rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            return "not a snapshot file", None
        size = path.stat().st_size
        if not _checksum_matches(handle, size):
            return "checksum mismatch (corrupt or truncated)", None
        handle.seek(len(MAGIC))
        (length,) = _LENGTH.unpack(handle.read(_LENGTH.size))
        header: dict[str, Any] = orjson.loads(handle.read(length))
        body_offset = handle.tell()
    if header["format"] != FORMAT:
        return f"format {header['format']}, this code reads {FORMAT}", None
    if header["topic"] != ident.topic:
        return f"taken of topic {header['topic']!r}", None
    if header["fingerprint"] != ident.fingerprint:
        return "taken by other code or under another coalition key", None
    age = time.time() - float(header["written_at"])
    if not -60 <= age <= max_age_s:
        # Past the topic's tombstone retention, a deletion made after the snapshot may
        # already be compacted away, and catching up would never see it.
        return f"{age:.0f} s old, older than {max_age_s:.0f} s", None
    marks = {int(p): Mark(int(n), int(last), str(d)) for p, (n, last, d) in header["marks"].items()}
    return "", Snapshot(
        path,
        marks,
        float(header["written_at"]),
        int(header["records"]),
        str(header["version"]),
        body_offset,
    )


def _checksum_matches(handle: BinaryIO, size: int) -> bool:
    """Stream the file through BLAKE2b (the first len(MAGIC) bytes already read)."""
    if size < len(MAGIC) + _LENGTH.size + _CHECKSUM_SIZE:
        return False
    checksum = hashlib.blake2b(MAGIC, digest_size=_CHECKSUM_SIZE)
    remaining = size - len(MAGIC) - _CHECKSUM_SIZE
    while remaining > 0:
        block = handle.read(min(_READ_BLOCK, remaining))
        if not block:
            return False
        checksum.update(block)
        remaining -= len(block)
    return handle.read(_CHECKSUM_SIZE) == checksum.digest()


def read_chunks(snapshot: Snapshot) -> Iterator[list[Record]]:
    """The records of a checked snapshot, a chunk at a time (bounded memory)."""
    end = snapshot.path.stat().st_size - _CHECKSUM_SIZE
    with snapshot.path.open("rb") as handle:
        handle.seek(snapshot.body_offset)
        while handle.tell() < end:
            (length,) = _LENGTH.unpack(handle.read(_LENGTH.size))
            rows = marshal.loads(handle.read(length))
            yield [(parse_cache.record_from_fields(fields), digest) for fields, digest in rows]
