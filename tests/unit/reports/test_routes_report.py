"""`screening report routes`: the table and the chart agree with the alerts given; the
chart is checked by reading back what its Figure plots, the PNG file as a smoke test."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from click.testing import CliRunner
from PIL import Image

from streams.cli.main import cli
from streams.kafka import topics
from streams.pipeline.processor import PaymentProcessor
from streams.pipeline.records import Source
from streams.reports.routes import MEASURES, TITLES, build, chart
from streams.settings import Settings
from streams.watchlist.entry import encode_entry, parse_record
from streams.watchlist.index import WatchlistIndex
from tests.factories import identifier, payment_bytes, watchlist_entry

ENTRIES = [
    watchlist_entry("wl-a", [identifier("domain", "seller-a.example")], source="hotline"),
    watchlist_entry(
        "wl-b",
        [identifier("iban", "DE89370400440532013000")],
        action="hold",
        status="suspected",
        source="bank",
    ),
]


def alerts_of_a_month() -> list[dict[str, Any]]:
    """Alerts the real pipeline raises for a month of payments moving from card to crypto."""
    index = WatchlistIndex()
    for document in ENTRIES:
        index.upsert(parse_record(document), encode_entry(document))
    processor = PaymentProcessor.from_settings(index, Settings())
    payments = []
    for day in range(1, 29):
        ts = f"2026-11-{day:02d}T12:00:00Z"
        method = "card" if day < 10 else "crypto"
        route = (
            {"merchant_id": f"MID-{day % 4}"}
            if method == "card"
            else {"wallet_address": f"bc1qroute{day % 3}xxxxxxxx"}
        )
        payments.append(({"domain": "seller-a.example", **route}, method, ts))
        payments.append(({"iban": "DE89 3704 0044 0532 0130 00"}, "bank_transfer", ts))
        payments.append(({"merchant_id": "INNOCENT"}, "card", ts))
    alerts = []
    for i, (payee, method, ts) in enumerate(payments):
        raw = payment_bytes(f"t{i}", "m1", ts=ts, amount="5", method=method, payee=payee)
        for record in processor.process(raw, Source("stdin", 0, i, None), None):
            if record.topic == topics.ALERTS:
                alerts.append(orjson.loads(record.value))
    return alerts


def expected_counts(alerts: list[dict[str, Any]]) -> Counter[tuple[str, str, str]]:
    counts: Counter[tuple[str, str, str]] = Counter()
    for alert in alerts:
        year, week, _ = datetime.fromisoformat(alert["ts"].replace("Z", "+00:00")).isocalendar()
        measure = (
            "new_routes"
            if alert["kind"] == "NEW_ROUTE"
            else {"block": "blocked", "hold": "held"}[alert["decision"]]
        )
        counts[(f"{year}-W{week:02d}", alert["method"], measure)] += 1
    return counts


def test_the_chart_plots_the_counts_of_the_input() -> None:
    alerts = alerts_of_a_month()
    expected = expected_counts(alerts)
    figure = chart(build(alerts))
    panels = figure.axes
    assert [axis.get_title() for axis in panels] == [TITLES[m] for m in MEASURES]
    plotted: Counter[tuple[str, str, str]] = Counter()
    colours: dict[str, set[str]] = {}
    for axis, measure in zip(panels, MEASURES, strict=True):
        for line in axis.get_lines():
            method = str(line.get_label())
            weeks = [str(week) for week in line.get_xdata()]
            counts = [int(count) for count in line.get_ydata()]
            assert any(counts), (measure, method)
            for week, count in zip(weeks, counts, strict=True):
                plotted[(week, method, measure)] += count
            colours.setdefault(method, set()).add(str(line.get_color()))
    assert +plotted == expected  # + drops the weeks a line passes at zero
    assert all(len(c) == 1 for c in colours.values()), "one colour per method in every panel"
    legend = {text.get_text() for legend in figure.legends for text in legend.get_texts()}
    assert legend == {method for _, method, _ in expected}


def test_report_table_and_png_match_the_input(tmp_path: Path) -> None:
    alerts = alerts_of_a_month()
    assert {a["kind"] for a in alerts} == {"DECISION", "NEW_ROUTE"}
    export = tmp_path / "alerts.jsonl"
    export.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in alerts))
    png = tmp_path / "routes.png"

    result = CliRunner().invoke(
        cli, ["report", "routes", "--input", str(export), "--png", str(png)]
    )
    assert result.exit_code == 0, result.output

    expected = expected_counts(alerts)
    # The PNG as a smoke test: an image with something drawn, and the table it embeds.
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size[0] > 800 and image.size[1] > 300
        assert len(image.convert("L").getcolors(maxcolors=100_000) or []) > 10  # drawn
        embedded = orjson.loads(image.text["Description"])
    charted = Counter(
        {
            (r["week"], r["method"], m): r[m]
            for r in embedded
            for m in ("blocked", "held", "new_routes")
            if r[m]
        }
    )
    assert charted == expected
    # the terminal table shows the same numbers
    for row in embedded:
        line = f"{row['week']:<10}{row['method']:<15}{row['blocked']:>9}{row['held']:>7}"
        assert line in result.output
    # sellers moved from card to crypto: new routes appear under both methods
    assert any(k[1] == "crypto" and k[2] == "new_routes" for k in expected)
    assert any(k[1] == "card" and k[2] == "new_routes" for k in expected)


def test_report_accepts_tail_output_and_names_bad_lines(tmp_path: Path) -> None:
    export = tmp_path / "tail.jsonl"
    alert = {
        "kind": "DECISION",
        "decision": "block",
        "method": "wallet",
        "ts": "2026-11-23T10:00:00Z",
    }
    export.write_bytes(orjson.dumps({"partition": 0, "offset": 1, "value": alert}) + b"\n{bad\n")
    result = CliRunner().invoke(cli, ["report", "routes", "--input", str(export)])
    assert result.exit_code == 1
    assert f"{export}:2: not JSON" in result.output
