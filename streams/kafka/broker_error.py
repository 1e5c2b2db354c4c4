"""The embedded broker's failure, apart from the broker so that the command line names it
without importing the broker (a demo, benchmark and test tool)."""

from __future__ import annotations


class BrokerError(RuntimeError):
    """The embedded broker cannot be found or started; the message says why."""
