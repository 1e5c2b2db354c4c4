"""Times as output messages write them: `iso` and the text shortcut agree with isoformat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from streams.model.payment import parse_timestamp
from streams.model.timestamps import iso, iso_of_text

MOMENTS = st.datetimes(
    min_value=datetime(2, 1, 1),
    max_value=datetime(9998, 12, 31),
    # UTC itself, another zone, and an offset of zero that is not the UTC object
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(0))]
    ),
)


def written(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@given(st.lists(MOMENTS, min_size=1, max_size=5))
def test_iso_is_rfc3339_in_utc_with_milliseconds(moments: list[datetime]) -> None:
    for moment in moments:
        assert iso(moment) == written(moment)
        assert iso(moment + timedelta(microseconds=999)) == written(
            moment + timedelta(microseconds=999)
        )


def test_iso_of_a_second_seen_before_keeps_its_milliseconds() -> None:
    at = datetime(2026, 3, 1, 12, 0, 5, 1_000, tzinfo=UTC)
    assert iso(at) == "2026-03-01T12:00:05.001Z"
    assert iso(at.replace(microsecond=999_999)) == "2026-03-01T12:00:05.999Z"
    assert iso(at.replace(second=6, microsecond=0)) == "2026-03-01T12:00:06.000Z"


@given(MOMENTS, st.sampled_from(["full", "seconds", "lower", "offset", "micro", "one", "space"]))
def test_iso_of_text_is_iso_of_the_parsed_time_or_none(moment: datetime, form: str) -> None:
    full = written(moment)
    text = {
        "full": full,
        "seconds": full[:19] + "Z",
        "lower": full.replace("T", "t"),
        "offset": full[:23] + "+00:00",
        "micro": full[:23] + "456Z",
        "one": full[:21] + "Z",
        "space": full.replace("T", " "),
    }[form]
    read = iso_of_text(text)
    assert read is None or read == written(parse_timestamp(text))
    if form in ("full", "seconds"):
        assert read == written(parse_timestamp(text))
