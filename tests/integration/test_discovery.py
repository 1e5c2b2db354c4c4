"""A worker without SCREENING_MEMBERS serves every payments.<member> topic, including one
created while it runs, without a restart."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from streams.kafka import admin, topics
from streams.settings import Settings
from tests.factories import payment_bytes
from tests.integration.harness import Collector, WorkerProcess, produce, unique

pytestmark = pytest.mark.integration


def test_new_member_topic_is_served_without_restart(own_broker: str, tmp_path: Path) -> None:
    settings = Settings(bootstrap_servers=own_broker)
    first, late = unique("first"), unique("late")
    client = admin.wait_for_broker(settings, timeout_s=60)
    admin.ensure_core_topics(client, settings)
    admin.ensure_member_topics(client, settings, [first])
    worker = WorkerProcess(own_broker, tmp_path, members=None).start()
    try:
        produce(settings, topics.payments_topic(first), [(None, payment_bytes("p1", first))])
        seen = Collector(settings, [topics.decisions_topic(first)])
        assert seen.until(lambda r: len(r) == 1, 60), worker.log()
        seen.close()

        # A new member joins: only its payments topic is created, as a producer would.
        admin.ensure_topics(client, [topics.payments_topic(late)], settings.topic_partitions)
        produce(settings, topics.payments_topic(late), [(None, payment_bytes("p2", late))])
        # decisions.<late> is created by the worker when it discovers the member.
        assert _wait_for_topic(client, topics.decisions_topic(late), 60), worker.log()
        late_seen = Collector(settings, [topics.decisions_topic(late)])
        assert late_seen.until(lambda r: len(r) == 1, 60), worker.log()
        decision = orjson.loads(late_seen.records[0]["value"])  # type: ignore[arg-type]
        assert decision["txn_id"] == "p2" and decision["member_id"] == late
        late_seen.close()
        worker.assert_alive()
    finally:
        worker.stop()


def _wait_for_topic(client: object, name: str, timeout_s: float) -> bool:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if name in admin.list_topics(client):  # type: ignore[arg-type]
            return True
        time.sleep(0.5)
    return False
