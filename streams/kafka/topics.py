"""Every topic name of the contract, in one place."""

from __future__ import annotations

import re

from streams.velocity.stages import STAGES

PAYMENTS_PREFIX = "payments."
DECISIONS_PREFIX = "decisions."
ALERTS = "alerts"
WATCHLIST = "watchlist"
RULES = "rules"
LINKS = "watchlist.links"
DLQ_PAYMENTS = "dlq.payments"
RESOLUTIONS_PREFIX = "resolutions."
AUDIT = "audit"
# The console's own: proposals for the coalition (compacted by proposal id) and its users
# (compacted by user name, password hashes only), so a lost database rebuilds from topics.
PROPOSALS = "console.proposals"
CONSOLE_USERS = "console.users"

PAYMENTS_TOPIC = re.compile(r"^payments\.([a-z0-9][a-z0-9-]*)$")


def payments_topic(member: str) -> str:
    """`payments.<member>`."""
    return PAYMENTS_PREFIX + member


def decisions_topic(member: str) -> str:
    """`decisions.<member>`."""
    return DECISIONS_PREFIX + member


def resolutions_topic(member: str) -> str:
    """`resolutions.<member>`."""
    return RESOLUTIONS_PREFIX + member


def velocity_stage_topic(app_id: str, stage: str) -> str:
    """`<app_id>.velocity.<stage>` (`screening.velocity.payee` by default): payments on
    their way through a velocity stage, private to one app's consumer group."""
    return f"{app_id}.velocity.{stage}"


def velocity_stage_topics(app_id: str) -> tuple[str, ...]:
    """Every velocity stage topic of an app, in visiting order. Internal repartition
    topics: a payment visits the velocity stage of each key kind its rules need, keyed by
    that kind's key so one worker holds each key's window state."""
    return tuple(velocity_stage_topic(app_id, stage) for stage in STAGES)


def velocity_table(stage: str) -> str:
    """The Faust table of a stage's window state; Faust names its changelog
    `<app_id>-velocity.<stage>-changelog`."""
    return f"velocity.{stage}"


def decisions_member(topic: str) -> str | None:
    """The member whose decisions topic this is, or None for any other topic."""
    if not topic.startswith(DECISIONS_PREFIX):
        return None
    member = topic[len(DECISIONS_PREFIX) :]
    return member if PAYMENTS_TOPIC.match(PAYMENTS_PREFIX + member) else None


def member_of(topic: str) -> str | None:
    """The member whose payments topic this is, or None for any other topic."""
    match = PAYMENTS_TOPIC.match(topic)
    return match.group(1) if match else None
