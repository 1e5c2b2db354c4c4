"""Where Python source touches private names (one leading underscore, not a dunder): the
scan behind test_inventory.py, a pure function of source text.

A use is an attribute `x._name` of anything but `self`/`cls`; a `getattr`, `setattr`,
`hasattr` or `delattr` of a `"_name"` string; a private name imported from faust, mode
or aiokafka; and, in a class extending one of theirs ("Faust-facing"), `self._name` and
every method defined as `_name`: there the single-underscore names are theirs, the
project's own additions are public."""

from __future__ import annotations

import ast
from collections.abc import Collection, Iterable
from dataclasses import dataclass

THIRD_PARTY = frozenset({"faust", "mode", "aiokafka"})
ATTRIBUTE_FUNCTIONS = frozenset({"getattr", "setattr", "hasattr", "delattr"})
OWN = frozenset({"self", "cls"})


@dataclass(frozen=True)
class Use:
    """One use of a private name: in which top-level function or method (`Class.method`,
    `<module>` outside any), how (attribute, string, import, override) and on what line."""

    name: str
    where: str
    how: str
    line: int


def is_private(name: str) -> bool:
    """A leading underscore, and not a dunder."""
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def third_party_names(tree: ast.Module) -> set[str]:
    """The names a module binds to faust, mode or aiokafka modules and their members."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in THIRD_PARTY:
                    names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and _is_third_party(node):
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _is_third_party(node: ast.ImportFrom) -> bool:
    return node.level == 0 and (node.module or "").split(".")[0] in THIRD_PARTY


def _root(node: ast.expr) -> str | None:
    """The name an expression such as `a.b.C[x]` starts from."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def faust_facing(sources: Iterable[str]) -> set[str]:
    """Names of the classes, among `sources`, that extend a faust, mode or aiokafka class
    (directly or through another of them), and of the mixins such a class is made of."""
    classes: list[tuple[str, set[str | None], set[str]]] = []  # name, bases, third party
    for source in sources:
        tree = ast.parse(source)
        third = third_party_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                classes.append((node.name, {_root(base) for base in node.bases}, third))
    defined = {name for name, _, _ in classes}
    facing: set[str] = set()
    while True:
        before = len(facing)
        for name, bases, third in classes:
            if bases & (third | facing):
                facing.add(name)
                facing.update(base for base in bases if base in defined and base not in third)
        if len(facing) == before:
            return facing


class _Scan(ast.NodeVisitor):
    def __init__(self, third: set[str], facing: Collection[str]) -> None:
        self.third = third
        self.facing = facing
        self.classes: list[tuple[str, bool]] = []  # enclosing classes; Faust-facing?
        self.function: str | None = None  # the top-level function or method we are in
        self.uses: list[Use] = []

    def add(self, name: str, how: str, node: ast.stmt | ast.expr, where: str = "") -> None:
        self.uses.append(Use(name, where or self.function or "<module>", how, node.lineno))

    def add_if_private(self, name: str, how: str, node: ast.stmt | ast.expr) -> None:
        if is_private(name):
            self.add(name, how, node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        roots = {_root(base) for base in node.bases}
        facing = node.name in self.facing or bool(roots & self.third)
        self.classes.append((node.name, facing))
        for method in node.body if facing else []:
            if isinstance(method, ast.FunctionDef | ast.AsyncFunctionDef):
                where = ".".join([*(name for name, _ in self.classes), method.name])
                if is_private(method.name):
                    self.add(method.name, "override", method, where)
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer = self.function
        if outer is None:
            self.function = ".".join([*(name for name, _ in self.classes), node.name])
        self.generic_visit(node)
        self.function = outer

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if is_private(node.attr):
            own = isinstance(node.value, ast.Name) and node.value.id in OWN
            if not own or (self.classes and self.classes[-1][1]):
                self.add(node.attr, "attribute", node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func, args = node.func, node.args
        if isinstance(func, ast.Name) and func.id in ATTRIBUTE_FUNCTIONS and len(args) > 1:
            name = args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str):
                self.add_if_private(name.value, "string", node)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] in THIRD_PARTY:
                for part in parts:
                    self.add_if_private(part, "import", node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if _is_third_party(node):
            names = [*(node.module or "").split("."), *(alias.name for alias in node.names)]
            for name in names:
                self.add_if_private(name, "import", node)


def private_uses(source: str, facing: Collection[str] = ()) -> list[Use]:
    """Every use of a private name in `source`; `facing` names the Faust-facing classes
    defined elsewhere (see `faust_facing`)."""
    tree = ast.parse(source)
    scan = _Scan(third_party_names(tree), facing)
    scan.visit(tree)
    return scan.uses
