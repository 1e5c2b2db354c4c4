"""The compacted `rules` topic: publishing velocity rules (one per message, keyed by
`rule_id`, a null value deletes) and reading the rule set in force."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import orjson

from streams.kafka import topics
from streams.kafka.client import read
from streams.kafka.publish import publish
from streams.settings import Settings
from streams.velocity.rule import RuleError, VelocityRule, parse_rule
from streams.velocity.rule_set import RuleSet

log = logging.getLogger(__name__)


def publish_rules(settings: Settings, rules: Sequence[VelocityRule]) -> None:
    """Publish each rule's document keyed by its id; workers apply them within seconds."""
    records = [(r.rule_id.encode(), orjson.dumps(r.document())) for r in rules]
    publish(settings, records, show_progress=False, topic=topics.RULES)


def delete_rules(settings: Settings, rule_ids: Sequence[str]) -> None:
    """Publish tombstones: the rules stop applying and compaction forgets them."""
    publish(
        settings, [(r.encode(), None) for r in rule_ids], show_progress=False, topic=topics.RULES
    )


def read_rule_set(settings: Settings, idle_timeout_s: float = 1.0) -> RuleSet:
    """The rule set in force: the `rules` topic replayed to its end (later records win,
    tombstones delete, invalid records are skipped as the workers skip them)."""
    rules = RuleSet.EMPTY
    for record in read(settings, [topics.RULES], idle_timeout_s=idle_timeout_s):
        rule_id = (record.key or b"").decode("utf-8", "replace")
        if record.value is None:
            rules = rules.without(rule_id)
            continue
        try:
            rules = rules.with_rule(parse_rule(orjson.loads(record.value)))
        except (RuleError, orjson.JSONDecodeError) as exc:
            log.warning("velocity rule %r ignored: %s", rule_id, exc)
    return rules
