"""`screening bench watchlist`: load, restart, memory and lookup figures for a large
watchlist. Restart and memory come from a real `screening worker` (a child process,
started twice on the same data dir: first start, then restart with a warm parse cache
and the watchlist snapshot the first start wrote);
the lookup figures from the bench process itself (streams/benchmarks/watchlist_lookups.py)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from streams.benchmarks import bench_workers, watchlist_lookups, worker_ready
from streams.benchmarks.entries import entries
from streams.kafka import admin
from streams.kafka.publish import publish
from streams.settings import Settings
from streams.watchlist.file import read_entries

SAMPLE_PAYEES = 20_000
SAMPLE_NAMES = 2_500
MEMBER = "bench-wl"
APP_ID = "bench-watchlist"
SNAPSHOT_WRITTEN = "MiB) written in"


def write_entries(path: Path, count: int) -> dict[str, Any]:
    """Write `count` synthetic entries as JSON Lines; returns samples of listed payees
    (as payee objects) and listed names for the lookup measurements, and the last entry
    with an exact identifier (`probe`: the payee of the readiness payments)."""
    payees: list[dict[str, str]] = []
    names: list[str] = []
    probe: dict[str, Any] = {}
    stride = max(1, count // SAMPLE_PAYEES)
    with path.open("wb") as handle:
        for i, document in enumerate(entries(count)):
            handle.write(orjson.dumps(document) + b"\n")
            ident = document["identifiers"][0]
            if ident["type"] == "name":
                if len(names) < SAMPLE_NAMES and i % 7 == 0:
                    names.append(ident["value"])
                continue
            probe = document
            if i % stride == 0:
                payees.append({ident["type"]: ident["value"]})
    # As many payees that are not listed, so lookups see misses as well as hits.
    payees += [{"merchant_id": f"UNLISTED-{i}"} for i in range(len(payees))]
    return {"payees": payees, "names": names, "probe": probe}


def load(settings: Settings, path: Path, progress: Callable[[str], None]) -> float:
    """What `screening watchlist load` does (validate all, then publish); seconds."""
    started = time.perf_counter()
    records: list[tuple[bytes | None, bytes | None]] = [
        (entry.entry_id.encode(), encoded) for _, _, entry, encoded in read_entries(path)
    ]
    progress(f"validated {len(records)} entries in {time.perf_counter() - started:.1f}s")
    publish(settings, records, show_progress=False)
    return time.perf_counter() - started


def run(settings: Settings, count: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """Every figure of the watchlist benchmark, measured in one run."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "watchlist.jsonl"
        started = time.perf_counter()
        samples = write_entries(path, count)
        progress(f"generated {count} entries in {time.perf_counter() - started:.1f}s")
        load_s = load(settings, path, progress)
        progress(f"loaded in {load_s:.1f}s")
        admin.ensure_member_topics(admin.admin_client(settings), settings, [MEMBER])
        env = bench_workers.worker_env(settings, MEMBER, work / "state", APP_ID)
        starts: dict[str, dict[str, Any]] = {}
        for seed, phase in enumerate(("first_start", "restart"), start=1):
            # The first start runs until it has written its watchlist snapshot, as a
            # worker that ran a while before its restart has (streams/agents/
            # watchlist_snapshots.py: a few seconds after its list caught up).
            starts[phase] = worker_ready.start_to_ready(
                settings,
                env,
                samples["probe"],
                seed,
                work / f"worker-{phase}.log",
                stop_after=SNAPSHOT_WRITTEN if phase == "first_start" else None,
            )
            progress(
                f"{phase}: first decision {starts[phase]['ready_s']:.1f}s after the spawn, "
                f"peak {starts[phase]['peak_rss_mb']:.0f} MiB"
            )
        lookups = watchlist_lookups.measure(path, samples)
        progress(f"lookups measured, index built in {lookups['index_build_s']:.1f}s")
    return {"entries": count, "load_s": load_s, **starts, "lookups": lookups}


def table_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(figure, measured, target) rows of a run's result."""
    first, restart, lookups = result["first_start"], result["restart"], result["lookups"]
    exact, fuzzy = lookups["exact"], lookups["fuzzy"]
    return [
        ("entries", f"{result['entries']:,}", ""),
        ("load (validate + publish)", f"{result['load_s']:.1f} s", "< 60 s"),
        ("first start: spawn -> decision", f"{first['ready_s']:.1f} s", ""),
        *milestone_rows("first start", first),
        ("restart: spawn -> decision", f"{restart['ready_s']:.1f} s", "< 30 s"),
        *milestone_rows("restart", restart),
        (
            f"peak RSS, {first['process']} (first / restart)",
            f"{first['peak_rss_mb']:,.0f} / {restart['peak_rss_mb']:,.0f} MiB",
            "< 2048 MiB",
        ),
        (
            "exact lookup p50 / p99 *",
            f"{exact['p50_us']:.1f} / {exact['p99_us']:.1f} us",
            "microseconds",
        ),
        ("fuzzy names per second *", f"{fuzzy['names_per_s']:,.0f}", ">= 5,000"),
        (
            "fuzzy p50 / p99 *",
            f"{fuzzy['p50_ms']:.3f} / {fuzzy['p99_ms']:.3f} ms",
            "p99 < 1 ms",
        ),
    ]


def milestone_rows(phase: str, start: dict[str, Any]) -> list[tuple[str, str, str]]:
    """When, after the spawn, the worker's log says its group joined and its watchlist
    replica caught up."""
    log = start.get("worker_log", {})
    return [
        (f"  {phase}: {label} (worker log)", f"{log[key]:.1f} s", "")
        for key, label in (
            ("group_ready_s", "group joined"),
            ("snapshot_read_s", "snapshot read"),
            ("watchlist_caught_up_s", "list caught up"),
        )
        if key in log
    ]


def table_notes(result: dict[str, Any]) -> list[str]:
    """What the figures span and where they were taken."""
    first = result["first_start"]
    processes = ", ".join(f"{p['process']} (pid {p['pid']})" for p in first["processes"])
    return [
        f"start figures: {first['ready_span']}",
        f"peak RSS: {first['peak_measure']}; first start: {processes}",
        f"* measured in the {result['lookups']['measured_in']}, not in the worker",
    ]
