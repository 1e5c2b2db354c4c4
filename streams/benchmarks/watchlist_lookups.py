"""Lookup figures of a large watchlist, measured in the benchmark's own process on the
worker's index code (`WatchlistIndex`, built from the same file), not inside a worker:
exact lookups per payee and uncached fuzzy name screening."""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path
from typing import Any

from streams.benchmarks.entries import seller_name
from streams.benchmarks.measure import percentile
from streams.model import canonical
from streams.model.payee import canonical_payee
from streams.watchlist.file import read_entries
from streams.watchlist.index import WatchlistIndex

NAME_THRESHOLD = 88.0
MEASURED_IN = "bench process, WatchlistIndex built from the file (the worker's index code)"


def build_index(path: Path) -> WatchlistIndex:
    """The index of every entry of a watchlist file."""
    index = WatchlistIndex()
    index.load((entry, encoded) for _, _, entry, encoded in read_entries(path))
    return index


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


def measure(path: Path, samples: dict[str, list[Any]]) -> dict[str, Any]:
    """Build the index of `path`, then time exact lookups of the sampled payees and
    fuzzy screening of the sampled names with one typo plus as many unlisted names."""
    started = time.perf_counter()
    index = build_index(path)
    built_s = time.perf_counter() - started
    rng = random.Random(5)
    names = [typo(n, rng) for n in samples["names"]] + [
        seller_name(rng) + " Partners" for _ in range(len(samples["names"]))
    ]
    return {
        "measured_in": MEASURED_IN,
        "index_entries": len(index),
        "index_build_s": built_s,
        "exact": exact_lookups(index, samples["payees"]),
        "fuzzy": fuzzy_names(index, names),
    }
