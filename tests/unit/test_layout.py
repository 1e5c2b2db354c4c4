"""The layout of streams/ (README "The code, in the order a payment meets it"): few modules
at the top, none too long, and each package on the payment's path importing only the
packages before it, or the plumbing beside the path."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STREAMS = Path(__file__).resolve().parents[2] / "streams"

# The payment's path, in the order a payment meets it.
PATH = ("model", "watchlist", "rules", "velocity", "pipeline", "agents", "worker")
# Beside the path: any package on it may use these, and they use nothing on it but the
# pure data named here (the velocity stages name the internal topics kafka/ creates).
PLUMBING = {
    "settings": set(),
    "extras": set(),
    "faust_ext": set(),
    "kafka": {"velocity.stages"},
    "ops": {"rules.policy"},
}


def imported_modules(source: str) -> set[str]:
    """The `streams.*` modules a module's source imports, without the `streams.` prefix."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "streams":
                found.update(alias.name for alias in node.names)
            elif node.module.startswith("streams."):
                found.add(node.module.removeprefix("streams."))
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix("streams.") for a in node.names if a.name.startswith("streams.")
            )
    return found


def package_of(path: Path) -> str:
    relative = path.relative_to(STREAMS).with_suffix("")
    return relative.parts[0]


def modules() -> list[Path]:
    return sorted(STREAMS.rglob("*.py"))


def test_imported_modules_reads_every_import_form() -> None:
    source = (
        "import os\nimport streams.kafka.topics\nfrom streams import settings\n"
        "from streams.model.payment import Payment\nfrom . import sibling\n"
    )
    assert imported_modules(source) == {"kafka.topics", "settings", "model.payment"}


def test_at_most_ten_modules_at_the_top_of_streams() -> None:
    top = [p.name for p in STREAMS.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= 10, top


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(STREAMS)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 400


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(STREAMS)))
def test_packages_import_only_what_comes_before_them_on_the_payments_path(path: Path) -> None:
    package = package_of(path)
    if package in PATH:
        allowed = set(PATH[: PATH.index(package) + 1]) | set(PLUMBING)
        wrong = {m for m in imported_modules(path.read_text()) if m.split(".")[0] not in allowed}
    elif package in PLUMBING:
        wrong = {
            m
            for m in imported_modules(path.read_text())
            if m.split(".")[0] in PATH and m not in PLUMBING[package]
        }
    else:  # cli, offline, reports, benchmarks: at the edge, they may use anything
        wrong = set()
    assert not wrong, f"{package}/ imports {sorted(wrong)}"
