"""Run-wide hooks: in CI (CI=true) or with SCREENING_TESTS_NO_SKIP=1 a skipped test fails
with its skip reason, so a tool missing on the CI machine cannot pass unnoticed; the run
ends with the external tools the tests called and their versions."""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from tests.external_tools import summary_lines

NO_SKIP_FLAG = "SCREENING_TESTS_NO_SKIP"


def skips_fail() -> bool:
    """True in CI (CI=true, as CI services set it) or when SCREENING_TESTS_NO_SKIP=1."""
    return os.environ.get("CI", "").lower() == "true" or os.environ.get(NO_SKIP_FLAG) == "1"


def skip_reason(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The reason pytest recorded for a skip."""
    if isinstance(report.longrepr, tuple):
        return report.longrepr[2]
    return str(report.longrepr)


def fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    """Turn a skip (not an expected failure) into a failure that gives the skip's reason."""
    if skips_fail() and report.skipped and not hasattr(report, "wasxfail"):
        reason = skip_reason(report)
        report.outcome = "failed"
        report.longrepr = f"skipped, and skips fail here (CI=true or {NO_SKIP_FLAG}=1): {reason}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    fail_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    fail_skip(report)
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = summary_lines()
    if lines:
        terminalreporter.section("external tools")
        for line in lines:
            terminalreporter.write_line(line)


def pytest_report_header(config: pytest.Config) -> str:
    from tests.integration.brokers import why_engine

    try:
        return f"integration broker: {why_engine()}"
    except ValueError as exc:
        return f"integration broker: {exc}"
