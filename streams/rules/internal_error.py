"""INTERNAL_ERROR: what a failure becomes. A rule, a velocity stage or the pipeline itself
that raises holds the payment (fail closed) with a reason naming the failed step; for a
member that chose to fail open the reason is kept but allows. Never a dropped payment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from streams.rules.base import RuleResult

INTERNAL_ERROR = "INTERNAL_ERROR"


def error_effect(fail_open: bool) -> str:
    """The effect of an INTERNAL_ERROR: hold, or allow for a fail-open member."""
    return "allow" if fail_open else "hold"


def internal_error(step: str, exc: Exception, fail_open: bool = False) -> RuleResult:
    """Consumes the failed step's name (a rule, `velocity:<stage>`, `route`) and its
    exception; produces the INTERNAL_ERROR result naming both (error text cut at 300)."""
    return RuleResult(
        INTERNAL_ERROR,
        error_effect(fail_open),
        {"rule": step, "error": f"{type(exc).__name__}: {exc}"[:300]},
    )


def with_error_effect(results: Sequence[RuleResult], fail_open: bool) -> list[RuleResult]:
    """`results` with every INTERNAL_ERROR given the member's error effect (they may come
    from stages that did not know the member's choice); the others as they are."""
    effect = error_effect(fail_open)
    return [replace(r, effect=effect) if r.code == INTERNAL_ERROR else r for r in results]
