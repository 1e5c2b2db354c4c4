"""Reading watchlist files (`screening watchlist load FILE`): JSON Lines or CSV, and errors
that name the file and line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest

from streams.watchlist.entry import parse_entry
from streams.watchlist.file import WatchlistFileError, read_documents, read_entries
from streams.watchlist.index import WatchlistIndex
from tests.factories import identifier, watchlist_entry

REPO = Path(__file__).resolve().parents[3]


def write_jsonl(path: Path, *lines: dict[str, Any] | str) -> Path:
    text = "\n".join(
        line if isinstance(line, str) else orjson.dumps(line).decode() for line in lines
    )
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def documents_by_id(path: Path) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for _, document in read_documents(path):
        assert document["entry_id"] not in found, f"{document['entry_id']} read twice"
        found[document["entry_id"]] = document
    return found


def identifiers(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(i["type"], i["value"]) for i in document["identifiers"]}


# ---------------------------------------------------------------- JSON Lines


def test_jsonl_entries_with_line_numbers(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "list.jsonl", watchlist_entry("e1"), "", "   ", watchlist_entry("e2")
    )
    read = list(read_entries(path))
    assert [(line, e.entry_id) for line, _, e, _ in read] == [(1, "e1"), (4, "e2")]
    for _, document, parsed, encoded in read:
        assert parsed == parse_entry(document)
        assert orjson.loads(encoded) == document


@pytest.mark.parametrize("name", ["list.json", "list.ndjson", "list.JSONL"])
def test_other_suffixes_read_as_json_lines(tmp_path: Path, name: str) -> None:
    path = write_jsonl(tmp_path / name, watchlist_entry("e1"))
    assert [e.entry_id for _, _, e, _ in read_entries(path)] == ["e1"]


def test_jsonl_loads_into_index(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "list.jsonl",
        watchlist_entry("e1", [identifier("iban", "GB82 WEST 1234 5698 7654 32")]),
        watchlist_entry("e2", [identifier("domain", "e2.example.com")]),
    )
    index = WatchlistIndex()
    index.load((e, raw) for _, _, e, raw in read_entries(path))
    assert [e.entry_id for e, _ in index.lookup("iban:GB82WEST12345698765432")] == ["e1"]
    assert len(index) == 2


def test_jsonl_bad_json_names_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "list.jsonl", watchlist_entry("e1"), watchlist_entry("e2"), '{"entry_id": '
    )
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:3\b"):
        list(read_entries(path))


def test_jsonl_non_object_names_file_and_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "list.jsonl", watchlist_entry("e1"), "[1, 2]")
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:2\b"):
        list(read_documents(path))


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"action": "allow"}, "action"),
        ({"status": "maybe"}, "status"),
        ({"identifiers": []}, "identifiers"),
        ({"identifiers": [{"type": "iban", "value": "GB00 0000"}]}, "iban"),
        ({"expires_at": "soon"}, "expires_at"),
    ],
)
def test_jsonl_invalid_entry_names_file_line_and_problem(
    tmp_path: Path, bad: dict[str, Any], named: str
) -> None:
    path = write_jsonl(
        tmp_path / "list.jsonl",
        watchlist_entry("e1"),
        "",
        watchlist_entry("e2", **bad),
        watchlist_entry("e3"),
    )
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:3\b.*{named}"):
        list(read_entries(path))


def test_jsonl_entries_before_the_bad_line_are_read(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "list.jsonl", watchlist_entry("e1"), watchlist_entry("e2", action="x")
    )
    reader = read_entries(path)
    assert next(reader)[2].entry_id == "e1"
    with pytest.raises(WatchlistFileError):
        next(reader)


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(WatchlistFileError, match=r"nope\.jsonl"):
        list(read_entries(missing))


def test_sample_watchlist_reads() -> None:
    path = REPO / "data" / "sample-watchlist.jsonl"
    read = list(read_entries(path))
    ids = [e.entry_id for _, _, e, _ in read]
    assert ids
    assert len(ids) == len(set(ids))


# ---------------------------------------------------------------- CSV with a column per kind


def test_csv_kind_columns_with_pipe_separated_values(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        "entry_id,action,status,source,iban,domain,email,name,expires_at,reference\n"
        "e1,block,confirmed,ncmec,DE89 3704 0044 0532 0130 00,a.com| b.com ,,"
        '"Darkpix Media, Ltd",2027-01-01T00:00:00Z,case-1\n'
        "e2,hold,suspected,europol,,,sales@vidvault.example,,,\n",
    )
    docs = documents_by_id(path)
    assert identifiers(docs["e1"]) == {
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("domain", "a.com"),
        ("domain", "b.com"),
        ("name", "Darkpix Media, Ltd"),
    }
    assert docs["e1"]["expires_at"] == "2027-01-01T00:00:00Z"
    assert docs["e1"]["reference"] == "case-1"
    assert (docs["e1"]["action"], docs["e1"]["status"], docs["e1"]["source"]) == (
        "block",
        "confirmed",
        "ncmec",
    )
    assert identifiers(docs["e2"]) == {("email", "sales@vidvault.example")}
    assert "expires_at" not in docs["e2"]
    assert "reference" not in docs["e2"]
    entries = {e.entry_id: e for _, _, e, _ in read_entries(path)}
    assert {i.key for i in entries["e1"].identifiers} == {
        "iban:DE89370400440532013000",
        "domain:a.com",
        "domain:b.com",
    }
    assert entries["e2"].status == "suspected"


def test_csv_every_kind_column(tmp_path: Path) -> None:
    kinds = {
        "merchant_id": "MID-1",
        "card_acceptor_id": "CA1",
        "iban": "GB82WEST12345698765432",
        "account": "12-34",
        "wallet_address": "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        "domain": "listed.com",
        "url": "https://www.vidvault.com/x",
        "email": "a@b.example",
        "phone": "+46701234567",
        "name": "Acme",
    }
    header = "entry_id,action,status,source," + ",".join(kinds)
    row = "e1,block,confirmed,ncmec," + ",".join(kinds.values())
    path = write_csv(tmp_path / "list.csv", f"{header}\n{row}\n")
    [(_, document, parsed, _)] = list(read_entries(path))
    assert identifiers(document) == set(kinds.items())
    assert len(parsed.identifiers) == 9
    assert parsed.names == (("acme", "Acme"),)


def test_csv_with_bom_and_upper_case_suffix(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "LIST.CSV",
        "entry_id,action,status,source,domain\ne1,block,confirmed,ncmec,listed.com\n",
        encoding="utf-8-sig",
    )
    assert [e.entry_id for _, _, e, _ in read_entries(path)] == ["e1"]


def test_csv_crlf_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(
        b"entry_id,action,status,source,domain\r\n"
        b"e1,block,confirmed,ncmec,one.com\r\n"
        b"e2,block,confirmed,ncmec,two.com\r\n"
    )
    assert [(line, e.entry_id) for line, _, e, _ in read_entries(path)] == [(2, "e1"), (3, "e2")]


# ---------------------------------------------------------------- CSV with identifier rows


def test_csv_identifier_rows_merged_by_entry_id(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        "entry_id,action,status,source,identifier_type,identifier_value\n"
        "e1,block,confirmed,ncmec,iban,GB82 WEST 1234 5698 7654 32\n"
        "e1,block,confirmed,ncmec,domain,darkpix.com\n"
        "e1,block,confirmed,ncmec,name,Darkpix Media\n"
        "e2,hold,suspected,europol,email,sales@vidvault.example\n",
    )
    read = list(read_entries(path))
    assert [(line, e.entry_id) for line, _, e, _ in read] == [(2, "e1"), (5, "e2")]
    e1 = read[0][2]
    assert {i.key for i in e1.identifiers} == {"iban:GB82WEST12345698765432", "domain:darkpix.com"}
    assert e1.names == (("darkpix media", "Darkpix Media"),)
    assert read[1][2].status == "suspected"


def test_csv_identifier_rows_of_one_entry_merged_when_not_adjacent(tmp_path: Path) -> None:
    # e.g. a file sorted by identifier type: e1's rows are not next to each other
    path = write_csv(
        tmp_path / "list.csv",
        "entry_id,action,status,source,identifier_type,identifier_value\n"
        "e1,block,confirmed,ncmec,domain,darkpix.com\n"
        "e2,block,confirmed,ncmec,domain,vidvault.com\n"
        "e1,block,confirmed,ncmec,iban,GB82 WEST 1234 5698 7654 32\n",
    )
    docs = documents_by_id(path)
    assert identifiers(docs["e1"]) == {
        ("domain", "darkpix.com"),
        ("iban", "GB82 WEST 1234 5698 7654 32"),
    }
    assert identifiers(docs["e2"]) == {("domain", "vidvault.com")}


def test_csv_kind_columns_and_identifier_rows_together(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        "entry_id,action,status,source,domain,identifier_type,identifier_value\n"
        "e1,block,confirmed,ncmec,darkpix.com,email,sales@darkpix.com\n"
        "e1,block,confirmed,ncmec,,phone,+46701234567\n",
    )
    [document] = documents_by_id(path).values()
    assert identifiers(document) == {
        ("domain", "darkpix.com"),
        ("email", "sales@darkpix.com"),
        ("phone", "+46701234567"),
    }


# ---------------------------------------------------------------- CSV errors


def test_csv_without_entry_id_column(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "list.csv", "id,action,status,source,domain\ne1,block,c,n,x.com\n")
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:1\b.*entry_id"):
        list(read_documents(path))


@pytest.mark.parametrize(
    ("row", "named"),
    [
        ("e2,allow,confirmed,ncmec,two.com", "action"),
        ("e2,block,active,ncmec,two.com", "status"),
        ("e2,block,confirmed,,two.com", "source"),
        ("e2,block,confirmed,ncmec,", "identifiers"),
        ("e2,block,confirmed,ncmec,not a domain", "domain"),
    ],
)
def test_csv_invalid_entry_names_file_line_and_problem(
    tmp_path: Path, row: str, named: str
) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        f"entry_id,action,status,source,domain\ne1,block,confirmed,ncmec,one.com\n{row}\n",
    )
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:3\b.*{named}"):
        list(read_entries(path))


def test_csv_empty_identifier_value_names_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        "entry_id,action,status,source,identifier_type,identifier_value\n"
        "e1,block,confirmed,ncmec,domain,one.com\n"
        "e2,block,confirmed,ncmec,domain,two.com\n"
        "e3,block,confirmed,ncmec,iban,\n",
    )
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:4\b"):
        list(read_entries(path))


def test_csv_unknown_identifier_type_names_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "list.csv",
        "entry_id,action,status,source,identifier_type,identifier_value\n"
        "e1,block,confirmed,ncmec,ssn,123-45-6789\n",
    )
    with pytest.raises(WatchlistFileError, match=rf"{re.escape(str(path))}:2\b.*type"):
        list(read_entries(path))
