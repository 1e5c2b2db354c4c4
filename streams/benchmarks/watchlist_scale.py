"""`screening bench watchlist`: load, restart and lookup figures for a large watchlist."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from streams.benchmarks.entries import entries
from streams.kafka.publish import publish
from streams.settings import Settings
from streams.watchlist.file import read_entries

SAMPLE_PAYEES = 20_000
SAMPLE_NAMES = 2_500


def write_entries(path: Path, count: int) -> dict[str, list[Any]]:
    """Write `count` synthetic entries as JSON Lines; returns samples of listed payees
    (as payee objects) and listed names for the lookup measurements."""
    payees: list[dict[str, str]] = []
    names: list[str] = []
    stride = max(1, count // SAMPLE_PAYEES)
    with path.open("wb") as handle:
        for i, document in enumerate(entries(count)):
            handle.write(orjson.dumps(document) + b"\n")
            ident = document["identifiers"][0]
            if ident["type"] == "name" and len(names) < SAMPLE_NAMES and i % 7 == 0:
                names.append(ident["value"])
            elif ident["type"] != "name" and i % stride == 0:
                payees.append({ident["type"]: ident["value"]})
    # As many payees that are not listed, so lookups see misses as well as hits.
    payees += [{"merchant_id": f"UNLISTED-{i}"} for i in range(len(payees))]
    return {"payees": payees, "names": names}


def load(settings: Settings, path: Path, progress: Callable[[str], None]) -> float:
    """What `screening watchlist load` does (validate all, then publish); seconds."""
    started = time.perf_counter()
    records: list[tuple[bytes | None, bytes | None]] = [
        (entry.entry_id.encode(), encoded) for _, _, entry, encoded in read_entries(path)
    ]
    progress(f"validated {len(records)} entries in {time.perf_counter() - started:.1f}s")
    publish(settings, records, show_progress=False)
    return time.perf_counter() - started


def replay(settings: Settings, data_dir: Path, sample_file: Path) -> dict[str, Any]:
    """Run the worker-like replay process and return its measurements."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "streams.benchmarks.watchlist_replay",
            settings.bootstrap_servers,
            str(data_dir),
            str(sample_file),
        ],
        capture_output=True,
        check=True,
        timeout=900,
    )
    measured: dict[str, Any] = orjson.loads(result.stdout.splitlines()[-1])
    return measured


def run(settings: Settings, count: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """Every figure of the watchlist benchmark, measured in one run."""
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "watchlist.jsonl"
        started = time.perf_counter()
        samples = write_entries(path, count)
        progress(f"generated {count} entries in {time.perf_counter() - started:.1f}s")
        sample_file = work / "samples.json"
        sample_file.write_bytes(orjson.dumps(samples))
        load_s = load(settings, path, progress)
        progress(f"loaded in {load_s:.1f}s")
        state = work / "state"
        cold = replay(replace(settings, data_dir=state), state, sample_file)
        progress(f"first start ready in {cold['ready_s']:.1f}s")
        warm = replay(replace(settings, data_dir=state), state, sample_file)
        progress(f"restart ready in {warm['ready_s']:.1f}s")
    return {"entries": count, "load_s": load_s, "first_start": cold, "restart": warm}
