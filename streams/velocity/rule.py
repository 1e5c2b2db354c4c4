"""Velocity rules: validation (schemas/velocity-rule.schema.json plus what a schema cannot
say), the parsed rule, its published document and its content version."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

import orjson

from streams.model import schemas
from streams.model.payment import Payment
from streams.model.schemas import SchemaError, validator
from streams.velocity.stages import STAGE_OF_KEY

MEASURES = ("count", "sum_amount", "distinct_payers", "distinct_members")
ACTIONS = ("hold", "block", "alert")
MODES = ("enforce", "shadow")

# Longer look-backs would keep (bounded, but old) state per key for months; a coalition
# reviews sellers within weeks.
MAX_WINDOW = timedelta(days=90)

_SCHEMA = "velocity-rule"
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
_DURATION = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
}
_DURATION_HINT = "is not a duration (use e.g. 90s, 15m, 1h, 24h)"
# Rule thresholds and price points are at most 41 digits (the schema's patterns); sums of
# thousands of amounts stay exact well within this.
DECIMAL_PRECISION = 80


class RuleError(ValueError):
    """A velocity rule that cannot be used. `field` names the offending field (None when
    the problem is the whole document); the message is one line:
    `rule 'ID': FIELD: PROBLEM`."""

    def __init__(self, problem: str, field: str | None = None, rule_id: str | None = None):
        self.problem = " ".join(problem.split())
        self.field = field
        self.rule_id = rule_id
        prefix = f"rule {rule_id!r}: " if rule_id is not None else ""
        super().__init__(f"{prefix}{field}: {self.problem}" if field else prefix + self.problem)


def parse_duration(text: str) -> timedelta:
    """A duration such as `500ms`, `90s`, `15m`, `1h`, `24h`, `7d` to a positive timedelta;
    ValueError otherwise."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} {_DURATION_HINT}")
    try:
        duration = int(match[1]) * _UNITS[match[2]]
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None
    if duration <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return duration


def decimal_text(value: Decimal) -> str:
    """A Decimal as a plain decimal string without exponent or trailing zeros
    (`Decimal("5.0")` -> `"5"`, `Decimal("1E+2")` -> `"100"`)."""
    if value.is_zero():
        return "0"
    with localcontext() as ctx:
        ctx.prec = max(DECIMAL_PRECISION, len(value.as_tuple().digits))
        return format(value.normalize(ctx), "f")


def to_decimal(value: object) -> Decimal:
    """A JSON number (floats by their shortest repr, so 9.99 is exactly 9.99) or a decimal
    string to a finite Decimal; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


@dataclass(frozen=True, slots=True)
class VelocityRule:
    """A validated velocity rule: the window as a timedelta (and as written), the threshold
    and price points as Decimals, and the content version of its document."""

    rule_id: str
    description: str
    key: str
    window: timedelta
    window_text: str
    measure: str
    threshold: Decimal
    action: str
    mode: str
    enabled: bool
    members: frozenset[str] | None
    amounts: frozenset[Decimal] | None
    version: str
    rationale: str | None = None
    # The window in whole milliseconds (event times are compared in ms); derived once,
    # as every payment's observation needs it several times.
    window_ms: int = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "window_ms", self.window // timedelta(milliseconds=1))

    @property
    def stage(self) -> str:
        """The velocity stage that evaluates this rule: payee, payer or member."""
        return STAGE_OF_KEY[self.key]

    def applies_to(self, payment: Payment) -> bool:
        """Whether this rule measures and screens `payment`: enabled, the payment's member
        listed (if `members`), its amount one of the price points (if `amounts`, compared
        numerically) and the rule's key present on the payment."""
        if not self.enabled:
            return False
        if self.members is not None and payment.member_id not in self.members:
            return False
        # Decimal equality and hashing are numeric: 9.99 matches a listed "9.990".
        if self.amounts is not None and payment.amount not in self.amounts:
            return False
        if self.key == "payer":
            return bool(payment.payer_id)
        if self.key in ("payee", "payee_member"):
            return payment.payee.key is not None
        return True

    def document(self) -> dict[str, Any]:
        """The rule as published on the `rules` topic: contract fields in schema order,
        threshold and amounts as decimal strings, members and amounts sorted, absent
        optional fields omitted. `parse_rule(rule.document())` gives the rule back."""
        document: dict[str, Any] = {"rule_id": self.rule_id}
        if self.description:
            document["description"] = self.description
        document.update(
            key=self.key,
            window=self.window_text,
            measure=self.measure,
            threshold=decimal_text(self.threshold),
            action=self.action,
            mode=self.mode,
            enabled=self.enabled,
        )
        if self.members is not None:
            document["members"] = sorted(self.members)
        if self.amounts is not None:
            document["amounts"] = [decimal_text(a) for a in sorted(self.amounts)]
        if self.rationale is not None:
            document["rationale"] = self.rationale
        return document


