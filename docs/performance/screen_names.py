"""`screening screen`'s names/s once started, in this process: the command's own steps
(watchlist loaded, collector frozen, one `PaymentProcessor`) timed with
`time.process_time` over payments whose payee is a name only.

    PYTHONPATH=. python docs/performance/screen_names.py            # names/s
    PYTHONPATH=. python docs/performance/screen_names.py out.txt    # and every decision

Watchlist: the 1,288 listed names of the name evaluation (tests/data/names) and 50,000
made-up seller names. Payees: the evaluation's 14,580 cases (variants of listed names,
the list's aliases, unlisted real organisations) and 8,442 made-up names, 23,022 in all,
shuffled, mostly distinct. With a file name it also writes every decision, `decided_at`
left out, to compare two commits byte for byte. `py-spy record -r 500 -f raw -- python
docs/performance/screen_names.py` gives its profile.
"""

from __future__ import annotations

import gc
import random
import sys
import time

import orjson

from streams.benchmarks.entries import seller_name
from streams.kafka.topics import DLQ_PAYMENTS
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.settings import Settings
from streams.watchlist.entry import encode_entry, parse_entry
from streams.watchlist.index import WatchlistIndex
from streams.worker.heap import YOUNG_THRESHOLD
from tests.unit.watchlist.name_eval import cases, listed

MADE_UP_LISTED = 50_000
MADE_UP_PAYEES = 8_442


def _entry(entry_id: str, name: str) -> dict[str, object]:
    return {
        "entry_id": entry_id,
        "identifiers": [{"type": "name", "value": name}],
        "action": "block",
        "status": "confirmed",
        "source": "eval",
    }


def main(dump: str | None) -> None:
    rng = random.Random(11)
    documents = [_entry(str(row["id"]), str(row["name"])) for row in listed()]
    documents += [_entry(f"m{i}", seller_name(rng)) for i in range(MADE_UP_LISTED)]
    names = [c.written for c in cases()] + [seller_name(rng) for _ in range(MADE_UP_PAYEES)]
    rng.shuffle(names)
    lines = [
        orjson.dumps(
            {
                "txn_id": f"s-{i}",
                "member_id": "eval",
                "ts": "2026-01-15T10:00:00Z",
                "amount": "10.00",
                "currency": "EUR",
                "payee": {"name": name},
            }
        )
        for i, name in enumerate(names)
    ]
    began = time.process_time()
    index = WatchlistIndex()
    index.load((parse_entry(d), encode_entry(d)) for d in documents)
    loaded = time.process_time() - began
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    processor = PaymentProcessor.from_settings(index, Settings.from_env())
    out: list[bytes] = []
    began = time.process_time()
    for offset, line in enumerate(lines):
        for record in processor.process(line, Source("stdin", 0, offset, None), None):
            if record.topic != DLQ_PAYMENTS and record.topic.startswith("decisions."):
                out.append(record.value)
    spent = time.process_time() - began
    print(
        f"{len(names)} names, {len(out)} decisions: {len(names) / spent:,.0f} names/s "
        f"(load {loaded:.1f} s CPU)"
    )
    if dump is not None:
        with open(dump, "wb") as handle:
            for value in out:
                document = orjson.loads(value)
                document.pop("decided_at", None)
                handle.write(orjson.dumps(document, option=orjson.OPT_SORT_KEYS) + b"\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
