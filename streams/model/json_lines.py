"""Reading JSON Lines files with errors that name the file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


class JsonLinesError(ValueError):
    """A line that is not JSON; the message is `FILE:LINE: not JSON: ...`."""


def read_json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """Yield (line number, decoded value) for each non-blank line."""
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield line_no, orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise JsonLinesError(f"{path}:{line_no}: not JSON: {exc}") from None
