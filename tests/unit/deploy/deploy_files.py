"""The repository's production deployment files for tests: where they are, and the
services of docker-compose.yml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.unit.deploy.compose_file import compose_service, load_compose

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"


def compose() -> dict[str, Any]:
    """docker-compose.yml, parsed."""
    return load_compose(COMPOSE)


def service(name: str) -> dict[str, Any]:
    """One service of docker-compose.yml."""
    return compose_service(COMPOSE, name)
