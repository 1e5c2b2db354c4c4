"""The watchlist benchmark's file, samples and table: the readiness probe is a listed
exact identifier, and every figure says where it was taken."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from streams.benchmarks.watchlist_scale import table_notes, table_rows, write_entries


def test_samples_hold_listed_and_unlisted_payees_names_and_the_last_exact_entry(
    tmp_path: Path,
) -> None:
    path = tmp_path / "watchlist.jsonl"
    samples = write_entries(path, 2000)
    documents = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert len(documents) == 2000
    exact = [d for d in documents if d["identifiers"][0]["type"] != "name"]
    assert samples["probe"] == exact[-1]
    listed = {(i["type"], i["value"]) for d in exact for i in d["identifiers"]}
    half = len(samples["payees"]) // 2
    assert all(next(iter(p.items())) in listed for p in samples["payees"][:half])
    assert all(p["merchant_id"].startswith("UNLISTED-") for p in samples["payees"][half:])
    names = {d["identifiers"][0]["value"] for d in documents} - {v for _, v in listed}
    assert samples["names"] and set(samples["names"]) <= names


def start(ready_s: float, peak: float) -> dict[str, Any]:
    return {
        "ready_s": ready_s,
        "ready_span": "spawn -> decision record",
        "worker_log": {"group_ready_s": ready_s - 80.0, "watchlist_caught_up_s": ready_s - 0.5},
        "process": "screening worker",
        "peak_rss_mb": peak,
        "peak_measure": "VmHWM",
        "processes": [{"pid": 7, "process": "screening worker", "peak_rss_mb": peak}],
    }


RESULT = {
    "entries": 1_000_000,
    "load_s": 31.4,
    "first_start": start(95.2, 1650.0),
    "restart": start(87.0, 1602.4),
    "lookups": {
        "measured_in": "bench process",
        "exact": {"p50_us": 1.7, "p99_us": 4.9},
        "fuzzy": {"names_per_s": 6856.0, "p50_ms": 0.13, "p99_ms": 0.36},
    },
}


def test_the_table_shows_worker_starts_and_peak_memory_by_process() -> None:
    rows = {label: value for label, value, _ in table_rows(RESULT)}
    assert rows["first start: spawn -> decision"] == "95.2 s"
    assert rows["restart: spawn -> decision"] == "87.0 s"
    assert rows["  restart: group joined (worker log)"] == "7.0 s"
    assert rows["  restart: list caught up (worker log)"] == "86.5 s"
    assert rows["peak RSS, screening worker (first / restart)"] == "1,650 / 1,602 MiB"
    assert rows["exact lookup p50 / p99 *"] == "1.7 / 4.9 us"


def test_the_notes_say_what_the_starts_span_and_where_lookups_ran() -> None:
    notes = table_notes(RESULT)
    assert notes[0] == "start figures: spawn -> decision record"
    assert "screening worker (pid 7)" in notes[1]
    assert notes[2] == "* measured in the bench process, not in the worker"
