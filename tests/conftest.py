"""Suite-wide rules.

With ``DIALER_REQUIRE_ASTERISK=1`` (set by ``make test`` and so by CI), a real-Asterisk test
that is skipped or deselected fails the run, and so does a run that executed none: a skipped
integration test is a failed one.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from dialer.core.operator_messages import Language, choose_language

_REQUIRED = os.environ.get("DIALER_REQUIRE_ASTERISK") == "1"
_skipped: list[str] = []
_deselected: list[str] = []
_passed: list[str] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    _deselected.extend(item.nodeid for item in items if item.get_closest_marker("asterisk"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if item.get_closest_marker("asterisk") is not None:
        if report.skipped:
            _skipped.append(item.nodeid)
        elif report.when == "call" and report.passed:
            _passed.append(item.nodeid)
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _REQUIRED:
        return
    problems = []
    if _skipped:
        problems.append(f"{len(_skipped)} real-Asterisk test(s) skipped: {_skipped[:5]}")
    if _deselected:
        problems.append(f"{len(_deselected)} real-Asterisk test(s) deselected")
    if not _passed and not _skipped:
        problems.append("no real-Asterisk test ran")
    if problems:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        for problem in problems:
            message = f"DIALER_REQUIRE_ASTERISK=1: {problem}"
            if reporter is not None:
                reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _french_operator_messages() -> Generator[None]:
    """Each test starts with the default operator language (French): a command run in the
    test's process with ``language = "en"`` must not leave English to the next test."""
    choose_language(Language.FRENCH)
    yield
    choose_language(Language.FRENCH)
