"""Without Chromium, browser tests skip on a developer's machine and fail under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import helpers


def test_missing_chromium_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(helpers, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the browser tests"):
        helpers.require_chromium()


def test_missing_chromium_skips_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(helpers, "CHROMEDRIVER", tmp_path / "no-chromedriver")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium-driver"):
        helpers.require_chromium()
