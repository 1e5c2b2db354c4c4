"""Hooks into a Faust agent's crash handling."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def has_error_handler(agent: Any) -> bool:
    """True when `agent` (from `app.agent()`) keeps its error handler where
    `run_before_error_handler` finds it."""
    return hasattr(agent, "_on_error")


def run_before_error_handler(agent: Any, on_crash: Callable[[], None]) -> None:
    """Call `on_crash()` whenever `agent`'s body raises, before Faust's own handler runs
    (which commits and lets the supervisor restart the agent).

    Faust's `app.agent()` passes its own `on_error` and accepts no second one, so the
    handler it stored is wrapped. Check `has_error_handler` first."""
    original = getattr(agent, "_on_error", None)

    async def on_error(failed: Any, exc: BaseException) -> None:
        on_crash()
        if original is not None:
            await original(failed, exc)

    agent._on_error = on_error
