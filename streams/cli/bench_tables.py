"""The terminal tables of `screening bench`: the figures of one run against their targets,
the runs on each engine side by side, and each worker count's figures (`scale_table`)."""

from __future__ import annotations

from typing import Any

import click


def print_pipeline_table(result: dict[str, Any]) -> None:
    """The figures of one run against the targets."""
    click.echo(f"broker: {broker_name(result['broker'])}")
    click.echo(f"workers: {result['workers']}, watchlist: {result['watchlist_entries']:,}")
    for label, value, target in pipeline_rows(result):
        click.echo(f"{label:<26}{value:>22}   {target}")
    spans = result["latency_spans"]
    click.echo(f"latency spans: from {spans['from']}\n               to {spans['to']}")
    print_scale(result)


def print_scale(result: dict[str, Any]) -> None:
    """The figures of each worker count side by side, when the run has them."""
    from streams.benchmarks.scale_table import scale_lines

    if result.get("scale"):
        click.echo("")
        for line in scale_lines(result["scale"]):
            click.echo(line)


def print_side_by_side(results: dict[str, dict[str, Any]]) -> None:
    """The figures of the runs on each engine (one command, one after the other), a column
    each, against the targets; then what each engine's latency spans."""
    first = next(iter(results.values()))
    click.echo(f"workers: {first['workers']}, watchlist: {first['watchlist_entries']:,}")
    header = "".join(f"{engine:>24}" for engine in results)
    click.echo(f"{'figure':<26}{header}   target")
    columns = [pipeline_rows(r) for r in results.values()]
    for cells in zip(*columns, strict=True):
        values = "".join(f"{value:>24}" for _, value, _ in cells)
        click.echo(f"{cells[0][0]:<26}{values}   {cells[0][2]}")
    for engine, result in results.items():
        spans = result["latency_spans"]
        click.echo(f"{engine} ({broker_name(result['broker'])}) latency spans:")
        click.echo(f"  from {spans['from']}\n  to   {spans['to']}")
    for engine, result in results.items():
        click.echo(f"\n{engine} ({broker_name(result['broker'])}), by worker count:")
        print_scale(result)


def broker_name(broker: dict[str, Any]) -> str:
    """What the run's broker was, in a few words."""
    if broker["engine"] == "external":
        return f"external, {broker['bootstrap']}"
    if broker["engine"] == "kafka":
        return f"Apache Kafka {broker['version']}, {broker['nodes']} node"
    return "tansu (embedded), memory storage"


def pipeline_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, target) of every figure of one run."""
    from streams.benchmarks.scale_table import quix_rows

    latency, stamped = result["latency_ms"], result["latency_record_timestamps_ms"]
    return [
        ("payments decided", f"{result['decided']:,} / {result['events']:,}", "all"),
        ("screening", f"{result['screening_eps']:,.0f} /s", ">= 20,000 /s"),
        ("stock Faust baseline", f"{result['faust_baseline_eps']:,.0f} /s", ""),
        ("screening / Faust", f"{result['speedup_vs_faust']:.2f} x", ">= 5 x"),
        ("raw client ceiling", f"{result['raw_ceiling_eps']:,.0f} /s", ""),
        ("screening / raw client", ratio_text(result.get("screening_vs_raw_ceiling")), ">= 0.125"),
        *quix_rows(result),
        *scaling_rows(result),
        (
            f"latency p50 @ {result['latency_offered_eps']:,.0f}/s",
            f"{latency['p50']:.1f} ms",
            "<= 5 ms",
        ),
        ("latency p95", f"{latency['p95']:.1f} ms", ""),
        ("latency p99", f"{latency['p99']:.1f} ms", "<= 35 ms"),
        (
            "record timestamps p50/p99",
            f"{stamped['p50']:.1f} / {stamped['p99']:.1f} ms",
            "",
        ),
        ("CPU per payment", f"{result['cpu_ms_per_payment']:.3f} ms", ""),
        *rule_cost_rows(result),
        ("peak worker memory", f"{result['peak_memory_mb']:.0f} MiB", ""),
        *update_rows(result["updates"]),
        *masking_rows(result["masking"]),
    ]


def ratio_text(value: float | None) -> str:
    """A ratio to three places, n/a when it was not measured."""
    return "n/a" if value is None else f"{value:.3f}"


def update_rows(updates: dict[str, Any]) -> list[tuple[str, str, str]]:
    """How long each change took to reach a decision (see its spans in the JSON)."""

    def shown(name: str) -> str:
        ms = updates[name]["ms"]
        return "not seen" if ms is None else f"{ms:,.0f} ms"

    return [
        ("watchlist entry to block", shown("watchlist_add"), "was <= 1 s"),
        ("revocation to unblock", shown("watchlist_revoke"), "was <= 1 s"),
        ("velocity rule to hold", shown("velocity_rule"), "was <= 2 s"),
    ]


def masking_rows(masking: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Card masking speed, typical and card-heavy payments."""
    return [
        (
            f"masking {kind.replace('_', '-')}",
            f"{masking[kind]['mb_per_s']:,.1f} MB/s {masking[kind]['payments_per_s']:,.0f}/s",
            "",
        )
        for kind in ("typical", "card_heavy")
    ]


def rule_cost_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The same run without rules and what the rules add, in runs with rules."""
    if result["rule_cost"] is None:
        return []
    return [
        ("without rules, same run", f"{result['no_rules_eps']:,.0f} /s", ""),
        ("CPU without rules", f"{result['no_rules_cpu_ms_per_payment']:.3f} ms", ""),
        ("CPU added by the rules", f"{100 * result['rule_cost']:+.0f} %", "<= 30 %"),
    ]


def scaling_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The one-worker reference and the scaling, in runs with several workers."""
    if result["one_worker_eps"] is None:
        return []
    return [
        ("one worker, same run", f"{result['one_worker_eps']:,.0f} /s", ""),
        (
            f"scaling ({result['workers']} / 1 workers)",
            f"{result['scaling_vs_one_worker']:.2f} x",
            "",
        ),
    ]
