"""`screening screen`: offline screening, payments JSON Lines on stdin, decisions on stdout."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from streams.cli.errors import friendly, settings_from_env
from streams.kafka.topics import DLQ_PAYMENTS
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.velocity.rule_set import RuleSet
from streams.velocity.rules_file import load_rules
from streams.watchlist.file import read_entries
from streams.watchlist.index import WatchlistIndex
from streams.worker.heap import YOUNG_THRESHOLD


@click.command()
@click.option("--watchlist", "watchlist_file", required=True, type=click.Path(path_type=Path))
@click.option(
    "--rules",
    "rules_file",
    type=click.Path(path_type=Path),
    help="velocity rules (YAML or JSON) applied in event time",
)
@friendly
def screen(watchlist_file: Path, rules_file: Path | None) -> None:
    """Screen payments offline with the worker's rule code, in event time (`ts`).

    Decisions go to stdout, one JSON line per payment; lines that are not valid
    payments go to stderr as dead letters (source `stdin`, offset = line number - 1).

    Reasons name an entry contributed by a coalition member with source `coalition`.
    The members are SCREENING_MEMBERS, when set, plus the member of every payment
    screened so far (stdin is read as a stream): set SCREENING_MEMBERS to cover members
    whose payments come later or not at all. Sealed entries are never named."""
    settings = settings_from_env()
    rule_set = (
        RuleSet.from_rules(load_rules(rules_file)) if rules_file is not None else RuleSet.EMPTY
    )
    index = WatchlistIndex()
    index.load((entry, encoded) for _, _, entry, encoded in read_entries(watchlist_file))
    # The loaded watchlist kept out of the collector's scans and the youngest generation
    # collected less often, as in the worker (streams/worker/heap.py): the older
    # collections walked the whole index again and again, a sixth of the CPU per name.
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    processor = PaymentProcessor.from_settings(index, settings)
    processor.rules = rule_set
    out, err = sys.stdout.buffer, sys.stderr.buffer
    decided = dead = 0
    for offset, line in enumerate(sys.stdin.buffer):
        if not line.strip():
            continue
        for record in processor.process(
            line.rstrip(b"\r\n"), Source("stdin", 0, offset, None), None
        ):
            if record.topic == DLQ_PAYMENTS:
                err.write(record.value + b"\n")
                dead += 1
            elif record.topic.startswith("decisions."):
                out.write(record.value + b"\n")
                decided += 1
    out.flush()
    click.echo(f"{decided} decided, {dead} dead letters", err=True)
