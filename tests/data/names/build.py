"""Builds the name evaluation's data from the OFAC SDN list's CSV files (see SOURCE.md).

Consumes sdn.csv and alt.csv (latin-1, no header) and writes listed.jsonl (the sample of
organisations put on the evaluation's watchlist, each with its aliases) and unlisted.txt
(the other organisations' names and aliases, one a line: real names that are not listed).
Deterministic: an organisation is listed when the SHA-1 of its entry number falls in the
first 35 % of the hash space. Run: python tests/data/names/build.py SDN_DIR
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

from rigour.names import remove_org_types

HERE = Path(__file__).resolve().parent
LISTED_SHARE = 0.35
# English words for a company, legal forms by the contract though rigour keeps them.
COMPANY_WORDS = frozenset(["co", "company", "corp", "corporation", "inc", "the"])


def _plain(name: str) -> str:
    """Words as written, without case, accents, punctuation (dotted initials run together)
    or legal forms (rigour's, and the English company words), sorted:
    two names equal here are one name by the contract's canonicalisation (an unlisted name
    equal to a listed one is left out: it must match)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = " ".join(re.findall(r"[a-z0-9]+", text.replace(".", "")))
    stripped = [w for w in remove_org_types(words).split() if w not in COMPANY_WORDS]
    return " ".join(sorted(stripped or words.split()))


def _clean(value: str) -> str:
    return " ".join(value.split()).strip()


def main(sdn_dir: Path) -> None:
    names: dict[str, str] = {}
    with open(sdn_dir / "sdn.csv", encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) > 2 and row[2].strip() == "-0-":
                names[row[0].strip()] = _clean(row[1])
    aliases: dict[str, list[str]] = {ent: [] for ent in names}
    with open(sdn_dir / "alt.csv", encoding="latin-1", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) > 3 and row[0].strip() in aliases and row[3].strip() != "-0-":
                aliases[row[0].strip()].append(_clean(row[3]))

    def listed(ent: str) -> bool:
        digest = int(hashlib.sha1(ent.encode()).hexdigest()[:8], 16)
        return digest < LISTED_SHARE * 0x100000000

    chosen = sorted((e for e in names if listed(e)), key=int)
    with open(HERE / "listed.jsonl", "w", encoding="utf-8") as out:
        for ent in chosen:
            row = {"id": f"sdn-{ent}", "name": names[ent], "aliases": aliases[ent]}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    on_list = {_plain(names[e]) for e in chosen} | {_plain(a) for e in chosen for a in aliases[e]}
    others: dict[str, None] = {}
    for ent in sorted((e for e in names if not listed(e)), key=int):
        for value in (names[ent], *aliases[ent]):
            if _plain(value) and _plain(value) not in on_list:
                others[value] = None
    (HERE / "unlisted.txt").write_text("".join(f"{v}\n" for v in others), encoding="utf-8")
    print(
        f"listed {len(chosen)}, aliases {sum(len(aliases[e]) for e in chosen)}, "
        f"unlisted names {len(others)}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
