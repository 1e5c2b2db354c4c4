"""Velocity rules from the command line without a broker: `screening screen --rules` in
event time (the worker's code) and `screening backtest` on a file."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from click.testing import CliRunner, Result

from streams.cli.main import cli
from tests.factories import payment_bytes, rule_doc

EMPTY_WATCHLIST_LINE = b""


@pytest.fixture()
def empty_watchlist(tmp_path: Path) -> Path:
    path = tmp_path / "watchlist.jsonl"
    path.write_bytes(b"")
    return path


def screen(
    tmp_path: Path, watchlist: Path, rules: list[dict[str, Any]], lines: list[bytes]
) -> tuple[dict[str, dict[str, Any]], Any]:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rules))
    result = CliRunner().invoke(
        cli,
        ["screen", "--watchlist", str(watchlist), "--rules", str(rules_file)],
        input=b"\n".join(lines) + b"\n",
    )
    assert result.exit_code == 0, result.output
    decided = [orjson.loads(x) for x in result.stdout_bytes.splitlines() if x.strip()]
    return {d["txn_id"]: d for d in decided}, result


def held(decisions: dict[str, dict[str, Any]]) -> set[str]:
    return {t for t, d in decisions.items() if d["decision"] == "hold"}


def test_distinct_payer_rule_holds_from_the_third_buyer_inside_the_hour(
    tmp_path: Path, empty_watchlist: Path
) -> None:
    lines = [
        payment_bytes("a", ts="2026-11-23T10:00:00Z", payer_id="b1"),
        payment_bytes("b", ts="2026-11-23T10:10:00Z", payer_id="b1"),  # same buyer again
        payment_bytes("c", ts="2026-11-23T10:20:00Z", payer_id="b2"),
        payment_bytes("d", ts="2026-11-23T10:30:00Z", payer_id="b3"),  # third distinct buyer
        payment_bytes("e", ts="2026-11-23T11:25:00Z", payer_id="b4"),  # b1 and b2 left the window
        payment_bytes("f", ts="2026-11-23T11:29:00Z", payer_id="b5"),  # b3, b4, b5 inside
    ]
    decisions, _ = screen(tmp_path, empty_watchlist, [rule_doc(measure="distinct_payers")], lines)
    assert held(decisions) == {"d", "f"}
    (reason,) = decisions["d"]["reasons"]
    assert reason["code"] == "VELOCITY" and reason["rule_id"] == "r1"
    assert reason["observed"] == "3" and reason["threshold"] == "3"
    assert reason["rule_version"].startswith("v-")


def test_sum_rule_holds_where_the_window_sum_reaches_the_threshold(
    tmp_path: Path, empty_watchlist: Path
) -> None:
    lines = [
        payment_bytes("a", ts="2026-11-23T10:00:00Z", amount="40.00"),
        payment_bytes("b", ts="2026-11-23T10:30:00Z", amount="59.99"),  # 99.99 < 100
        payment_bytes("c", ts="2026-11-23T10:45:00Z", amount="0.01"),  # 100.00 reached
        payment_bytes("d", ts="2026-11-23T12:00:00Z", amount="99.99"),  # window emptied
    ]
    decisions, _ = screen(
        tmp_path, empty_watchlist, [rule_doc(measure="sum_amount", threshold="100")], lines
    )
    assert held(decisions) == {"c"}
    assert Decimal(decisions["c"]["reasons"][0]["observed"]) == Decimal("100.00")


def test_price_point_rule_counts_only_listed_amounts(tmp_path: Path, empty_watchlist: Path) -> None:
    lines = [
        payment_bytes("a", ts="2026-11-23T10:00:00Z", amount="9.99"),
        payment_bytes("b", ts="2026-11-23T10:01:00Z", amount="10.00"),  # not a price point
        payment_bytes("c", ts="2026-11-23T10:02:00Z", amount="9.990"),  # same price, other spelling
        payment_bytes("d", ts="2026-11-23T10:03:00Z", amount="12.50"),
        payment_bytes("e", ts="2026-11-23T10:04:00Z", amount="9.99"),  # third at a price point
    ]
    decisions, _ = screen(
        tmp_path, empty_watchlist, [rule_doc(amounts=["9.99", "19.99"], window="24h")], lines
    )
    assert held(decisions) == {"e"}


def test_shadow_rule_never_changes_a_decision_but_alerts(
    tmp_path: Path, empty_watchlist: Path
) -> None:
    lines = [payment_bytes(t, ts=f"2026-11-23T10:0{i}:00Z") for i, t in enumerate("abcde")]
    decisions, _ = screen(tmp_path, empty_watchlist, [rule_doc(mode="shadow", threshold=2)], lines)
    assert held(decisions) == set()
    assert all(d["reasons"] == [] for d in decisions.values())


def test_rules_respect_member_filter_and_event_time_not_input_order(
    tmp_path: Path, empty_watchlist: Path
) -> None:
    lines = [
        payment_bytes("late", "m1", ts="2026-11-23T10:50:00Z"),
        payment_bytes("early", "m1", ts="2026-11-23T10:00:00Z"),  # arrives second, 50 min earlier
        payment_bytes("other", "m2", ts="2026-11-23T10:51:00Z"),  # not a member of the rule
        payment_bytes("third", "m1", ts="2026-11-23T10:55:00Z"),
    ]
    decisions, _ = screen(tmp_path, empty_watchlist, [rule_doc(members=["m1"])], lines)
    assert held(decisions) == {"third"}


def test_bad_rule_file_is_a_one_line_error_naming_the_field(
    tmp_path: Path, empty_watchlist: Path
) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump([rule_doc(window="5x")]))
    result = CliRunner().invoke(
        cli, ["screen", "--watchlist", str(empty_watchlist), "--rules", str(rules_file)], input=b""
    )
    assert result.exit_code != 0
    assert "window" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def backtest(
    tmp_path: Path, candidate: Path, payments: Path, *options: str
) -> tuple[Result, dict[str, Any]]:
    """`screening backtest --rules CANDIDATE --input PAYMENTS OPTIONS --json FILE`, checked
    to have succeeded: the run and the report of FILE."""
    report_file = tmp_path / "report.json"
    result = CliRunner().invoke(
        cli,
        [
            "backtest",
            "--rules",
            str(candidate),
            "--input",
            str(payments),
            *options,
            "--json",
            str(report_file),
        ],
    )
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = orjson.loads(report_file.read_bytes())
    return result, report


def test_backtest_reports_hits_payees_and_changed_decisions(tmp_path: Path) -> None:
    payments = tmp_path / "payments.jsonl"
    lines = [
        payment_bytes(
            f"s{i}", ts=f"2026-11-23T10:0{i}:00Z", payer_id=f"b{i}", payee={"merchant_id": "SELLER"}
        )
        for i in range(5)
    ]
    lines += [
        payment_bytes(f"o{i}", ts=f"2026-11-23T10:0{i}:00Z", payee={"merchant_id": f"OTHER{i}"})
        for i in range(5)
    ]
    lines.append(b"{broken")
    payments.write_bytes(b"\n".join(lines) + b"\n")
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(
        yaml.safe_dump(
            [
                rule_doc(rule_id="buyers", measure="distinct_payers", threshold=3),
                rule_doc(rule_id="quiet", mode="shadow", threshold=2),
            ]
        )
    )
    result, report = backtest(tmp_path, candidate, payments)
    by_rule = {r["rule_id"]: r for r in report["rules"]}
    assert report["payments"] == 10 and report["dead_letters"] == 1
    assert by_rule["buyers"]["hits"] == 3 and by_rule["buyers"]["distinct_payees"] == 1
    assert by_rule["quiet"]["hits"] == 4 and by_rule["quiet"]["distinct_payees"] == 1
    # Shadow hits change nothing: only the three held by `buyers` change.
    assert report["changed_decisions"] == 3
    assert {c["txn_id"] for c in report["changed"]} == {"s2", "s3", "s4"}
    assert report["transitions"] == {"allow->hold": 3}
    assert "buyers" in result.output


def test_backtest_against_current_rules_file_shows_only_the_difference(tmp_path: Path) -> None:
    payments = tmp_path / "payments.jsonl"
    lines = [payment_bytes(f"s{i}", ts=f"2026-11-23T10:0{i}:00Z") for i in range(5)]
    payments.write_bytes(b"\n".join(lines) + b"\n")
    current = tmp_path / "current.yaml"
    current.write_text(yaml.safe_dump([rule_doc(threshold=4)]))
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump([rule_doc(threshold=3)]))
    _, report = backtest(tmp_path, candidate, payments, "--current", str(current))
    assert [c["txn_id"] for c in report["changed"]] == ["s2"]


def test_backtest_needs_exactly_one_input(tmp_path: Path) -> None:
    candidate = tmp_path / "candidate.yaml"
    candidate.write_text(yaml.safe_dump([rule_doc()]))
    result = CliRunner().invoke(cli, ["backtest", "--rules", str(candidate)])
    assert result.exit_code != 0 and "--input" in result.output
    assert "Traceback" not in result.output
