"""The deployment kit run for real: the dialer installed as an operator would
(docs/deployment.md), started through ``deploy/systemd/dialer.service`` as its
unprivileged user with its secrets handed over as credentials, behind nginx with
``deploy/nginx/dialer.conf`` serving TLS (a self-signed certificate made here); a page,
the readiness probe and an agent's WebSocket reached through the proxy; then stopped with
SIGTERM.

systemd is not PID 1 on the project's machines (a container): ``unit_runner`` starts
the unit's ``ExecStart`` with systemd's execution semantics, and ``systemd-analyze
verify`` / ``security --offline`` check the unit as systemd reads it. The unit, the
environment file and the nginx site are used as shipped, their absolute paths and ports
mapped to this test's installation (each replacement asserted, so the examples stay the
tested ones). Needs root (a system user, nginx), Debian's nginx-light and systemd, the
rig's Asterisk (AMI) and the PostgreSQL test database; a missing one fails the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Origin

from dialer.rig.asterisk import Rig
from tests.deploy.unit_runner import UnitRunner, environment_file_values
from tests.storage.conftest import postgres_url, reset_postgres

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "systemd" / "dialer.service"
ENVIRONMENT = ROOT / "deploy" / "systemd" / "dialer.env"
NGINX_SITE = ROOT / "deploy" / "nginx" / "dialer.conf"
#: what docs/deployment.md installs into the virtual environment
SOURCES = ("dialer",)
SOURCE_FILES = ("pyproject.toml", "README.md", "requirements.lock", "LICENSE")
AGENT = "agent-deploiement"
AGENT_PASSWORD = "Mot-de-passe-deploiement-1"


def program(name: str) -> str:
    """The path of a Debian program the test needs; fails (never skips) without it."""
    found = shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found is None:
        pytest.fail(f"{name} is missing: scripts/install-debian-packages installs it")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def replaced(text: str, old: str, new: str) -> str:
    """``text`` with its one ``old`` replaced (the shipped example still has it)."""
    assert text.count(old) == 1, f"the example lost {old!r}"
    return text.replace(old, new)


def run(*argv: str, timeout_s: float = 900) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}:\n{done.stdout}\n{done.stderr}"


@dataclass(frozen=True)
class Installation:
    """The dialer installed under ``prefix`` (``/opt/dialer``, ``/etc/dialer``...)."""

    prefix: Path

    @property
    def roots(self) -> dict[str, Path]:
        return {
            "/opt/dialer": self.prefix / "opt" / "dialer",
            "/etc/dialer": self.prefix / "etc" / "dialer",
            "/var/lib": self.prefix / "var" / "lib",
        }


def ensure_system_user(name: str) -> pwd.struct_passwd:
    """The unit's ``User=``, created as docs/deployment.md says when missing."""
    try:
        return pwd.getpwnam(name)
    except KeyError:
        run(
            program("useradd"),
            "--system",
            "--user-group",
            "--home-dir",
            "/var/lib/dialer",
            "--no-create-home",
            "--shell",
            "/usr/sbin/nologin",
            name,
        )
        return pwd.getpwnam(name)


@pytest.fixture(scope="module")
def installation() -> Iterator[Installation]:
    """A virtual environment of Debian's Python with the locked dependencies and the
    dialer, in a directory the service's user can read (root's home is closed)."""
    if os.geteuid() != 0:
        pytest.fail("the deployment test needs root (a system user, nginx)")
    prefix = Path(tempfile.mkdtemp(prefix="dialer-deploy-", dir="/var/tmp"))
    prefix.chmod(0o755)
    installed = Installation(prefix)
    opt = installed.roots["/opt/dialer"]
    source = opt / "src"
    source.mkdir(parents=True)
    for name in SOURCES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in SOURCE_FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    python = program("python3")
    run(python, "-m", "venv", str(opt / "venv"))
    pip = str(opt / "venv" / "bin" / "pip")
    run(pip, "install", "--quiet", "--require-hashes", "-r", str(source / "requirements.lock"))
    # as docs/deployment.md has it: a normal install (the package data is inside it)
    run(pip, "install", "--quiet", "--no-deps", str(source))
    run("chmod", "-R", "a+rX", str(prefix))
    try:
        yield installed
    finally:
        shutil.rmtree(prefix, ignore_errors=True)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    run(
        program("openssl"),
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout",
        str(key),
        "-out",
        str(certificate),
        timeout_s=60,
    )
    key.chmod(0o600)
    return certificate, key


