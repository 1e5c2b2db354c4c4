"""Card numbers masked in a payment before anything is decoded, screened or written.

Consumes a payment message's bytes; produces bytes in which every card number is masked
(first six and last four digits kept, see `streams.model.card_masking`). Identifier fields are
the exception that keeps screening working: a merchant id, account or phone of 13+ digits
holds a Luhn-valid window by chance more often than not, and masking a window of a
seller's identifier would let the seller through. Those fields are masked only when the
whole value is a card number. Everywhere else (names, the payer, fields the contract does
not know) any Luhn-valid window is masked."""

from __future__ import annotations

from typing import Any

import orjson

from streams.model.card_masking import luhn_valid, mask_card_bytes, mask_card_numbers

# Fields that identify something (the transaction, the seller): masked when the whole
# value is a card number, not when a window of a longer identifier passes Luhn.
_WHOLE_VALUE_FIELDS = frozenset({"txn_id"})
_WHOLE_VALUE_PAYEE_FIELDS = frozenset(
    {"merchant_id", "acquirer_id", "card_acceptor_id", "account", "wallet_address", "phone"}
)
_SEPARATORS = str.maketrans("", "", " .-")


def mask_payment(raw: bytes) -> bytes:
    """The message with its card numbers masked; `raw` itself when it holds none (the
    common case, one regex scan). Bytes that are not a JSON object are masked as bytes."""
    if mask_card_bytes(raw) is raw:
        return raw
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return mask_card_bytes(raw)
    if not isinstance(document, dict):
        return mask_card_bytes(raw)
    masked = {key: _mask_field(key, value, _WHOLE_VALUE_FIELDS) for key, value in document.items()}
    payee = document.get("payee")
    if isinstance(payee, dict):
        masked["payee"] = {
            key: _mask_field(key, value, _WHOLE_VALUE_PAYEE_FIELDS) for key, value in payee.items()
        }
    return orjson.dumps(masked)


def is_card_number(value: str) -> bool:
    """Whether the whole value is a card number: 13-19 digits (separators aside) that
    pass Luhn."""
    digits = value.strip().translate(_SEPARATORS)
    return 13 <= len(digits) <= 19 and digits.isascii() and digits.isdigit() and luhn_valid(digits)


def _mask_field(key: str, value: Any, whole_value_fields: frozenset[str]) -> Any:
    if key in whole_value_fields and isinstance(value, str):
        return mask_card_numbers(value) if is_card_number(value) else value
    return _mask_value(value)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask_card_numbers(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = str(value)
        masked = mask_card_numbers(text)
        return value if masked is text else masked
    return value
