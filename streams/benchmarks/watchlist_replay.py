"""A worker-like process for the watchlist benchmark: replays the watchlist topic into the
index as a restarting worker does, then measures lookups. Prints one JSON object.

Run as `python -m streams.benchmarks.watchlist_replay BOOTSTRAP DATA_DIR SAMPLE_FILE`."""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from streams.agents.watchlist_replica import WatchlistReplica
from streams.benchmarks.entries import seller_name
from streams.benchmarks.measure import percentile
from streams.model import canonical
from streams.model.payee import canonical_payee
from streams.settings import Settings
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.parse_cache import open_cache

NAME_THRESHOLD = 88.0


def rss_mb() -> float:
    """Resident memory of this process."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20


def peak_rss_mb() -> float:
    """Peak resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def replay(settings: Settings) -> tuple[WatchlistIndex, float]:
    """Seconds until a fresh replica has caught up with the topic."""
    index = WatchlistIndex()
    replica = WatchlistReplica(settings, index, open_cache(settings.data_dir))
    started = time.perf_counter()
    replica.start(asyncio.get_running_loop())
    await replica.ready.wait()
    elapsed = time.perf_counter() - started
    replica.stop()
    return index, elapsed


def exact_lookups(index: WatchlistIndex, samples: list[dict[str, str]]) -> dict[str, float]:
    """Per-payee exact lookup time (canonicalisation excluded), in microseconds."""
    payees = [canonical_payee(s) for s in samples]
    times = []
    for payee in payees:
        started = time.perf_counter()
        for probe in payee.lookup_keys:
            index.lookup(probe.key)
        times.append((time.perf_counter() - started) * 1e6)
    return {"p50_us": statistics.median(times), "p99_us": percentile(times, 0.99)}


def fuzzy_names(index: WatchlistIndex, names: list[str]) -> dict[str, float]:
    """Uncached names screened per second (canonicalisation included) and p99 latency."""
    canonical.name_variants.cache_clear()
    times = []
    hits = 0
    started_all = time.perf_counter()
    for name in names:
        started = time.perf_counter()
        for variant in canonical.name_variants(name):
            hits += bool(index.search_names(variant, NAME_THRESHOLD))
        times.append(time.perf_counter() - started)
    total = time.perf_counter() - started_all
    return {
        "names_per_s": len(names) / total,
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": percentile(times, 0.99) * 1e3,
        "hit_ratio": hits / len(names),
    }


def typo(name: str, rng: random.Random) -> str:
    """The name with one letter replaced."""
    i = rng.randrange(len(name))
    return name[:i] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[i + 1 :]


def main() -> None:
    bootstrap, data_dir, sample_file = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    settings = replace(Settings(), bootstrap_servers=bootstrap, data_dir=data_dir)
    baseline = rss_mb()
    index, ready_s = asyncio.run(replay(settings))
    result: dict[str, Any] = {
        "entries": len(index),
        "ready_s": ready_s,
        "rss_mb": rss_mb(),
        "index_mb": rss_mb() - baseline,
        "peak_rss_mb": peak_rss_mb(),
    }
    samples = orjson.loads(sample_file.read_bytes())
    result["exact"] = exact_lookups(index, samples["payees"])
    rng = random.Random(5)
    names = [typo(n, rng) for n in samples["names"]] + [
        seller_name(rng) + " Partners" for _ in range(len(samples["names"]))
    ]
    result["fuzzy"] = fuzzy_names(index, names)
    sys.stdout.write(orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()
