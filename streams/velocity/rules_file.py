"""Reading velocity rule files: YAML (.yaml, .yml), JSON (.json) or JSON Lines (.jsonl).

A YAML or JSON file holds a list of rules, or an object `{"rules": [...]}`; a JSON Lines
file holds one rule per line. Every rule is validated; the first problem stops the load
with a one-line message naming the file, the rule and the field.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from streams.velocity.rule import RuleError, VelocityRule, parse_rule


class RulesFileError(ValueError):
    """A rule file that cannot be used: `FILE: rule N (RULE_ID): FIELD: PROBLEM` or
    `FILE: PROBLEM`."""


def load_rules(path: Path) -> list[VelocityRule]:
    """The validated rules of a rule file, in file order; RulesFileError otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RulesFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RulesFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    return parse_rules_text(text, str(path))


def parse_rules_text(text: str, name: str) -> list[VelocityRule]:
    """The validated rules in `text`, read by the suffix of `name` (.json, .jsonl, else
    YAML, of which JSON is a subset); `name` also starts every error message."""
    if not text.strip():
        raise RulesFileError(f"{name}: empty file (expected a list of rules)")
    suffix = Path(name).suffix.lower()
    documents = _read_jsonl(text, name) if suffix == ".jsonl" else _rule_list(text, name, suffix)
    if not documents:
        raise RulesFileError(f"{name}: no rules in the file")
    rules: list[VelocityRule] = []
    first_of: dict[str, int] = {}
    for number, document in enumerate(documents, start=1):
        try:
            rule = parse_rule(document)
        except RuleError as exc:
            raise RulesFileError(
                _located(name, number, exc.rule_id, exc.field, exc.problem)
            ) from None
        if rule.rule_id in first_of:
            problem = f"duplicate of rule {first_of[rule.rule_id]}"
            raise RulesFileError(_located(name, number, rule.rule_id, "rule_id", problem))
        first_of[rule.rule_id] = number
        rules.append(rule)
    return rules


def _located(name: str, number: int, rule_id: str | None, field: str | None, problem: str) -> str:
    where = f"rule {number} ({rule_id})" if rule_id is not None else f"rule {number}"
    return f"{name}: {where}: {field}: {problem}" if field else f"{name}: {where}: {problem}"


def _rule_list(text: str, name: str, suffix: str) -> list[Any]:
    """The rule documents of a JSON or YAML file (a list, or `rules:` holding one)."""
    if suffix == ".json":
        try:
            # Decimal keeps every digit of a threshold or price point written as a number.
            top: Any = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise RulesFileError(
                f"{name}: line {exc.lineno} column {exc.colno}: not JSON: {exc.msg}"
            ) from None
    else:
        try:
            top = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise RulesFileError(f"{name}: {_yaml_problem(exc)}") from None
    if top is None:
        raise RulesFileError(f"{name}: empty file (expected a list of rules)")
    if isinstance(top, dict) and set(top) == {"rules"}:
        top = top["rules"]
    if isinstance(top, dict) and "rule_id" in top:
        raise RulesFileError(f"{name}: holds a single rule; put it in a list")
    if not isinstance(top, list):
        raise RulesFileError(f"{name}: expected a list of rules or an object with only 'rules'")
    return top


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
    return f"{where}not YAML: {' '.join(str(problem).split())}"


def _read_jsonl(text: str, name: str) -> list[Any]:
    documents: list[Any] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            documents.append(json.loads(line, parse_float=Decimal))
        except json.JSONDecodeError as exc:
            raise RulesFileError(
                f"{name}: line {line_no} column {exc.colno}: not JSON: {exc.msg}"
            ) from None
    return documents
