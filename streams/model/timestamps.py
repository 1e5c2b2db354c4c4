"""Writing times: RFC 3339 in UTC, as every output message carries them."""

from __future__ import annotations

from datetime import UTC, datetime

# The text of the last second written (its fields, then `YYYY-MM-DDTHH:MM:SS`), one tuple
# so threads swap it whole: `isoformat` was a sixth of a decision document's cost and
# decisions decided within one second share everything up to the milliseconds.
_last_second: tuple[tuple[int, int, int, int, int, int], str] = ((0, 0, 0, 0, 0, 0), "")


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a `Z`."""
    global _last_second
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    fields = (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
    last = _last_second
    if last[0] != fields:
        last = _last_second = (fields, moment.replace(microsecond=0, tzinfo=None).isoformat())
    return f"{last[1]}.{moment.microsecond // 1000:03d}Z"


def iso_of_text(text: str) -> str | None:
    """`iso` of the time an RFC 3339 `text` (one `parse_timestamp` accepted) stands for,
    read off the text when it is in UTC with a `T`, a `Z` and none or three fraction
    digits (what senders write); None otherwise."""
    if text[-1:] != "Z" or text[10:11] != "T":
        return None
    if len(text) == 20:
        return f"{text[:19]}.000Z"
    if len(text) == 24 and text[19] == ".":
        return text
    return None
