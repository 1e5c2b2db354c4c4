"""The velocity rules in force: an immutable set, replaced whole on every update, with the
rules of each velocity stage precomputed for the per-payment path."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

from streams.model.payment import Payment
from streams.velocity.rule import VelocityRule
from streams.velocity.stages import STAGES


@dataclass(frozen=True)
class RuleSet:
    """Velocity rules by rule_id (enabled or not); `with_rule` and `without` return new
    sets, so a payment never sees half an update."""

    rules: Mapping[str, VelocityRule] = field(default_factory=dict)
    _by_stage: Mapping[str, tuple[VelocityRule, ...]] = field(init=False, repr=False, compare=False)
    _gates: tuple[tuple[str, tuple[VelocityRule, ...]], ...] = field(
        init=False, repr=False, compare=False
    )

    EMPTY: ClassVar[RuleSet]

    def __post_init__(self) -> None:
        for rule_id, rule in self.rules.items():
            if rule_id != rule.rule_id:
                raise ValueError(f"rule {rule.rule_id!r} filed under {rule_id!r}")
        object.__setattr__(self, "rules", MappingProxyType(dict(self.rules)))
        enabled = self.enabled()
        by_stage = {stage: tuple(r for r in enabled if r.stage == stage) for stage in STAGES}
        object.__setattr__(self, "_by_stage", MappingProxyType(by_stage))
        # Per stage with rules, the rules that apply to most payments first (those without
        # a members or amounts filter), so the per-payment check stops early.
        gates = tuple(
            (stage, tuple(sorted(rules, key=_filters)))
            for stage, rules in by_stage.items()
            if rules
        )
        object.__setattr__(self, "_gates", gates)

    @classmethod
    def from_rules(cls, rules: Iterable[VelocityRule]) -> RuleSet:
        """A set of the given rules; ValueError when two share a rule_id."""
        by_id: dict[str, VelocityRule] = {}
        for rule in rules:
            if rule.rule_id in by_id:
                raise ValueError(f"rule {rule.rule_id!r} given twice")
            by_id[rule.rule_id] = rule
        return cls(by_id)

    def with_rule(self, rule: VelocityRule) -> RuleSet:
        """A new set with `rule` added or replacing the rule of the same id."""
        return RuleSet({**self.rules, rule.rule_id: rule})

    def without(self, rule_id: str) -> RuleSet:
        """A new set without the rule `rule_id` (the same set if it is absent)."""
        if rule_id not in self.rules:
            return self
        return RuleSet({k: v for k, v in self.rules.items() if k != rule_id})

    @property
    def version(self) -> str:
        """`rs-` and 12 hex digits of a digest of every rule's id and version; `rs-0` when
        empty. Workers with equal versions apply the same rules."""
        if not self.rules:
            return "rs-0"
        text = "\n".join(
            f"{rule_id} {self.rules[rule_id].version}" for rule_id in sorted(self.rules)
        )
        return "rs-" + hashlib.blake2b(text.encode(), digest_size=6).hexdigest()

    def enabled(self) -> list[VelocityRule]:
        """The enabled rules, sorted by rule_id."""
        return [self.rules[k] for k in sorted(self.rules) if self.rules[k].enabled]

    def for_stage(self, stage: str) -> tuple[VelocityRule, ...]:
        """The enabled rules a velocity stage evaluates (payee, payer or member), by
        rule_id; ValueError for an unknown stage."""
        try:
            return self._by_stage[stage]
        except KeyError:
            raise ValueError(f"unknown velocity stage {stage!r}") from None

    def stages_for(self, payment: Payment) -> tuple[str, ...]:
        """The stages, in visiting order, with at least one enabled rule applying to
        `payment`: the stages it must pass through before it is decided."""
        if not self._gates:
            return ()
        return tuple(
            stage for stage, rules in self._gates if any(rule.applies_to(payment) for rule in rules)
        )

    def __len__(self) -> int:
        return len(self.rules)


RuleSet.EMPTY = RuleSet()


def _filters(rule: VelocityRule) -> int:
    """How many of the members and amounts filters a rule has."""
    return (rule.members is not None) + (rule.amounts is not None)
