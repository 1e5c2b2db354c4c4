"""The one JSON response of the console's API: every string in it, at any depth, has its
card numbers masked before it is rendered. The desk already masks what it reads from the
topics; this is the HTTP layer's own guarantee, for what a caller sent in (a lookup's value,
a note) and echoes back."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

from streams.model.card_masking import mask_card_numbers


def masked(content: Any) -> Any:
    """`content` with `mask_card_numbers` applied to every string, keys included; numbers
    and other scalars unchanged."""
    if isinstance(content, str):
        return mask_card_numbers(content)
    if isinstance(content, dict):
        return {masked(k): masked(v) for k, v in content.items()}
    if isinstance(content, list | tuple):
        return [masked(v) for v in content]
    return content


class MaskedJSON(JSONResponse):
    """A JSON response whose strings carry no card number."""

    def render(self, content: Any) -> bytes:
        return super().render(masked(content))
