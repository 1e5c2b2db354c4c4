"""A micro-benchmark of card masking: `mask_payment` over typical payments (no card
number: one scan) and card-heavy ones (four card numbers each: decoded, masked field by
field and encoded again), in MB/s and payments/s of one core of the bench process."""

from __future__ import annotations

import time
from typing import Any

import orjson

from streams.model.payment_masking import mask_payment
from streams.offline import synthetic

# Well-known test card numbers (Luhn-valid), written as people write them.
CARDS = ("4111 1111 1111 1111", "5555555555554444", "3782-822463-10005", "4012888888881881")
PAYMENTS = 2_000
# Each kind is masked over and over for at least this long, so the figure is not one
# scheduler slice on a shared machine.
MIN_SECONDS = 1.0
SPANS = {
    "from": "the first mask_payment call on the prepared payments (bench perf_counter)",
    "to": f"the return of the last call, at least {MIN_SECONDS:g} s later (bench perf_counter)",
}


def card_heavy(payment: dict[str, Any], i: int) -> dict[str, Any]:
    """`payment` with four card numbers in free-text and payer fields."""
    return {
        **payment,
        "description": f"refund to card {CARDS[i % 4]} ref {i}",
        "payer": {**payment["payer"], "card": CARDS[(i + 1) % 4]},
        "note": f"cards {CARDS[(i + 2) % 4]} / {CARDS[(i + 3) % 4]}",
    }


def rates(total_bytes: int, count: int, seconds: float) -> dict[str, float]:
    """MB/s (10^6 bytes) and payments/s of `count` payments, `total_bytes` in all, masked
    in `seconds`, and the mean payment size."""
    return {
        "mb_per_s": total_bytes / seconds / 1e6,
        "payments_per_s": count / seconds,
        "bytes_per_payment": total_bytes / count,
    }


def speed(raws: list[bytes], min_seconds: float = MIN_SECONDS) -> dict[str, float]:
    """Mask every payment of `raws` over and over for at least `min_seconds`: the rates."""
    size = sum(len(r) for r in raws)
    rounds = 0
    started = time.perf_counter()
    while (elapsed := time.perf_counter() - started) < min_seconds:
        for raw in raws:
            mask_payment(raw)
        rounds += 1
    return rates(size * rounds, len(raws) * rounds, elapsed)


def run(min_seconds: float = MIN_SECONDS) -> dict[str, Any]:
    """Masking rates of typical and card-heavy payments, and the two instants they span."""
    typical = list(synthetic.payments(("bench-a",), PAYMENTS, (), 0.0, seed=5))
    heavy = [orjson.dumps(card_heavy(p, i)) for i, p in enumerate(typical)]
    plain = [orjson.dumps(p) for p in typical]
    if any(mask_payment(raw) == raw for raw in heavy):
        raise AssertionError("a card-heavy payment came back unmasked")
    return {
        "typical": speed(plain, min_seconds),
        "card_heavy": speed(heavy, min_seconds),
        "spans": SPANS,
    }
