"""End offsets for table recovery: read past an end offset reported short of the last
batch's later records (the embedded broker's), unchanged where there is nothing more."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from streams.faust_ext.transport import READ_PAST_ENDS_ATTR, true_end_offsets
from streams.kafka.broker_profile import profile_for
from streams.settings import Settings
from streams.worker.app import create_app


@dataclass(frozen=True)
class Record:
    offset: int


class Probe:
    """Answers fetches from a fixed log per partition, like a broker would."""

    def __init__(self, logs: dict[str, int]) -> None:
        self.logs = logs  # partition -> number of records
        self.positions: dict[str, int] = {}
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    def assign(self, partitions: list[str]) -> None:
        self.positions = dict.fromkeys(partitions, 0)

    def seek(self, tp: str, offset: int) -> None:
        self.positions[tp] = offset

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[Record]]:
        out: dict[str, list[Record]] = {}
        for tp, position in self.positions.items():
            end = self.logs[tp]
            if position < end:
                out[tp] = [Record(o) for o in range(position, end)]
                self.positions[tp] = end
        return out


TANSU_PROFILE = profile_for("tansu_cluster", 1)


def run(probe: Probe, reported: dict[str, Any]) -> dict[str, int]:
    return asyncio.run(true_end_offsets(lambda: probe, reported, budget_s=2.0))


def test_end_reported_as_last_batch_base_plus_one_is_read_to_the_real_end() -> None:
    probe = Probe({"c-0": 120, "c-1": 7})
    assert run(probe, {"c-0": 101, "c-1": 7}) == {"c-0": 120, "c-1": 7}
    assert probe.started and probe.stopped


def test_empty_partitions_need_no_fetch() -> None:
    probe = Probe({})
    assert run(probe, {"c-0": 0, "c-1": -1}) == {"c-0": 0, "c-1": -1}
    assert not probe.started


def test_the_worker_consumer_waits_for_a_fetch_as_long_as_the_settings_say() -> None:
    """The settings reach aiokafka's consumer through the app, not the environment."""

    async def scenario() -> int:
        settings = Settings(bootstrap_servers="127.0.0.1:1", fetch_max_wait_ms=7)
        app, _ = create_app(settings, ["payments.acme-bank"], TANSU_PROFILE)
        consumer = app.consumer._thread._create_worker_consumer(app.transport)
        try:
            return int(consumer._fetch_max_wait_ms)
        finally:
            await consumer.stop()

    assert asyncio.run(scenario()) == 7


def test_the_broker_profile_sets_changelog_ends_and_replication_of_faust_topics() -> None:
    settings = Settings(bootstrap_servers="127.0.0.1:1")
    kafka, _ = create_app(
        settings, ["payments.acme-bank"], profile_for("A15uPfc4QfKzjbGxVlQo0A", 5)
    )
    tansu, _ = create_app(settings, ["payments.acme-bank"], TANSU_PROFILE)
    assert getattr(kafka, READ_PAST_ENDS_ATTR) is False
    assert kafka.conf.topic_replication_factor == 3
    assert getattr(tansu, READ_PAST_ENDS_ATTR) is True
    assert tansu.conf.topic_replication_factor == 1
