"""Watchlist entries (DESIGN.md "Watchlist entry"), their effect at a point in event time,
the in-memory index with its content version, and fuzzy name matching."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.benchmarks.entries import SYLLABLES as BENCH_SYLLABLES
from streams.model import canonical
from streams.settings import Settings
from streams.watchlist.entry import (
    EntryError,
    WatchlistEntry,
    decode_entry,
    encode_entry,
    parse_entry,
)
from streams.watchlist.index import WatchlistIndex
from streams.watchlist.name_index import NameIndex
from streams.watchlist.name_score import similarity
from tests.factories import watchlist_entry

THRESHOLD = Settings().name_match_threshold
NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def loaded(document: dict[str, Any]) -> tuple[WatchlistEntry, bytes]:
    return parse_entry(document), encode_entry(document)


# ---------------------------------------------------------------- parse_entry


def test_parse_entry_canonicalises_identifiers() -> None:
    entry = parse_entry(
        watchlist_entry(
            identifiers=[
                {"type": "merchant_id", "value": "mid-1"},
                {"type": "merchant_id", "value": "mid-2", "acquirer_id": "acq-9"},
                {"type": "card_acceptor_id", "value": "ca1  "},
                {"type": "iban", "value": "gb82 west 1234 5698 7654 32"},
                {"type": "account", "value": "12-34"},
                {"type": "domain", "value": "WWW.Listed.com."},
                {"type": "url", "value": "https://www.other.example.org/x?y"},
                {"type": "wallet_address", "value": "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"},
                {"type": "email", "value": "Sales@VidVault.Example"},
                {"type": "phone", "value": "070 123 45 67", "country": "SE"},
                {"type": "name", "value": "Darkpix Media Ltd"},
            ],
            reference="case-1",
        )
    )
    assert [(i.type, i.value, i.key) for i in entry.identifiers] == [
        ("merchant_id", "MID-1", "merchant_id:MID-1"),
        ("merchant_id", "ACQ-9/MID-2", "merchant_id:ACQ-9/MID-2"),
        ("card_acceptor_id", "CA1", "card_acceptor_id:CA1"),
        ("iban", "GB82WEST12345698765432", "iban:GB82WEST12345698765432"),
        ("account", "1234", "account:1234"),
        ("domain", "listed.com", "domain:listed.com"),
        ("url", "other.example.org", "domain:other.example.org"),
        (
            "wallet_address",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "wallet_address:bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        ),
        ("email", "sales@vidvault.example", "email:sales@vidvault.example"),
        ("phone", "+46701234567", "phone:+46701234567"),
    ]
    assert entry.names == (("darkpix media", "Darkpix Media Ltd"),)
    assert entry.rejected == ()
    assert (entry.entry_id, entry.action, entry.status, entry.source) == (
        "wl-1",
        "block",
        "confirmed",
        "ncmec",
    )
    assert entry.reference == "case-1"
    assert entry.expires_at is None


def test_name_is_not_an_exact_identifier_of_an_entry() -> None:
    entry = parse_entry(watchlist_entry(identifiers=[{"type": "name", "value": "Acme Ltd"}]))
    assert entry.identifiers == ()
    assert entry.names == (("acme", "Acme Ltd"),)


@pytest.mark.parametrize("field", ["entry_id", "identifiers", "action", "status", "source"])
def test_parse_entry_missing_required_field_named(field: str) -> None:
    document = watchlist_entry()
    del document[field]
    with pytest.raises(EntryError, match=field):
        parse_entry(document)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"action": "allow"}, "action"),
        ({"action": "alert"}, "action"),
        ({"status": "active"}, "status"),
        ({"status": "expired"}, "status"),
        ({"identifiers": []}, "identifiers"),
        ({"identifiers": "GB82WEST12345698765432"}, "identifiers"),
        ({"identifiers": [{"type": "ssn", "value": "123"}]}, "type"),
        ({"identifiers": [{"type": "iban"}]}, "value"),
        ({"identifiers": [{"value": "x"}]}, "type"),
        ({"identifiers": [{"type": "iban", "value": ""}]}, "value"),
        ({"entry_id": ""}, "entry_id"),
        ({"entry_id": 7}, "entry_id"),
        ({"source": ""}, "source"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"expires_at": "2026-02-01"}, "expires_at"),
        ({"expires_at": "2026-02-01T00:00:00"}, "expires_at"),
    ],
)
def test_parse_entry_validation_error_names_the_problem(
    overrides: dict[str, Any], named: str
) -> None:
    with pytest.raises(EntryError, match=named):
        parse_entry(watchlist_entry(**overrides))


@pytest.mark.parametrize("document", [None, [], "wl-1", 5])
def test_parse_entry_not_an_object(document: Any) -> None:
    with pytest.raises(EntryError):
        parse_entry(document)


def test_expires_at_outside_utc_range_is_an_entry_error() -> None:
    with pytest.raises(EntryError, match="expires_at"):
        parse_entry(watchlist_entry(expires_at="0001-01-01T00:00:00+01:00"))


def test_invalid_identifier_is_rejected_and_the_rest_kept() -> None:
    entry = parse_entry(
        watchlist_entry(
            identifiers=[
                {"type": "iban", "value": "GB82 WEST 1234 5698 7654 33"},
                {"type": "email", "value": "not-an-email"},
                {"type": "phone", "value": "070 123 45 67"},  # national, no country
                {"type": "domain", "value": "listed.com"},
            ]
        )
    )
    assert [i.key for i in entry.identifiers] == ["domain:listed.com"]
    assert set(entry.rejected) == {
        ("iban", "GB82 WEST 1234 5698 7654 33"),
        ("email", "not-an-email"),
        ("phone", "070 123 45 67"),
    }


def test_entry_with_only_invalid_identifiers_is_an_error_naming_them() -> None:
    with pytest.raises(EntryError) as info:
        parse_entry(
            watchlist_entry(
                entry_id="wl-bad",
                identifiers=[{"type": "iban", "value": "GB82 WEST 1234 5698 7654 33"}],
            )
        )
    message = str(info.value)
    assert "wl-bad" in message
    assert "iban" in message


def test_optional_fields_accepted() -> None:
    entry = parse_entry(
        watchlist_entry(
            expires_at="2026-02-01T00:00:00+01:00",
            reference="case-2026-0113",
            confidence=0.9,
            notes="seen on three members",
        )
    )
    assert entry.expires_at == datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    assert entry.reference == "case-2026-0113"


@pytest.mark.parametrize("confidence", ["high", "", 0.5, 0, 1, None])
def test_confidence_number_or_string(confidence: object) -> None:
    """The schema allows a number, a string or null; the index does not use confidence,
    so it is kept in the published document exactly as given."""
    document = watchlist_entry(confidence=confidence)
    entry = parse_entry(document)
    assert entry.entry_id == "wl-1" and entry.action == "block"
    decoded, encoded = decode_entry(orjson.dumps(document))
    assert decoded == entry
    published = orjson.loads(encoded)
    assert published["confidence"] == confidence
    assert type(published["confidence"]) is type(confidence)


@pytest.mark.parametrize("confidence", [True, False, [0.5], {"score": 0.5}])
def test_confidence_of_any_other_type_is_rejected(confidence: object) -> None:
    with pytest.raises(EntryError, match="confidence must be number or string or null"):
        parse_entry(watchlist_entry(confidence=confidence))


def test_null_expires_at_means_no_expiry() -> None:
    assert parse_entry(watchlist_entry(expires_at=None)).expires_at is None


def test_decode_entry_round_trip_and_stable_encoding() -> None:
    document = watchlist_entry(reference="r")
    reordered = dict(reversed(list(document.items())))
    entry, encoded = decode_entry(orjson.dumps(reordered))
    assert entry.entry_id == "wl-1"
    assert encoded == encode_entry(document)


@pytest.mark.parametrize("data", [b"", b"{", b"not json"])
def test_decode_entry_not_json(data: bytes) -> None:
    with pytest.raises(EntryError, match="JSON"):
        decode_entry(data)


# ---------------------------------------------------------------- effect


@pytest.mark.parametrize(
    ("status", "action", "effect"),
    [
        ("confirmed", "block", "block"),
        ("confirmed", "hold", "hold"),
        ("suspected", "block", "hold"),
        ("suspected", "hold", "hold"),
        ("revoked", "block", None),
        ("revoked", "hold", None),
    ],
)
def test_effect_by_status(status: str, action: str, effect: str | None) -> None:
    assert parse_entry(watchlist_entry(status=status, action=action)).effect(NOW) == effect


@pytest.mark.parametrize("status", ["confirmed", "suspected"])
def test_expired_entry_has_no_effect(status: str) -> None:
    entry = parse_entry(watchlist_entry(status=status, expires_at="2026-01-01T00:00:00Z"))
    assert entry.effect(NOW) is None


def test_expiry_is_compared_with_the_given_time() -> None:
    entry = parse_entry(watchlist_entry(expires_at="2026-01-15T10:00:00Z"))
    assert entry.effect(NOW - timedelta(seconds=1)) == "block"
    assert entry.effect(NOW - timedelta(days=365)) == "block"
    assert entry.effect(NOW + timedelta(seconds=1)) is None
    assert entry.effect(NOW + timedelta(days=365)) is None


def test_expiry_with_offset_compared_as_an_instant() -> None:
    entry = parse_entry(watchlist_entry(expires_at="2026-01-15T12:00:00+02:00"))  # 10:00Z
    assert entry.effect(datetime(2026, 1, 15, 9, 59, tzinfo=UTC)) == "block"
    assert entry.effect(datetime(2026, 1, 15, 10, 1, tzinfo=UTC)) is None


def test_revoked_stays_revoked_before_expiry() -> None:
    entry = parse_entry(watchlist_entry(status="revoked", expires_at="2030-01-01T00:00:00Z"))
    assert entry.effect(NOW) is None


# ---------------------------------------------------------------- WatchlistIndex

A = watchlist_entry("wl-a", identifiers=[{"type": "iban", "value": "GB82 WEST 1234 5698 7654 32"}])
B = watchlist_entry(
    "wl-b",
    identifiers=[{"type": "domain", "value": "listed.com"}, {"type": "name", "value": "Acme Ltd"}],
    status="suspected",
    source="europol-efc",
)
C = watchlist_entry("wl-c", identifiers=[{"type": "email", "value": "sales@vidvault.example"}])
D = watchlist_entry(
    "wl-d",
    identifiers=[{"type": "iban", "value": "gb82west12345698765432"}],
    action="hold",
)


def index_of(*documents: dict[str, Any]) -> WatchlistIndex:
    index = WatchlistIndex()
    index.load(loaded(d) for d in documents)
    return index


def test_lookup_returns_entry_and_matching_identifier() -> None:
    index = index_of(A, B, C)
    [(entry, ident)] = index.lookup("domain:listed.com")
    assert entry.entry_id == "wl-b"
    assert (ident.type, ident.value) == ("domain", "listed.com")
    assert index.lookup("domain:other.com") == []
    assert index.lookup("name:acme") == []


def test_lookup_several_entries_for_one_key() -> None:
    index = index_of(A, D)
    found = index.lookup("iban:GB82WEST12345698765432")
    assert sorted(e.entry_id for e, _ in found) == ["wl-a", "wl-d"]


def test_lookup_entry_by_id() -> None:
    index = index_of(A)
    entry = index.lookup_entry("wl-a")
    assert entry is not None
    assert entry.entry_id == "wl-a"
    assert index.lookup_entry("wl-zzz") is None


def test_len_counts_entries() -> None:
    assert len(index_of()) == 0
    assert len(index_of(A, B, C)) == 3


def test_upsert_replaces_identifiers() -> None:
    index = index_of(A)
    changed = watchlist_entry("wl-a", identifiers=[{"type": "domain", "value": "moved.com"}])
    index.upsert(*loaded(changed))
    assert len(index) == 1
    assert index.lookup("iban:GB82WEST12345698765432") == []
    assert [e.entry_id for e, _ in index.lookup("domain:moved.com")] == ["wl-a"]


def test_upsert_replaces_status() -> None:
    index = index_of(A)
    index.upsert(*loaded({**A, "status": "revoked"}))
    [(entry, _)] = index.lookup("iban:GB82WEST12345698765432")
    assert entry.status == "revoked"


def test_delete_removes_identifiers_and_names() -> None:
    index = index_of(A, B)
    index.delete("wl-b")
    assert index.lookup("domain:listed.com") == []
    assert index.search_names("acme", THRESHOLD) == []
    assert index.lookup_entry("wl-b") is None
    assert len(index) == 1


def test_delete_unknown_is_harmless() -> None:
    index = index_of(A)
    version = index.version
    index.delete("wl-unknown")
    assert index.version == version
    assert len(index) == 1


def test_delete_one_of_two_entries_sharing_a_key_keeps_the_other() -> None:
    index = index_of(A, D)
    index.delete("wl-a")
    assert [e.entry_id for e, _ in index.lookup("iban:GB82WEST12345698765432")] == ["wl-d"]


def test_search_names_through_index() -> None:
    index = index_of(A, B)
    [hit] = index.search_names(canonical.name("ACME LIMITED") or "", THRESHOLD)
    assert hit.entry_id == "wl-b"
    assert hit.listed_name == "Acme Ltd"


def test_upsert_replacing_name_forgets_old_name() -> None:
    index = index_of(B)
    index.upsert(
        *loaded({**B, "identifiers": [{"type": "name", "value": "Completely Different Name"}]})
    )
    assert index.search_names("acme", THRESHOLD) == []
    assert [h.entry_id for h in index.search_names("completely different name", THRESHOLD)] == [
        "wl-b"
    ]


def test_remembered_name_searches_follow_list_changes() -> None:
    index = index_of(A)
    name = canonical.name("ACME LIMITED") or ""
    assert index.search_names(name, THRESHOLD) == []
    index.upsert(*loaded(B))
    assert [h.entry_id for h in index.search_names(name, THRESHOLD)] == ["wl-b"]
    assert [h.entry_id for h in index.search_names(name, THRESHOLD)] == ["wl-b"]
    index.delete("wl-b")
    assert index.search_names(name, THRESHOLD) == []


def test_version_changes_on_every_change() -> None:
    index = WatchlistIndex()
    seen = [index.version]
    for document in (A, B, C):
        index.upsert(*loaded(document))
        seen.append(index.version)
    index.upsert(*loaded({**A, "status": "revoked"}))
    seen.append(index.version)
    index.upsert(*loaded({**A, "source": "other"}))
    seen.append(index.version)
    index.delete("wl-c")
    seen.append(index.version)
    assert len(set(seen)) == len(seen)


def test_version_unchanged_by_identical_upsert() -> None:
    index = index_of(A, B)
    version = index.version
    index.upsert(*loaded(A))
    assert index.version == version


def test_version_is_a_string() -> None:
    assert isinstance(index_of(A).version, str)
    assert index_of(A).version


@pytest.mark.parametrize("order", list(itertools.permutations([A, B, C, D])))
def test_version_is_order_independent(order: tuple[dict[str, Any], ...]) -> None:
    assert index_of(*order).version == index_of(A, B, C, D).version


def test_version_same_after_different_histories() -> None:
    one = index_of(A, B)
    other = index_of(C, B, {**A, "status": "revoked"})
    other.delete("wl-c")
    other.upsert(*loaded(A))
    assert one.version == other.version


def test_delete_returns_to_earlier_version() -> None:
    index = index_of(A, B)
    before = index.version
    index.upsert(*loaded(C))
    assert index.version != before
    index.delete("wl-c")
    assert index.version == before


def test_delete_everything_returns_to_empty_version() -> None:
    empty = WatchlistIndex().version
    index = index_of(A, B, C)
    for entry_id in ("wl-b", "wl-a", "wl-c"):
        index.delete(entry_id)
    assert index.version == empty


def test_version_differs_for_different_lists_of_same_size() -> None:
    assert index_of(A, B).version != index_of(A, C).version
    assert index_of(A).version != index_of({**A, "entry_id": "wl-a2"}).version


# ---------------------------------------------------------------- NameIndex

LISTED = {
    "e-darkpix": "Darkpix Media Ltd",
    "e-vidvault": "Vidvault Trading GmbH",
    "e-nordic": "Nordic Content AB",
    "e-angels": "Little Angels Studio",
    "e-muller": "Müller Bücher GmbH",
}


def name_index() -> NameIndex:
    index = NameIndex()
    for entry_id, listed in LISTED.items():
        variants = canonical.name_variants(listed)
        assert variants
        for canon in variants:
            index.add(entry_id, canon, listed)
    return index


def search(index: NameIndex, written: str, threshold: float = THRESHOLD) -> list[str]:
    variants = canonical.name_variants(written)
    assert variants
    found = [hit.entry_id for canon in variants for hit in index.search(canon, threshold)]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize(
    ("written", "entry_id"),
    [
        ("Darkpix Media Ltd", "e-darkpix"),
        ("DARKPIX MEDIA LIMITED", "e-darkpix"),
        ("darkpix media", "e-darkpix"),
        ("Darkpix Media, Inc.", "e-darkpix"),
        ("Vidvault Trading", "e-vidvault"),
        ("Nordic Content", "e-nordic"),
        ("Müller Bücher", "e-muller"),
        ("Muller Bucher", "e-muller"),
    ],
)
def test_name_exact_after_canonicalisation_scores_100(written: str, entry_id: str) -> None:
    canon = canonical.name(written)
    assert canon is not None
    hits = name_index().search(canon, THRESHOLD)
    assert [h.entry_id for h in hits] == [entry_id]
    assert hits[0].score == 100.0
    assert hits[0].listed_name == LISTED[entry_id]


@pytest.mark.parametrize(
    ("written", "entry_id"),
    [
        ("Darkpx Media", "e-darkpix"),  # missing letter
        ("Darkpix Medai", "e-darkpix"),  # transposition
        ("Darkpix Mediaa", "e-darkpix"),  # extra letter
        ("Darkpix Nedia", "e-darkpix"),  # substitution
        ("Barkpix Media", "e-darkpix"),
        ("Vidvault Tradng", "e-vidvault"),
        ("Nordic Contnet AB", "e-nordic"),
        ("Little Angel Studio", "e-angels"),
        ("Little Angels Studios", "e-angels"),
        ("Mueller Buecher", "e-muller"),  # German transliteration of ü
    ],
)
def test_name_small_typos_match(written: str, entry_id: str) -> None:
    assert search(name_index(), written) == [entry_id]


@pytest.mark.parametrize(
    ("written", "entry_id"),
    [
        ("Media Darkpix", "e-darkpix"),
        ("Studio Little Angels", "e-angels"),
        ("Trading Vidvault GmbH", "e-vidvault"),
        ("Angels Little Studios", "e-angels"),  # order and a typo
    ],
)
def test_name_token_order_matches(written: str, entry_id: str) -> None:
    assert search(name_index(), written) == [entry_id]


def test_name_typo_that_changes_token_order_still_matches() -> None:
    # "Content" -> "Pontent" is one substitution, but it sorts after "Nordic"
    assert search(name_index(), "Nordic Pontent AB") == ["e-nordic"]


def test_name_hyphenated_spelling_matches() -> None:
    # punctuation must not matter: "Dark-Pix" is "DarkPix" written with a hyphen
    assert search(name_index(), "Dark-Pix Media") == ["e-darkpix"]


@pytest.mark.parametrize(
    "written",
    [
        "Corner Shop 17",
        "Totally Unrelated Name",
        "Darkpix",  # only part of the listed name
        "Media",
        "Nordic Bakery",
        "Acme Trading",
        "Little Shop",
        "Vid",
    ],
)
def test_unrelated_names_do_not_match(written: str) -> None:
    assert search(name_index(), written) == []


def test_hits_are_scored_and_above_threshold() -> None:
    index = name_index()
    hits = index.search("darkpx media", THRESHOLD)
    assert len(hits) == 1
    assert THRESHOLD <= hits[0].score < 100.0


def test_threshold_is_respected() -> None:
    index = name_index()
    [hit] = index.search("darkpx media", THRESHOLD)
    assert index.search("darkpx media", hit.score + 0.5) == []
    assert [h.entry_id for h in index.search("darkpx media", hit.score)] == ["e-darkpix"]


def test_hits_best_first() -> None:
    index = NameIndex()
    index.add("e-close", "darkpix media", "Darkpix Media")
    index.add("e-far", "darkpix medias", "Darkpix Medias")
    hits = index.search("darkpix media", 80.0)
    assert [h.entry_id for h in hits] == ["e-close", "e-far"]
    assert hits[0].score > hits[1].score


def test_one_hit_per_entry_with_its_best_name() -> None:
    index = NameIndex()
    index.add("e-1", "darkpix media", "Darkpix Media")
    index.add("e-1", "darkpix medias", "Darkpix Medias")
    hits = index.search("darkpix media", 80.0)
    assert [(h.entry_id, h.listed_name, h.score) for h in hits] == [("e-1", "Darkpix Media", 100.0)]


def test_same_name_on_two_entries_hits_both() -> None:
    index = NameIndex()
    index.add("e-1", "acme", "Acme Ltd")
    index.add("e-2", "acme", "ACME")
    assert sorted(h.entry_id for h in index.search("acme", THRESHOLD)) == ["e-1", "e-2"]


def test_remove_works() -> None:
    index = name_index()
    index.remove("e-darkpix", "darkpix media")
    assert search(index, "Darkpix Media") == []
    assert search(index, "Nordic Content") == ["e-nordic"]
    assert len(index) == len(LISTED) - 1


def test_remove_one_of_two_entries_with_same_name() -> None:
    index = NameIndex()
    index.add("e-1", "acme", "Acme Ltd")
    index.add("e-2", "acme", "ACME")
    index.remove("e-1", "acme")
    assert [h.entry_id for h in index.search("acme", THRESHOLD)] == ["e-2"]


def test_remove_unknown_is_harmless() -> None:
    index = name_index()
    index.remove("e-unknown", "nobody")
    index.remove("e-darkpix", "not its name")
    assert search(index, "Darkpix Media") == ["e-darkpix"]


def test_empty_index_has_no_hits() -> None:
    assert NameIndex().search("darkpix media", THRESHOLD) == []


def name_score(one: str, other: str) -> float:
    left, right = canonical.name(one), canonical.name(other)
    assert left is not None and right is not None
    return similarity(left, right)


@pytest.mark.parametrize(
    ("listed", "written"),
    [
        ("Moonlit Frames", "Moonlit Games"),
        ("Sunrise Photo", "Sunset Photo"),
        ("North Star Imaging", "South Star Imaging"),
        ("Golden Gate Media", "Golden Gate Medical"),
        ("Bluewave Media", "Bluewater Media"),
        ("Studio 54 Media", "Studio 45 Media"),
        ("Pixel 7 Ltd", "Pixel 8 Ltd"),
        ("J.K. Visuals", "J.P. Visuals"),
        ("Acme", "Acne"),  # a one-word name of four letters: no edit
        ("Darkpix Media", "Darkpix Media Group"),
        ("Pixel Paradise", "Pixel Parade"),
        ("Snap Shot Studio", "Snapshot Stadium"),
    ],
)
def test_name_differing_in_a_whole_word_does_not_match(listed: str, written: str) -> None:
    # sharing every word but one makes two strings alike, not two businesses
    assert name_score(listed, written) < THRESHOLD
    assert name_score(written, listed) == name_score(listed, written)


@pytest.mark.parametrize(
    ("listed", "written"),
    [
        ("Tidewater Imaging", "Tidewatre Imagin"),  # a typo in each word
        ("Kaleidoscope Kids Media", "Kalaidoscop Kids Media"),  # two in a long word
        ("Pixel Nordic AB", "Nordic Pixle"),
        ("Snap Shot Studio", "Snapshot Studio"),  # run together
        ("Snap Shot Studio", "Snapshot Studios"),  # run together, and a typo
        ("像素工作室", "Xiangsu Gongzuoshi"),  # pinyin spaced by word
        ("DarkPix", "Dark Pix"),
        ("Studio 54", "Studio54"),
        ("Тёмный Пиксель", "Tyomny Piksel"),  # yo for ё, -y for -ый
        ("Северный Свет Медиа", "Severnyj Svet Media"),  # j for й
        ("Фотостудия Жар-Птица", "Fotostudia Zhar Ptica"),  # ya as a, ts as c
        ("Φωτεινή Εικόνα", "Photeini Eikona"),  # ph for φ
        ("Starlight Pictures", "Starlite Pictures"),
        ("Pixel + Paper", "Pixel and Paper"),
        ("Müller & Söhne", "Mueller und Soehne"),
    ],
)
def test_name_variants_match(listed: str, written: str) -> None:
    assert name_score(listed, written) >= THRESHOLD
    assert name_score(written, listed) == name_score(listed, written)


@pytest.mark.parametrize(
    ("listed", "written", "expected"),
    [
        # a word of kind (organisation, company, association...) says what sort of body a
        # business is, not which: one more or less costs 4 (issue 22: IRAN BROADCASTING ORG.)
        ("Iran Broadcasting", "Iran Broadcasting Org.", 96.0),
        ("Darkpix Media", "Darkpix Media Organisation", 96.0),
        # a word of activity (group, trading, shipping...) more, or a generic word in place
        # of another, is a sister company: 13, below the default threshold alone
        ("Darkpix Media", "Darkpix Media Group", 87.0),
        ("Koryo Bank", "Koryo Commercial Bank", 87.0),
        ("Ellissa Shipping", "Ellissa Holding", 87.0),
        # a name's only distinctive word must match closely (issue 22)
        ("Hamas", "Tamas Company", 80.0),
        ("Ramak", "Ramal S.A.", 80.0),
        ("Petropars", "Petropark", 80.0),
        ("Ramal S.A.", "Raml", 90.0),
        # one word transliterated two ways: the same sound and first letter
        ("Al Rashid Trading", "El Rasheed Trading", 90.0),
    ],
)
def test_name_generic_sole_and_transliterated_words(
    listed: str, written: str, expected: float
) -> None:
    assert name_score(listed, written) == expected


@pytest.mark.parametrize(
    ("one", "other", "expected"),
    [
        ("darkpix media", "darkpix media", 100.0),
        ("temnyy piksel", "piksel tyomny", 95.0),  # equal once romanisations are folded
        ("media shot snap", "media snapshot", 95.0),  # run together, in some word order
        ("media shot snap", "media snapshat", 90.0),  # run together, then one edit
        ("darkpix media", "darkpx media", 90.0),  # one edit, its tolerance in a word
        ("kaleidoscope kids", "kaleidoscop kids", 95.0),  # half a long word's tolerance
        ("darkpix media", "darkpix mediaaa", 80.0),  # twice the tolerance
        ("jk visuals", "jp visuals", 80.0),  # an edit in a two-letter word
        ("54 studio", "55 studio", 0.0),  # a different number
        ("darkpix", "darkpix media", 0.0),  # a word with no counterpart
        ("darkpix media", "darkpix darkpix media", 0.0),  # words pair one to one
    ],
)
def test_name_scores_mean_the_worst_word(one: str, other: str, expected: float) -> None:
    assert similarity(one, other) == expected


def test_name_below_the_default_threshold_is_found_at_a_lower_one() -> None:
    index = NameIndex()
    index.add("e-medical", "gate golden medical", "Golden Gate Medical")
    assert index.search("gate golden media", THRESHOLD) == []
    [hit] = index.search("gate golden media", 80.0)
    assert (hit.entry_id, hit.score) == ("e-medical", 80.0)


# The first twenty syllables of the benchmark's coined names: fewer syllables, more shared
# trigrams, a harder case for blocking.
SYLLABLES = list(BENCH_SYLLABLES[:20])
TRADES = ["media", "studio", "content", "photo", "video", "club", "store", "digital"]


def test_name_hits_are_found_among_many_similar_names() -> None:
    # Names built from few syllables share most trigrams: blocking must still reach the
    # name a payee misspelt (one substitution in one of its coined words).
    rng = random.Random(7)
    index = NameIndex()
    listed: list[list[str]] = []
    for i in range(20_000):
        words = [
            "".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))),
            "".join(rng.choices(SYLLABLES, k=2)),
            rng.choice(TRADES),
        ]
        listed.append(words)
        name = " ".join(words)
        for variant in canonical.name_variants(name):
            index.add(f"e{i}", variant, name)
    trials = range(0, 20_000, 100)
    found = 0
    for i in trials:
        words = list(listed[i])
        coined = rng.randrange(2)
        at = rng.randrange(1, len(words[coined]))
        letter = "x" if words[coined][at] != "x" else "q"
        words[coined] = words[coined][:at] + letter + words[coined][at + 1 :]
        written = canonical.name(" ".join(words)) or ""
        found += f"e{i}" in {h.entry_id for h in index.search(written, THRESHOLD)}
    assert found >= 0.98 * len(trials)


def test_name_index_survives_many_removals() -> None:
    index = NameIndex()
    for i in range(3000):
        index.add(f"e{i}", f"name{i} media", f"Name{i} Media")
    for i in range(2900):
        index.remove(f"e{i}", f"name{i} media")  # rebuilds once removed names dominate
    assert len(index) == 100
    assert index.search("name1 media", THRESHOLD) == []
    [hit] = index.search("name2999 media", THRESHOLD)
    assert (hit.entry_id, hit.score) == ("e2999", 100.0)
    index.add("e1", "name1 media", "Name1 Media")
    assert [h.entry_id for h in index.search("name1 media", THRESHOLD)] == ["e1"]


WORDS = st.text(alphabet="abcdefyjkhpst0", min_size=1, max_size=9)


@settings(max_examples=200, deadline=None)
@given(one=st.lists(WORDS, min_size=1, max_size=4), other=st.lists(WORDS, min_size=1, max_size=4))
def test_property_name_similarity_is_symmetric_and_bounded(
    one: list[str], other: list[str]
) -> None:
    left, right = " ".join(sorted(one)), " ".join(sorted(other))
    score = similarity(left, right)
    assert 0.0 <= score <= 100.0
    assert similarity(right, left) == score
    assert similarity(left, left) == 100.0
    assert (score == 100.0) == (left == right)
