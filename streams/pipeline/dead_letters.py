"""The dead letter for a message the pipeline cannot screen: its bytes kept for
inspection in `dlq.payments`, with why and where it came from."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import orjson

from streams.kafka import topics
from streams.model.card_masking import mask_card_bytes, mask_card_numbers
from streams.pipeline.messages import dead_letter_document
from streams.pipeline.records import Headers, OutRecord, Source


def dead_letter(
    raw: bytes, code: str, error: str, source: Source, failed_at: datetime
) -> OutRecord:
    """Consumes the refused bytes (card numbers already masked), the error code and text
    and the message's source; produces the `dlq.payments` record, its `dlq.*` headers
    naming the error and the source. Card numbers in the error text and key are masked."""
    # Error texts quote the values they refuse; keys are the producer's choice.
    error = mask_card_numbers(error)
    key = mask_card_bytes(source.key) if source.key is not None else None
    source = replace(source, key=key)
    document = dead_letter_document(
        raw,
        code,
        error,
        source.topic,
        source.partition,
        source.offset,
        source.key,
        failed_at,
    )
    headers: Headers = [
        ("dlq.error", error.encode()[:1000]),
        ("dlq.error_code", code.encode()),
        ("dlq.source.topic", source.topic.encode()),
        ("dlq.source.partition", str(source.partition).encode()),
        ("dlq.source.offset", str(source.offset).encode()),
    ]
    return OutRecord(topics.DLQ_PAYMENTS, source.key, orjson.dumps(document), headers)
