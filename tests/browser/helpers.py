"""Headless Chromium for the browser tests (and the end-to-end test): Debian's chromium
and chromedriver driven by Selenium, one fresh profile per browser context, never a
downloaded browser."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    WebDriverException,
)
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
#: a microphone for the phone in the agent's page: Chromium's fake device (a beep), allowed
#: without a prompt, and remote audio played without a click
FAKE_MEDIA = (
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
)
T = TypeVar("T")


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; FAIL under CI (``CI`` set)."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        message = f"{', '.join(missing)} missing: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the browser tests: {message}")
        pytest.skip(message)


class Page:
    """One browser context (its own profile, cookies and storage) on the app under test."""

    def __init__(self, base_url: str, flags: tuple[str, ...] = ()) -> None:
        self.base_url = base_url
        self.profile = Path(tempfile.mkdtemp(prefix="dialer-chromium-"))
        options = Options()
        options.binary_location = str(CHROMIUM)
        for flag in (*FLAGS, *flags):
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={self.profile}")
        self.driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )

    def goto(self, path: str) -> None:
        self.driver.get(self.base_url + path)

    def path(self) -> str:
        url: str = self.driver.current_url
        return url.removeprefix(self.base_url)

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def text(self, css: str) -> str:
        return str(self.find(css).text)

    def js(self, script: str) -> object:
        return self.driver.execute_script(script)

    def focused_id(self) -> str:
        return str(self.js("return document.activeElement.id"))

    def wait(self, condition: Callable[[], T], *, timeout: float = 10.0, what: str = "") -> T:
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = condition()
                if result:
                    return result
            except (NoSuchElementException, StaleElementReferenceException):
                pass
            except WebDriverException as gone:
                # a node of the page being left (a form just submitted): as stale
                if "does not belong to the document" not in str(gone.msg):
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or condition}")
            time.sleep(0.02)

    def wait_text(self, css: str, expected: str, *, timeout: float = 10.0) -> None:
        try:
            self.wait(lambda: expected in self.text(css), timeout=timeout)
        except AssertionError:
            raise AssertionError(
                f"timed out waiting for {css} ∋ {expected!r}; it shows {self.text(css)!r}"
            ) from None

    def close(self) -> None:
        self.driver.quit()
        shutil.rmtree(self.profile, ignore_errors=True)


class Browser:
    """Opens browser contexts; the fixture closes them all."""

    def __init__(self, base_url: str, flags: tuple[str, ...] = ()) -> None:
        self.base_url = base_url
        self.flags = flags
        self.pages: list[Page] = []

    def new_page(self) -> Page:
        page = Page(self.base_url, self.flags)
        self.pages.append(page)
        return page

    def close(self) -> None:
        for page in self.pages:
            page.close()
        self.pages.clear()


def login(page: Page, user: str, password: str) -> None:
    """Log in through the login form, as a person would; waits for the landing page."""
    page.goto("/connexion")
    page.find("#identifiant").send_keys(user)
    page.find("#mot_de_passe").send_keys(password)
    page.find("#se-connecter").click()
    page.wait(lambda: not page.path().startswith("/connexion"), what=f"{user} logged in")
