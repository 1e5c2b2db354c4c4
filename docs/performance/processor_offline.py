"""The processor alone: the bench's payments decided offline, no broker, no Faust.

    PYTHONPATH=. python docs/performance/processor_offline.py            # us per payment
    PYTHONPATH=. python docs/performance/processor_offline.py out.txt    # and every record

Builds the bench's 100,000-entry watchlist, freezes it (as the worker does), then times
30,000 of the bench's payments (three members, 1 % to listed payees, fixed event times)
through `PaymentProcessor.route` twice with `time.process_time`: a cold pass (empty
caches, as a worker that just started) and a warm one (a fresh processor, the caches of
the first pass). With a file name it also writes every record, `decided_at` and
`raised_at` left out, to compare two commits byte for byte. `py-spy record -r 500 -f raw
-- python docs/performance/processor_offline.py` gives its profile."""

from __future__ import annotations

import gc
import sys
import time
from datetime import UTC, datetime

import orjson

from streams.benchmarks.entries import entries
from streams.offline import synthetic
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.settings import Settings
from streams.watchlist.entry import decode_entry
from streams.watchlist.index import WatchlistIndex

MEMBERS = ("alpha", "beta", "gamma")


def main(dump: str | None) -> None:
    index = WatchlistIndex()
    sample = []
    for i, document in enumerate(entries(100_000)):
        index.upsert(*decode_entry(orjson.dumps(document)))
        if i % 97 == 0:
            sample.append(document)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    payments = synthetic.payments(MEMBERS, 30_000, sample, 0.01, seed=3, start=start)
    raws = [(p["member_id"], orjson.dumps(p)) for p in payments]
    gc.collect()
    gc.freeze()
    source = Source("payments", 0, 0, None)
    for label in ("cold", "warm"):
        processor = PaymentProcessor.from_settings(index, Settings.from_env())
        processor.serve_members(MEMBERS)
        began = time.process_time()
        out = [processor.route(raw, source, member) for member, raw in raws]
        spent = time.process_time() - began
        print(f"{label}: {1e6 * spent / len(raws):.1f} us per payment")
    if dump is not None:
        with open(dump, "wb") as handle:
            for records in out:
                handle.writelines(_line(record) for record in records)


def _line(record: OutRecord) -> bytes:
    document = orjson.loads(record.value)
    document.pop("decided_at", None)
    document.pop("raised_at", None)
    head = f"{record.topic} {(record.key or b'').decode()} {record.headers!r} ".encode()
    return head + orjson.dumps(document, option=orjson.OPT_SORT_KEYS) + b"\n"


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
