"""Entry point of the `screening` console script."""

from __future__ import annotations

import click

from streams.cli import (
    acl_cmd,
    backtest_cmd,
    bench_cmd,
    broker_cmd,
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


cli.add_command(demo_cmd.demo)
cli.add_command(broker_cmd.broker)
cli.add_command(worker_cmd.worker)
cli.add_command(watchlist_cmd.watchlist)
cli.add_command(screen_cmd.screen)
cli.add_command(produce_cmd.produce)
cli.add_command(tail_cmd.tail)
cli.add_command(report_cmd.report)
cli.add_command(status_cmd.status)
cli.add_command(bench_cmd.bench)
cli.add_command(acl_cmd.acl)
cli.add_command(rules_cmd.rules)
cli.add_command(backtest_cmd.backtest_cmd, name="backtest")


def main() -> None:
    """Run the command line."""
    cli(prog_name="screening")


if __name__ == "__main__":
    main()
