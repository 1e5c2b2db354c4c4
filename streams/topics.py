"""Every topic name of the contract, in one place."""

from __future__ import annotations

import re

PAYMENTS_PREFIX = "payments."
DECISIONS_PREFIX = "decisions."
ALERTS = "alerts"
WATCHLIST = "watchlist"
RULES = "rules"
LINKS = "watchlist.links"
DLQ_PAYMENTS = "dlq.payments"

PAYMENTS_TOPIC = re.compile(r"^payments\.([a-z0-9][a-z0-9-]*)$")


def payments_topic(member: str) -> str:
    """`payments.<member>`."""
    return PAYMENTS_PREFIX + member


def decisions_topic(member: str) -> str:
    """`decisions.<member>`."""
    return DECISIONS_PREFIX + member


def member_of(topic: str) -> str | None:
    """The member whose payments topic this is, or None for any other topic."""
    match = PAYMENTS_TOPIC.match(topic)
    return match.group(1) if match else None
