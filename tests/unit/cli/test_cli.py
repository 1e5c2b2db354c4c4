"""The command line without a broker: offline screening and one-line errors."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from streams.cli.main import cli
from tests.factories import payment_bytes

SAMPLE = Path(__file__).resolve().parents[3] / "data" / "sample-watchlist.jsonl"


def run_screen(lines: list[bytes], watchlist: Path = SAMPLE) -> tuple[list[dict], list[dict], int]:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        cli, ["screen", "--watchlist", str(watchlist)], input=b"\n".join(lines) + b"\n"
    )
    decisions = [orjson.loads(line) for line in result.stdout_bytes.splitlines() if line.strip()]
    dead = [
        orjson.loads(line) for line in result.stderr_bytes.splitlines() if line.startswith(b"{")
    ]
    return decisions, dead, result.exit_code


@pytest.mark.parametrize(
    ("payee", "decision", "entry_id"),
    [
        ({"merchant_id": " mid-778812 "}, "block", "wl-0001"),
        ({"url": "HTTPS://www.DarkPix-Store.example/free?x=1"}, "block", "wl-0001"),
        ({"domain": "cdn.darkpix-store.example."}, "block", "wl-0001"),
        ({"iban": "de89 3704 0044 0532 0130 00"}, "block", "wl-0002"),
        ({"card_acceptor_id": "ca0099887766 "}, "block", "wl-0003"),
        ({"wallet_address": "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ"}, "block", "wl-0004"),
        ({"email": "Sales@VidVault.Example"}, "block", "wl-0005"),
        ({"phone": "0044 (20) 7946-0958"}, "hold", "wl-0006"),
        ({"phone": "020 7946 0958", "country": "GB"}, "hold", "wl-0006"),
        ({"domain": "memberzone-clips.example"}, "block", "wl-0007"),
        ({"account": "4410 2233 9981"}, "hold", "wl-0008"),
        ({"wallet_address": "0x52908400098527886e0f7030069857d2e4169ee7"}, "block", "wl-0009"),
        ({"name": "LUMEN MEDIA HOLDINGS LIMITED"}, "hold", "wl-0010"),
        ({"name": "Holdings Lumen Media"}, "hold", "wl-0010"),
        ({"domain": "XN--BCHER-SAMMLUNG-GSB.example"}, "block", "wl-0012"),
        ({"url": "https://shop.bücher-sammlung.example/"}, "block", "wl-0012"),
        ({"merchant_id": "m-55120", "acquirer_id": "acq-7"}, "block", "wl-0013"),
        ({"wallet_address": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"}, "block", "wl-0015"),
        ({"domain": "www.teen-vault.example.org"}, "hold", "wl-0017"),
        ({"phone": "+1 (202) 555-0147"}, "block", "wl-0018"),
    ],
)
def test_offline_screen_matches_variant_spellings(
    payee: dict[str, str], decision: str, entry_id: str
) -> None:
    decisions, dead, code = run_screen(
        [payment_bytes("t1", "m1", ts="2026-11-23T10:00:00Z", payee=payee)]
    )
    assert code == 0 and not dead
    assert len(decisions) == 1
    assert decisions[0]["decision"] == decision
    assert decisions[0]["reasons"][0]["entry_id"] == entry_id
    assert decisions[0]["watchlist_version"].startswith("wl-")


@pytest.mark.parametrize(
    "payee",
    [
        {"iban": "NL91ABNA0417164300"},  # revoked entry
        {"email": "payments@old-clips.example"},  # expired entry
        {"merchant_id": "M-55120", "acquirer_id": "ACQ-8"},  # listed under another acquirer
        {"domain": "darkpix-store.example.org"},  # a look-alike under another suffix
        {"domain": "notdarkpix-store.example"},
        {"email": "other@vidvault.example"},  # same domain, other mailbox
        {"domain": "vidvault.example"},  # an email entry's domain alone
        {"wallet_address": "1boatslrhtknngkdxeeobr76b53lettpyt"},  # base58 is case-sensitive
        {"name": "Lumina Medical Supplies"},
        {"iban": "DE89370400440532013001"},  # fails mod-97
    ],
)
def test_offline_screen_allows_near_misses(payee: dict[str, str]) -> None:
    decisions, dead, code = run_screen(
        [payment_bytes("t1", "m1", ts="2026-11-23T10:00:00Z", payee=payee)]
    )
    assert code == 0 and not dead
    assert [d["decision"] for d in decisions] == ["allow"], decisions


def test_offline_screen_dead_letters_bad_lines_and_goes_on() -> None:
    decisions, dead, code = run_screen(
        [
            b"{oops",
            payment_bytes("t2", "m1", ts="2026-11-23T10:00:00Z", payee={}),
            payment_bytes(
                "t3", "m1", ts="2026-11-23T10:00:00Z", payee={"iban": "DE89370400440532013000"}
            ),
        ]
    )
    assert code == 0
    assert [d["txn_id"] for d in decisions] == ["t3"]
    assert [d["source_offset"] for d in dead] == [0, 1]
    assert [d["error_code"] for d in dead] == ["INVALID_JSON", "NO_PAYEE_IDENTIFIER"]


def test_offline_screen_expiry_is_judged_in_event_time() -> None:
    before_expiry = payment_bytes(
        "t1", "m1", ts="2024-06-01T00:00:00Z", payee={"email": "payments@old-clips.example"}
    )
    decisions, _, _ = run_screen([before_expiry])
    assert decisions[0]["decision"] == "block"


def test_missing_watchlist_file_is_one_line_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["screen", "--watchlist", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 1
    assert "nope.jsonl: no such file" in result.output
    assert "Traceback" not in result.output


def test_bad_watchlist_line_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "wl.jsonl"
    bad.write_text(
        SAMPLE.read_text().splitlines()[0]
        + '\n{"entry_id": "x", "identifiers": [], "action": "block"}\n'
    )
    result = CliRunner().invoke(cli, ["screen", "--watchlist", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:2:" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bad_listen_argument_is_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["broker", "--listen", "nonsense"])
    assert result.exit_code == 2
    assert "HOST:PORT" in result.output


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--nodes", "3"], "--nodes needs --engine kafka"),
        (["--data-dir", "/tmp/x"], "--data-dir needs --engine kafka"),
        (["--engine", "zookeeper"], "'zookeeper' is not one of 'tansu', 'kafka'"),
        (["--engine", "kafka", "--nodes", "0"], "0 is not in the range 1<=x<=9"),
    ],
)
def test_broker_options_the_engine_cannot_honour_are_refused(args: list[str], named: str) -> None:
    result = CliRunner().invoke(cli, ["broker", *args])
    assert result.exit_code == 2
    assert named in result.output


def test_kafka_without_java_is_one_line_naming_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streams.kafka import kafka_runtime

    monkeypatch.setattr(kafka_runtime.shutil, "which", lambda name: None)
    result = CliRunner().invoke(cli, ["broker", "--engine", "kafka"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: --engine kafka needs java (17+) and mvn on PATH (Debian: apt-get install "
        "openjdk-17-jre-headless maven); --engine tansu runs without them"
    ]


def test_bad_members_argument_is_one_line_error() -> None:
    result = CliRunner().invoke(cli, ["produce", "--members", "Bad_Member"])
    assert result.exit_code == 2
    assert "Bad_Member" in result.output


def test_bad_setting_is_one_line_error() -> None:
    result = CliRunner(env={"SCREENING_WEB_PORT": "http"}).invoke(cli, ["worker"])
    assert result.exit_code == 1
    assert result.output.strip() == "Error: SCREENING_WEB_PORT: 'http' is not an integer"
