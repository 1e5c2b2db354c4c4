"""`screening bench`: the project's benchmarks. They and the embedded broker are imported
by the commands that run them, so the command line loads neither otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import orjson

from streams.cli.errors import friendly, settings_from_env
from streams.cli.options import rate_option
from streams.settings import Settings
from streams.velocity.rule import VelocityRule
from streams.velocity.rules_file import load_rules

# Options the benchmarks share.
json_option = click.option(
    "--json", "json_file", type=click.Path(path_type=Path), help="write results here"
)
watchlist_entries_option = click.option(
    "--watchlist-entries", type=click.IntRange(min=100), default=100_000, show_default=True
)
bootstrap_option = click.option(
    "--bootstrap", help="use this broker instead of starting one (overrides --engine)"
)
# The brokers a benchmark can start for itself (streams.benchmarks.bench_broker.ENGINES).
ENGINES = ("tansu", "kafka")
ENGINE_HELP = (
    "the broker the benchmark starts: tansu (embedded, memory storage) or kafka (a "
    "one-node Apache Kafka, needs java and mvn)"
)
engine_option = click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="tansu",
    show_default=True,
    help=ENGINE_HELP,
)
rules_option = click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path),
    help="velocity rules in force during the run (e.g. deploy/rules/default.yaml)",
)


def rules_in(rules_file: Path | None) -> tuple[VelocityRule, ...]:
    """The rules of --rules, none without it."""
    return tuple(load_rules(rules_file)) if rules_file is not None else ()


@click.group(invoke_without_command=True)
@json_option
@click.option("--payments", type=click.IntRange(min=1000), default=60_000, show_default=True)
@watchlist_entries_option
@click.option("--workers", type=click.IntRange(min=1, max=16), default=1, show_default=True)
@rate_option(2000.0, 1, "offered payments/s for the latency phase")
@click.option(
    "--latency-seconds",
    type=click.FloatRange(min=1),
    default=15.0,
    show_default=True,
    help="how long the latency phase offers payments",
)
@bootstrap_option
@click.option(
    "--engine",
    type=click.Choice([*ENGINES, "both"]),
    default="tansu",
    show_default=True,
    help=ENGINE_HELP + "; both: the whole benchmark on tansu, then on kafka, side by side",
)
@rules_option
@click.pass_context
@friendly
def bench(
    ctx: click.Context,
    json_file: Path | None,
    payments: int,
    watchlist_entries: int,
    workers: int,
    rate: float,
    latency_seconds: float,
    bootstrap: str | None,
    engine: str,
    rules_file: Path | None,
) -> None:
    """The screening benchmark (throughput against stock Faust and the raw client,
    latency, CPU, memory); `bench watchlist` measures the watchlist at scale, `bench soak`
    a long run. Each starts a broker of --engine unless --bootstrap is given."""
    if ctx.invoked_subcommand is not None:
        return
    if engine == "both" and bootstrap:
        raise click.UsageError("--engine both starts both brokers; it cannot use --bootstrap")
    from streams.benchmarks import pipeline
    from streams.benchmarks.bench_config import BenchConfig

    config = BenchConfig(
        payments=payments,
        watchlist=watchlist_entries,
        workers=workers,
        offered_rate=rate,
        latency_seconds=latency_seconds,
        rules=rules_in(rules_file),
    )
    if engine == "both":
        results = {
            e: run_on_broker(e, None, lambda s: pipeline.run(s, config, progress)) for e in ENGINES
        }
        print_side_by_side(results)
        write_json(json_file, {"engines": list(ENGINES), **results})
        return
    result = run_on_broker(engine, bootstrap, lambda s: pipeline.run(s, config, progress))
    print_pipeline_table(result)
    write_json(json_file, result)


def progress(message: str) -> None:
    """Benchmark progress on stderr (the table goes to stdout)."""
    click.echo(message, err=True)


def run_on_broker(
    engine: str, bootstrap: str | None, benchmark: Callable[[Settings], dict[str, Any]]
) -> dict[str, Any]:
    """Run a benchmark against --bootstrap, or a broker of `engine` started for it."""
    from streams.benchmarks import bench_broker

    return bench_broker.run_on_broker(settings_from_env(), engine, bootstrap, benchmark, progress)


def write_json(path: Path | None, result: dict[str, Any]) -> None:
    """Write the results, if asked to."""
    if path is not None:
        path.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")


def print_pipeline_table(result: dict[str, Any]) -> None:
    """The figures of one run against the targets."""
    click.echo(f"broker: {broker_name(result['broker'])}")
    click.echo(f"workers: {result['workers']}, watchlist: {result['watchlist_entries']:,}")
    for label, value, target in pipeline_rows(result):
        click.echo(f"{label:<26}{value:>22}   {target}")
    spans = result["latency_spans"]
    click.echo(f"latency spans: from {spans['from']}\n               to {spans['to']}")


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


def broker_name(broker: dict[str, Any]) -> str:
    """What the run's broker was, in a few words."""
    if broker["engine"] == "external":
        return f"external, {broker['bootstrap']}"
    if broker["engine"] == "kafka":
        return f"Apache Kafka {broker['version']}, {broker['nodes']} node"
    return "tansu (embedded), memory storage"


