"""A payment through the worker's velocity stages (PaymentProcessor.route, then run_stage
per stage topic record): the decisions equal offline screening's, whether a stage runs
in the process that handed the payment over or in another one; no stage decodes the
payment again, unless its hand-off lacks the decoded form."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import replace
from typing import Any

import orjson
import pytest

from streams.kafka import topics
from streams.pipeline import admission as processor_module
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import OutRecord, Source
from streams.velocity.stages import STAGES
from tests.unit.pipeline.stage_stream import new_processor, payment, source

States = dict[str, MutableMapping[str, bytes]]


def through_stages(
    router: PaymentProcessor, stages: PaymentProcessor, states: States, raw: bytes, offset: int
) -> list[OutRecord]:
    """`router` routes the payment, `stages` runs each stage it is handed to."""
    origin, member = source(raw, offset)
    records = router.route(raw, origin, member)
    while len(records) == 1 and ".velocity." in records[0].topic:
        [handoff] = records
        stage = handoff.topic.rsplit(".", 1)[1]
        at = Source(handoff.topic, 0, offset, handoff.key)
        records = stages.run_stage(stage, handoff.value, states[stage], at)
    return records


def fresh_states() -> States:
    return {stage: {} for stage in STAGES}


def test_a_stage_decides_the_same_in_the_process_that_handed_over_and_in_another() -> None:
    same, states = new_processor(), fresh_states()
    here = [through_stages(same, same, states, payment(i), i) for i in range(60)]
    other_states = fresh_states()
    router, elsewhere = new_processor(), new_processor()
    there = [through_stages(router, elsewhere, other_states, payment(i), i) for i in range(60)]
    assert here == there  # byte for byte: decisions, alerts, reasons
    assert states == other_states
    offline = new_processor()
    assert here == [offline.process(payment(i), *source(payment(i), i)) for i in range(60)]
    decisions = [orjson.loads(records[-1].value) for records in here]
    fired = {r["rule_id"] for d in decisions for r in d["reasons"] if r["code"] == "VELOCITY"}
    assert fired == {"buyers", "per-member", "member-volume"}  # the shadow one never decides


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The payment bytes the processor decodes, in order."""
    seen: list[bytes] = []
    original = processor_module.decode_payment

    def counting(raw: bytes, *args: Any) -> Any:
        seen.append(raw)
        return original(raw, *args)

    monkeypatch.setattr(processor_module, "decode_payment", counting)
    return seen


def test_no_stage_decodes_the_payment_again(decoded: list[bytes]) -> None:
    screening, states = new_processor(), fresh_states()
    through_stages(screening, screening, states, payment(0), 0)
    assert len(decoded) == 1  # admission only; the three stages took the decoded form
    through_stages(screening, new_processor(), states, payment(1), 1)
    assert len(decoded) == 2  # in another process too


def run_stages(screening: PaymentProcessor, states: States, record: OutRecord) -> OutRecord:
    """Run the stages from `record` (a hand-off) on; the decision."""
    records = [record]
    while ".velocity." in records[0].topic:
        stage = records[0].topic.rsplit(".", 1)[1]
        at = Source(records[0].topic, 0, 0, records[0].key)
        records = screening.run_stage(stage, records[0].value, states[stage], at)
    return records[-1]


def without_decoded_form(record: OutRecord) -> OutRecord:
    document = orjson.loads(record.value)
    del document["decoded"]
    return replace(record, value=orjson.dumps(document))


def test_a_hand_off_without_the_decoded_form_has_its_bytes_decoded_once(
    decoded: list[bytes],
) -> None:
    # Hand-offs written before the decoded form was added (a rolling upgrade).
    screening, states = new_processor(), fresh_states()
    [handoff] = screening.route(payment(4), *source(payment(4), 4))
    old = run_stages(screening, fresh_states(), without_decoded_form(handoff))
    assert len(decoded) == 1 + 1  # the first stage decodes; it hands the rest decoded
    assert old == run_stages(new_processor(), states, handoff)


def test_a_hand_off_with_a_malformed_decoded_form_is_dead_lettered() -> None:
    screening = new_processor()
    [handoff] = screening.route(payment(2), *source(payment(2), 2))
    document = orjson.loads(handoff.value)
    document["decoded"][2] = "not a time"
    [dead] = screening.run_stage(
        "payee", orjson.dumps(document), {}, Source(handoff.topic, 3, 17, handoff.key)
    )
    assert dead.topic == topics.DLQ_PAYMENTS
    letter = orjson.loads(dead.value)
    assert letter["error_code"] == "INVALID_HANDOFF"
    assert (letter["source_partition"], letter["source_offset"]) == (3, 17)


def test_a_hand_off_is_screened_as_the_payment_it_carries() -> None:
    screening, states = new_processor(), fresh_states()
    origin, member = source(payment(0), 0)
    screening.route(payment(0), origin, member)
    # Another payment's hand-off naming the same origin (a bug, a foreign producer).
    [forged] = new_processor().route(payment(8, payee="OTHER"), origin, member)
    decision = orjson.loads(run_stages(screening, states, forged).value)
    assert decision["txn_id"] == "t8"
    assert [key for key in states["payee"] if "OTHER" in key]
    assert not [key for key in states["payee"] if "M-0" in key]
