"""The stock Faust baseline for `screening bench`: a plain agent that decodes each payment
and forwards it, nothing else. Stock Faust: aiokafka's producer and consumer, Faust's
defaults but for the worker's memory store, group timeouts, 2 ms linger and earliest
offset reset; not the worker's native producer, fetch wait, acks or commit settings.

Run as `python -m streams.benchmarks.faust_baseline BOOTSTRAP APP_ID OUTPUT TOPIC...`."""

from __future__ import annotations

import sys
from typing import Any

import faust
import orjson


def main() -> None:
    bootstrap, app_id, output, *inputs = sys.argv[1:]
    app = faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        autodiscover=False,
        broker_rebalance_timeout=5,
        broker_session_timeout=10,
        broker_heartbeat_interval=1,
        consumer_auto_offset_reset="earliest",
        producer_linger_ms=2,
    )
    source = app.topic(
        *inputs, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )

    @app.agent(source, name="passthrough")
    async def passthrough(stream: Any) -> None:
        producer = app.producer
        async for event in stream.events():
            payment = orjson.loads(event.message.value)
            await producer.send(
                output, payment["txn_id"].encode(), orjson.dumps(payment), None, None, None
            )

    faust.Worker(app, loglevel="warn", quiet=True).execute_from_commandline()


if __name__ == "__main__":
    main()
