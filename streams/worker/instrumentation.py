"""Wires a worker's runtime state into the metrics: consumer lag and rebalances, agent
crashes, watchlist readiness and the rules in force. Called once by the worker."""

from __future__ import annotations

import logging
from typing import Any

import faust

from streams.agents.lag_monitor import LAG_INTERVAL_S, register_lag_monitor
from streams.agents.watchlist_replica import WatchlistReplica
from streams.faust_ext.agent_hooks import has_error_handler, run_before_error_handler
from streams.ops import metrics
from streams.rules import RULES

log = logging.getLogger(__name__)


def instrument_worker(
    app: faust.App, agent: Any, replica: WatchlistReplica, lag_interval_s: float = LAG_INTERVAL_S
) -> None:
    """Consumes the wired app, its screening agent and watchlist replica; registers the
    lag timer and rebalance counter, counts agent crashes and exports readiness."""
    register_lag_monitor(app, lag_interval_s)
    count_agent_errors(agent)
    # Read at scrape time: the replica's event is the truth, no second flag to keep in step.
    metrics.WATCHLIST_READY.set_function(lambda: 1.0 if replica.ready.is_set() else 0.0)
    metrics.RULES_LOADED.labels("builtin").set(len(RULES))
    metrics.WATCHLIST_VERSION.info({"version": replica.index.version})


def count_agent_errors(agent: Any) -> None:
    """Count exceptions that crash `agent` in screening_internal_errors_total{kind="agent"}
    before Faust's own handler runs (which commits and lets the supervisor restart it)."""
    if not has_error_handler(agent):
        log.warning("this Faust version hides the agent error handler; crashes go uncounted")
        return
    crashed = metrics.INTERNAL_ERRORS.labels("agent")
    run_before_error_handler(agent, crashed.inc)
