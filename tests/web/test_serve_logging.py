"""Issue 23, logging, through ``dialer serve`` itself (a subprocess, a small AMI server
standing in for Asterisk): the level and the format come from the settings and
``--log-level``, JSON when asked; HTTP requests leave access lines without personal data;
the AMI session's opening is logged; operator messages follow the ``language`` setting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dialer import cli as cli_module
from tests.unit.test_ami_client import FakeAmi
from tests.web.support import SECRET_KEY
from tests.web.test_delivery import free_port

READY_WITHIN_S = 60


@pytest.fixture
def ami_port() -> Iterator[int]:
    """A FakeAmi server on a port of its own, in a thread of its own."""
    loop = asyncio.new_event_loop()
    fake = FakeAmi()

    async def start() -> asyncio.Server:
        return await asyncio.start_server(fake.handle, "127.0.0.1", 0)

    async def stop(server: asyncio.Server) -> None:
        server.close()
        for writer in fake.writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    yield server.sockets[0].getsockname()[1]
    asyncio.run_coroutine_threadsafe(stop(server), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def serve(tmp_path: Path, ami_port: int, *options: str, **env: str) -> tuple[str, str]:
    """Run ``dialer [OPTIONS] serve`` until it is ready, ask it for three pages, stop it:
    (its standard output, its standard error)."""
    web_port = free_port()
    secret = tmp_path / "ami-secret"
    secret.write_text("secret\n")
    environment = {
        **os.environ,
        "DIALER_CONFIG": str(tmp_path / "none.toml"),
        "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/dialer.db",
        "DIALER_AMI__PORT": str(ami_port),
        "DIALER_AMI__SECRET_FILE": str(secret),
        "DIALER_WEB__PORT": str(web_port),
        "DIALER_WEB__SECRET_KEY": SECRET_KEY,
        "DIALER_WEB__SECURE_COOKIES": "false",
        **env,
    }
    (tmp_path / "none.toml").write_text("")
    process = subprocess.Popen(
        [sys.executable, "-c", "from dialer.cli import main; main()", *options, "serve"],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(f"http://127.0.0.1:{web_port}/connexion", timeout=1)
                break
            time.sleep(0.2)
        base = f"http://127.0.0.1:{web_port}"
        assert httpx.get(f"{base}/connexion?suivant=/admin", timeout=5).status_code == 200
        httpx.get(f"{base}/api/v1/persons/4242?nom=Dupont", timeout=5)
        httpx.get(f"{base}/api/v1/campaigns", headers={"Authorization": "Bearer dlr_x"}, timeout=5)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    return out, err


def test_json_logs_at_info_with_the_access_log(tmp_path: Path, ami_port: int) -> None:
    out, err = serve(tmp_path, ami_port, DIALER_LOG__FORMAT="json", DIALER_LOG__LEVEL="info")
    assert "Service prêt : http://127.0.0.1:" in out
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert records, err
    assert {"time", "level", "logger", "message"} <= set(records[0])
    messages = [(r["level"], r["logger"], r["message"]) for r in records]
    assert (
        "INFO",
        "dialer.telephony.node",
        f"AMI asterisk-1 : session ouverte (127.0.0.1:{ami_port})",
    ) in messages
    access = [r["http"] for r in records if r["logger"] == "dialer.access"]
    assert [(a["method"], a["route"], a["status"]) for a in access[-3:]] == [
        ("GET", "/connexion", 200),
        ("GET", "/api/v1/persons/{person_id}", 401),
        ("GET", "/api/v1/campaigns", 401),
    ]
    for personal_or_secret in ("4242", "Dupont", "dlr_x", "suivant"):
        assert personal_or_secret not in err


def test_the_log_level_option_over_the_setting_in_english_text(
    tmp_path: Path, ami_port: int
) -> None:
    out, err = serve(
        tmp_path, ami_port, "--log-level", "info", DIALER_LOG__LEVEL="ERROR", DIALER_LANGUAGE="en"
    )
    assert "Service ready: http://127.0.0.1:" in out
    text_lines = [line for line in err.splitlines() if " INFO " in line]
    opened = f"INFO dialer.telephony.node: AMI asterisk-1: session open (127.0.0.1:{ami_port})"
    assert any(line.endswith(opened) for line in text_lines), err
    assert any(" INFO dialer.access: GET /connexion 200 " in line for line in text_lines), err
    assert not any(line.startswith("{") for line in err.splitlines())


def test_a_bad_level_or_format_is_refused_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "none.toml").write_text("")
    monkeypatch.setenv("DIALER_CONFIG", str(tmp_path / "none.toml"))

    def run(*args: str) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["dialer", *args])
        with pytest.raises(SystemExit) as ended:
            cli_module.main()
        return int(ended.value.code or 0), capsys.readouterr().err

    for name, value in (("LEVEL", "bavard"), ("FORMAT", "xml")):
        monkeypatch.setenv(f"DIALER_LOG__{name}", value)
        code, err = run("settings")
        assert code == 78, err
        assert f"log.{name.lower()} : valeur attendue parmi " in err
        monkeypatch.delenv(f"DIALER_LOG__{name}")
    code, err = run("--log-level", "bavard", "settings")
    assert code == 2
    assert "'bavard' is not one of" in err
