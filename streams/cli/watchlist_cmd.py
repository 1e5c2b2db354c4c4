"""`screening watchlist load FILE` and `screening watchlist override`: publish to the
compacted watchlist topic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import orjson
from tqdm import tqdm

from streams.cli.errors import friendly, settings_from_env
from streams.kafka import admin, topics
from streams.kafka.client import produce_all, producer, read
from streams.kafka.publish import publish
from streams.model.canonical import IDENTIFIER_KINDS
from streams.model.payee import index_key
from streams.settings import MEMBER_PATTERN, Settings
from streams.watchlist.entry import EntryError, encode_entry, listed_identifier
from streams.watchlist.file import read_entries
from streams.watchlist.hashed_entry import hashed_document
from streams.watchlist.links import Link, link_from_document
from streams.watchlist.promotion import (
    entry_record,
    link_status_record,
    override_document,
    promoted_entry,
)

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
    try:
        document = override_document(
            member, entry_id, items, source, reason, override_id, expires_at
        )
    except EntryError as exc:
        raise click.ClickException(f"override refused: {exc}") from None
    publish(settings_from_env(), [entry_record(document)])
    click.echo(f"override {document['entry_id']} published", err=True)


@watchlist.command("promote")
@click.argument("identifier", metavar="TYPE:VALUE")
@click.option("--entry", "entry_id", required=True, help="the confirmed entry it is linked to")
@click.option("--source", default="coalition-analyst", show_default=True, help="provenance")
@click.option("--reason", default="", help="why (kept in the new entry's notes)")
@friendly
def promote(identifier: str, entry_id: str, source: str, reason: str) -> None:
    """Make a linked identifier an entry of its own, with the linked entry's action: the
    next payment to it is blocked (or held) by WATCHLIST_MATCH, not only held."""
    settings = settings_from_env()
    link = _find_link(settings, identifier, entry_id)
    document = promoted_entry(link, source, reason)
    note = f"promoted by {source}" + (f": {reason}" if reason else "")
    _publish_link_status(settings, link, "promoted", note)
    publish(settings, [entry_record(document)])
    click.echo(f"entry {document['entry_id']} published", err=True)


@watchlist.command("dismiss")
@click.argument("identifier", metavar="TYPE:VALUE")
@click.option("--entry", "entry_id", required=True, help="the entry it is linked to")
@click.option("--source", default="coalition-analyst", show_default=True, help="provenance")
@click.option("--reason", required=True, help="why the link is not the seller's")
@friendly
def dismiss(identifier: str, entry_id: str, source: str, reason: str) -> None:
    """Dismiss a link: the identifier stops holding and is not linked to ENTRY again."""
    settings = settings_from_env()
    link = _find_link(settings, identifier, entry_id)
    _publish_link_status(settings, link, "dismissed", f"dismissed by {source}: {reason}")
    click.echo(f"link of {link.key} to {entry_id} dismissed", err=True)


def _find_link(settings: Settings, identifier: str, entry_id: str) -> Link:
    """The latest record of the link of TYPE:VALUE to the entry, from the links topic."""
    kind, sep, value = identifier.partition(":")
    if not sep or kind not in IDENTIFIER_KINDS or kind == "name":
        raise click.BadParameter(
            f"{identifier!r} is not TYPE:VALUE with an identifier type", param_hint="IDENTIFIER"
        )
    canon = listed_identifier(kind, value)
    if canon is None:
        raise click.BadParameter(f"{value!r} is not a valid {kind}", param_hint="IDENTIFIER")
    key = index_key(kind, canon)
    admin.ensure_core_topics(admin.wait_for_broker(settings, timeout_s=15), settings)
    wanted = f"{key}|{entry_id}".encode()
    found: Link | None = None
    for record in read(settings, [topics.LINKS], idle_timeout_s=2.0, total_timeout_s=300.0):
        if record.key == wanted and record.value is not None:
            found = link_from_document(orjson.loads(record.value))
    if found is None:
        raise click.ClickException(f"no link of {key} to entry {entry_id!r}")
    return found


def _publish_link_status(settings: Settings, link: Link, status: str, note: str) -> None:
    produce_all(producer(settings), topics.LINKS, [link_status_record(link, status, note)])
