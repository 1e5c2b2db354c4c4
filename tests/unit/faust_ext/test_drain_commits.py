"""The drain's commit every `commit_every` acks runs beside the drain
(streams/faust_ext/fast_consumer.py): the drain does not wait for it, one runs at a time,
and a commit that raises crashes the consumer as it did inside the drain."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from streams.faust_ext.fast_consumer import BatchDrainMixin


class Committing(BatchDrainMixin):
    """A consumer whose commits wait for `release`; counts commits and crashes."""

    def __init__(self, error: Exception | None = None) -> None:
        self.release = asyncio.Event()
        self.commits = 0
        self.crashed: list[BaseException] = []
        self.error = error
        self.transport = SimpleNamespace(app=SimpleNamespace(should_stop=False))
        self.log = SimpleNamespace(exception=lambda *_: None)

    async def commit(self) -> bool:
        self.commits += 1
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return True

    async def crash(self, exc: BaseException) -> None:
        self.crashed.append(exc)


def test_the_drain_starts_a_commit_without_waiting_for_it_and_one_at_a_time() -> None:
    async def scenario() -> list[int]:
        consumer = Committing()
        consumer.commit_soon()  # returns at once: the commit waits for `release`
        consumer.commit_soon()  # the first still runs: it covers these acks too
        await asyncio.sleep(0)
        seen = [consumer.commits]
        consumer.release.set()
        task: Any = consumer.commit_task
        await task
        consumer.commit_soon()  # the first is done: a new one
        await consumer.commit_task  # type: ignore[misc]
        return [*seen, consumer.commits]

    assert asyncio.run(scenario()) == [1, 2]


def test_a_commit_that_raises_crashes_the_consumer_unless_the_app_is_stopping() -> None:
    async def scenario(stopping: bool) -> list[BaseException]:
        consumer = Committing(RuntimeError("broker gone"))
        consumer.transport.app.should_stop = stopping
        consumer.release.set()
        consumer.commit_soon()
        await consumer.commit_task  # type: ignore[misc]
        return consumer.crashed

    crashed = asyncio.run(scenario(stopping=False))
    assert [str(exc) for exc in crashed] == ["broker gone"]
    assert asyncio.run(scenario(stopping=True)) == []
