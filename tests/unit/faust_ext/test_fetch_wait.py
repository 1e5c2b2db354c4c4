"""An idle worker's fetch wait (streams/faust_ext/fetch_wait.py): long after a fetch that
brought nothing while nothing is buffered, short again as soon as records arrive or while
any wait to be handed out."""

from __future__ import annotations

import asyncio
from typing import Any

from streams.faust_ext.fetch_wait import adapt_fetch_wait


class Fetcher:
    """aiokafka's fetcher as far as the wait is concerned: each fetch brings what `results`
    says, in turn."""

    def __init__(self, results: list[bool]) -> None:
        self.results = results
        self._fetch_max_wait_ms = 5
        self._fetch_min_bytes = 1
        self._records: dict[str, Any] = {}

    async def _proc_fetch_request(self, assignment: Any, node_id: int, request: Any) -> bool:
        return self.results.pop(0)


def waits_after(
    results: list[bool], buffered: bool = False, min_bytes: int = 1
) -> list[tuple[int, int]]:
    """The wait and the bytes waited for set after each fetch."""
    fetcher = Fetcher(results)
    adapt_fetch_wait(fetcher, 5, 100, min_bytes)
    if buffered:
        fetcher._records["payments-0"] = object()

    async def scenario() -> list[tuple[int, int]]:
        waits = []
        for _ in range(len(fetcher.results)):
            await fetcher._proc_fetch_request(None, 1, None)
            waits.append((fetcher._fetch_max_wait_ms, fetcher._fetch_min_bytes))
        return waits

    return asyncio.run(scenario())


def test_the_wait_grows_while_idle_and_shrinks_with_the_first_records() -> None:
    assert waits_after([False, False, True, False]) == [(100, 1), (100, 1), (5, 1), (100, 1)]


def test_the_wait_stays_short_while_records_are_buffered() -> None:
    # Their partitions are left out of the next fetch: a long wait would hold them back.
    assert waits_after([False, False], buffered=True) == [(5, 1), (5, 1)]


def test_a_busy_fetch_waits_for_its_bytes_an_idle_one_for_the_first() -> None:
    # Waiting for many bytes through the idle wait would hold the first payment after a
    # quiet spell for all of it.
    assert waits_after([True, False, True], min_bytes=16_384) == [
        (5, 16_384),
        (100, 1),
        (5, 16_384),
    ]
