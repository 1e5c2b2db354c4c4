"""The status summary as terminal text (about one screen) or as a JSON-ready mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from streams.ops.status_summary import DECISIONS, MemberRow, Summary


def _n(value: float) -> str:
    return f"{int(value):,}" if value == int(value) else f"{value:,.1f}"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def _table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], text_columns: int = 1
) -> list[str]:
    """Aligned columns: the first `text_columns` and the last when it is text to the left,
    numbers to the right."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    last_is_text = bool(rows) and not rows[0][-1].replace(",", "").replace(".", "").isdigit()

    def line(cells: Sequence[str]) -> str:
        aligned = [
            c.ljust(w) if i < text_columns or (last_is_text and i == len(cells) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(aligned).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def render(summary: Summary, down: Sequence[str] = ()) -> str:
    """The summary as text for a terminal (about one screen for a handful of members)."""
    out: list[str] = []
    up = len(summary.workers)
    out.append(
        f"workers: {up} up, {len(down)} down; rates over {summary.window_s:.1f} s"
        if down
        else f"workers: {up} up; rates over {summary.window_s:.1f} s"
    )
    out += _table(
        ["worker", "ready", "partitions", "lag", "rebalances", "watchlist"],
        [
            [
                w.url,
                "yes" if w.watchlist_ready else "NO",
                _n(w.partitions),
                _n(w.lag),
                _n(w.rebalances),
                f"{w.watchlist_version} ({_n(w.watchlist_entries)} entries)",
            ]
            for w in summary.workers
        ],
    )
    out.extend(f"DOWN  {reason}" for reason in down)
    out.append("")
    rows = [
        [
            m.member,
            _n(m.consumed),
            _n(m.total),
            *(_n(m.decided[d]) for d in DECISIONS),
            _n(m.dead_letters),
            f"{m.decided_per_s:,.1f}",
        ]
        for m in summary.members
    ]
    if rows:
        total = MemberRow("total")
        for m in summary.members:
            total.consumed += m.consumed
            total.dead_letters += m.dead_letters
            total.decided_per_s += m.decided_per_s
            for d in DECISIONS:
                total.decided[d] += m.decided[d]
        rows.append(
            [
                "total",
                _n(total.consumed),
                _n(total.total),
                *(_n(total.decided[d]) for d in DECISIONS),
                _n(total.dead_letters),
                f"{total.decided_per_s:,.1f}",
            ]
        )
        out += _table(
            ["member", "consumed", "decided", *DECISIONS, "dead", "decided/s"],
            rows,
        )
    else:
        out.append("members: none served yet")
    out.append("")
    if summary.lag_by_topic:
        out += _table(
            ["topic", "partitions", "lag"],
            [[t, str(p), _n(v)] for t, (p, v) in summary.lag_by_topic.items()],
        )
    else:
        out.append("lag: no partitions assigned")
    out.append("")
    versions = ", ".join(v or "(none)" for v in summary.watchlist_versions) or "(none)"
    warning = "  WORKERS DISAGREE" if len(summary.watchlist_versions) > 1 else ""
    out.append(
        f"watchlist: {versions}{warning}; {_n(summary.watchlist_entries)} entries; "
        f"last published {_age(summary.published_age_s)}, "
        f"last applied {_age(summary.applied_age_s)}"
    )
    out.append(
        "rules: " + (", ".join(f"{_n(v)} {k}" for k, v in summary.rules.items()) or "(none)")
    )
    lat = summary.latency_ms
    if lat.get("p50") is None:
        out.append("decision latency: no observations")
    else:
        out.append(
            "decision latency: "
            + ", ".join(f"{q} {lat[q]:.1f} ms" for q in ("p50", "p95", "p99"))
            + f" ({_n(lat['observations'] or 0)} decisions)"
        )
    dead = ", ".join(f"{k} {_n(v)}" for k, v in summary.dead_letters.items() if v)
    out.append(f"dead letters: {dead or 'none'}")
    errors = ", ".join(f"{k} {_n(v)}" for k, v in summary.internal_errors.items() if v)
    out.append(f"internal errors: {errors or 'none'}")
    return "\n".join(out)


def as_json(summary: Summary, down: Sequence[str] = ()) -> dict[str, Any]:
    """The summary as a JSON-ready mapping (for scripts)."""
    return {
        "workers": [vars(w) for w in summary.workers],
        "down": list(down),
        "members": {
            m.member: {
                "consumed": m.consumed,
                "decided": m.total,
                **m.decided,
                "dead_letters": m.dead_letters,
                "decided_per_s": m.decided_per_s,
            }
            for m in summary.members
        },
        "lag": {t: {"partitions": p, "lag": v} for t, (p, v) in summary.lag_by_topic.items()},
        "watchlist": {
            "versions": summary.watchlist_versions,
            "entries": summary.watchlist_entries,
            "published_age_s": summary.published_age_s,
            "applied_age_s": summary.applied_age_s,
        },
        "rules": summary.rules,
        "dead_letters": summary.dead_letters,
        "internal_errors": summary.internal_errors,
        "latency_ms": summary.latency_ms,
        "window_s": summary.window_s,
    }
