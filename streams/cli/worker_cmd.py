"""`screening worker`: a screening worker against KAFKA_BOOTSTRAP_SERVERS."""

from __future__ import annotations

import click

from streams.cli.errors import one_line_errors, settings_from_env
from streams.worker.run import run_worker


@click.command()
@click.option(
    "--loglevel",
    type=click.Choice(["crit", "error", "warn", "info", "debug"]),
    default="warn",
    show_default=True,
)
def worker(loglevel: str) -> None:
    """Run a screening worker (configuration from the environment)."""
    settings = settings_from_env()
    with one_line_errors():
        run_worker(settings, loglevel)
