"""`screening broker`: the embedded Kafka-protocol broker in the foreground (imported when
the command runs: the broker binary comes with the `tools` extra)."""

from __future__ import annotations

import os

import click

from streams.cli.errors import friendly, settings_from_env


@click.command()
@click.option("--listen", default="127.0.0.1:9092", show_default=True, help="HOST:PORT")
@friendly
def broker(listen: str) -> None:
    """Run the embedded Kafka-compatible broker (memory storage) in the foreground."""
    from streams.kafka.embedded_broker import broker_command, parse_listen

    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from None
    command = broker_command(host, port, settings_from_env().broker_bin)
    click.echo(f"broker listening on {host}:{port} (memory storage; Ctrl-C stops)", err=True)
    try:
        os.execv(command[0], command)
    except OSError as exc:
        raise click.ClickException(f"cannot run broker {command[0]}: {exc}") from None
