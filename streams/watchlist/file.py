"""Reading watchlist files: JSON Lines (one entry per line) or CSV.

CSV columns: `entry_id, action, status, source` and optionally `expires_at, reference,
confidence, notes`; identifiers either in one column per kind (`iban`, `domain`, ...,
several values separated by `|`) or as `identifier_type, identifier_value` with one row
per identifier (rows of one entry_id are merged).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from streams.model.canonical import IDENTIFIER_KINDS
from streams.model.json_lines import JsonLinesError, read_json_lines
from streams.watchlist.entry import EntryError, WatchlistEntry, encode_entry, parse_entry

_OPTIONAL = ("expires_at", "reference", "confidence", "notes")


class WatchlistFileError(ValueError):
    """A watchlist file that cannot be read; the message names the file and line."""


def read_documents(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, entry document) from a .jsonl/.json or .csv file, unvalidated."""
    if not path.is_file():
        raise WatchlistFileError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        yield from _read_csv(path)
    else:
        yield from _read_jsonl(path)


def read_entries(path: Path) -> Iterator[tuple[int, dict[str, Any], WatchlistEntry, bytes]]:
    """Yield validated entries with their line, document and stable encoding; the first
    invalid entry raises WatchlistFileError naming its line."""
    for line_no, document in read_documents(path):
        try:
            entry = parse_entry(document)
        except EntryError as exc:
            raise WatchlistFileError(f"{path}:{line_no}: {exc}") from None
        yield line_no, document, entry, encode_entry(document)


def _read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        for line_no, document in read_json_lines(path):
            if not isinstance(document, dict):
                raise WatchlistFileError(f"{path}:{line_no}: an entry must be a JSON object")
            yield line_no, document
    except JsonLinesError as exc:
        raise WatchlistFileError(str(exc)) from None


def _read_csv(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        if "entry_id" not in header:
            raise WatchlistFileError(f"{path}:1: CSV header has no entry_id column")
        # Rows of one entry are merged wherever they stand: on the compacted topic a
        # second message for the entry would replace the first.
        merged: dict[str, tuple[int, dict[str, Any]]] = {}
        for row in reader:
            document = _csv_row(row)
            first = merged.get(document["entry_id"])
            if first is None:
                merged[document["entry_id"]] = (reader.line_num, document)
            else:
                first[1]["identifiers"].extend(document["identifiers"])
        yield from merged.values()


def _csv_row(row: dict[str, str | None]) -> dict[str, Any]:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    identifiers = [
        {"type": kind, "value": value.strip()}
        for kind in IDENTIFIER_KINDS
        for value in cell(kind).split("|")
        if value.strip()
    ]
    if cell("identifier_type"):
        identifiers.append({"type": cell("identifier_type"), "value": cell("identifier_value")})
    document: dict[str, Any] = {
        "entry_id": cell("entry_id"),
        "identifiers": identifiers,
        "action": cell("action"),
        "status": cell("status"),
        "source": cell("source"),
    }
    for name in _OPTIONAL:
        if cell(name):
            document[name] = cell(name)
    return document
