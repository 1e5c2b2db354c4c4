"""`screening broker`: a Kafka-protocol broker in the foreground: the embedded one (Tansu,
from the `tools` extra) or Apache Kafka (jars fetched by Maven, run by Java), alone or as a
supervised three-node cluster. Imported when the command runs."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import FrameType

import click

from streams.cli.errors import friendly, settings_from_env

# How often the supervisor looks for a dead node: a killed broker is back within seconds.
SUPERVISE_INTERVAL_S = 0.5


@click.command()
@click.option(
    "--engine",
    type=click.Choice(["tansu", "kafka"]),
    default="tansu",
    show_default=True,
    help="tansu: embedded, memory storage, no Java; kafka: Apache Kafka (needs java and mvn)",
)
@click.option("--listen", default="127.0.0.1:9092", show_default=True, help="HOST:PORT")
@click.option(
    "--nodes",
    type=click.IntRange(1, 9),
    default=1,
    show_default=True,
    help="kafka: brokers on PORT, PORT+1, ..., supervised (a dead one is started again)",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="kafka: keep the log here across restarts (default: a temporary directory)",
)
@click.option(
    "--secure",
    type=click.Path(file_okay=False, path_type=Path),
    help="kafka: SASL_SSL (SCRAM-SHA-512) with a private CA and an ACL authorizer; the super "
    "user's client settings in DIR/admin.json",
)
@friendly
def broker(
    engine: str, listen: str, nodes: int, data_dir: Path | None, secure: Path | None
) -> None:
    """Run a Kafka-protocol broker in the foreground until Ctrl-C or SIGTERM."""
    from streams.kafka.embedded_broker import parse_listen

    try:
        host, port = parse_listen(listen)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--listen") from None
    if engine == "tansu":
        in_memory = "tansu runs one node in memory"
        for name, given, why in (
            ("--nodes", nodes != 1, in_memory),
            ("--data-dir", data_dir is not None, in_memory),
            ("--secure", secure is not None, "the embedded broker runs without SASL and ACLs"),
        ):
            if given:
                raise click.UsageError(f"{name} needs --engine kafka ({why})")
        run_tansu(host, port)
    else:
        run_kafka(host, port, nodes, data_dir, secure)


def run_tansu(host: str, port: int) -> None:
    """Replace this process with the embedded broker."""
    from streams.kafka.embedded_broker import broker_command

    command = broker_command(host, port, settings_from_env().broker_bin)
    click.echo(f"broker listening on {host}:{port} (tansu, memory storage; Ctrl-C stops)", err=True)
    try:
        os.execv(command[0], command)
    except OSError as exc:
        raise click.ClickException(f"cannot run broker {command[0]}: {exc}") from None


def run_kafka(
    host: str, port: int, nodes: int, data_dir: Path | None, secure: Path | None = None
) -> None:
    """Start Apache Kafka, report it ready, supervise its nodes until told to stop."""
    from streams.kafka.kafka_cluster import KafkaCluster
    from streams.kafka.kafka_runtime import kafka_version

    def echo(line: str) -> None:
        click.echo(line, err=True)

    cluster = KafkaCluster(host, port, nodes, data_dir, progress=echo)
    admin_file = None
    if secure is not None:
        from streams.kafka import secure_profile

        admin_file = secure_profile.configure(cluster, secure_profile.prepare(secure, host))
    _interrupt_on_sigterm()
    started = time.monotonic()
    try:
        cluster.start()
        where = cluster.data_dir if data_dir else f"{cluster.data_dir} (temporary)"
        echo(
            f"broker listening on {cluster.bootstrap_servers} (Apache Kafka {kafka_version()}, "
            f"{nodes} node{'s' if nodes > 1 else ''}, ready in {time.monotonic() - started:.1f}s;"
            f" data in {where}; Ctrl-C stops)"
        )
        if admin_file is not None:
            echo(
                "SASL_SSL (SCRAM-SHA-512), ACL authorizer (denies what no ACL allows); "
                f"super user settings in {admin_file}"
            )
        for node in cluster.nodes:
            echo(f"node {node.node_id} on {node.address} pid {cluster.pids()[node.node_id]}")
        while True:
            for node, code, pid in cluster.restart_dead():
                echo(
                    f"node {node.node_id} on {node.address} exited (code {code}); "
                    f"started again as pid {pid}"
                )
            time.sleep(SUPERVISE_INTERVAL_S)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    finally:
        if cluster.processes:
            echo("stopping Apache Kafka")
        cluster.stop()


def _interrupt_on_sigterm() -> None:
    """SIGTERM stops the command as Ctrl-C does (once: stopping is not interrupted)."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handle)
