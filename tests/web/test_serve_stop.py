"""``dialer serve`` as a process supervisor runs it: SIGTERM stops it in order (the stop
drains the calls first, the web still up), with exit status 0, not a kill."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest

from tests.unit.test_ami_client import FakeAmi

ROOT = str(Path(__file__).resolve().parents[2])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.asyncio
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_a_signal_drains_and_stops_the_service_cleanly(
    tmp_path: Path, signum: signal.Signals
) -> None:
    ami = FakeAmi()
    server = await asyncio.start_server(ami.handle, "127.0.0.1", 0)
    async with server:
        out, err, returncode = await serve_then_signal(
            tmp_path, server.sockets[0].getsockname()[1], signum
        )
        for writer in ami.writers:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
    assert returncode == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("Arrêt demandé : plus aucun appel lancé"), lines
    assert lines[1] == (
        "Arrêté : 0 ligne(s) d'agent libérée(s), 0 appel(s) laissé(s) à Asterisk, "
        "0 fiche(s) à finir à la prochaine connexion."
    )


async def serve_then_signal(
    tmp_path: Path, ami_port: int, signum: signal.Signals
) -> tuple[str, str, int | None]:
    """``dialer serve`` started, a page served, then ``signum``: (stdout, stderr, status)."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DIALER_")},
        "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dialer.db'}",
        "DIALER_WEB__SECRET_KEY": "k" * 40,
        "DIALER_WEB__PORT": str(port),
        "DIALER_WEB__SECURE_COOKIES": "false",
        "DIALER_AMI__PORT": str(ami_port),
        "DIALER_AMI__SECRET": "secret-de-test",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from dialer.cli import main; main()", "serve",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        ready = await asyncio.wait_for(process.stdout.readline(), 60)
        assert ready.decode().startswith("Service prêt"), ready
        async with httpx.AsyncClient() as client:
            page = await client.get(f"http://127.0.0.1:{port}/connexion")
        assert page.status_code == 200
        process.send_signal(signum)
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
    return out.decode(), err.decode(), process.returncode
