"""Taking the watchlist replica's snapshots while the worker screens: the replica's state
is copied on the event loop (a list of immutable records, a fraction of a second at a
million entries) and written on a thread, when the list changed since the last snapshot:
soon after the replica caught up, then every interval, and once more at shutdown.

A write waits until no payment arrived for `IDLE_S` (for at most an interval): it holds
the GIL for long stretches (about 0.4 s of CPU at 100,000 entries, 1.8 s of wall time on
a busy 2-core machine), and payments arriving meanwhile waited for it: the first one,
5 s after catch-up, fell into the bench's latency phase at 2,000 payments/s and took its
p50 to 0.6 s and its p99 to 2.2 s."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from streams.agents.watchlist_replica import WatchlistReplica
from streams.watchlist.snapshot import Mark, Record
from streams.watchlist.snapshot_store import SnapshotStore

log = logging.getLogger(__name__)

# After the replica caught up, the first snapshot waits this long (the first minutes of a
# worker are its busiest; a shutdown before then writes it anyway).
FIRST_DELAY_S = 5.0
# A snapshot is written once no payment arrived for this long...
IDLE_S = 2.0
# ...or, before the first payment, for this long (a worker that has not begun screening
# yet is most likely still joining its group, with a backlog waiting)...
NO_INPUT_YET_S = 15.0
# ...looked at this often.
IDLE_POLL_S = 0.5


class SnapshotKeeper:
    """Consumes a ready replica's state and when (`time.monotonic`) the worker last received
    a payment (`last_input`); produces snapshot files through `store`."""

    def __init__(
        self,
        replica: WatchlistReplica,
        store: SnapshotStore,
        interval_s: float,
        last_input: Callable[[], float] = lambda: 0.0,
    ) -> None:
        self.replica = replica
        self.store = store
        self.interval_s = interval_s
        self.last_input = last_input
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="watchlist-snapshot")
        self._writing: asyncio.Future[None] | None = None
        self._lock = asyncio.Lock()

    async def run(self) -> None:
        """Write snapshots until cancelled (an app task)."""
        await self.replica.ready.wait()
        await asyncio.sleep(FIRST_DELAY_S)
        while True:
            deadline = time.monotonic() + self.interval_s
            await self.until_idle(deadline)
            while not await self.snapshot(partial(self.idle, deadline)):
                await self.until_idle(deadline)
            await asyncio.sleep(self.interval_s)

    async def until_idle(self, deadline: float) -> None:
        """Return once `idle(deadline)`."""
        waiting_since = time.monotonic()
        while not self.idle(deadline, waiting_since):
            await asyncio.sleep(IDLE_POLL_S)

    def idle(self, deadline: float, waiting_since: float | None = None) -> bool:
        """Whether no payment arrived for `IDLE_S` (none at all for `NO_INPUT_YET_S` of
        waiting since `waiting_since`), or `deadline` passed: a worker never idle still
        gets its snapshot, late."""
        now = time.monotonic()
        last = self.last_input()
        if last:
            quiet = now - last >= IDLE_S
        else:
            quiet = waiting_since is None or now - waiting_since >= NO_INPUT_YET_S
        return quiet or now >= deadline

    async def snapshot(self, still_idle: Callable[[], bool] = lambda: True) -> bool:
        """Write a snapshot if the list changed since the last one (after any write under
        way: one at a time), unless `still_idle()` says no once the state is copied (the
        copy and the write waited for the event loop); False then."""
        async with self._lock:
            if self._writing is not None:
                with contextlib.suppress(Exception):
                    await asyncio.shield(self._writing)
            replica = self.replica
            if not replica.ready.is_set() or replica.index.version == replica.snapshot_version:
                return True
            version = replica.index.version
            marks, records = dict(replica.marks), replica.index.records()
            if not still_idle():
                return False
            loop = asyncio.get_running_loop()
            writing = loop.run_in_executor(self._executor, self._write, marks, version, records)
            writing.add_done_callback(partial(self._written, version))
            self._writing = writing
            # Shielded: a task cancelled at shutdown leaves the write to finish.
            with contextlib.suppress(Exception):  # logged by _write; the next one may work
                await asyncio.shield(writing)
            return True

    def _written(self, version: str, writing: asyncio.Future[None]) -> None:
        if writing is self._writing:
            self._writing = None
        if not writing.cancelled() and writing.exception() is None:
            self.replica.snapshot_version = version

    def _write(self, marks: dict[int, Mark], version: str, records: list[Record]) -> None:
        started = time.perf_counter()
        try:
            size = self.store.write(marks, version, records)
        except Exception:
            log.exception("watchlist snapshot not written")
            raise
        log.info(
            "watchlist snapshot of %d records (%.0f MiB) written in %.1f s",
            len(records),
            size / 2**20,
            time.perf_counter() - started,
        )
