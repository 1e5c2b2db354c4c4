"""Synthetic payments: innocent traffic with a share of payees taken from a watchlist and
written the way sellers write them (spacing, case, `www.`, paths, subdomains, typos)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

METHODS = ("card", "bank_transfer", "wallet", "crypto", "prepaid", "other")
PRICE_POINTS = (Decimal("9.99"), Decimal("19.99"), Decimal("29.00"), Decimal("49.95"))


def variant(kind: str, value: str, rng: random.Random) -> tuple[str, str]:
    """(payee field, a differently written value of the same identifier)."""
    if kind == "iban":
        compact = value.replace(" ", "")
        spaced = " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
        return "iban", rng.choice([spaced.lower(), compact, spaced])
    if kind in ("domain", "url"):
        host = value.split("://")[-1].split("/")[0].removeprefix("www.")
        return rng.choice(
            [
                ("url", f"https://WWW.{host.upper()}/members/{rng.randint(1, 999)}?p=1"),
                ("domain", f"shop.{host}."),
                ("url", f"http://{host}:8080/"),
                ("domain", host.upper()),
            ]
        )
    if kind == "email":
        local, _, dom = value.partition("@")
        return "email", f" {local.upper()}@{dom.upper()} "
    if kind == "phone":
        digits = "".join(ch for ch in value if ch.isdigit())
        return "phone", rng.choice([f"00{digits}", f"+{digits[:2]} ({digits[2:5]}) {digits[5:]}"])
    if kind == "wallet_address":
        return "wallet_address", value.upper() if value.lower().startswith(("0x", "bc1")) else value
    if kind == "name":
        return "name", rng.choice([value.upper(), value.replace(" ", "  ") + ".", value])
    return kind, f"  {value.lower()} " if kind != "account" else value.replace("-", " ")


def innocent_payee(rng: random.Random) -> dict[str, str]:
    """A payee that no sample list entry names."""
    n = rng.randint(1, 5_000)
    payee = {"merchant_id": f"MID-{n:06d}", "name": f"Corner Shop {n}", "mcc": "5411"}
    if rng.random() < 0.3:
        payee["url"] = f"https://shop{n}.merchant.example/checkout"
    if rng.random() < 0.2:
        payee["acquirer_id"] = f"ACQ-{n % 9}"
    return payee


def listed_payee(entry: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """A payee carrying one identifier of `entry`, written differently."""
    ident = rng.choice(entry["identifiers"])
    field, value = variant(ident["type"], ident["value"], rng)
    payee = {field: value}
    if ident.get("acquirer_id"):
        payee["acquirer_id"] = ident["acquirer_id"]
    return payee


def payments(
    members: Sequence[str],
    count: int,
    entries: Sequence[dict[str, Any]] = (),
    hit_ratio: float = 0.02,
    seed: int = 7,
    start: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """`count` payments round-robin over `members`, about `hit_ratio` of them to a payee
    listed in `entries`; event times one second apart from `start`."""
    rng = random.Random(seed)
    t0 = start or datetime.now(UTC).replace(microsecond=0)
    for i in range(count):
        member = members[i % len(members)]
        hit = entries and rng.random() < hit_ratio
        payee = listed_payee(rng.choice(entries), rng) if hit else innocent_payee(rng)
        yield {
            "txn_id": f"{member}-{seed}-{i:08d}",
            "member_id": member,
            "ts": (t0 + timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
            "amount": str(
                rng.choice(PRICE_POINTS) if hit else Decimal(rng.randint(100, 20000)) / 100
            ),
            "currency": rng.choice(("EUR", "USD", "GBP", "SEK")),
            "method": rng.choice(METHODS),
            "payer": {"id": f"payer-{rng.randint(1, 100_000)}"},
            "payee": payee,
        }
