"""The velocity stages, written once: the order in which a payment visits them, and the
rule key kinds whose window state each keeps. Topic names, tables, agents, rule sets and
rule validation all derive from this."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Stage -> the key kinds whose state it keeps, in visiting order. Each stage's topic is
# partitioned by the key kind of its own name (the first listed); payee_member state is
# keyed by the payee first, so it lives in the payee stage.
STAGE_KEY_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "payee": ("payee", "payee_member"),
        "payer": ("payer",),
        "member": ("member",),
    }
)

# The order in which a payment visits the velocity stages.
STAGES: tuple[str, ...] = tuple(STAGE_KEY_KINDS)

# Every rule key kind: the stages' own, then those kept alongside one (the rule schema's
# order, which its error messages list).
KEY_KINDS: tuple[str, ...] = STAGES + tuple(
    kind for kinds in STAGE_KEY_KINDS.values() for kind in kinds if kind not in STAGES
)

# Rule key kind -> the stage whose partitioning keeps its state in one place.
STAGE_OF_KEY: Mapping[str, str] = MappingProxyType(
    {kind: stage for stage, kinds in STAGE_KEY_KINDS.items() for kind in kinds}
)


def partition_kind(stage: str) -> str:
    """The key kind a stage's topic is partitioned by; KeyError for an unknown stage."""
    return STAGE_KEY_KINDS[stage][0]
