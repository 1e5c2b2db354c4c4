"""Synthetic watchlist entries at scale: mixed identifier kinds, a quarter of them names."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

SYLLABLES = [
    "lu",
    "men",
    "pix",
    "dar",
    "kon",
    "vel",
    "tra",
    "mor",
    "sil",
    "ven",
    "dor",
    "cas",
    "bel",
    "nor",
    "fin",
    "gal",
    "hel",
    "ris",
    "tan",
    "vor",
    "zel",
    "qui",
    "bra",
    "cor",
    "del",
    "fen",
    "gor",
    "hal",
    "jin",
    "kel",
    "lor",
    "mar",
    "nes",
    "ost",
    "pal",
    "rem",
    "sor",
    "tul",
    "und",
    "wex",
]
WORDS = [
    "media",
    "holdings",
    "content",
    "studio",
    "trading",
    "services",
    "digital",
    "group",
    "network",
    "store",
    "video",
    "photo",
    "club",
    "online",
    "systems",
    "partners",
    "ventures",
    "labs",
    "works",
]
LEGAL = ("Ltd", "LLC", "Inc", "GmbH", "AB", "S.A.", "Limited", "")


def iban(rng: random.Random) -> str:
    """A random German IBAN that passes mod-97."""
    bban = "".join(str(rng.randint(0, 9)) for _ in range(18))
    digits = "".join(str(int(c, 36)) for c in bban + "DE00")
    return f"DE{98 - int(digits) % 97:02d}{bban}"


def seller_name(rng: random.Random) -> str:
    """A made-up business name of two or three syllable words and a trade word."""
    first = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    second = "".join(rng.choice(SYLLABLES) for _ in range(2)).capitalize()
    parts = [first, second, rng.choice(WORDS).capitalize(), rng.choice(LEGAL)]
    return " ".join(p for p in parts if p)


def identifier(kind: str, i: int, rng: random.Random) -> str:
    """A unique identifier of `kind` for entry number i."""
    if kind == "iban":
        return iban(rng)
    if kind == "domain":
        return f"seller{i}.example"
    if kind == "email":
        return f"sales{i}@shop{i % 9973}.example"
    if kind == "phone":
        return f"+4420{7_000_000 + i:08d}"[:14]
    if kind == "wallet_address":
        return "0x" + rng.randbytes(20).hex()
    if kind == "merchant_id":
        return f"MID-{i:09d}"
    if kind == "card_acceptor_id":
        return f"CA{i:013d}"
    if kind == "account":
        return f"{i:012d}"
    return seller_name(rng)


EXACT_KINDS = (
    "merchant_id",
    "card_acceptor_id",
    "iban",
    "account",
    "domain",
    "email",
    "phone",
    "wallet_address",
)


def entries(count: int, seed: int = 11, name_share: float = 0.25) -> Iterator[dict[str, Any]]:
    """`count` confirmed block entries, `name_share` of them name entries."""
    rng = random.Random(seed)
    for i in range(count):
        kind = "name" if rng.random() < name_share else EXACT_KINDS[i % len(EXACT_KINDS)]
        yield {
            "entry_id": f"bench-{i:08d}",
            "identifiers": [{"type": kind, "value": identifier(kind, i, rng)}],
            "action": "block",
            "status": "confirmed",
            "source": "bench",
        }
