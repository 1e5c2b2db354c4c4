"""A velocity stage's table state (streams/agents/velocity_stage.py): writes change the
table's data and become changelog records of the event's partition, in order, handed to
the agent to produce before the event's own records."""

from __future__ import annotations

import pytest

from tests.unit.agents.stage_table import CHANGELOG, stage_table


def test_writes_go_to_the_partitions_changelog_in_order() -> None:
    stages, table, writes = stage_table()
    state = stages.at(2)
    state["payee:M-1"] = b"[1]"
    assert table.data == {b"payee:M-1": b"[1]"} and state["payee:M-1"] == b"[1]"
    state["payee:M-1"] = b"[2]"
    stages.at(0)["payee:M-2"] = b"[3]"
    del state["payee:M-1"]
    with pytest.raises(KeyError):
        del state["payee:M-1"]
    with pytest.raises(KeyError):
        state["payee:M-1"]
    assert writes.take() == [
        (CHANGELOG, 2, b"payee:M-1", b"[1]"),
        (CHANGELOG, 2, b"payee:M-1", b"[2]"),
        (CHANGELOG, 0, b"payee:M-2", b"[3]"),
        (CHANGELOG, 2, b"payee:M-1", None),  # a tombstone
    ]
    assert writes.take() == []
    assert table.data == {b"payee:M-2": b"[3]"}
    assert stages.at(2) is state and len(state) == 1 and list(state) == ["payee:M-2"]


def test_get_reads_the_table_and_writes_nothing() -> None:
    stages, table, writes = stage_table()
    state = stages.at(1)
    assert state.get("payee:M-1") is None and state.get("payee:M-1", b"-") == b"-"
    table.data[b"payee:M-1"] = b"[1]"  # as restored from the changelog
    assert state.get("payee:M-1") == b"[1]"
    assert writes.take() == []
