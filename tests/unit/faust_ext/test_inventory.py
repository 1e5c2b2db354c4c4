"""Faust, mode and aiokafka internals are used in `streams/faust_ext/` only, each one is in
`streams.faust_ext.inventory`, and the inventory was checked against the installed
versions. The scan (tests/unit/faust_ext/private_names.py) is tested first."""

from __future__ import annotations

import importlib.metadata
from functools import cache
from pathlib import Path

import pytest

import streams
from streams.faust_ext.inventory import CHECKED_VERSIONS, INVENTORY
from tests.unit.faust_ext.private_names import Use, faust_facing, private_uses

STREAMS = Path(streams.__file__).parent
FAUST_EXT = "streams.faust_ext"

# Underscore names that are the public API of a library other than Faust, mode and aiokafka.
PUBLIC_ELSEWHERE = {
    # confluent-kafka spells librdkafka's own error codes with a leading underscore.
    "_PARTITION_EOF": "confluent_kafka.KafkaError",
    "_AUTO_OFFSET_RESET": "confluent_kafka.KafkaError",
}


# --- the scan -----------------------------------------------------------------------------


def names(source: str, facing: tuple[str, ...] = ()) -> list[tuple[str, str, str]]:
    return [(use.name, use.where, use.how) for use in private_uses(source, facing)]


def test_the_scan_finds_attributes_of_anything_but_self_and_cls() -> None:
    source = """
def hook(app):
    app.topics._flag_changes()
    app.__class__
    return app.topics

class Mine:
    def run(self):
        self._own()
        cls._also_own
        super()._theirs()
"""
    assert names(source) == [
        ("_flag_changes", "hook", "attribute"),
        ("_theirs", "Mine.run", "attribute"),
    ]


def test_the_scan_finds_private_names_in_strings_of_getattr_and_co() -> None:
    source = """
value = getattr(consumer, "_committed_offset", {})
hasattr(agent, "_on_error")
setattr(app, "public", 1)
getattr(app, name)
"""
    assert names(source) == [
        ("_committed_offset", "<module>", "string"),
        ("_on_error", "<module>", "string"),
    ]


def test_the_scan_finds_private_names_imported_from_faust_mode_and_aiokafka() -> None:
    source = """
from faust.transport.consumer import _private, Public
from mode.utils._internal import Thing
from streams.model import _ours
import aiokafka._vendored
"""
    assert names(source) == [
        ("_private", "<module>", "import"),
        ("_internal", "<module>", "import"),
        ("_vendored", "<module>", "import"),
    ]


def test_in_a_faust_facing_class_self_and_private_methods_are_theirs() -> None:
    source = """
from faust.transport.drivers import aiokafka as faust_aiokafka

class Producer(faust_aiokafka.Producer):
    def _override(self):
        self._send_on_produce_message()

    def public(self):
        def inner():
            return self._internal
        return inner

class Mixin:
    def _drain_messages(self):
        self._elsewhere()

class Plain:
    def _own(self):
        self._own_too()
"""
    assert names(source, ("Mixin",)) == [
        ("_override", "Producer._override", "override"),
        ("_send_on_produce_message", "Producer._override", "attribute"),
        ("_internal", "Producer.public", "attribute"),
        ("_drain_messages", "Mixin._drain_messages", "override"),
        ("_elsewhere", "Mixin._drain_messages", "attribute"),
    ]


def test_faust_facing_classes_include_subclasses_and_mixins_across_modules() -> None:
    transport = """
from faust.transport.drivers import aiokafka as faust_aiokafka
from streams.faust_ext.fast_consumer import BatchDrainMixin

class Consumer(BatchDrainMixin, faust_aiokafka.Consumer):
    pass
"""
    fast_consumer = "class BatchDrainMixin:\n    pass\n"
    ours = "from streams.faust_ext.transport import Consumer\nclass Mine(Consumer):\n    pass\n"
    plain = "from typing import Generic\nclass Other(Generic):\n    pass\n"
    found = faust_facing([transport, fast_consumer, ours, plain])
    assert found == {"Consumer", "BatchDrainMixin", "Mine"}


# --- the project ----------------------------------------------------------------------------


@cache
def uses_by_module() -> dict[str, list[Use]]:
    """Every private name used in `streams/`, by module."""
    sources = {
        ".".join(path.relative_to(STREAMS.parent).with_suffix("").parts): path.read_text()
        for path in sorted(STREAMS.rglob("*.py"))
    }
    facing = faust_facing(sources.values())
    return {module: private_uses(text, facing) for module, text in sources.items()}


def in_faust_ext(module: str) -> bool:
    return module == FAUST_EXT or module.startswith(f"{FAUST_EXT}.")


def test_no_private_name_is_used_outside_faust_ext() -> None:
    outside = [
        f"{module}:{use.line} {use.name} ({use.how}, in {use.where})"
        for module, uses in uses_by_module().items()
        if not in_faust_ext(module)
        for use in uses
        if use.name not in PUBLIC_ELSEWHERE
    ]
    assert not outside, (
        "private names used outside streams/faust_ext/: give each a small named function "
        "there and list it in streams/faust_ext/inventory.py:\n" + "\n".join(outside)
    )


def test_the_inventory_lists_exactly_the_private_names_faust_ext_uses() -> None:
    used = {
        (use.name, f"{module}:{use.where}")
        for module, uses in uses_by_module().items()
        if in_faust_ext(module)
        for use in uses
    }
    listed = {(entry.name, place) for entry in INVENTORY for place in entry.used_in}
    missing = sorted(used - listed)
    stale = sorted(listed - used)
    assert not missing, f"used in streams/faust_ext/, not in its inventory: {missing}"
    assert not stale, f"in the inventory, no longer used there: {stale}"


def test_each_private_name_has_one_entry_per_owner() -> None:
    keys = [(entry.owner, entry.name) for entry in INVENTORY]
    assert len(keys) == len(set(keys))
    assert all(entry.why.strip() for entry in INVENTORY)


@pytest.mark.parametrize("distribution", sorted(CHECKED_VERSIONS))
def test_the_inventory_was_checked_against_the_installed_version(distribution: str) -> None:
    installed = importlib.metadata.version(distribution)
    checked = CHECKED_VERSIONS[distribution]
    assert installed == checked, (
        f"{distribution} {installed} is installed, the inventory was checked against "
        f"{checked}: re-check every entry of streams/faust_ext/inventory.py against the new "
        "sources (does each name still exist and mean what its `why` says), then update "
        "the versions there"
    )
