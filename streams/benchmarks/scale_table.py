"""The terminal table of `screening bench`'s Quix Streams comparison and of its worker
counts: a row per figure, a column per worker count, each ratio next to what it compares.
Pure formatting of the `--json` figures."""

from __future__ import annotations

from typing import Any

# The targets of issue 19, shown beside the figures they apply to.
TARGETS = {
    "screening / stock Faust": ">= 5 x",
    "screening / raw ceiling": ">= 0.125",
    "screening / Quix Streams": "> 1 x",
    "CPU / one worker's": "<= 1.25 x",
}


def times(value: float | None, digits: int = 2) -> str:
    """A ratio as "0.85 x", "n/a" when it was not measured."""
    return "n/a" if value is None else f"{value:.{digits}f} x"


def quix_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, target) rows of the Quix Streams comparison; one row saying why when
    it did not run."""
    if result.get("quix_eps") is None:
        reason = result.get("quix_unavailable_reason") or "not run"
        return [("Quix Streams passthrough", "n/a", reason)]
    return [
        ("Quix Streams passthrough", f"{result['quix_eps']:,.0f} /s", ""),
        ("Quix CPU per record", f"{result['quix_cpu_us_per_record']:.0f} us", ""),
        ("screening / Quix Streams", times(result["screening_vs_quix"]), "> 1 x"),
    ]


def latency_cell(load: dict[str, Any]) -> str:
    """A load's latency as "1,750/s 3 / 9 / 21 ms", or why it was skipped."""
    if "skipped" in load:
        return "skipped"
    latency = load["latency_ms"]
    quantiles = f"{latency['p50']:,.0f} / {latency['p95']:,.0f} / {latency['p99']:,.0f}"
    undecided = load["offered"] - load["decided"]
    missing = f" ({undecided:,} undecided)" if undecided else ""
    return f"{load['offered_eps']:,.0f}/s: {quantiles} ms{missing}"


def scale_rows(scale: list[dict[str, Any]]) -> list[tuple[str, list[str], str]]:
    """(label, a cell per worker count, target) rows: throughput, CPU, the ratios, then
    each load's latency p50 / p95 / p99."""
    rows: list[tuple[str, list[str], str]] = [
        ("payments decided", [f"{c['decided']:,} / {c['events']:,}" for c in scale], "all"),
        ("screening (saturation)", [f"{c['screening_eps']:,.0f} /s" for c in scale], ""),
        ("CPU per payment", [f"{c['cpu_ms_per_payment']:.3f} ms" for c in scale], ""),
        ("CPU / one worker's", [times(c["cpu_vs_one_worker"]) for c in scale], ""),
        ("screening / stock Faust", [times(c["vs_faust"]) for c in scale], ""),
        ("screening / raw ceiling", [times(c["vs_raw_ceiling"], 3) for c in scale], ""),
        ("screening / Quix Streams", [times(c["vs_quix"]) for c in scale], ""),
        ("peak worker memory", [f"{c['peak_memory_mb']:,.0f} MiB" for c in scale], ""),
    ]
    rows = [(label, cells, TARGETS.get(label, target)) for label, cells, target in rows]
    for i, load in enumerate(scale[0]["loads"]):
        label = f"p50/95/99 @ {load['load']}"
        rows.append((label, [latency_cell(c["loads"][i]) for c in scale], latency_target(i)))
    return rows


def latency_target(index: int) -> str:
    """The latency target applies to the fixed rate (the first load)."""
    return "p50 <= 5, p99 <= 35 ms" if index == 0 else ""


def scale_lines(scale: list[dict[str, Any]]) -> list[str]:
    """The worker-count table, header first, as lines of text."""
    rows = scale_rows(scale)
    label_width = max(len(label) for label, _, _ in rows) + 2
    width = max(14, *(len(cell) + 2 for _, cells, _ in rows for cell in cells))
    names = [f"{c['workers']} worker{'s' if c['workers'] > 1 else ''}" for c in scale]
    lines = [f"{'':<{label_width}}" + "".join(f"{n:>{width}}" for n in names) + "   target"]
    for label, cells, target in rows:
        lines.append(
            f"{label:<{label_width}}" + "".join(f"{c:>{width}}" for c in cells) + f"   {target}"
        )
    return lines
