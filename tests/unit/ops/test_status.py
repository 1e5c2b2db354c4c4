"""`screening status`: reading workers' metrics into counts, rates, lag and watchlist state;
the command against local HTTP servers that answer like workers, and against none."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest
from click.testing import CliRunner

from streams.cli.main import cli
from streams.ops.metrics_scrape import parse
from streams.ops.status_render import render
from streams.ops.status_summary import histogram_quantile, summarise


def exposition(
    decided: dict[tuple[str, str], float],
    *,
    lag: dict[tuple[str, int], float] | None = None,
    version: str = "wl-18-abc",
    published: float = 0.0,
    dead: dict[tuple[str, str], float] | None = None,
    latency_buckets: dict[str, float] | None = None,
) -> str:
    """Prometheus text as a worker would expose it."""
    lines = ["# TYPE screening_decisions_total counter"]
    members = sorted({m for m, _ in decided})
    for (member, decision), value in sorted(decided.items()):
        lines.append(
            f'screening_decisions_total{{decision="{decision}",member="{member}"}} {value}'
        )
    lines.append("# TYPE screening_payments_consumed_total counter")
    for member in members:
        total = sum(v for (m, _), v in decided.items() if m == member)
        lines.append(f'screening_payments_consumed_total{{member="{member}"}} {total}')
    lines.append("# TYPE screening_dead_letters_total counter")
    for (member, reason), value in (dead or {}).items():
        lines.append(f'screening_dead_letters_total{{member="{member}",reason="{reason}"}} {value}')
    lines.append("# TYPE screening_consumer_lag_messages gauge")
    for (topic, partition), value in (lag or {}).items():
        lines.append(
            f'screening_consumer_lag_messages{{partition="{partition}",topic="{topic}"}} {value}'
        )
    lines += [
        "# TYPE screening_consumer_assigned_partitions gauge",
        f"screening_consumer_assigned_partitions {len(lag or {})}",
        "# TYPE screening_watchlist_entries gauge",
        "screening_watchlist_entries 18.0",
        "# TYPE screening_watchlist_ready gauge",
        "screening_watchlist_ready 1.0",
        "# TYPE screening_watchlist_version info",
        f'screening_watchlist_version_info{{version="{version}"}} 1.0',
        "# TYPE screening_watchlist_last_record_timestamp_seconds gauge",
        f"screening_watchlist_last_record_timestamp_seconds {published}",
        "# TYPE screening_rules_loaded gauge",
        'screening_rules_loaded{kind="builtin"} 2.0',
        'screening_rules_loaded{kind="velocity"} 0.0',
        "# TYPE screening_rebalances_total counter",
        "screening_rebalances_total 1.0",
        "# TYPE screening_decision_latency_seconds histogram",
    ]
    buckets = latency_buckets or {"0.005": 0.0, "0.01": 0.0, "+Inf": 0.0}
    for le, count in buckets.items():
        lines.append(f'screening_decision_latency_seconds_bucket{{le="{le}"}} {count}')
    lines.append(f"screening_decision_latency_seconds_count {buckets['+Inf']}")
    return "\n".join(lines) + "\n"


# --- reading and summarising ------------------------------------------------------------


def test_histogram_quantile_interpolates_like_prometheus() -> None:
    buckets = {0.01: 50.0, 0.02: 90.0, 0.05: 100.0, float("inf"): 100.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.01)
    assert histogram_quantile(0.7, buckets) == pytest.approx(0.015)
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.047)
    assert histogram_quantile(0.5, {0.01: 0.0, float("inf"): 0.0}) is None
    # Beyond the highest finite bucket: that bound, as Prometheus answers.
    assert histogram_quantile(0.99, {0.01: 1.0, float("inf"): 10.0}) == 0.01


def test_summary_sums_workers_and_takes_rates_from_two_scrapes() -> None:
    now = 1_800_000_000.0
    w1a = parse("w1", exposition({("alpha", "allow"): 100, ("alpha", "block"): 2}), 10.0)
    w2a = parse("w2", exposition({("beta", "allow"): 40}), 10.0)
    w1b = parse(
        "w1",
        exposition(
            {("alpha", "allow"): 150, ("alpha", "block"): 2},
            lag={("payments.alpha", 0): 5, ("payments.alpha", 1): 7},
            published=now - 90,
            dead={("alpha", "SCHEMA"): 3},
        ),
        12.0,
    )
    w2b = parse(
        "w2",
        exposition({("beta", "allow"): 50}, lag={("payments.beta", 2): 1}, published=now - 30),
        12.0,
    )
    summary = summarise([w1a, w2a], [w1b, w2b], now)
    rows = {m.member: m for m in summary.members}
    assert rows["alpha"].total == 152 and rows["alpha"].decided["block"] == 2
    assert rows["alpha"].decided_per_s == pytest.approx(25.0)
    assert rows["beta"].decided_per_s == pytest.approx(5.0)
    assert rows["alpha"].dead_letters == 3
    assert summary.lag_by_topic == {"payments.alpha": (2, 12.0), "payments.beta": (1, 1.0)}
    assert summary.watchlist_versions == ["wl-18-abc"]
    assert summary.published_age_s == pytest.approx(30.0)
    assert summary.rules == {"builtin": 2.0, "velocity": 0.0}
    assert summary.dead_letters == {"SCHEMA": 3.0}
    text = render(summary)
    assert "alpha" in text and "152" in text and "25.0" in text
    assert "payments.alpha" in text and "12" in text
    assert "wl-18-abc" in text and "30 s ago" in text
    assert "2 builtin, 0 velocity" in text
    assert "SCHEMA 3" in text


def test_summary_flags_workers_that_disagree_on_the_watchlist() -> None:
    first = [parse("w1", exposition({}, version="wl-1-a"), 0.0)]
    second = [
        parse("w1", exposition({}, version="wl-1-a"), 1.0),
        parse("w2", exposition({}, version="wl-2-b"), 1.0),
    ]
    summary = summarise(first, second[:1], 0.0)
    assert summary.watchlist_versions == ["wl-1-a"]
    summary = summarise([*first, first[0]], second, 0.0)
    assert summary.watchlist_versions == ["wl-1-a", "wl-2-b"]
    assert "WORKERS DISAGREE" in render(summary)


def test_latency_comes_from_the_window_when_it_has_decisions() -> None:
    before = parse("w", exposition({}, latency_buckets={"0.005": 100, "0.01": 100, "+Inf": 100}), 0)
    after = parse("w", exposition({}, latency_buckets={"0.005": 100, "0.01": 200, "+Inf": 200}), 1)
    latency = summarise([before], [after], 0.0).latency_ms
    # All 100 decisions of the window fell between 5 and 10 ms.
    assert latency["p50"] == pytest.approx(7.5)
    assert latency["observations"] == 100


# --- the command ------------------------------------------------------------------------


@pytest.fixture
def worker_server() -> Iterator[Callable[[list[str]], str]]:
    """Starts HTTP servers that answer /metrics with the given texts, one per request
    (the last text repeats); yields a factory returning each server's URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(texts: list[str]) -> str:
        remaining = list(texts)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (remaining.pop(0) if len(remaining) > 1 else remaining[0]).encode()
                self.send_response(200 if self.path == "/metrics" else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/metrics"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_status_prints_per_member_counts_and_rates(
    worker_server: Callable[[list[str]], str],
) -> None:
    url = worker_server(
        [
            exposition({("alpha", "allow"): 10}),
            exposition(
                {("alpha", "allow"): 30, ("alpha", "hold"): 1},
                lag={("payments.alpha", 0): 4},
                published=time.time() - 5,
            ),
        ]
    )
    result = CliRunner().invoke(cli, ["status", "--url", url, "--interval", "0.2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    (alpha,) = [line for line in lines if line.startswith("alpha ")]
    assert alpha.split()[1:6] == ["31", "31", "30", "1", "0"]
    rate = float(alpha.split()[-1].replace(",", ""))
    assert 40 <= rate <= 110, "21 decisions over about 0.2 s"
    assert any(line.startswith("payments.alpha") and line.split()[-1] == "4" for line in lines)


def test_status_json_output(worker_server: Callable[[list[str]], str]) -> None:
    url = worker_server([exposition({("beta", "block"): 2})])
    result = CliRunner().invoke(cli, ["status", "--url", url, "--interval", "0.1", "--json"])
    assert result.exit_code == 0, result.output
    document = orjson.loads(result.output)
    assert document["members"]["beta"]["block"] == 2
    assert document["watchlist"]["versions"] == ["wl-18-abc"]


def test_status_reports_an_unreachable_worker_in_one_line() -> None:
    result = CliRunner().invoke(cli, ["status", "--url", "http://127.0.0.1:9/metrics"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: cannot reach http://127.0.0.1:9/metrics: [Errno 111] Connection refused"
    ]


def test_status_shows_the_reachable_workers_and_fails_for_the_others(
    worker_server: Callable[[list[str]], str],
) -> None:
    url = worker_server([exposition({("alpha", "allow"): 5})])
    down = "http://127.0.0.1:9/metrics"
    result = CliRunner().invoke(cli, ["status", "--url", url, "--url", down, "--interval", "0.1"])
    assert result.exit_code == 1
    assert "1 up, 1 down" in result.output
    assert "alpha" in result.output
    assert f"Error: cannot reach {down}" in result.output


def test_status_rejects_an_answer_that_is_not_metrics(
    worker_server: Callable[[list[str]], str],
) -> None:
    url = worker_server(["<html>not metrics{</html>"])
    result = CliRunner().invoke(cli, ["status", "--url", url, "--interval", "0.1"])
    assert result.exit_code == 1
    assert "did not answer Prometheus metrics" in result.output