def pipeline_rows(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, target) of every figure of one run."""
    latency, stamped = result["latency_ms"], result["latency_record_timestamps_ms"]
    return [
        ("payments decided", f"{result['decided']:,} / {result['events']:,}", "all"),
        ("screening", f"{result['screening_eps']:,.0f} /s", ">= 20,000 /s"),
        ("stock Faust baseline", f"{result['faust_baseline_eps']:,.0f} /s", ""),
        ("screening / Faust", f"{result['speedup_vs_faust']:.2f} x", ">= 5 x"),
        ("raw client ceiling", f"{result['raw_ceiling_eps']:,.0f} /s", ""),
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


@bench.command("watchlist")
@click.option(
    "--entries", "count", type=click.IntRange(min=1000), default=1_000_000, show_default=True
)
@bootstrap_option
@engine_option
@json_option
@friendly
def watchlist(count: int, bootstrap: str | None, engine: str, json_file: Path | None) -> None:
    """Load, restart, memory and lookup figures for a watchlist of COUNT entries (a
    quarter of them names)."""
    from streams.benchmarks import watchlist_scale

    result = run_on_broker(engine, bootstrap, lambda s: watchlist_scale.run(s, count, progress))
    print_table(result)
    write_json(json_file, result)


def print_table(result: dict[str, Any]) -> None:
    """The figures against the targets, then what they span and where they were taken."""
    from streams.benchmarks.watchlist_scale import table_notes, table_rows

    for label, value, target in table_rows(result):
        click.echo(f"{label:<44}{value:>22}   {target}")
    for note in table_notes(result):
        click.echo(note)


def lag_pair(result: dict[str, Any], name: str) -> str:
    """A soak's largest lag over the whole run and after the warm-up."""
    return f"{result[name]:,.0f} / {result[name + '_after_warmup']:,.0f} after warm-up"


def latency_triple(latency: dict[str, float]) -> str:
    """p50 / p95 / p99 in milliseconds."""
    return f"{latency['p50']:.0f} / {latency['p95']:.0f} / {latency['p99']:.0f} ms"


@bench.command("soak")
@click.option("--minutes", type=click.FloatRange(min=0.5), default=10.0, show_default=True)
@rate_option(1000.0, 10, "offered payments/s")
@watchlist_entries_option
@rules_option
@bootstrap_option
@engine_option
@json_option
@friendly
def soak_command(
    minutes: float,
    rate: float,
    watchlist_entries: int,
    rules_file: Path | None,
    bootstrap: str | None,
    engine: str,
    json_file: Path | None,
) -> None:
    """One worker under a steady load for MINUTES: its memory after the warm-up (the
    first fifth) against the end, its consumer lag and decision latency over the run, and
    every payment decided exactly once."""
    from streams.benchmarks import soak

    config = soak.SoakConfig(
        minutes=minutes,
        rate=rate,
        watchlist=watchlist_entries,
        rules=rules_in(rules_file),
    )
    result = run_on_broker(engine, bootstrap, lambda s: soak.run(s, config, progress))
    rows = [
        ("broker", broker_name(result["broker"]), ""),
        ("payments offered", f"{result['offered']:,} at {result['offered_eps']:,.0f} /s", ""),
        ("decided exactly once", f"{result['decided_once']:,}", "all"),
        ("decided more than once", f"{result['decided_more_than_once']:,}", "0"),
        ("undecided", f"{result['undecided']:,}", "0"),
        ("memory after warm-up", f"{result['rss_after_warmup_mb']:.0f} MiB", ""),
        ("memory at the end", f"{result['rss_end_mb']:.0f} MiB", ""),
        ("growth after warm-up", f"{result['growth_after_warmup_mb']:+.1f} MiB", "none"),
        ("slope after warm-up", f"{result['slope_mb_per_min']:+.2f} MiB/min", "~0"),
        ("max consumer lag", lag_pair(result, "max_consumer_lag"), "bounded"),
        ("max offered, undecided", lag_pair(result, "max_undecided_backlog"), "bounded"),
        ("latency p50 / p95 / p99", latency_triple(result["latency_ms"]), "after warm-up"),
        ("  whole run", latency_triple(result["latency_all_ms"]), ""),
    ]
    for label, value, target in rows:
        click.echo(f"{label:<26}{value:>32}   {target}")
    spans = result["latency_spans"]
    click.echo(f"latency spans: from {spans['from']}\n               to {spans['to']}")
    write_json(json_file, result)
