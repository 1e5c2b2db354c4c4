"""The peak resident memory of a process and its descendants, read from /proc.

Each process's peak is its `VmHWM` (the kernel's high-water mark of its RSS since it
started), read while the processes are alive. `getrusage(RUSAGE_CHILDREN).ru_maxrss` was
not used: it is the largest single descendant the benchmark ever reaped (first start and
restart alike, any earlier child too), so it cannot tell one worker's run from another's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PROC = Path("/proc")


def status_mib(status: str, field: str) -> float | None:
    """A memory field (`VmHWM`, `VmRSS`) of a /proc/<pid>/status text in MiB; None when it
    has none (a kernel thread, a zombie)."""
    for line in status.splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def vm_hwm_mib(status: str) -> float | None:
    """The `VmHWM` (peak RSS) of a /proc/<pid>/status text in MiB, or None."""
    return status_mib(status, "VmHWM")


def parent_of(stat: str) -> int:
    """The parent pid in a /proc/<pid>/stat text (the command name in parentheses may
    itself hold spaces and parentheses, so the fields are read after the last `)`)."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(root: int, parents: dict[int, int]) -> list[int]:
    """Every descendant of `root`, given each pid's parent, parents before children."""
    found: list[int] = []
    frontier = [root]
    while frontier:
        children = sorted(pid for pid, parent in parents.items() if parent in frontier)
        found += children
        frontier = children
    return found


def _read(path: Path) -> str | None:
    """A /proc file's text, None when its process has gone."""
    try:
        return path.read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None


def process_parents() -> dict[int, int]:
    """Each running process's parent pid."""
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _read(entry / "stat")) is not None:
            parents[int(entry.name)] = parent_of(stat)
    return parents


def process_name(pid: int) -> str:
    """The command line of a process, shortened; its pid when it has gone."""
    raw = _read(PROC / str(pid) / "cmdline") or ""
    return " ".join(raw.split("\0")).strip()[:120] or str(pid)


def tree_peak(pid: int, name: str) -> dict[str, Any]:
    """The peak RSS of process `pid` (called `name` in the result) and of each
    descendant alive now; `peak_rss_mb` is their sum, which equals the process's own
    peak when it has no children and is an upper bound of the tree's simultaneous peak
    otherwise (each process peaked at its own moment)."""
    processes: list[dict[str, Any]] = []
    for member in [pid, *descendants(pid, process_parents())]:
        peak = vm_hwm_mib(_read(PROC / str(member) / "status") or "")
        if peak is not None:
            processes.append(
                {
                    "pid": member,
                    "process": name if member == pid else process_name(member),
                    "peak_rss_mb": peak,
                }
            )
    return {
        "process": name,
        "peak_rss_mb": sum(p["peak_rss_mb"] for p in processes),
        "peak_measure": "VmHWM of the process and each descendant, summed",
        "processes": processes,
    }
