"""`screening console` and `screening console user add` refuse bad arguments with one line
and a non-zero exit, before touching a broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from streams.cli.main import cli


def run(args: list[str], password: str = "pw\n", **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["console", *args], input=password, env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["user", "add", "ana", "--role", "boss"], "pw\n", "role 'boss' is not one of"),
        (["user", "add", "ana", "--role", "member-analyst"], "pw\n", "needs --member"),
        (["user", "add", "ana", "--role", "member-supervisor"], "pw\n", "needs --member"),
        (["user", "add", "ana", "--role", "auditor", "--member", "b"], "pw\n", "takes no"),
        (["user", "add", "ana", "--role", "member-analyst", "--member", "B_1"], "pw\n", "member"),
        (["user", "add", "a b", "--role", "auditor"], "pw\n", "user name"),
        (["user", "add", "ana", "--role", "auditor"], "\n", "no password"),
        (["user", "add", "ana", "--role", "auditor"], "", "no password"),
        (["--listen", "nowhere"], "", "is not HOST:PORT"),
        (["--listen", "127.0.0.1:99999"], "", "is not HOST:PORT"),
    ],
)
def test_bad_arguments_are_one_line(args: list[str], password: str, message: str) -> None:
    code, output = run(args, password)
    assert code != 0
    assert message in output
    assert "Traceback" not in output
    assert len(output.strip().splitlines()) == 1, output


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    code, output = run(
        ["user", "add", "ana", "--role", "auditor"], SCREENING_CONSOLE_DB="mysql://x/y"
    )
    assert code != 0 and "SCREENING_CONSOLE_DB" in output
    assert len(output.strip().splitlines()) == 1
    unwritable = f"sqlite:///{tmp_path}/no/such/dir/c.db"
    code, output = run(["user", "add", "ana", "--role", "auditor"], SCREENING_CONSOLE_DB=unwritable)
    assert code != 0 and "console database" in output
    assert len(output.strip().splitlines()) == 1, output


def test_help_lists_the_user_command() -> None:
    code, output = run(["--help"])
    assert code == 0 and "user" in output and "--listen" in output
