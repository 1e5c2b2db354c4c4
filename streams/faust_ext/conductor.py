"""Hooks into Faust's topic conductor (`app.topics`), which subscribes the consumer to
the topics of every channel an agent iterates."""

from __future__ import annotations

from typing import Any


def set_resubscribe_delay(app: Any, delay_s: float) -> None:
    """Make `app`'s conductor re-subscribe `delay_s` seconds after a subscription change.

    Faust's 45 s default would make a new member's payments wait most of a minute; the
    delay has no setting of its own."""
    app.topics._resubscribe_sleep_lock_seconds = delay_s


def resubscribe(app: Any) -> None:
    """Ask `app`'s conductor to re-subscribe the consumer to its channels' topics, as
    when an agent is added: Faust has no public call for topics added to a channel."""
    app.topics._flag_changes()
