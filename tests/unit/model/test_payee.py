"""The payee in canonical form: exact-match probes, invalid identifiers and the payee key
(DESIGN.md "Velocity rule": the payee key order)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.model.payee import PAYEE_IDENTIFIER_FIELDS, canonical_payee, index_key

IBAN = "GB82 WEST 1234 5698 7654 32"
IBAN_C = "GB82WEST12345698765432"
HEX = "0x52908400098527886e0f7030069857d2e4169ee7"


def keys_of(payee: dict[str, object]) -> list[str]:
    return [probe.key for probe in canonical_payee(payee).lookup_keys]


# ---------------------------------------------------------------- lookup keys


def test_merchant_id_with_acquirer_probes_bare_and_scoped() -> None:
    payee = canonical_payee({"merchant_id": " mid-1 ", "acquirer_id": "acq-9"})
    assert payee.identifiers["merchant_id"] == "ACQ-9/MID-1"
    keys = [p.key for p in payee.lookup_keys]
    assert "merchant_id:MID-1" in keys
    assert "merchant_id:ACQ-9/MID-1" in keys
    assert all(p.field == "merchant_id" for p in payee.lookup_keys)


def test_merchant_id_without_acquirer_probes_bare_only() -> None:
    payee = canonical_payee({"merchant_id": "mid-1"})
    assert payee.identifiers["merchant_id"] == "MID-1"
    assert keys_of({"merchant_id": "mid-1"}) == ["merchant_id:MID-1"]


def test_acquirer_alone_is_not_an_identifier() -> None:
    payee = canonical_payee({"acquirer_id": "ACQ-9", "country": "SE", "mcc": "5411"})
    assert payee.identifiers == {}
    assert payee.lookup_keys == ()
    assert payee.key is None


@pytest.mark.parametrize(
    ("field", "written", "key"),
    [
        ("card_acceptor_id", "ca0099887766   ", "card_acceptor_id:CA0099887766"),
        ("iban", "gb82 west 1234 5698 7654 32", f"iban:{IBAN_C}"),
        ("account", "1234-5678 90", "account:1234567890"),
        ("wallet_address", HEX.upper().replace("0X", "0x"), f"wallet_address:{HEX}"),
        ("email", "mailto:Sales@VidVault.Example", "email:sales@vidvault.example"),
        ("phone", "+46 70 123 45 67", "phone:+46701234567"),
    ],
)
def test_simple_identifier_probe(field: str, written: str, key: str) -> None:
    payee = canonical_payee({field: written})
    assert [(p.key, p.field) for p in payee.lookup_keys] == [(key, field)]
    assert payee.identifiers[field] == key.split(":", 1)[1]


def test_phone_national_number_read_with_payee_country() -> None:
    payee = canonical_payee({"phone": "070-123 45 67", "country": "se"})
    assert payee.identifiers["phone"] == "+46701234567"
    assert "phone:+46701234567" in keys_of({"phone": "070-123 45 67", "country": "se"})


def test_url_is_indexed_as_domain_with_parents() -> None:
    payee = canonical_payee({"url": "https://WWW.Shop.Listed.com:8443/members/1?p=1#x"})
    assert [(p.key, p.field) for p in payee.lookup_keys] == [
        ("domain:shop.listed.com", "url"),
        ("domain:listed.com", "url"),
    ]
    assert payee.identifiers["url"] == "shop.listed.com"


def test_domain_is_indexed_with_parents_up_to_registrable_domain() -> None:
    assert keys_of({"domain": "a.b.listed.co.uk."}) == [
        "domain:a.b.listed.co.uk",
        "domain:b.listed.co.uk",
        "domain:listed.co.uk",
    ]


def test_domain_and_url_of_same_site_probe_each_domain_once() -> None:
    keys = keys_of({"domain": "listed.com", "url": "https://shop.listed.com/x"})
    assert sorted(keys) == ["domain:listed.com", "domain:shop.listed.com"]
    assert len(keys) == len(set(keys))


def test_name_is_never_an_exact_probe() -> None:
    payee = canonical_payee({"name": "Darkpix Media Ltd"})
    assert payee.lookup_keys == ()
    assert payee.name == "darkpix media"
    assert payee.identifiers == {"name": "darkpix media"}


def test_every_identifier_together() -> None:
    payee = canonical_payee(
        {
            "merchant_id": "m1",
            "acquirer_id": "a1",
            "card_acceptor_id": "c1",
            "iban": IBAN,
            "account": "12-34",
            "wallet_address": HEX,
            "domain": "listed.com",
            "url": "https://other.example.org/",
            "email": "a@b.example",
            "phone": "+46701234567",
            "name": "Acme Ltd",
            "country": "SE",
            "mcc": "5411",
        }
    )
    assert set(payee.identifiers) == set(PAYEE_IDENTIFIER_FIELDS)
    assert payee.invalid == ()
    keys = {p.key for p in payee.lookup_keys}
    assert {
        "merchant_id:M1",
        "merchant_id:A1/M1",
        "card_acceptor_id:C1",
        f"iban:{IBAN_C}",
        "account:1234",
        f"wallet_address:{HEX}",
        "domain:listed.com",
        "domain:other.example.org",
        "domain:example.org",
        "email:a@b.example",
        "phone:+46701234567",
    } == keys


# ---------------------------------------------------------------- invalid identifiers


@pytest.mark.parametrize(
    ("field", "written"),
    [
        ("iban", "GB82 WEST 1234 5698 7654 33"),
        ("email", "not-an-email"),
        ("phone", "070-123 45 67"),  # national number without a country
        ("domain", "not a domain"),
        ("url", "https://localhost/"),
    ],
)
def test_invalid_identifier_is_listed_and_never_probed(field: str, written: str) -> None:
    payee = canonical_payee({field: written, "merchant_id": "MID-1"})
    assert field in payee.invalid
    assert field not in payee.identifiers
    assert all(p.field != field for p in payee.lookup_keys)


def test_blank_values_are_ignored_not_invalid() -> None:
    payee = canonical_payee({"iban": "   ", "email": "", "merchant_id": "M"})
    assert payee.invalid == ()
    assert set(payee.identifiers) == {"merchant_id"}


def test_non_string_values_are_ignored() -> None:
    payee = canonical_payee({"iban": 12345, "email": None, "name": ["x"], "merchant_id": "M"})
    assert set(payee.identifiers) == {"merchant_id"}


def test_unknown_fields_are_ignored() -> None:
    payee = canonical_payee({"merchant_id": "M", "nickname": "secret", "x": "y"})
    assert set(payee.identifiers) == {"merchant_id"}
    assert all("secret" not in p.key for p in payee.lookup_keys)


# ---------------------------------------------------------------- payee key

FULL_PAYEE: dict[str, str] = {
    "merchant_id": "mid-1",
    "acquirer_id": "acq-9",
    "card_acceptor_id": "ca-7",
    "iban": IBAN,
    "account": "1234-5678",
    "wallet_address": HEX,
    "url": "https://www.shop.listed.co.uk/x",
    "email": "Sales@VidVault.Example",
    "phone": "+46 70 123 45 67",
    "name": "Darkpix Media Ltd",
}

# The contract's order, each with the key it gives.
KEY_ORDER = [
    ("merchant_id", "merchant_id:ACQ-9/MID-1"),
    ("card_acceptor_id", "card_acceptor_id:CA-7"),
    ("iban", f"iban:{IBAN_C}"),
    ("account", "account:12345678"),
    ("wallet_address", f"wallet_address:{HEX}"),
    ("url", "domain:listed.co.uk"),
    ("email", "email:sales@vidvault.example"),
    ("phone", "phone:+46701234567"),
    ("name", "name:darkpix media"),
]


@pytest.mark.parametrize("strongest", range(len(KEY_ORDER)))
def test_payee_key_is_strongest_identifier_in_contract_order(strongest: int) -> None:
    removed = {field for field, _ in KEY_ORDER[:strongest]}
    payee = {k: v for k, v in FULL_PAYEE.items() if k not in removed}
    assert canonical_payee(payee).key == KEY_ORDER[strongest][1]


def test_payee_key_merchant_id_bare_without_acquirer() -> None:
    assert canonical_payee({"merchant_id": "mid-1", "iban": IBAN}).key == "merchant_id:MID-1"


@pytest.mark.parametrize(
    ("payee", "key"),
    [
        ({"domain": "WWW.Listed.com."}, "domain:listed.com"),
        ({"domain": "a.b.listed.com"}, "domain:listed.com"),
        ({"url": "https://shop.listed.com:8443/p?q=1"}, "domain:listed.com"),
        ({"url": "http://shop.bücher.de/"}, "domain:xn--bcher-kva.de"),
        ({"domain": "listed.com", "email": "a@b.example"}, "domain:listed.com"),
    ],
)
def test_payee_key_domain_is_registrable_domain(payee: dict[str, str], key: str) -> None:
    assert canonical_payee(payee).key == key


def test_payee_key_domain_under_example_tld_is_registrable_domain() -> None:
    # shop.darkpix-store.example and darkpix-store.example are the same seller
    assert (
        canonical_payee({"url": "https://shop.darkpix-store.example/x"}).key
        == canonical_payee({"domain": "darkpix-store.example"}).key
        == "domain:darkpix-store.example"
    )


def test_payee_key_sellers_on_a_shared_hosting_suffix_are_different_payees() -> None:
    # github.io is on the Public Suffix List: seller-a.github.io is a registrable domain,
    # so two sellers there must not share one payee key (velocity rules key on it).
    a = canonical_payee({"url": "https://seller-a.github.io/shop"}).key
    b = canonical_payee({"url": "https://seller-b.github.io/shop"}).key
    assert a != b


def test_payee_key_sellers_on_different_ip_addresses_are_different_payees() -> None:
    a = canonical_payee({"url": "http://203.0.113.5/shop"}).key
    b = canonical_payee({"url": "http://198.51.113.5/shop"}).key
    assert a == "domain:203.0.113.5"
    assert a != b


def test_payee_key_skips_invalid_stronger_identifier() -> None:
    payee = canonical_payee({"iban": "GB82 WEST 1234 5698 7654 33", "email": "A@B.example"})
    assert payee.key == "email:a@b.example"


def test_payee_key_none_without_identifiers() -> None:
    assert canonical_payee({}).key is None


def test_index_key_url_is_domain() -> None:
    assert (
        index_key("url", "listed.com") == index_key("domain", "listed.com") == "domain:listed.com"
    )
    assert index_key("iban", IBAN_C) == f"iban:{IBAN_C}"


# ---------------------------------------------------------------- property

PAYEE_FIELDS = (*PAYEE_IDENTIFIER_FIELDS, "acquirer_id", "country", "mcc")
# The kinds of the exact index: a url is probed as its domain, a name matched fuzzily.
EXACT_KINDS = set(PAYEE_IDENTIFIER_FIELDS) - {"url", "name"}


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(PAYEE_FIELDS) | st.text(max_size=5),
        st.text(max_size=60) | st.integers() | st.none(),
        max_size=8,
    )
)
def test_property_canonical_payee_never_raises_and_is_consistent(payee: dict[str, object]) -> None:
    result = canonical_payee(payee)
    assert not set(result.invalid) & set(result.identifiers)
    if result.identifiers:
        assert result.key is not None
    else:
        assert result.key is None
        assert result.lookup_keys == ()
    for probe in result.lookup_keys:
        assert probe.key.split(":", 1)[0] in EXACT_KINDS
