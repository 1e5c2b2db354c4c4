"""An idle worker's fetch wait: longer while nothing arrives, the short one again as soon
as something does (for brokers that answer a waiting fetch as soon as data arrives).

The worker consumer asks the broker to hold an empty fetch for at most 5 ms
(`SCREENING_FETCH_MAX_WAIT_MS`), which bounds how long a partition left out of the fetch
in flight (aiokafka leaves out partitions whose records are still buffered) waits for the
next one. While idle that is 200 fetches a second, each decoded in Python on the consumer
thread: 0.05 of a core per idle worker, measured, and with two workers the one that
finished its share first kept paying it. Apache Kafka answers a fetch as soon as one byte
arrives for any partition in it, so while nothing is buffered (every partition is in the
fetch) a longer wait delays nothing; the short wait comes back with the first records."""

from __future__ import annotations

from typing import Any


def adapt_fetch_wait(fetcher: Any, busy_ms: int, idle_ms: int, busy_min_bytes: int = 1) -> None:
    """Make aiokafka's `fetcher` ask for `idle_ms` (and any byte) after a fetch that brought
    nothing while no records are buffered, and `busy_ms` (and `busy_min_bytes`) otherwise."""
    fetch = fetcher._proc_fetch_request

    async def fetched(assignment: Any, node_id: int, request: Any) -> bool:
        new = bool(await fetch(assignment, node_id, request))
        # Read by aiokafka when it builds the next fetch request, right after this. An idle
        # fetch takes the first byte: waiting for more there would hold the first payment
        # after a quiet spell for the whole idle wait.
        busy = new or bool(fetcher._records)
        fetcher._fetch_max_wait_ms = busy_ms if busy else idle_ms
        fetcher._fetch_min_bytes = busy_min_bytes if busy else 1
        return new

    fetcher._proc_fetch_request = fetched
