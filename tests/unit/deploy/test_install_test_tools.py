"""deploy/dev/install-test-tools.sh, run by bash against stub programs: silent when the
tools are there, one line and exit 0 when it cannot install, `apt-get update` then a
non-interactive install of exactly the missing packages when it can."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

from tests.unit.deploy.deploy_files import ROOT

SCRIPT = ROOT / "deploy" / "dev" / "install-test-tools.sh"
BASH = shutil.which("bash") or "/bin/bash"


def stub(directory: Path, name: str, body: str) -> None:
    """An executable `name` in `directory` that runs the shell `body`."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def link(directory: Path, *names: str) -> None:
    """The real `names` in `directory`, so a PATH of that directory alone still has them."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        real = shutil.which(name)
        assert real is not None, name
        (directory / name).symlink_to(real)


def run(path: Path, browser_and_database: bool = True) -> subprocess.CompletedProcess[str]:
    """The script with `path` as PATH; Chromium and a PostgreSQL server count as present
    unless `browser_and_database` is False (most tests are about the other two tools)."""
    postgresql = path / "postgresql"
    if browser_and_database:
        stub(path, "chromium", "exit 0")
        stub(postgresql / "15" / "bin", "postgres", "exit 0")
    return subprocess.run(
        [BASH, str(SCRIPT)],
        env={"PATH": str(path), "POSTGRESQL_LIB": str(postgresql)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_silent_when_every_tool_is_present(tmp_path: Path) -> None:
    stub(tmp_path, "promtool", "exit 0")
    stub(tmp_path, "docker-compose", "exit 0")
    result = run(tmp_path)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_one_line_and_success_without_apt_get(tmp_path: Path) -> None:
    stub(tmp_path, "promtool", "exit 0")
    result = run(tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "install-test-tools: docker-compose not installed (no apt-get); their tests will skip"
    ]


def test_one_line_and_success_when_not_root(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    stub(tmp_path, "apt-get", f'echo "$*" >> {log}')
    stub(tmp_path, "id", "echo 1000")
    result = run(tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "install-test-tools: prometheus docker-compose not installed "
        "(installed only as root: apt-get install prometheus docker-compose); "
        "their tests will skip"
    ]
    assert not log.exists()


def test_as_root_updates_once_then_installs_the_missing_packages(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    stub(tmp_path, "apt-get", f'echo "DEBIAN_FRONTEND=${{DEBIAN_FRONTEND:-}} $*" >> {log}')
    stub(tmp_path, "id", "echo 0")
    stub(tmp_path, "docker-compose", "exit 0")
    link(tmp_path, "env", "mktemp", "rm")
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["install-test-tools: installed prometheus"]
    assert log.read_text().splitlines() == [
        "DEBIAN_FRONTEND= update -q",
        "DEBIAN_FRONTEND=noninteractive install -y -q --no-install-recommends prometheus",
    ]


def test_as_root_installs_chromium_and_postgresql_when_missing(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    stub(tmp_path, "apt-get", f'echo "$*" >> {log}')
    stub(tmp_path, "id", "echo 0")
    stub(tmp_path, "promtool", "exit 0")
    stub(tmp_path, "docker-compose", "exit 0")
    link(tmp_path, "env", "mktemp", "rm")
    result = run(tmp_path, browser_and_database=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == ["install-test-tools: installed postgresql chromium"]
    assert log.read_text().splitlines()[-1] == (
        "install -y -q --no-install-recommends postgresql chromium"
    )


def test_a_failed_install_does_not_fail_the_build(tmp_path: Path) -> None:
    stub(tmp_path, "apt-get", 'case "$1" in update) exit 0 ;; *) exit 100 ;; esac')
    stub(tmp_path, "id", "echo 0")
    link(tmp_path, "env", "mktemp", "rm")
    result = run(tmp_path)
    assert result.returncode == 0
    (line,) = result.stderr.splitlines()
    assert line.startswith(
        "install-test-tools: prometheus docker-compose not installed (apt-get failed, see "
    )


def test_the_script_is_executable_bash() -> None:
    assert SCRIPT.stat().st_mode & stat.S_IXUSR
    assert os.access(SCRIPT, os.R_OK)
    result = subprocess.run([BASH, "-n", str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
