"""Where a worker keeps its watchlist snapshot, and whether the one there fits the topic as
the broker reports it now (streams/watchlist/snapshot.py holds the file format)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from streams.watchlist.snapshot import (
    Identity,
    Mark,
    Record,
    Snapshot,
    read_snapshot,
    write_snapshot,
)

log = logging.getLogger(__name__)

FILE_NAME = "watchlist.snapshot"


def misfit(snapshot: Snapshot, watermarks: dict[int, tuple[int, int]]) -> str:
    """Why the snapshot's marks do not fit the topic's (low, high) offsets per partition,
    or "" when they do: the same partitions, and no mark's last record before a partition's
    start. A mark beyond a partition's end is not judged here (the embedded broker's high
    watermarks were seen to lag the records it serves): reading at it fails, and the
    replica then rebuilds, as it does when the record there is not the marked one."""
    if set(snapshot.marks) != set(watermarks):
        return f"partitions {sorted(snapshot.marks)}, the topic has {sorted(watermarks)}"
    for partition, mark in sorted(snapshot.marks.items()):
        low, _high = watermarks[partition]
        if mark.last_offset >= 0 and mark.last_offset < low:
            return f"partition {partition}'s record {mark.last_offset} is gone (from {low})"
        if mark.last_offset < 0 and mark.next_offset > 0:
            return f"partition {partition} has a position but no record"
    return ""


class SnapshotStore:
    """Consumes the replica's state to write and the topic's offsets to check against;
    holds one snapshot file under the worker's data dir."""

    def __init__(self, directory: Path, ident: Identity, max_age_s: float) -> None:
        self.path = directory / FILE_NAME
        self.ident = ident
        self.max_age_s = max_age_s

    def load(self, watermarks: dict[int, tuple[int, int]]) -> Snapshot | None:
        """The snapshot if it is whole, of this identity, young enough and fits the
        topic; else None (logged)."""
        snapshot = read_snapshot(self.path, self.ident, self.max_age_s)
        if snapshot is None:
            return None
        problem = misfit(snapshot, watermarks)
        if problem:
            log.warning("watchlist snapshot not used: %s; rebuilding from the topic", problem)
            return None
        return snapshot

    def write(self, marks: dict[int, Mark], version: str, records: Sequence[Record]) -> int:
        """Replace the snapshot (atomically); its size in bytes."""
        return write_snapshot(self.path, self.ident, marks, version, records)
