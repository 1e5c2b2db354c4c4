"""`screening watchlist load FILE` and `screening watchlist override`: publish to the
compacted watchlist topic."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from streams import admin, topics
from streams.cli.errors import friendly, settings_from_env
from streams.kafka_io import produce_all, producer
from streams.messages import iso
from streams.settings import MEMBER_PATTERN, Settings
from streams.watchlist_entry import EntryError, encode_entry, parse_override
from streams.watchlist_file import read_entries
from streams.watchlist_hashing import hashed_document

Records = list[tuple[bytes | None, bytes | None]]


@click.group()
def watchlist() -> None:
    """Manage the coalition watchlist."""


@watchlist.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "--hash",
    "hash_identifiers",
    is_flag=True,
    help="publish keyed hashes (SCREENING_COALITION_KEY) of identifiers; names are left out",
)
@friendly
def load(file: Path, hash_identifiers: bool) -> None:
    """Publish entries from FILE (JSON Lines or CSV) to the `watchlist` topic.

    The whole file is validated first, so a bad line publishes nothing."""
    settings = settings_from_env()
    if hash_identifiers and settings.coalition_key is None:
        raise click.UsageError("--hash needs SCREENING_COALITION_KEY")
    records: Records = []
    dropped_names = skipped = 0
    for _, document, entry, encoded in tqdm(
        read_entries(file), desc="validating", unit=" entries", leave=False
    ):
        if hash_identifiers:
            assert settings.coalition_key is not None
            if not entry.identifiers:
                skipped += 1
                continue
            hashed, names = hashed_document(document, entry, settings.coalition_key)
            dropped_names += names
            encoded = encode_entry(hashed)
        records.append((entry.entry_id.encode(), encoded))
    publish(settings, records)
    click.echo(f"published {len(records)} entries from {file} to {topics.WATCHLIST}", err=True)
    if hash_identifiers and (dropped_names or skipped):
        click.echo(
            f"left out {dropped_names} names and {skipped} name-only entries: names cannot be "
            "matched as hashes",
            err=True,
        )


@watchlist.command("override")
@click.option("--member", required=True, help="the member whose traffic it applies to")
@click.option("--entry", "entry_id", required=True, help="the entry that holds falsely")
@click.option(
    "--identifier",
    "identifiers",
    required=True,
    multiple=True,
    metavar="TYPE=VALUE",
    help="the payee (repeat for several identifiers)",
)
@click.option("--source", required=True, help="who records it (provenance)")
@click.option("--reason", required=True)
@click.option("--id", "override_id", help="override id (default: derived from member, entry)")
@click.option("--expires-at", help="RFC 3339 time the override lapses")
@friendly
def override(
    member: str,
    entry_id: str,
    identifiers: tuple[str, ...],
    source: str,
    reason: str,
    override_id: str | None,
    expires_at: str | None,
) -> None:
    """Record a member's false-positive override: on MEMBER's payments to the payee,
    holds from ENTRY stop (blocks of confirmed entries are never overridden)."""
    if not MEMBER_PATTERN.match(member):
        raise click.BadParameter(f"{member!r} is not a member id", param_hint="--member")
    items: list[dict[str, Any]] = []
    for text in identifiers:
        kind, sep, value = text.partition("=")
        if not sep or not value:
            raise click.BadParameter(f"{text!r} is not TYPE=VALUE", param_hint="--identifier")
        items.append({"type": kind.strip(), "value": value.strip()})
    document: dict[str, Any] = {
        "entry_id": override_id or f"override:{member}:{entry_id}:{items[0]['value']}",
        "kind": "override",
        "member_id": member,
        "overrides": entry_id,
        "identifiers": items,
        "source": source,
        "reason": reason,
        "created_at": iso(datetime.now(UTC)),
    }
    if expires_at:
        document["expires_at"] = expires_at
    try:
        parse_override(document)
    except EntryError as exc:
        raise click.ClickException(f"override refused: {exc}") from None
    publish(settings_from_env(), [(document["entry_id"].encode(), encode_entry(document))])
    click.echo(f"override {document['entry_id']} published", err=True)


def publish(settings: Settings, records: Records) -> None:
    """Publish records to the watchlist topic with a progress bar."""
    client = admin.wait_for_broker(settings, timeout_s=15)
    admin.ensure_core_topics(client, settings)
    out = producer(settings)
    chunk = 10_000
    with tqdm(total=len(records), desc="publishing", unit=" entries") as bar:
        for start in range(0, len(records), chunk):
            part = records[start : start + chunk]
            produce_all(out, topics.WATCHLIST, part)
            bar.update(len(part))
