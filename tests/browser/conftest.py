"""Browser tests: real headless Chromium (Debian's package) against the app served by
uvicorn on 127.0.0.1. Without Chromium they are skipped on a developer's machine and FAIL
under CI (``CI`` set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.helpers import Browser, require_chromium
from tests.browser.live_server import LiveServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives a real headless Chromium (Debian's chromium package)"
    )


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[Browser]:
    """Opens browser contexts (``browser.new_page()``) on the live server."""
    require_chromium()
    opened = Browser(live_server.base_url)
    yield opened
    opened.close()
