"""`screening report routes`: how listed sellers move between payment systems."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import orjson

from streams.cli.errors import friendly, settings_from_env
from streams.kafka import admin, topics
from streams.kafka.client import read
from streams.reports import routes


@click.group()
def report() -> None:
    """Reports for coalition analysts."""


@report.command("routes")
@click.option(
    "--input",
    "inputs",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="JSON Lines export of alerts (repeatable); default: the alerts topic",
)
@click.option("--png", "png", type=click.Path(path_type=Path), help="also write a chart here")
@friendly
def routes_command(inputs: tuple[Path, ...], png: Path | None) -> None:
    """Per payment method and week: blocked and held payments, newly linked identifiers."""
    try:
        report_data = routes.build(_alerts(inputs))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(routes.format_table(report_data))
    if png is not None:
        routes.write_png(report_data, png)
        click.echo(f"chart written to {png}", err=True)


def _alerts(inputs: tuple[Path, ...]) -> Iterator[dict[str, Any]]:
    if inputs:
        for path in inputs:
            yield from routes.read_alerts(path)
        return
    settings = settings_from_env()
    admin.wait_for_broker(settings, timeout_s=15)
    for record in read(settings, [topics.ALERTS], idle_timeout_s=3.0, total_timeout_s=600.0):
        if record.value:
            document = orjson.loads(record.value)
            if isinstance(document, dict):
                yield document
