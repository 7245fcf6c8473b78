"""What the faults act on: the controller's process, the AMI relay, a throwaway PostgreSQL
server and the SQLite file's small disk."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dialer.errors import RigError
from dialer.rig.asterisk import Rig
from dialer.service import running_service
from dialer.settings import Settings
from dialer.telephony.ami import AmiCredentials

HOST = "127.0.0.1"
AGENTS = 5  # the rig's softphones (as the real-rig tests use them)
POSTGRES_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


async def wait_listening(port: int, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection(HOST, port)
            writer.close()
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"the controller did not listen on {port} within {timeout_s} s")


# ---- the controller, in its own process -------------------------------------------------------
def chaos_settings(database_url: str, web_port: int) -> Settings:
    return Settings(
        rig={"agents": AGENTS, "loopback_webhooks": True},  # type: ignore[arg-type]
        database_url=database_url,
        web={  # type: ignore[arg-type]
            "host": HOST,
            "port": web_port,
            "secure_cookies": False,
            "public_url": f"http://{HOST}:{web_port}",
        },
    )


async def serve(database_url: str, web_port: int, ami_port: int, campaign_id: int) -> None:
    """The controller: the whole service on the run's database, AMI through the relay."""
    settings = chaos_settings(database_url, web_port)
    rig_ami = Rig(settings).ami_credentials()
    ami = AmiCredentials(HOST, ami_port, rig_ami.username, rig_ami.secret)
    async with running_service(
        settings, campaign_id=campaign_id, ami=ami, secret_key=os.environ["CHAOS_SECRET_KEY"],
        ring_timeout_s=15, tick_s=0.5,
    ):  # fmt: skip
        await asyncio.Event().wait()


class Controller:
    """``python -m dialer.rig.chaos --serve …`` as a child process, started again at will."""

    def __init__(
        self, database_url: str, web_port: int, ami_port: int, campaign_id: int, log: Path
    ):
        self.args = [
            sys.executable, "-m", "dialer.rig.chaos", "--serve", database_url,
            str(web_port), str(ami_port), str(campaign_id),
        ]  # fmt: skip
        self.web_port = web_port
        self.log = log
        self.env = {**os.environ, "CHAOS_SECRET_KEY": secrets.token_urlsafe(48)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(self.args, stdout=log, stderr=log, env=self.env)

    def _running(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise RigError("the controller was never started")
        return self.process

    def signal(self, number: int) -> None:
        self._running().send_signal(number)

    def kill(self) -> None:
        self.signal(signal.SIGKILL)
        self._running().wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.signal(signal.SIGCONT)
            self.signal(signal.SIGINT)  # asyncio.run's KeyboardInterrupt: a clean stop
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


# ---- the AMI relay ------------------------------------------------------------------------------
class AmiRelay:
    """127.0.0.1:port → Asterisk's AMI; :meth:`cut` closes every connection (the controller
    reconnects through the relay), whatever is in flight (an Originate included)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, HOST, 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _relay(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            ami_r, ami_w = await asyncio.open_connection(HOST, self.target_port)
        except OSError:
            client_w.close()
            return
        self._writers |= {client_w, ami_w}

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await reader.read(65536):
                    writer.write(data)
            writer.close()

        await asyncio.gather(pump(client_r, ami_w), pump(ami_r, client_w))
        self._writers -= {client_w, ami_w}

    def cut(self) -> int:
        """Abort every relayed connection; how many were open."""
        writers = list(self._writers)
        for writer in writers:
            writer.transport.abort()
        return len(writers) // 2

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()


# ---- a PostgreSQL server of the run's own ------------------------------------------------------
def _as_postgres(log: Path, *command: str) -> None:
    """``command`` as the postgres user, its output appended to ``log`` (never a pipe: the
    server pg_ctl starts would hold it open)."""
    with log.open("ab") as output:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=True, stdout=output, stderr=output, timeout=120,
        )  # fmt: skip


class ThrowawayPostgres:
    """A PostgreSQL 15 cluster in a temporary directory on a free port (trust
    authentication on 127.0.0.1 only): restarting it disturbs nobody else's tests."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@{HOST}:{self.port}/chaos"
        self.log = self.root / "pg_ctl.log"

    def start(self) -> None:
        shutil.chown(self.root, "postgres", "postgres")
        _as_postgres(
            self.log,
            str(POSTGRES_BIN / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "-U",
            "postgres",
        )
        options = f"-p {self.port} -k {self.root} -c listen_addresses={HOST}"
        _as_postgres(
            self.log,
            str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "start",
        )  # fmt: skip
        _as_postgres(
            self.log,
            str(POSTGRES_BIN / "psql"), "-h", HOST, "-p", str(self.port), "-U", "postgres",
            "-c", "CREATE DATABASE chaos",
        )  # fmt: skip

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every connection dropped, the server back at once."""
        _as_postgres(
            self.log,
            str(POSTGRES_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "fast",
            "-w",
            "restart",
        )

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            _as_postgres(
                self.log, str(POSTGRES_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"
            )
        shutil.rmtree(self.root, ignore_errors=True)


# ---- the SQLite file's small disk --------------------------------------------------------------
class SmallDisk:
    """A tmpfs of ``size_mb`` mounted on a temporary directory (root: ``mount -t tmpfs``),
    where the SQLite file lives; :meth:`fill` takes every free byte until :meth:`free`."""

    def __init__(self, size_mb: int) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="chaos-disk-"))
        self.size_mb = size_mb
        self._filler = self.path / "filler"

    def mount(self) -> None:
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={self.size_mb}m,mode=0755", "tmpfs",
             str(self.path)],
            check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    def fill(self) -> int:
        """Write zeros until the disk is full; the bytes written."""
        written = 0
        chunk = b"\0" * 65536
        with self._filler.open("wb", buffering=0) as handle:
            try:
                while True:
                    written += handle.write(chunk)
            except OSError:
                pass
            with contextlib.suppress(OSError):
                while handle.write(b"\0" * 512):
                    written += 512
        return written

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)
