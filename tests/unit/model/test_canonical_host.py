"""Host names read without IDNA when IDNA would return them unchanged: the same host as
IDNA gives, for every input."""

from __future__ import annotations

import idna
from hypothesis import example, given, settings
from hypothesis import strategies as st

from streams.model import canonical

LABEL_CHARACTERS = "ab09-xn.É_ :/@A"


def through_idna(value: str) -> str | None:
    """The host as `_ascii_host` read it before the shortcut."""
    text = canonical.host_text(value)
    if text is None:
        return None
    try:
        ascii_text = idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    labels = ascii_text.split(".")
    if len(labels) < 2 or not all(canonical._LABEL.match(label) for label in labels):
        return None
    return ascii_text


@settings(max_examples=3000)
@given(st.text(alphabet=LABEL_CHARACTERS, min_size=1, max_size=80))
@example("shop.example")
@example("a-b.c-d.example")
@example("ab--cd.example")
@example("xn--bcher-kva.example")
@example("-shop.example")
@example("shop-.example")
@example("123.456")
@example(("a" * 63) + ".example")
@example(("a" * 64) + ".example")
@example(".".join(["a" * 60] * 4) + ".ab")
@example(".".join(["a" * 60] * 4) + ".abc")
def test_a_host_is_what_idna_gives(text: str) -> None:
    assert canonical._ascii_host(text) == through_idna(text)
