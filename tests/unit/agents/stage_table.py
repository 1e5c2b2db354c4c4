"""A stand-in for a velocity stage's Faust table (what TableState uses of it), for unit
tests of the stage's state without a broker."""

from __future__ import annotations

from types import SimpleNamespace

from streams.agents.event_loop import TableWrites
from streams.agents.velocity_stage import StageTable
from streams.velocity.expiry import KeyExpiry

CHANGELOG = "screening-velocity.payee-changelog"


class FakeTable:
    """A Faust table's `data` and the name of its changelog topic."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.changelog_topic = SimpleNamespace(get_topic_name=lambda: CHANGELOG)


def stage_table() -> tuple[StageTable, FakeTable, TableWrites]:
    """A stage table over a fresh FakeTable, that table and where its changelog records
    go."""
    table, writes = FakeTable(), TableWrites()
    return StageTable(table, KeyExpiry(), writes), table, writes
