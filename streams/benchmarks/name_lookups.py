"""Uncached fuzzy name lookups against a large list of names, in this process, on the
worker's name index code: 248,712 made-up seller names plus the 1,288 listed real
organisation names of the name evaluation (tests/data/names), 250,000 in all. Queries:
2,500 listed names with one typo, 2,500 unlisted made-up names, 500 listed real names
with one typo and 1,500 unlisted real names; canonicalisation included, caches cleared.

Run: PYTHONPATH=. python -m streams.benchmarks.name_lookups
"""

from __future__ import annotations

import json
import random
import statistics
import time
from pathlib import Path

from streams.benchmarks.entries import seller_name
from streams.benchmarks.measure import percentile
from streams.benchmarks.watchlist_lookups import NAME_THRESHOLD, typo
from streams.model import canonical
from streams.watchlist.name_index import NameIndex

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "names"
LIST_SIZE = 250_000


def measure() -> dict[str, float]:
    """Build the index, then time each query's canonicalisation and search."""
    rng = random.Random(7)
    lines = (DATA / "listed.jsonl").read_text(encoding="utf-8").splitlines()
    real = [str(json.loads(line)["name"]) for line in lines if line.strip()]
    names = [seller_name(rng) for _ in range(LIST_SIZE - len(real))] + real
    index = NameIndex()
    started = time.perf_counter()
    for i, name in enumerate(names):
        for variant in canonical.name_variants(name):
            index.add(f"e{i}", variant, name)
    built = time.perf_counter() - started
    unlisted = (DATA / "unlisted.txt").read_text(encoding="utf-8").splitlines()
    q = random.Random(5)
    queries = [typo(n, q) for n in q.sample(names, 2500)]
    queries += [seller_name(q) + " Partners" for _ in range(2500)]
    queries += [typo(n, q) for n in q.sample(real, 500)] + unlisted[:1500]
    canonical.name_variants.cache_clear()
    times = []
    started = time.perf_counter()
    for query in queries:
        one = time.perf_counter()
        for variant in canonical.name_variants(query):
            index.search(variant, NAME_THRESHOLD)
        times.append(time.perf_counter() - one)
    total = time.perf_counter() - started
    return {
        "names": len(index),
        "build_s": built,
        "names_per_s": len(queries) / total,
        "p50_ms": statistics.median(times) * 1e3,
        "p99_ms": percentile(times, 0.99) * 1e3,
    }


if __name__ == "__main__":
    print(json.dumps(measure(), indent=1))
