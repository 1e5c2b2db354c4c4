"""Reading compose files in tests: the whole file and one service of it."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml


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
