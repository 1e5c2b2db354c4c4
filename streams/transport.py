"""The project's Kafka transport for Faust: Faust's aiokafka transport with the fetch
wait the payment path needs.

Faust hard-codes `fetch_max_wait_ms=1500` for its worker consumer. A broker that holds an
empty fetch for the whole wait (the embedded broker does, even when data arrives) then
adds up to 1.5 s to a payment's decision: the fraud budget is tens of milliseconds.
Registered under the URL scheme `screening://` (entry point `faust.transports`)."""

from __future__ import annotations

import os
from typing import Any

from faust.transport.drivers import aiokafka as faust_aiokafka

FETCH_MAX_WAIT_ENV = "SCREENING_FETCH_MAX_WAIT_MS"
DEFAULT_FETCH_MAX_WAIT_MS = 5


def fetch_max_wait_ms() -> int:
    """The configured fetch wait; the settings object validates the variable."""
    raw = os.environ.get(FETCH_MAX_WAIT_ENV, "")
    return int(raw) if raw.isdigit() else DEFAULT_FETCH_MAX_WAIT_MS


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread with a short fetch wait for the worker consumer, and a
    fetcher that survives records of a partition revoked under it."""

    def highwater(self, tp: Any) -> int:
        """The partition's end offset, or -1 when it is no longer assigned.

        When a new member topic re-subscribes the consumer, a fetch in flight can still
        hand Faust records of a partition just revoked; aiokafka asserts on them and
        Faust's fetcher crashes the worker. Faust discards the commits of revoked
        partitions, so their new owner decides those payments again (at least once)."""
        try:
            return int(super().highwater(tp))
        except AssertionError:
            return -1

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when it starts its fetcher, which happens after creation.
        consumer._fetch_max_wait_ms = fetch_max_wait_ms()
        return consumer


class Consumer(faust_aiokafka.Consumer):
    """Faust's aiokafka consumer running our consumer thread."""

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with our consumer."""

    Consumer = Consumer
