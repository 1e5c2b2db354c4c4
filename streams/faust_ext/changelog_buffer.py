"""Faust's producer buffer (where table changelog writes wait for the producer) with a
flush that returns only once every write handed to it has reached the producer.

Faust flushes the producer before it commits offsets, so that state written while
processing an event is in Kafka before the event counts as done. Its buffer's flush
gives up, though, when a single write takes more than 0.1 s to reach the producer (a
full batch, a busy loop, a slow broker): the commit then goes ahead with changelog
writes still in the buffer, and a crash right after loses them. A velocity window
restored from that changelog is short of events whose payments will never be
redelivered, and a later payment of the same seller is decided on a window that
misses them."""

from __future__ import annotations

from typing import Any

from faust.transport.producer import ProducerBuffer


class DrainingProducerBuffer(ProducerBuffer):
    """A ProducerBuffer whose `flush` waits, without a time limit, until the buffer is
    empty and no write is on its way to the producer, in the order they were buffered."""

    # Writes taken off the queue and not yet handed to the producer.
    in_flight = 0

    async def _send_pending(self, fut: Any) -> None:
        # Faust's sender task takes a write off the queue and calls this in one step, so
        # a write is always either queued or counted here.
        self.in_flight += 1
        try:
            await super()._send_pending(fut)
        finally:
            self.in_flight -= 1
            self.message_sent.set()

    async def flush(self) -> None:
        """Wait until every buffered write has been handed to the producer.

        While the buffer stops, its sender task is ending: the writes still queued are
        sent from here, in order, after the one in flight."""
        while self.size or self.in_flight:
            if not self.in_flight and (self.should_stop or self.state != "running"):
                await super()._send_pending(self.pending.get_nowait())
                continue
            self.message_sent.clear()
            await self.message_sent.wait()
