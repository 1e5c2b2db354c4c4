"""Reading and checking compose files in tests: the whole file, one service of it, a
service's environment and command, and the file against the Compose Specification."""

from __future__ import annotations

import json
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests import external_tools

# The Compose Specification's JSON Schema: the copy Debian's docker-compose 1.29 ships,
# Apache-2.0.
SCHEMA = Path(__file__).parent / "data" / "compose_spec.json"


@cache
def load_compose(path: Path) -> dict[str, Any]:
    """The compose file as parsed YAML (read once per path)."""
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def compose_service(path: Path, name: str) -> dict[str, Any]:
    """One service of the compose file; a failed assertion names the file and service."""
    services: dict[str, Any] = load_compose(path)["services"]
    assert name in services, f"{path.name} has no {name!r} service"
    found: dict[str, Any] = services[name]
    return found


def environment(svc: dict[str, Any]) -> dict[str, str]:
    """A service's environment as a mapping, whichever of the two compose forms it uses."""
    env = svc.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def command_text(svc: dict[str, Any]) -> str:
    """A service's command as one text, list items one per line."""
    command = svc.get("command", "")
    return "\n".join(command) if isinstance(command, list) else str(command)


def compose_validator() -> jsonschema.Draft201909Validator:
    """A validator of documents against the Compose Specification."""
    return jsonschema.Draft201909Validator(json.loads(SCHEMA.read_text()))


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Where and how a parsed compose file breaks the Compose Specification; [] when not."""
    return [
        f"{list(e.absolute_path)}: {e.message}" for e in compose_validator().iter_errors(document)
    ]


def docker_compose_config(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f PATH config -q` run in `cwd`: whether Compose accepts the file."""
    external_tools.record("docker-compose")
    return subprocess.run(
        ["docker-compose", "-f", str(path), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
