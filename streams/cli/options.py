"""Command-line options several commands share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def rate_option(default: float, minimum: float, help: str) -> Callable[[F], F]:
    """`--rate`: payments offered per second, at least `minimum`, `default` shown."""
    return click.option(
        "--rate",
        type=click.FloatRange(min=minimum),
        default=default,
        show_default=True,
        help=help,
    )
