"""Rule files (streams/velocity/rules_file.py): YAML, JSON and JSON Lines, the errors a person
editing one needs, and the default rule pack in deploy/rules/."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from streams.velocity.rule_set import RuleSet
from streams.velocity.rules_file import RulesFileError, load_rules, parse_rules_text

ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PACK = ROOT / "deploy" / "rules" / "default.yaml"
OPTIONAL_PACK = ROOT / "deploy" / "rules" / "optional.yaml"
SCHEMA = json.loads((ROOT / "schemas" / "velocity-rule.schema.json").read_text())

YAML_RULES = """\
# two rules
- rule_id: buyers-per-seller
  description: many buyers per seller
  key: payee
  window: 1h
  measure: distinct_payers
  threshold: 20
  action: hold
- rule_id: price-points
  key: payee
  window: 24h
  measure: count
  threshold: 60
  amounts: [9.99, "19.99"]
  action: alert
  mode: shadow
"""

RULE: dict[str, Any] = {
    "rule_id": "r1",
    "key": "payee",
    "window": "15m",
    "measure": "count",
    "threshold": 5,
    "action": "hold",
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- formats -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rules.yaml", "rules.yml", "RULES.YAML"])
def test_yaml_list(tmp_path: Path, name: str) -> None:
    rules = load_rules(write(tmp_path, name, YAML_RULES))
    assert [r.rule_id for r in rules] == ["buyers-per-seller", "price-points"]
    assert rules[1].amounts == frozenset({Decimal("9.99"), Decimal("19.99")})
    assert rules[1].mode == "shadow"


def test_yaml_object_with_rules(tmp_path: Path) -> None:
    text = "rules:\n" + "".join(f"  {line}\n" for line in YAML_RULES.splitlines())
    assert len(load_rules(write(tmp_path, "rules.yaml", text))) == 2


def test_yaml_anchors_share_price_points(tmp_path: Path) -> None:
    text = (
        "- {rule_id: a, key: payee, window: 1h, measure: count, threshold: 3, action: hold,"
        " amounts: &p [9.99, 19.99]}\n"
        "- {rule_id: b, key: payer, window: 1h, measure: count, threshold: 3, action: alert,"
        " amounts: *p}\n"
    )
    first, second = load_rules(write(tmp_path, "r.yaml", text))
    assert first.amounts == second.amounts == frozenset({Decimal("9.99"), Decimal("19.99")})


def test_json_list_and_object(tmp_path: Path) -> None:
    as_list = load_rules(write(tmp_path, "a.json", json.dumps([RULE])))
    as_object = load_rules(write(tmp_path, "b.json", json.dumps({"rules": [RULE]})))
    assert as_list == as_object
    assert as_list[0].rule_id == "r1"


def test_json_numbers_keep_every_digit(tmp_path: Path) -> None:
    text = json.dumps([{**RULE, "measure": "sum_amount"}]).replace(
        '"threshold": 5', '"threshold": 1234567890.123456789'
    )
    (rule,) = load_rules(write(tmp_path, "a.json", text))
    assert rule.threshold == Decimal("1234567890.123456789")


def test_json_lines(tmp_path: Path) -> None:
    second = {**RULE, "rule_id": "r2", "window": "1h"}
    text = json.dumps(RULE) + "\n\n" + json.dumps(second) + "\n"
    rules = load_rules(write(tmp_path, "rules.jsonl", text))
    assert [(r.rule_id, r.window_text) for r in rules] == [("r1", "15m"), ("r2", "1h")]


def test_parse_rules_text_reads_by_the_name_suffix() -> None:
    assert parse_rules_text(json.dumps(RULE), "x.jsonl")[0].rule_id == "r1"
    assert parse_rules_text(YAML_RULES, "<stdin>")[1].rule_id == "price-points"


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + YAML_RULES.encode())
    assert len(load_rules(path)) == 2


# --- errors ------------------------------------------------------------------------------


def load_error(tmp_path: Path, name: str, text: str) -> str:
    path = write(tmp_path, name, text)
    with pytest.raises(RulesFileError) as raised:
        load_rules(path)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message.removeprefix(f"{path}: ")


def test_a_bad_rule_is_named_by_number_id_and_field(tmp_path: Path) -> None:
    text = YAML_RULES.replace("window: 24h", "window: 5x")
    assert load_error(tmp_path, "r.yaml", text) == (
        "rule 2 (price-points): window: '5x' is not a duration (use e.g. 90s, 15m, 1h, 24h)"
    )


def test_a_rule_without_a_usable_id_is_named_by_number(tmp_path: Path) -> None:
    text = json.dumps([RULE, {**RULE, "rule_id": "bad id"}])
    assert load_error(tmp_path, "r.json", text).startswith("rule 2: rule_id: 'bad id'")


def test_a_rule_that_is_not_an_object(tmp_path: Path) -> None:
    assert load_error(tmp_path, "r.yaml", "- just a string\n") == (
        "rule 1: a rule must be an object, not a string"
    )


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    text = json.dumps([RULE, {**RULE, "rule_id": "r2"}, {**RULE, "threshold": 9}])
    assert load_error(tmp_path, "r.json", text) == "rule 3 (r1): rule_id: duplicate of rule 1"


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_an_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    assert load_error(tmp_path, "r.yaml", text) == "empty file (expected a list of rules)"


@pytest.mark.parametrize("text", ["[]", '{"rules": []}'])
def test_a_file_without_rules_is_refused(tmp_path: Path, text: str) -> None:
    assert load_error(tmp_path, "r.json", text) == "no rules in the file"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('"a string"', "expected a list of rules"),
        ('{"rule": []}', "expected a list of rules"),
        ('{"rules": [], "extra": 1}', "expected a list of rules"),
        (json.dumps(RULE), "holds a single rule; put it in a list"),
    ],
)
def test_the_top_level_must_be_a_list_or_rules(tmp_path: Path, text: str, words: str) -> None:
    assert words in load_error(tmp_path, "r.json", text)


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    text = "- rule_id: a\n  key: payee\n  window: [1h\n  measure: count\n"
    message = load_error(tmp_path, "r.yaml", text)
    assert message.startswith("line 4 column ")
    assert "not YAML" in message


def test_json_syntax_error_gives_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "r.json", '[\n  {"rule_id": "a",}\n]')
    assert message.startswith("line 2 column ")
    assert "not JSON" in message


def test_json_lines_syntax_error_gives_the_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, "r.jsonl", json.dumps(RULE) + "\n\n{broken\n")
    assert message.startswith("line 3 column ")


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="cannot read"):
        load_rules(tmp_path / "absent.yaml")


def test_a_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RulesFileError, match="cannot read"):
        load_rules(tmp_path)


def test_a_binary_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xff\xfe\x00rules")
    with pytest.raises(RulesFileError, match="not UTF-8"):
        load_rules(path)


# --- the default pack --------------------------------------------------------------------


def test_the_default_pack_loads_and_explains_every_rule() -> None:
    rules = load_rules(DEFAULT_PACK) + load_rules(OPTIONAL_PACK)
    assert len(rules) >= 8
    for rule in rules:
        assert rule.enabled, rule.rule_id
        assert rule.description and "\n" not in rule.description, rule.rule_id
        assert len(rule.description) >= 40, rule.rule_id


def test_the_default_pack_never_blocks_and_mixes_enforce_shadow_and_alert() -> None:
    rules = load_rules(DEFAULT_PACK)
    assert "block" not in {r.action for r in rules}
    assert any(r.mode == "enforce" and r.action == "hold" for r in rules)
    assert any(r.mode == "shadow" for r in rules)
    assert any(r.action == "alert" for r in rules)
    text = DEFAULT_PACK.read_text()
    assert "human review" in text  # why the pack does not block


def test_the_default_pack_covers_the_patterns_of_the_domain() -> None:
    shapes = {(r.measure, r.key, r.window_text) for r in load_rules(DEFAULT_PACK)}
    assert ("distinct_payers", "payee", "1h") in shapes
    assert ("distinct_members", "payee", "24h") in shapes
    assert ("sum_amount", "payee", "24h") in shapes
    rules = load_rules(DEFAULT_PACK)
    price_points = [r for r in rules if r.measure == "count" and r.key == "payee" and r.amounts]
    assert price_points and Decimal("9.99") in price_points[0].amounts  # type: ignore[operator]
    assert any(r.key == "payee_member" and r.window_text == "15m" for r in rules)
    # One repartition stage on the payment path: every default rule keys on the seller.
    assert {r.key for r in rules} <= {"payee", "payee_member"}


def test_the_optional_pack_watches_buyers_and_members_without_acting() -> None:
    rules = load_rules(OPTIONAL_PACK)
    assert {r.key for r in rules} == {"payer", "member"}
    # No rule acts on a buyer, and neither changes a decision.
    assert all(r.mode == "shadow" for r in rules)
    assert not {r.rule_id for r in rules} & {r.rule_id for r in load_rules(DEFAULT_PACK)}


def test_the_default_pack_forms_a_rule_set_valid_against_the_schema() -> None:
    rules = load_rules(DEFAULT_PACK)
    rule_set = RuleSet.from_rules(rules)
    assert len(rule_set.enabled()) == len(rules)
    for rule in rules:
        assert not list(Draft202012Validator(SCHEMA).iter_errors(rule.document()))
