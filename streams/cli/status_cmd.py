"""`screening status`: a one-screen summary of running workers, read from their /metrics."""

from __future__ import annotations

import sys
import time

import click
import orjson

from streams.ops.metrics_scrape import DEFAULT_URL, Scrape, StatusError, scrape
from streams.ops.status_render import as_json, render
from streams.ops.status_summary import summarise


@click.command()
@click.option(
    "--url",
    "urls",
    multiple=True,
    default=[DEFAULT_URL],
    show_default=True,
    help="a worker's metrics URL; repeat for every worker",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1, max=60),
    default=1.0,
    show_default=True,
    help="seconds between the two scrapes that give rates",
)
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True)
@click.option("--json", "as_json_output", is_flag=True, help="print the summary as JSON")
def status(urls: tuple[str, ...], interval: float, timeout: float, as_json_output: bool) -> None:
    """Per member decided counts and rates, lag per topic, watchlist version and age,
    rules loaded and dead letters, from every worker given with --url. Exits 1 when a
    worker cannot be reached (after printing what the others report)."""
    first: dict[str, Scrape] = {}
    down: list[str] = []
    for url in dict.fromkeys(urls):
        try:
            first[url] = scrape(url, timeout)
        except StatusError as exc:
            down.append(str(exc))
    if not first:
        raise click.ClickException("; ".join(down))
    time.sleep(interval)
    pairs: list[tuple[Scrape, Scrape]] = []
    for url, earlier in first.items():
        try:
            pairs.append((earlier, scrape(url, timeout)))
        except StatusError as exc:
            down.append(str(exc))
    if not pairs:
        raise click.ClickException("; ".join(down))
    summary = summarise([a for a, _ in pairs], [b for _, b in pairs], time.time())
    if as_json_output:
        sys.stdout.buffer.write(orjson.dumps(as_json(summary, down), option=orjson.OPT_INDENT_2))
        sys.stdout.buffer.write(b"\n")
    else:
        click.echo(render(summary, down))
    for reason in down:
        click.echo(f"Error: {reason}", err=True)
    if down:
        sys.exit(1)
