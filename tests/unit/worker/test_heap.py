"""The worker freezes what it loaded at start-up once, after every follower caught up
(streams/worker/heap.py)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from streams.worker.heap import YOUNG_THRESHOLD, freeze_loaded_state


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_what_was_loaded_is_frozen_only_once_every_follower_is_ready() -> None:
    async def scenario() -> None:
        followers = [SimpleNamespace(ready=asyncio.Event()) for _ in range(2)]
        loaded = [[i] for i in range(1000)]  # lists: always tracked by the collector
        freezing = asyncio.create_task(freeze_loaded_state(followers))  # type: ignore[arg-type]
        followers[0].ready.set()
        await asyncio.sleep(0.01)
        assert not freezing.done()
        assert gc.get_freeze_count() == 0
        assert any(o is loaded[0] for o in gc.get_objects())
        followers[1].ready.set()
        await freezing
        assert gc.get_freeze_count() >= len(loaded)
        scanned = {id(o) for o in gc.get_objects()}  # the permanent generation is left out
        assert not scanned & {id(o) for o in loaded}
        later = ["after"]
        assert any(o is later for o in gc.get_objects())
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD

    asyncio.run(scenario())


def test_starting_the_followers_pauses_collection_until_they_are_all_ready() -> None:
    from streams.worker.followers import FollowerStarter

    async def scenario() -> None:
        started: list[object] = []
        follower = SimpleNamespace(ready=asyncio.Event(), start=started.append)
        await FollowerStarter([follower]).on_start()  # type: ignore[list-item]
        assert started and not gc.isenabled()
        freezing = asyncio.create_task(freeze_loaded_state([follower]))  # type: ignore[list-item]
        await asyncio.sleep(0.01)
        assert not gc.isenabled()
        follower.ready.set()
        await freezing
        assert gc.isenabled()

    try:
        asyncio.run(scenario())
    finally:
        gc.enable()
