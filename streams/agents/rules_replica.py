"""Every worker's replica of the compacted `rules` topic: a new, changed, disabled or
deleted velocity rule reaches every worker's processor without a restart."""

from __future__ import annotations

import logging

import orjson
from confluent_kafka import Message

from streams.agents.compacted_replica import CompactedTopicReplica
from streams.kafka import topics
from streams.ops import metrics
from streams.pipeline.processor import PaymentProcessor
from streams.settings import Settings
from streams.velocity.rule import RuleError, VelocityRule, parse_rule

log = logging.getLogger(__name__)

RuleUpdate = tuple[str, VelocityRule | None]  # rule id, rule or tombstone


class RulesReplica(CompactedTopicReplica[RuleUpdate]):
    """Consumes rule records into the processor's rule set, replaced whole per batch so a
    payment never sees half an update."""

    def __init__(self, settings: Settings, processor: PaymentProcessor) -> None:
        super().__init__(settings, topics.RULES)
        self.processor = processor

    def decode(self, message: Message) -> RuleUpdate | None:
        """A rule, or a tombstone keyed by rule id; an invalid record is logged, counted
        and skipped (the rule keeps its previous version)."""
        rule_id, value = self.key_text(message), message.value()
        if value is None:
            return (rule_id, None) if rule_id else None
        try:
            return rule_id, parse_rule(orjson.loads(value))
        except (RuleError, orjson.JSONDecodeError) as exc:
            log.warning("velocity rule %r ignored: %s", rule_id, exc)
            metrics.RULE_UPDATES.labels("invalid").inc()
            return None

    def apply(self, updates: list[RuleUpdate]) -> None:
        """Upsert or delete each rule, then publish how many are in force."""
        rules = self.processor.rules
        for rule_id, rule in updates:
            if rule is None:
                rules = rules.without(rule_id)
                metrics.RULE_UPDATES.labels("deleted").inc()
            else:
                rules = rules.with_rule(rule)
                metrics.RULE_UPDATES.labels("applied").inc()
        self.processor.rules = rules
        metrics.RULES_LOADED.labels("velocity").set(len(rules.enabled()))
        metrics.RULES_VERSION.info({"version": rules.version})
        log.info("velocity rules in force: %d (version %s)", len(rules.enabled()), rules.version)
