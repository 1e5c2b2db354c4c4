"""The project's Kafka transport for Faust: Faust's aiokafka transport with the fetch
wait the payment path needs, a batch-draining consumer and a producer whose flush before
each commit really empties the changelog buffer, sending through librdkafka.

Faust hard-codes `fetch_max_wait_ms=1500` for its worker consumer. A broker that holds an
empty fetch for the whole wait (the embedded broker does, even when data arrives) then
adds up to 1.5 s to a payment's decision: the fraud budget is tens of milliseconds.
Registered under the URL scheme `screening://` (entry point `faust.transports`)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from faust.exceptions import ProducerSendError
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.faust_ext.changelog_buffer import DrainingProducerBuffer
from streams.faust_ext.fast_consumer import BatchDrainMixin
from streams.faust_ext.fetch_wait import adapt_fetch_wait
from streams.faust_ext.native_fetch import NativeFetchMixin, pause_in_aiokafka, routed_natively
from streams.faust_ext.native_producer import (
    QUEUE_FULL_WAIT_S,
    NativeSender,
    OutRow,
    native_config,
)
from streams.settings import Settings

log = logging.getLogger(__name__)

FETCH_MAX_WAIT_ATTR = "screening_fetch_max_wait_ms"
FETCH_MIN_BYTES_ATTR = "screening_fetch_min_bytes"
IDLE_FETCH_WAIT_ATTR = "screening_idle_fetch_wait_ms"
READ_PAST_ENDS_ATTR = "screening_read_past_end_offsets"
NATIVE_CONFIG_ATTR = "screening_native_producer_config"
# How long a stopping worker waits for its last records to be delivered.
NATIVE_STOP_FLUSH_S = 10.0


def set_fetch_max_wait(app: Any, wait_ms: int) -> None:
    """Make `app`'s worker consumer wait at most `wait_ms` for a fetch's data (the
    settings' `fetch_max_wait_ms`); without it, the settings' default."""
    setattr(app, FETCH_MAX_WAIT_ATTR, wait_ms)


def set_fetch_min_bytes(app: Any, min_bytes: int) -> None:
    """Make the broker hold `app`'s worker consumer's fetch until `min_bytes` arrived or
    the fetch wait passed (the settings' `fetch_min_bytes`): the batch closes when full or
    after the wait."""
    setattr(app, FETCH_MIN_BYTES_ATTR, min_bytes)


def set_idle_fetch_wait(app: Any, wait_ms: int | None) -> None:
    """Let `app`'s worker consumer wait `wait_ms` for a fetch while idle
    (`streams.faust_ext.fetch_wait`); None: always the fetch wait."""
    setattr(app, IDLE_FETCH_WAIT_ATTR, wait_ms)


def set_read_past_end_offsets(app: Any, read_past: bool) -> None:
    """Whether `app`'s table recovery reads each changelog past its reported end offset
    (`true_end_offsets`; the broker profile's choice); without it, it does."""
    setattr(app, READ_PAST_ENDS_ATTR, read_past)


class ConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    """Faust's consumer thread with a short fetch wait for the worker consumer, and a
    fetcher that survives records of a partition revoked under it."""

    async def on_start(self) -> None:
        """Start Faust's consumer, then adapt its fetch wait when idle if the app asks."""
        await super().on_start()
        idle_ms = getattr(self.app, IDLE_FETCH_WAIT_ATTR, None)
        busy_ms = getattr(self.app, FETCH_MAX_WAIT_ATTR, Settings.fetch_max_wait_ms)
        min_bytes = getattr(self.app, FETCH_MIN_BYTES_ATTR, Settings.fetch_min_bytes)
        fetcher = getattr(self._consumer, "_fetcher", None)
        if idle_ms is not None and idle_ms > busy_ms and fetcher is not None:
            adapt_fetch_wait(fetcher, busy_ms, idle_ms, min_bytes)

    async def on_partitions_assigned(self, assigned: Any, generation_id: int = 0) -> None:
        """Pause the routed partitions in aiokafka first (the native reader reads them),
        then hand the assignment to Faust's consumer."""
        pause_in_aiokafka(self, assigned)
        await super().on_partitions_assigned(assigned, generation_id)

    def verify_event_path(self, now: float, tp: Any) -> None:
        """Faust's check that aiokafka fetches and the stream processes `tp`, except for the
        partitions aiokafka never fetches (the native reader's)."""
        if routed_natively(self.consumer, tp):
            return None
        return super().verify_event_path(now, tp)

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

    async def _highwaters(self, partitions: Any) -> Mapping[Any, int]:
        """End offsets as Faust's table recovery needs them: after the last record."""
        reported = await super()._highwaters(partitions)
        # Table recovery needs them exact; Faust's end-offset monitor asks every few
        # seconds for the stream partitions, where the reported ones are good enough.
        changelogs = {tp: end for tp, end in reported.items() if tp.topic.endswith("-changelog")}
        if not changelogs or not getattr(self.app, READ_PAST_ENDS_ATTR, True):
            return reported
        return {**reported, **await true_end_offsets(self.new_probe, changelogs)}

    def new_probe(self) -> Any:
        """A new aiokafka consumer without a group (Faust's client consumer), unstarted."""
        return self._create_client_consumer(self.transport)  # type: ignore[arg-type]

    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # aiokafka reads this when it starts its fetcher, which happens after creation.
        consumer._fetch_max_wait_ms = getattr(
            self.app, FETCH_MAX_WAIT_ATTR, Settings.fetch_max_wait_ms
        )
        consumer._fetch_min_bytes = getattr(
            self.app, FETCH_MIN_BYTES_ATTR, Settings.fetch_min_bytes
        )
        return consumer


async def true_end_offsets(
    new_probe: Callable[[], Any], reported: Mapping[Any, int], budget_s: float = 15.0
) -> dict[Any, int]:
    """The offset after each partition's last record, from reported end offsets.

    A broker may report the end offset as the base offset of the partition's last record
    batch plus one (the embedded broker does): Faust's recovery then stops reading a
    changelog before the later records of its last batch, and table state written just
    before a crash is lost. Reading on from there finds the real end; against Apache
    Kafka it finds nothing more. `new_probe` makes an aiokafka consumer without a group,
    only when there is something to read."""
    ends = dict(reported)
    candidates = {tp: end for tp, end in reported.items() if end is not None and end > 0}
    if not candidates:
        return ends
    probe = new_probe()
    await probe.start()
    try:
        probe.assign(list(candidates))
        for tp, end in candidates.items():
            probe.seek(tp, end - 1)
        # The record at end - 1 exists (it starts the last batch) and a fetch from it
        # returns that whole batch: wait for each partition's, then look once more.
        deadline = time.monotonic() + budget_s
        pending = set(candidates)
        while pending and time.monotonic() < deadline:
            batch = await probe.getmany(timeout_ms=500, max_records=100_000)
            for tp, records in batch.items():
                if records:
                    ends[tp] = max(ends[tp], records[-1].offset + 1)
                    pending.discard(tp)
        for tp, records in (await probe.getmany(timeout_ms=100, max_records=100_000)).items():
            if records:
                ends[tp] = max(ends[tp], records[-1].offset + 1)
    finally:
        await probe.stop()
    corrected = {tp: end for tp, end in ends.items() if end != reported.get(tp)}
    if corrected:
        log.info("end offsets read past the reported ones: %s", corrected)
    if pending:
        log.warning("end offsets of %s could not be verified", sorted(map(str, pending)))
    return ends


class Consumer(NativeFetchMixin, BatchDrainMixin, faust_aiokafka.Consumer):
    """Faust's aiokafka consumer running our consumer thread, draining fetched batches
    without a task per message (see `streams.faust_ext.fast_consumer`), its routed topics
    read through librdkafka when the app asks (`streams.faust_ext.native_fetch`)."""

    def _new_consumer_thread(self) -> ConsumerThread:
        return ConsumerThread(self, loop=self.loop, beacon=self.beacon)


def use_native_producer(app: Any, client_config: Mapping[str, Any]) -> None:
    """Make `app`'s producer send through librdkafka with these connection settings
    (`streams.faust_ext.native_producer`); without it, it sends through aiokafka as Faust does."""
    setattr(app, NATIVE_CONFIG_ATTR, dict(client_config))


class HeldRecords(Protocol):
    """Records an agent holds back to send together (hand-off batches): sent when the
    producer is flushed, before Faust commits the offsets of what they came from."""

    def take(self) -> list[tuple[str, int, bytes]]:
        """(topic, partition, value) of every record held; none stay held."""
        ...


class Producer(faust_aiokafka.Producer):
    """Faust's aiokafka producer whose buffer of table changelog writes drains fully on
    flush (see `streams.faust_ext.changelog_buffer`), and which sends through librdkafka when the
    app asks for it (`use_native_producer`). aiokafka's producer stays for what Faust
    does with it besides sending (creating topics, transactions)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.native: NativeSender | None = None
        self.held: list[HeldRecords] = []
        if not self.app.conf.producer_threaded:  # the threaded buffer drains elsewhere
            buffer = DrainingProducerBuffer(loop=self.loop, beacon=self.beacon)
            buffer.app = self.app
            self.buffer = buffer

    async def on_start(self) -> None:
        await super().on_start()
        config = getattr(self.app, NATIVE_CONFIG_ATTR, None)
        if config is not None:
            linger_ms = round(float(self.app.conf.producer_linger) * 1000)
            self.native = NativeSender(native_config(config, linger_ms), self.loop)

    async def on_stop(self) -> None:
        try:
            await self.send_held()
            if self.native is not None:
                await self.native.flush(timeout_s=NATIVE_STOP_FLUSH_S)
        except ProducerSendError as exc:
            log.error("stopping with records not delivered: %s", exc)
        await super().on_stop()

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> Any:
        if self.native is None or transactional_id:
            return await super().send(
                topic, key, value, partition, timestamp, headers, transactional_id=transactional_id
            )
        self._send_on_produce_message(
            key=key, value=value, partition=partition, timestamp=timestamp, headers=headers
        )
        timestamp_ms = int(timestamp * 1000.0) if timestamp else None
        return await self.native.send(topic, key, value, partition, timestamp_ms, headers)

    async def send_and_wait(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
        *,
        transactional_id: str | None = None,
    ) -> Any:
        future = await self.send(
            topic, key, value, partition, timestamp, headers, transactional_id=transactional_id
        )
        if self.native is None or transactional_id:
            return await future  # aiokafka's, as in Faust's send_and_wait
        # Delivery reports are served only when polled: poll until this one is in.
        return await self.native.delivered(future)

    async def send_untracked(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        headers: Any,
    ) -> None:
        """Send a record whose delivery nobody awaits (the agents' output); a failure
        surfaces at the next flush, which Faust runs before every commit. Through
        librdkafka without a future and a callback closure per record, and without
        Faust's `on_produce_message` signal, which only its live-check app listens to."""
        native = self.native
        if native is None:
            await self.send(topic, key, value, partition, None, headers)
            return
        while not native.send_untracked(topic, key, value, partition, headers):
            await asyncio.sleep(QUEUE_FULL_WAIT_S)

    async def send_batch(self, records: Sequence[OutRow]) -> None:
        """Send records nobody awaits (a batch's output), in order, as `send_untracked`
        does one: a failure surfaces at the next flush, before the next commit."""
        native = self.native
        if native is None:
            for topic, key, value, partition, headers in records:
                await self.send(topic, key, value, partition, None, headers)
            return
        sent = native.send_many(records)
        while sent < len(records):
            await asyncio.sleep(QUEUE_FULL_WAIT_S)
            sent += native.send_many(records, sent)

    async def send_held(self) -> None:
        """Send every record the agents hold back."""
        for held in self.held:
            for topic, partition, value in held.take():
                await self.send_untracked(topic, None, value, partition, None)

    async def flush(self) -> None:
        await self.send_held()
        # The buffer first: its writes go out through `send`, then wait for them too.
        await super().flush()
        if self.native is not None:
            await self.native.flush()


class Transport(faust_aiokafka.Transport):
    """Faust's aiokafka transport with our consumer and producer."""

    Consumer = Consumer
    Producer = Producer
