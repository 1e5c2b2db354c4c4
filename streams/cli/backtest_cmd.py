"""`screening backtest`: what candidate velocity rules would have done to past payments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import click
import orjson

from streams.cli.errors import friendly, settings_from_env
from streams.kafka.client import read_range
from streams.model.payment import parse_timestamp
from streams.offline.backtest import BacktestReport, backtest
from streams.pipeline.records import Source
from streams.settings import Settings
from streams.velocity.rule_set import RuleSet
from streams.velocity.rules_file import load_rules
from streams.velocity.rules_topic import read_rule_set
from streams.watchlist.file import read_entries
from streams.watchlist.index import WatchlistIndex


@click.command()
@click.option("--rules", "rules_file", required=True, type=click.Path(path_type=Path))
@click.option("--input", "input_file", type=click.Path(path_type=Path), help="payments JSONL")
@click.option("--topic", help="read payments from this topic instead of --input")
@click.option("--from-offset", type=click.IntRange(min=0), help="with --topic: first offset")
@click.option("--from-time", help="with --topic: first broker timestamp (RFC 3339)")
@click.option("--to-time", help="with --topic: stop before this broker timestamp (RFC 3339)")
@click.option("--watchlist", "watchlist_file", type=click.Path(path_type=Path))
@click.option(
    "--current",
    help="the rules to compare with: a rules FILE, `topic` (the rules in force) or `none`; "
    "default `topic` with --topic, `none` with --input",
)
@click.option("--json", "json_file", type=click.Path(path_type=Path), help="write the report")
@friendly
def backtest_cmd(
    rules_file: Path,
    input_file: Path | None,
    topic: str | None,
    from_offset: int | None,
    from_time: str | None,
    to_time: str | None,
    watchlist_file: Path | None,
    current: str | None,
    json_file: Path | None,
) -> None:
    """Screen past payments under candidate rules (--rules) and the current rules, in
    event time with the worker's code; report per rule its hits and distinct payees hit,
    and the decisions that would change.

    As in `screening screen`, the members whose contributions reasons name `coalition` are
    SCREENING_MEMBERS, when set, plus the member of every payment screened so far."""
    if (input_file is None) == (topic is None):
        raise click.UsageError("give exactly one of --input FILE or --topic TOPIC")
    if input_file is not None and (from_offset, from_time, to_time) != (None, None, None):
        raise click.UsageError("--from-offset, --from-time and --to-time need --topic")
    if from_offset is not None and from_time is not None:
        raise click.UsageError("give --from-offset or --from-time, not both")
    settings = settings_from_env()
    candidate = RuleSet.from_rules(load_rules(rules_file))
    baseline = _current_rules(current or ("topic" if topic else "none"), settings)
    index = WatchlistIndex()
    if watchlist_file is not None:
        index.load((entry, encoded) for _, _, entry, encoded in read_entries(watchlist_file))
    if input_file is not None:
        payments = _from_file(input_file)
    else:
        assert topic is not None
        payments = _from_topic(settings, topic, from_offset, from_time, to_time)
    report = backtest(payments, index, candidate, baseline, settings)
    _print(report)
    if json_file is not None:
        json_file.write_bytes(orjson.dumps(report.document(), option=orjson.OPT_INDENT_2))


def _current_rules(source: str, settings: Settings) -> RuleSet:
    if source == "none":
        return RuleSet.EMPTY
    if source == "topic":
        return read_rule_set(settings)
    return RuleSet.from_rules(load_rules(Path(source)))


def _from_file(path: Path) -> Iterator[tuple[bytes, Source]]:
    with path.open("rb") as lines:
        for offset, line in enumerate(lines):
            if line.strip():
                yield line.rstrip(b"\r\n"), Source(str(path), 0, offset, None)


def _from_topic(
    settings: Settings,
    topic: str,
    from_offset: int | None,
    from_time: str | None,
    to_time: str | None,
) -> Iterator[tuple[bytes, Source]]:
    from_ms, to_ms = _millis(from_time, "--from-time"), _millis(to_time, "--to-time")
    try:
        records = list(read_range(settings, topic, from_offset, from_ms, to_ms))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--topic") from None
    # Event-time windows are order-tolerant, but input order decides ties: read the
    # topic's partitions merged by broker time, as they arrived.
    for record in sorted(records, key=lambda r: (r.timestamp_ms, r.partition, r.offset)):
        yield record.value or b"", Source(record.topic, record.partition, record.offset, record.key)


def _millis(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    try:
        return int(parse_timestamp(text).timestamp() * 1000)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _print(report: BacktestReport) -> None:
    click.echo(f"payments screened: {report.payments}   dead letters: {report.dead_letters}")
    click.echo(f"{'rule':<30} {'mode':<8} {'action':<6} {'hits':>8} {'payees':>8}")
    for r in sorted(report.rules.values(), key=lambda r: r.rule_id):
        click.echo(f"{r.rule_id:<30} {r.mode:<8} {r.action:<6} {r.hits:>8} {len(r.payees):>8}")
    click.echo(f"decisions that would change: {len(report.changed)}")
    for (before, after), n in sorted(report.transitions().items()):
        click.echo(f"  {before} -> {after}: {n}")
    for change in report.changed[:20]:
        click.echo(f"  {change.member_id} {change.txn_id}: {change.current} -> {change.candidate}")
    if len(report.changed) > 20:
        click.echo(f"  ... {len(report.changed) - 20} more (--json lists them)")
