"""`screening bench`: the project's benchmarks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import click
import orjson

from streams.benchmarks import watchlist_scale
from streams.broker import EmbeddedBroker
from streams.cli.errors import friendly, settings_from_env


@click.group()
def bench() -> None:
    """Benchmarks (each starts an embedded broker unless --bootstrap is given)."""


@bench.command("watchlist")
@click.option(
    "--entries", "count", type=click.IntRange(min=1000), default=1_000_000, show_default=True
)
@click.option("--bootstrap", help="use this broker instead of an embedded one")
@click.option("--json", "json_file", type=click.Path(path_type=Path), help="write results here")
@friendly
def watchlist(count: int, bootstrap: str | None, json_file: Path | None) -> None:
    """Load, restart, memory and lookup figures for a watchlist of COUNT entries (a
    quarter of them names)."""
    settings = settings_from_env()

    def progress(message: str) -> None:
        click.echo(message, err=True)

    if bootstrap:
        result = watchlist_scale.run(
            replace(settings, bootstrap_servers=bootstrap), count, progress
        )
    else:
        with EmbeddedBroker() as broker:
            configured = replace(settings, bootstrap_servers=broker.bootstrap_servers)
            result = watchlist_scale.run(configured, count, progress)
    print_table(result)
    if json_file is not None:
        json_file.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")


def print_table(result: dict[str, object]) -> None:
    """The figures against the targets."""
    first, restart = result["first_start"], result["restart"]
    assert isinstance(first, dict) and isinstance(restart, dict)
    rows = [
        ("entries", f"{result['entries']:,}", ""),
        ("load (validate + publish)", f"{result['load_s']:.1f} s", "< 60 s"),
        ("first start ready", f"{first['ready_s']:.1f} s", ""),
        ("restart ready", f"{restart['ready_s']:.1f} s", "< 30 s"),
        ("worker memory (RSS)", f"{restart['rss_mb']:.0f} MiB", "< 2048 MiB"),
        (
            "exact lookup p50 / p99",
            f"{restart['exact']['p50_us']:.1f} / {restart['exact']['p99_us']:.1f} us",
            "microseconds",
        ),
        ("fuzzy names per second", f"{restart['fuzzy']['names_per_s']:,.0f}", ">= 5,000"),
        (
            "fuzzy p50 / p99",
            f"{restart['fuzzy']['p50_ms']:.3f} / {restart['fuzzy']['p99_ms']:.3f} ms",
            "p99 < 1 ms",
        ),
    ]
    for label, value, target in rows:
        click.echo(f"{label:<28}{value:>22}   {target}")