def nginx_configuration(directory: Path, *, https_port: int, http_port: int, web_port: int) -> Path:
    """The shipped site on this test's ports and certificate, in a minimal nginx.conf."""
    certificate, key = self_signed_certificate(directory)
    site = NGINX_SITE.read_text(encoding="utf-8")
    site = replaced(site, "    listen 443 ssl;\n", f"    listen 127.0.0.1:{https_port} ssl;\n")
    site = replaced(site, "    listen [::]:443 ssl;\n", "")
    site = replaced(site, "    listen 80;\n", f"    listen 127.0.0.1:{http_port};\n")
    site = replaced(site, "    listen [::]:80;\n", "")
    site = replaced(site, "/etc/ssl/dialer/fullchain.pem", str(certificate))
    site = replaced(site, "/etc/ssl/dialer/privkey.pem", str(key))
    site = replaced(site, "server 127.0.0.1:8080;", f"server 127.0.0.1:{web_port};")
    (directory / "dialer.conf").write_text(site, encoding="utf-8")
    main = directory / "nginx.conf"
    main.write_text(
        f"""daemon off;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {directory}/access.log;
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    include {directory}/dialer.conf;
}}
""",
        encoding="utf-8",
    )
    return main


@pytest.fixture
def nginx(tmp_path: Path) -> Iterator[tuple[Path, dict[str, int]]]:
    """nginx serving the shipped site (the ports it uses, by name)."""
    binary = program("nginx")
    ports = {"https": free_port(), "http": free_port(), "web": free_port()}
    configuration = nginx_configuration(
        tmp_path, https_port=ports["https"], http_port=ports["http"], web_port=ports["web"]
    )
    run(binary, "-t", "-c", str(configuration), timeout_s=30)
    process = subprocess.Popen(
        [binary, "-c", str(configuration)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield tmp_path, ports
    finally:
        process.terminate()
        process.wait(timeout=30)


def split_password(url: str) -> tuple[str, str]:
    """A PostgreSQL URL without its password, and the password."""
    parts = urlsplit(url)
    credentials, _, host = parts.netloc.rpartition("@")
    user, _, password = credentials.partition(":")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), unquote(password)


def configure(installation: Installation, rig: Rig, web_port: int, public_url: str) -> None:
    """/etc/dialer as docs/deployment.md has it: the shipped environment file (database,
    AMI and web values of this machine) and one root-only file per secret."""
    etc = installation.roots["/etc/dialer"]
    etc.mkdir(parents=True, exist_ok=True)
    database_url, database_password = split_password(postgres_url())
    ami = rig.ami_credentials()
    ours = {
        "DIALER_DATABASE_URL": database_url,
        "DIALER_AMI__HOST": ami.host,
        "DIALER_AMI__PORT": str(ami.port),
        "DIALER_AMI__USERNAME": ami.username,
        "DIALER_WEB__PORT": str(web_port),
        "DIALER_WEB__PUBLIC_URL": public_url,
    }
    shipped = dict(environment_file_values(ENVIRONMENT))
    assert set(ours) <= set(shipped), "the example environment file lost a setting"
    lines = [f"{key}={shlex.quote(ours.get(key, value))}" for key, value in shipped.items()]
    (etc / "dialer.env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, value in (
        ("secret-key", secrets.token_urlsafe(48)),
        ("ami-secret", ami.secret),
        ("database-password", database_password),
    ):
        (etc / name).write_text(value + "\n", encoding="utf-8")
        (etc / name).chmod(0o600)


def wait_ready(client: httpx.Client, process: subprocess.Popen[bytes], journal: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dialer serve exited {process.returncode}:\n{journal.read_text()}")
        try:
            if client.get("/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"not ready through the proxy within 90 s:\n{journal.read_text()}")


def log_in(client: httpx.Client) -> None:
    page = client.get("/connexion")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None, page.text
    response = client.post(
        "/connexion",
        data={"identifiant": AGENT, "mot_de_passe": AGENT_PASSWORD, "csrf": token.group(1)},
    )
    assert response.status_code == 303, response.text


async def first_socket_message(url: str, origin: str, cookie: str, tls: ssl.SSLContext) -> object:
    async with connect(
        url, ssl=tls, origin=Origin(origin), additional_headers={"Cookie": cookie}, open_timeout=10
    ) as socket_:
        return json.loads(await asyncio.wait_for(socket_.recv(), 10))


def test_the_unit_is_valid_and_hardened_as_systemd_reads_it(tmp_path: Path) -> None:
    analyze = program("systemd-analyze")
    (tmp_path / UNIT.name).write_text(UNIT.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        [analyze, "security", "--offline=yes", "--threshold=20", str(tmp_path / UNIT.name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    exposure = re.search(r"Overall exposure level for dialer\.service: ([\d.]+) (\w+)", done.stdout)
    assert exposure is not None, done.stdout
    assert float(exposure.group(1)) <= 2.0, done.stdout  # systemd rates <= 2.0 "OK"
    runner = UnitRunner(UNIT, roots={}, runtime=tmp_path)
    assert runner.value("User") not in ("", "root")
    assert runner.value("Restart") == "on-failure"
    assert runner.value("KillSignal") == "SIGTERM"
    assert runner.value("NoNewPrivileges") == "yes"
    assert runner.value("ProtectSystem") == "strict"


@pytest.mark.asterisk  # the service logs in to the rig's Asterisk
def test_the_service_through_its_unit_and_the_proxy(
    installation: Installation, rig: Rig, nginx: tuple[Path, dict[str, int]], tmp_path: Path
) -> None:
    nginx_directory, ports = nginx
    public_url = f"https://localhost:{ports['https']}"
    user = ensure_system_user("dialer")
    configure(installation, rig, ports["web"], public_url)
    asyncio.run(reset_postgres(postgres_url()))
    runtime = Path(tempfile.mkdtemp(prefix="dialer-run-", dir="/var/tmp"))
    runner = UnitRunner(UNIT, roots=installation.roots, runtime=runtime)
    # systemd's own reading of the unit, its program being the installed one
    unit_copy = tmp_path / UNIT.name
    unit_copy.write_text(
        replaced(
            UNIT.read_text(encoding="utf-8"),
            "ExecStart=/opt/dialer/venv/bin/dialer serve",
            f"ExecStart={runner.command()[0]} serve",
        ),
        encoding="utf-8",
    )
    verified = subprocess.run(
        [program("systemd-analyze"), "verify", str(unit_copy)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr

    journal = tmp_path / "journal.log"
    process = runner.start(journal)
    tls = ssl.create_default_context(cafile=str(nginx_directory / "fullchain.pem"))
    try:
        with httpx.Client(base_url=public_url, verify=tls, timeout=10) as client:
            wait_ready(client, process, journal)
            ready = client.get("/readyz").json()
            assert ready == {
                "etat": "prêt",
                "base_de_donnees": "joignable",
                "noeuds": {"asterisk-1": "connecté"},
                "message_information": {"asterisk-1": "présent"},
            }
            # the service's process runs as the unit's user, never root
            status = Path(f"/proc/{process.pid}/status").read_text(encoding="utf-8")
            uids = re.search(r"^Uid:\s+(\d+)\s+(\d+)", status, re.MULTILINE)
            assert uids is not None
            assert int(uids.group(1)) == int(uids.group(2)) == user.pw_uid != 0
            # its secrets reach it as files: none is in its environment
            environ = Path(f"/proc/{process.pid}/environ").read_bytes().decode()
            etc = installation.roots["/etc/dialer"]
            for name in ("secret-key", "ami-secret", "database-password"):
                secret = (etc / name).read_text(encoding="utf-8").strip()
                assert secret not in environ

            # a page through the proxy: X-Forwarded-Proto https believed (HSTS, Secure)
            page = client.get("/connexion")
            assert page.status_code == 200
            assert "Connexion" in page.text
            assert page.headers["strict-transport-security"].startswith("max-age=")
            assert "secure" in page.headers["set-cookie"].lower()
            direct = httpx.get(f"http://127.0.0.1:{ports['web']}/connexion", timeout=10)
            assert "strict-transport-security" not in direct.headers  # plain HTTP itself
            plain = httpx.get(f"http://127.0.0.1:{ports['http']}/connexion", timeout=10)
            assert plain.status_code == 301
            assert plain.headers["location"].startswith("https://")

            # the installed CLI in the service's context: the settings as it reads them
            shown = runner.run(["settings"])
            assert shown.returncode == 0, shown.stdout + shown.stderr
            assert json.loads(shown.stdout)["web"]["port"] == ports["web"]
            # an agent account made with the installed CLI in the service's context
            created = runner.run(
                ["users", "create", AGENT, "--role", "agent", "--password-stdin"],
                stdin=f"{AGENT_PASSWORD}\n",
            )
            assert created.returncode == 0, created.stdout + created.stderr
            log_in(client)
            cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
            message = asyncio.run(
                first_socket_message(
                    f"wss://localhost:{ports['https']}/ws/agent", public_url, cookie, tls
                )
            )
            assert isinstance(message, dict)
            assert message["type"] == "state"
    finally:
        status_code = runner.stop(process) if process.poll() is None else process.returncode
        shutil.rmtree(runtime, ignore_errors=True)
        asyncio.run(reset_postgres(postgres_url()))
    output = journal.read_text(encoding="utf-8")
    assert status_code == 0, output  # SIGTERM: a clean stop, not a kill
    assert "Arrêté : " in output  # the calls drained, then stopped
    assert split_password(postgres_url())[1] not in output
    access = (nginx_directory / "access.log").read_text(encoding="utf-8")
    assert re.search(r'"GET /ws/agent HTTP/1.1" 101 ', access), access
