"""`screening console`: the fraud desk's service, and `screening console user add`."""

from __future__ import annotations

import sys

import click

from streams.cli.errors import one_line_errors, settings_from_env
from streams.console.console_settings import ConsoleSettings
from streams.settings import SettingsError

# The server's modules (FastAPI, uvicorn, SQLAlchemy, argon2) are imported by the console's
# commands only, so that every other command starts as fast as before.

DEFAULT_LISTEN = "127.0.0.1:8080"


def _console_settings() -> ConsoleSettings:
    try:
        return ConsoleSettings.from_env()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(invoke_without_command=True)
@click.option(
    "--listen",
    default=DEFAULT_LISTEN,
    show_default=True,
    help="HOST:PORT of the API (database: SCREENING_CONSOLE_DB).",
)
@click.pass_context
def console(ctx: click.Context, listen: str) -> None:
    """Serve the fraud desk's console (JSON API) against KAFKA_BOOTSTRAP_SERVERS."""
    if ctx.invoked_subcommand is not None:
        return
    from streams.console.server import ConsoleError, listen_address, serve

    settings = settings_from_env()
    console_settings = _console_settings()
    try:
        listen_address(listen)
        with one_line_errors():
            serve(settings, console_settings, listen)
    except ConsoleError as exc:
        raise click.ClickException(str(exc)) from None


@console.group()
def user() -> None:
    """The console's users."""


def _password() -> str:
    if sys.stdin.isatty():
        entered: str = click.prompt("Password", hide_input=True, err=True, default="")
        return entered
    return sys.stdin.readline().rstrip("\r\n")


@user.command("add")
@click.argument("username")
@click.option(
    "--role", required=True, help="member-analyst, member-supervisor, coalition-analyst or auditor."
)
@click.option("--member", default=None, help="The member of a member role.")
def user_add(username: str, role: str, member: str | None) -> None:
    """Add a user, or update an existing one's role, member and password (read from
    standard input, one line)."""
    from streams.console.accounts import AccountError, validate_account
    from streams.console.server import ConsoleError, database_errors, open_accounts
    from streams.console.user_topic import add_user

    try:
        validate_account(username, role, member)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    password = _password()
    if not password:
        raise click.ClickException("no password: give it on standard input (one line)")
    settings = settings_from_env()
    console_settings = _console_settings()
    try:
        _engine, accounts = open_accounts(console_settings)
        record = accounts.new_record(username, role, member, password)
        with one_line_errors(), database_errors():
            existed = add_user(settings, accounts, record)
    except (ConsoleError, AccountError) as exc:
        raise click.ClickException(str(exc)) from None
    of = f" of {member}" if member else ""
    click.echo(f"user {username} {'updated' if existed else 'added'}: {role}{of}")