def parse_rule(document: object) -> VelocityRule:
    """Validate a decoded rule (a JSON object or a YAML mapping) against the schema and the
    semantics it cannot state; the rule, or RuleError naming the field."""
    if not isinstance(document, Mapping):
        raise RuleError(f"a rule must be an object, not {_json_type(document)}")
    doc = dict(document)
    raw_id = doc.get("rule_id")
    rule_id = raw_id if isinstance(raw_id, str) and _RULE_ID.fullmatch(raw_id) else None
    _check_schema(doc, rule_id)
    assert rule_id is not None  # the schema checked it

    def fail(field: str, problem: str) -> RuleError:
        return RuleError(problem, field, rule_id)

    window_text: str = doc["window"]
    try:
        window = parse_duration(window_text)
    except ValueError as exc:
        raise fail("window", str(exc)) from None
    if window > MAX_WINDOW:
        raise fail("window", f"{window_text!r} is longer than the longest window, 90d")
    key, measure = doc["key"], doc["measure"]
    try:
        threshold = to_decimal(doc["threshold"])
    except ValueError as exc:
        raise fail("threshold", str(exc)) from None
    if threshold <= 0:
        raise fail("threshold", f"{doc['threshold']!r} is not greater than 0")
    if measure.startswith("distinct_") and threshold != threshold.to_integral_value():
        raise fail("threshold", f"{measure} counts, so the threshold must be a whole number")
    # A key that is itself one payer (or one member) would always measure 1.
    if (measure, key) in {
        ("distinct_payers", "payer"),
        ("distinct_members", "member"),
        ("distinct_members", "payee_member"),
    }:
        raise fail("measure", f"{measure} per key {key} is always 1; use another key")
    amounts: frozenset[Decimal] | None = None
    if "amounts" in doc:
        try:
            amounts = frozenset(to_decimal(a) for a in doc["amounts"])
        except ValueError as exc:
            raise fail("amounts", str(exc)) from None
    members = frozenset(doc["members"]) if "members" in doc else None
    return VelocityRule(
        rule_id=rule_id,
        description=doc.get("description", ""),
        key=key,
        window=window,
        window_text=window_text,
        measure=measure,
        threshold=threshold,
        action=doc["action"],
        mode=doc.get("mode", "enforce"),
        enabled=doc.get("enabled", True),
        members=members,
        amounts=amounts,
        version=rule_version(doc),
        rationale=doc.get("rationale"),
    )


def normalised_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """The rule document with defaults filled in and numbers, window and lists in one
    canonical form, so that equal rules written differently compare equal. Values that do
    not parse are left as they are (the digest stays deterministic)."""
    normal = dict(document)
    normal.setdefault("mode", "enforce")
    normal.setdefault("enabled", True)
    if normal.get("description") == "":
        del normal["description"]
    with suppress(ValueError):
        normal["threshold"] = decimal_text(to_decimal(normal.get("threshold")))
    window = normal.get("window")
    if isinstance(window, str):
        with suppress(ValueError):
            normal["window"] = f"{parse_duration(window) // timedelta(milliseconds=1)}ms"
    members = normal.get("members")
    if isinstance(members, list) and all(isinstance(m, str) for m in members):
        normal["members"] = sorted(set(members))
    amounts = normal.get("amounts")
    if isinstance(amounts, list):
        with suppress(ValueError):
            normal["amounts"] = [decimal_text(a) for a in sorted({to_decimal(a) for a in amounts})]
    return normal


def rule_version(document: Mapping[str, Any]) -> str:
    """The content version of a rule document: `v-` and 12 hex digits of a digest of its
    normalised form. The same rule written another way (threshold 5 or "5.0", window 60m or
    1h, members in another order, defaults spelt out) has the same version; any change of
    meaning or wording gives another."""
    encoded = orjson.dumps(normalised_document(document), default=str, option=orjson.OPT_SORT_KEYS)
    return "v-" + hashlib.blake2b(encoded, digest_size=6).hexdigest()


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float | Decimal):
        return "a number"
    return type(value).__name__


def _check_schema(document: dict[str, Any], rule_id: str | None) -> None:
    """Missing and unknown fields first (they read best by name), then the schema; a
    schema error becomes a RuleError with a problem written for people."""
    schema = schemas.load(_SCHEMA)
    properties: dict[str, Any] = schema["properties"]
    for field in schema["required"]:
        if field not in document:
            raise RuleError(
                f"missing (a rule needs {', '.join(schema['required'])})", field, rule_id
            )
    unknown = sorted(str(f) for f in document if f not in properties)
    if unknown:
        raise RuleError(f"unknown field (known: {', '.join(properties)})", unknown[0], rule_id)
    try:
        validator(_SCHEMA)(document)
    except SchemaError as exc:
        message = str(exc)
        match = re.match(r"data\.([A-Za-z0-9_]+)", message)
        if match is None:
            raise RuleError(message.removeprefix("data "), None, rule_id) from None
        field = match[1]
        raise RuleError(
            _explain(field, document.get(field), properties[field], message), field, rule_id
        ) from None


def _explain(field: str, value: object, schema: Mapping[str, Any], message: str) -> str:
    """What is wrong with one field's value, in words."""
    if "enum" in schema:
        return f"{value!r} is not one of {', '.join(schema['enum'])}"
    if field == "rule_id":
        return (
            f"{value!r} is not a rule id (1 to 128 letters, digits, '_', '.', ':' or '-', "
            "starting with a letter or digit)"
        )
    if field == "window":
        return f"{value!r} {_DURATION_HINT}"
    if field == "threshold":
        return f"{value!r} is not a number or decimal string greater than 0"
    if field == "enabled":
        return f"{value!r} is not true or false"
    if field in ("description", "rationale"):
        return f"must be a string of at most {schema['maxLength']} characters"
    if field in ("members", "amounts"):
        what = "member ids" if field == "members" else "numbers or decimal strings"
        if not isinstance(value, list) or not value:
            return f"must be a non-empty list of {what}"
        if "unique" in message:
            return f"lists a member twice: {value!r}"
        item = re.search(r"\[(\d+)\]", message)
        if item is not None and int(item[1]) < len(value):
            bad = value[int(item[1])]
            if field == "members":
                return f"{bad!r} is not a member id (a-z, 0-9 and '-')"
            return f"{bad!r} is not a number or decimal string"
    return message.removeprefix(f"data.{field} ")
