"""`screening bench`: the project's benchmarks. They and the embedded broker are imported
by the commands that run them, so the command line loads neither otherwise."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import orjson

from streams.cli.bench_tables import broker_name, print_pipeline_table, print_side_by_side
from streams.cli.errors import friendly, settings_from_env
from streams.cli.options import rate_option
from streams.settings import Settings
from streams.velocity.rule import VelocityRule
from streams.velocity.rules_file import load_rules

T = TypeVar("T")


def parsed(parse: Callable[[str], T], text: str, option: str) -> T:
    """An option's value parsed by `parse`; a usage error naming the option if it fails."""
    try:
        return parse(text)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=option) from error


def quick_sizes(ctx: click.Context, sizes: dict[str, float]) -> dict[str, float]:
    """`sizes` with QUICK's value for each one left at its default."""
    return {
        name: QUICK[name]
        if ctx.get_parameter_source(name) == click.core.ParameterSource.DEFAULT
        else value
        for name, value in sizes.items()
    }


# What --quick runs, where the option is not given: one small backlog, a short latency
# phase at a low rate (a bounded run for the integration tests).
QUICK = {"payments": 1000, "watchlist_entries": 1000, "rate": 200.0, "latency_seconds": 3.0}
QUICK_HELP = "1,000 payments and entries, 200/s for 3 s"


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
@click.option(
    "--workers",
    "worker_counts",
    default="1,2",
    show_default=True,
    help="worker counts, each in one group (one worker is always run: the reference; the "
    "largest gives the headline figures)",
)
@rate_option(2000.0, 1, "offered payments/s of the headline latency (latency_ms)")
@click.option(
    "--rates",
    "loads",
    default="50%,80%",
    show_default=True,
    help="further loads offered to each worker count: N payments/s or P% of the saturation "
    "rate it measured; none for no more",
)
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
@click.option(
    "--quix/--no-quix",
    default=True,
    show_default=True,
    help="compare with a Quix Streams passthrough (its own virtualenv, made on first use)",
)
@click.option(
    "--quick",
    is_flag=True,
    help=f"a small run for tests: {QUICK_HELP}, unless given",
)
@click.pass_context
@friendly
def bench(
    ctx: click.Context,
    json_file: Path | None,
    payments: int,
    watchlist_entries: int,
    worker_counts: str,
    rate: float,
    loads: str,
    latency_seconds: float,
    bootstrap: str | None,
    engine: str,
    rules_file: Path | None,
    quix: bool,
    quick: bool,
) -> None:
    """The screening benchmark (throughput against stock Faust, the raw client and Quix
    Streams; latency at loads, CPU and memory, for one worker and more); `bench watchlist`
    measures the watchlist at scale, `bench soak` a long run. Each starts a broker of
    --engine unless --bootstrap is given."""
    if ctx.invoked_subcommand is not None:
        return
    if engine == "both" and bootstrap:
        raise click.UsageError("--engine both starts both brokers; it cannot use --bootstrap")
    from streams.benchmarks import pipeline
    from streams.benchmarks.bench_config import BenchConfig
    from streams.benchmarks.load_schedule import parse_loads, parse_worker_counts

    counts = parsed(parse_worker_counts, worker_counts, "--workers")
    sizes = {
        "payments": payments,
        "watchlist_entries": watchlist_entries,
        "rate": rate,
        "latency_seconds": latency_seconds,
    }
    if quick:
        sizes = quick_sizes(ctx, sizes)
    config = BenchConfig(
        payments=int(sizes["payments"]),
        watchlist=int(sizes["watchlist_entries"]),
        workers=max(counts),
        worker_counts=counts,
        offered_rate=sizes["rate"],
        latency_seconds=sizes["latency_seconds"],
        rules=rules_in(rules_file),
        loads=parsed(parse_loads, loads, "--rates"),
        quix=quix,
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
