"""Entry point of the `screening` console script."""

from __future__ import annotations

import click

from streams.cli import (
    acl_cmd,
    backtest_cmd,
    bench_cmd,
    broker_cmd,
    console_cmd,
    demo_cmd,
    produce_cmd,
    report_cmd,
    rules_cmd,
    screen_cmd,
    status_cmd,
    tail_cmd,
    watchlist_cmd,
    worker_cmd,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Coalition payee screening: allow, hold or block every payment."""


for command in (
    demo_cmd.demo,
    broker_cmd.broker,
    console_cmd.console,
    worker_cmd.worker,
    watchlist_cmd.watchlist,
    screen_cmd.screen,
    produce_cmd.produce,
    tail_cmd.tail,
    report_cmd.report,
    status_cmd.status,
    bench_cmd.bench,
    acl_cmd.acl,
    rules_cmd.rules,
):
    cli.add_command(command)
cli.add_command(backtest_cmd.backtest_cmd, name="backtest")


def main() -> None:
    """Run the command line."""
    cli(prog_name="screening")


if __name__ == "__main__":
    main()
