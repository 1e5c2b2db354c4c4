"""A stand-in for the Faust app the transport's producer is built for, for unit tests of
the producer without a worker."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def producer_app() -> Any:
    """Just enough of a Faust app for the transport's producer to be built."""
    return SimpleNamespace(
        conf=SimpleNamespace(
            broker_client_id="c",
            producer_linger=0.0,
            producer_max_batch_size=16384,
            producer_acks=-1,
            producer_max_request_size=1_000_000,
            producer_compression_type=None,
            producer_request_timeout=30.0,
            ssl_context=None,
            broker_credentials=None,
            producer_partitioner=None,
            producer_api_version="auto",
            producer_threaded=False,
        ),
        on_produce_message=SimpleNamespace(send=None),
    )
