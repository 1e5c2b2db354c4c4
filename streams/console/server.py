"""Running the console: its database, its users reconciled with `console.users`, the desk
over the topics, and uvicorn serving the app on a socket bound before anything starts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import click
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from streams.console.accounts import AccountStore
from streams.console.console_settings import ConsoleSettings
from streams.console.database import open_engine
from streams.console.pages.app import create_console_app
from streams.console.user_topic import ensure_users_topic, sync_users
from streams.settings import Settings


class ConsoleError(RuntimeError):
    """A console that cannot start or a user that cannot be stored: one line, no secret."""


def listen_address(listen: str) -> tuple[str, int]:
    """`HOST:PORT` to its parts; ConsoleError otherwise."""
    host, sep, port = listen.rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConsoleError(f"--listen {listen!r} is not HOST:PORT")
    return host, int(port)


@contextmanager
def database_errors() -> Iterator[None]:
    """SQLAlchemy's multi-line errors as one-line ConsoleErrors."""
    try:
        yield
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else type(exc).__name__
        raise ConsoleError(f"console database (SCREENING_CONSOLE_DB): {first}") from None


def open_accounts(console: ConsoleSettings) -> tuple[Engine, AccountStore]:
    """The console's engine and accounts store, tables created; ConsoleError when the
    database URL is malformed or the database cannot be reached."""
    with database_errors():
        engine = open_engine(console.database_url)
        accounts = AccountStore(engine, console.token_ttl_s)
        accounts.create_tables()
    return engine, accounts


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (OSError, a one-line error, when taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConsoleError(f"--listen {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(settings: Settings, console: ConsoleSettings, listen: str) -> None:
    """Serve the console until interrupted (SIGINT/SIGTERM), then stop the desk."""
    from streams.console.topic_desk import TopicDesk

    host, port = listen_address(listen)
    sock = bind(host, port)
    try:
        engine, accounts = open_accounts(console)
        ensure_users_topic(settings)
        with database_errors():
            sync_users(settings, accounts)
        desk = TopicDesk(settings, console, engine)
        desk.start()
        try:
            config = uvicorn.Config(
                create_console_app(desk, accounts, console), log_level="warning", access_log=False
            )
            click.echo(f"console: serving http://{host}:{port}", err=True)
            uvicorn.Server(config).run(sockets=[sock])
        finally:
            desk.stop()
    finally:
        sock.close()
