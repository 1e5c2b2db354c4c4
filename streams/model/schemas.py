"""Compiled validators for the JSON Schemas in `schemas/` (the contract's message kinds)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson

# The contract's schemas are part of the source tree, not of a deployment: the image
# installs the repository in editable mode, so they are read from where the code is.
SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"

JsonValidator = Callable[[Any], Any]


class SchemaError(ValueError):
    """A message does not satisfy its schema; the message says where."""


@cache
def load(kind: str) -> dict[str, Any]:
    """The parsed schema `schemas/<kind>.schema.json`."""
    path = SCHEMA_DIR / f"{kind}.schema.json"
    schema: dict[str, Any] = orjson.loads(path.read_bytes())
    return schema


def _local_schema(uri: str) -> dict[str, Any]:
    """Resolve a `$ref` to a sibling schema from `schemas/`, never from the network."""
    name = uri.rsplit("/", 1)[-1].split("#", 1)[0]
    return load(name.removesuffix(".schema.json"))


@cache
def validator(kind: str) -> JsonValidator:
    """A fast validator (generated code) for one schema; raises SchemaError."""
    compiled = fastjsonschema.compile(load(kind), handlers={"https": _local_schema})

    def validate(document: Any) -> Any:
        try:
            return compiled(document)
        except fastjsonschema.JsonSchemaValueException as exc:
            raise SchemaError(exc.message) from None

    return validate
