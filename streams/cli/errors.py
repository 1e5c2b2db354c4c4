"""Turning expected failures into one-line command errors instead of tracebacks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import click

from streams.extras import MissingExtra
from streams.kafka.admin import BrokerUnavailable
from streams.kafka.broker_error import BrokerError
from streams.settings import Settings, SettingsError
from streams.velocity.rules_file import RulesFileError
from streams.watchlist.file import WatchlistFileError

P = ParamSpec("P")
R = TypeVar("R")

EXPECTED = (
    BrokerUnavailable,
    BrokerError,
    SettingsError,
    WatchlistFileError,
    RulesFileError,
    MissingExtra,
    OSError,
)


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Re-raise expected failures as click errors (`Error: <message>`, exit 1)."""
    try:
        yield
    except EXPECTED as exc:
        raise click.ClickException(str(exc)) from None


def settings_from_env() -> Settings:
    """The settings object, or a one-line error naming the bad variable."""
    with one_line_errors():
        return Settings.from_env()


def friendly(fn: Callable[P, R]) -> Callable[P, R]:
    """Decorator form of `one_line_errors`."""

    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_line_errors():
            return fn(*args, **kwargs)

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper
