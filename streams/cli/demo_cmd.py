"""`screening demo`: the whole pipeline on the embedded broker, end to end. The broker is
imported when the demo runs (it needs the `tools` extra)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import orjson
from tqdm import tqdm

from streams.cli.errors import friendly, settings_from_env
from streams.kafka import admin, topics
from streams.kafka.child_process import terminate
from streams.kafka.client import produce_all, producer, read
from streams.offline import synthetic
from streams.settings import Settings
from streams.watchlist.file import read_entries

SAMPLE_WATCHLIST = Path(__file__).resolve().parents[2] / "data" / "sample-watchlist.jsonl"
DEMO_MEMBERS = ("acme-bank", "northpay", "cardco")
MALFORMED = (b"{not json", b'{"member_id": "acme-bank"}', b"\xff\xfe payment")
COLLECT_TIMEOUT_S = 150.0

Decisions = dict[str, dict[str, Any]]


@click.command()
@click.option("--payments", "count", type=click.IntRange(min=3), default=3000, show_default=True)
@click.option("--hit-ratio", type=click.FloatRange(0, 1), default=0.05, show_default=True)
@click.option(
    "--watchlist",
    "watchlist_file",
    type=click.Path(path_type=Path),
    default=SAMPLE_WATCHLIST,
    show_default=True,
)
@friendly
def demo(count: int, hit_ratio: float, watchlist_file: Path) -> None:
    """Start a broker and a worker, load the sample watchlist, stream payments of three
    members, print what was decided, stop everything."""
    from streams.kafka.embedded_broker import EmbeddedBroker

    entries = list(read_entries(watchlist_file))
    documents = [document for _, document, _, _ in entries]
    payments = list(synthetic.payments(DEMO_MEMBERS, count, documents, hit_ratio))
    configured = settings_from_env()
    with (
        EmbeddedBroker(binary=configured.broker_bin) as broker,
        tempfile.TemporaryDirectory() as tmp,
    ):
        settings = replace(configured, bootstrap_servers=broker.bootstrap_servers)
        click.echo(f"broker on {broker.bootstrap_servers}")
        publish_inputs(settings, [(e.entry_id.encode(), enc) for _, _, e, enc in entries], [])
        click.echo(f"watchlist: {len(entries)} entries from {watchlist_file.name}")
        worker = start_worker(settings.bootstrap_servers, Path(tmp))
        try:
            publish_inputs(settings, [], payments)
            click.echo(f"streamed {len(payments)} payments and {len(MALFORMED)} malformed messages")
            decisions, dead = collect(settings, len(payments) + len(MALFORMED), worker)
        finally:
            terminate(worker)
    print_summary(payments, decisions, dead)
    if len(decisions) + dead != len(payments) + len(MALFORMED):
        raise click.ClickException("not every payment was decided")


def publish_inputs(
    settings: Settings,
    watchlist: Sequence[tuple[bytes | None, bytes | None]],
    payments: list[dict[str, Any]],
) -> None:
    """Create the demo's topics, publish watchlist entries, then payments and bad input."""
    client = admin.wait_for_broker(settings, timeout_s=15)
    admin.ensure_core_topics(client, settings)
    admin.ensure_member_topics(client, settings, list(DEMO_MEMBERS))
    out = producer(settings)
    if watchlist:
        produce_all(out, topics.WATCHLIST, watchlist)
    for member in DEMO_MEMBERS:
        mine = [
            (p["txn_id"].encode(), orjson.dumps(p)) for p in payments if p["member_id"] == member
        ]
        if mine:
            produce_all(out, topics.payments_topic(member), mine)
    if payments:
        bad: list[tuple[bytes | None, bytes | None]] = [(None, m) for m in MALFORMED]
        produce_all(out, topics.payments_topic(DEMO_MEMBERS[0]), bad)


def start_worker(bootstrap: str, data_dir: Path) -> subprocess.Popen[bytes]:
    """A worker child process; its log goes to data_dir/worker.log."""
    from streams.kafka.child_process import die_with_parent
    from streams.kafka.embedded_broker import free_port

    env = {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "SCREENING_WEB_PORT": str(free_port()),
        "SCREENING_DATA_DIR": str(data_dir / "state"),
        "SCREENING_APP_ID": "screening-demo",
    }
    with (data_dir / "worker.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "streams.cli.main", "worker"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )


def collect(
    settings: Settings, expected: int, worker: subprocess.Popen[bytes]
) -> tuple[Decisions, int]:
    """Read decisions and dead letters until `expected` outcomes arrived (or time out)."""
    decisions: Decisions = {}
    dead = [0]
    names = [topics.decisions_topic(m) for m in DEMO_MEMBERS] + [topics.DLQ_PAYMENTS]
    started = time.monotonic()
    with tqdm(total=expected, desc="decided", unit=" payments") as bar:
        for record in read(
            settings,
            names,
            idle_timeout_s=COLLECT_TIMEOUT_S,
            total_timeout_s=COLLECT_TIMEOUT_S,
            until=lambda _: len(decisions) + dead[0] >= expected,
        ):
            if record.topic == topics.DLQ_PAYMENTS:
                dead[0] += 1
            else:
                decision = orjson.loads(record.value or b"{}")
                decisions[decision["txn_id"]] = decision
            bar.update(1)
            if worker.poll() is not None:
                raise click.ClickException(f"worker exited with {worker.returncode}")
    click.echo(f"decided in {time.monotonic() - started:.1f}s (worker start included)")
    return decisions, dead[0]


def print_summary(payments: list[dict[str, Any]], decisions: Decisions, dead: int) -> None:
    """Per-member table of decisions and a few example reasons."""
    table: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for payment in payments:
        decision = decisions.get(payment["txn_id"])
        table[payment["member_id"]][decision["decision"] if decision else "missing"] += 1
    click.echo("")
    click.echo(f"{'member':<12}{'payments':>10}{'allow':>8}{'hold':>8}{'block':>8}{'missing':>9}")
    for member in DEMO_MEMBERS:
        row = table[member]
        click.echo(
            f"{member:<12}{sum(row.values()):>10}{row['allow']:>8}{row['hold']:>8}"
            f"{row['block']:>8}{row['missing']:>9}"
        )
    click.echo(f"dead letters (malformed input): {dead}")
    click.echo("\nexample reasons:")
    shown: set[str] = set()
    for decision in decisions.values():
        if decision["decision"] == "allow":
            continue
        reason = decision["reasons"][0]
        label = f"{decision['decision']}/{reason['code']}/{reason.get('type')}"
        if label in shown or len(shown) >= 8:
            continue
        shown.add(label)
        evidence = ", ".join(f"{k}={v}" for k, v in reason.items() if k not in ("code", "action"))
        verdict = decision["decision"].upper()
        click.echo(f"  {verdict:<5} {decision['txn_id']}: {reason['code']} ({evidence})")
