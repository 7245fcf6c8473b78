"""The built wheel works from a clean virtual environment, with nothing from the source
tree: ``pip install`` of the wheel with the runtime lock, then ``dialer db migrate``, the
first administrator, and ``dialer serve`` answering over HTTP (issue 23).

Slow (a virtual environment and some fifty packages): one test, marked ``package``. The
packages are installed by uv (pip's own installer, ``uv pip install``, of the development
lock): it takes them from its cache once downloaded, where pip here downloads them again on
every run (2.5 minutes against seconds). Asterisk's manager interface is a tiny fake on
loopback (the service only needs an AMI session to start).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: what the wheel is built from (the Dockerfile copies the same)
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "dialer")
PASSWORD = "un mot de passe assez long"


class _FakeAmi(socketserver.StreamRequestHandler):
    """Asterisk's manager interface, enough to log in and be pinged: every action
    succeeds."""

    def handle(self) -> None:
        self.wfile.write(b"Asterisk Call Manager/9.0.0\r\n")
        block: list[str] = []
        for raw in self.rfile:
            line = raw.decode().rstrip("\r\n")
            if line:
                block.append(line)
                continue
            headers = dict(item.split(": ", 1) for item in block if ": " in item)
            block = []
            self.wfile.write(
                f"Response: Success\r\nActionID: {headers.get('ActionID', '')}\r\n\r\n".encode()
            )


@pytest.fixture
def fake_ami() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeAmi)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(*command: str | Path, cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    run(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", wheels,
        source, cwd=tmp_path, env=dict(os.environ),
    )  # fmt: skip
    (wheel,) = wheels.glob("dialer-*.whl")
    return wheel


def packaged_data_files() -> set[str]:
    """Every file of the package that is not Python source: each must be in the wheel."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "dialer").rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }


@pytest.mark.package
def test_the_wheel_installs_migrates_and_serves_from_a_clean_environment(
    tmp_path: Path, fake_ami: int
) -> None:
    wheel = build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert packaged_data_files() - names == set()
    assert "dialer/storage/migrations/env.py" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp_path, env=dict(os.environ))
    python, dialer = venv / "bin" / "python", venv / "bin" / "dialer"
    # nothing of the source tree, nor of the development environment, is visible
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DIALER_", "PYTHON", "VIRTUAL_ENV"))
    }
    install = (sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", python)
    run(*install, "--require-hashes", "-r", ROOT / "requirements.lock", cwd=tmp_path, env=clean)
    run(*install, "--no-deps", wheel, cwd=tmp_path, env=clean)
    installed = run(python, "-c", "import dialer; print(dialer.__file__)", cwd=tmp_path, env=clean)
    assert installed.startswith(str(venv))
    # the runtime lock brings no development tool
    listed = run(
        sys.executable, "-m", "uv", "pip", "list", "--python", python, cwd=tmp_path, env=clean
    )
    assert not {"pytest", "mypy", "selenium", "ruff"} & {
        line.split()[0].lower() for line in listed.splitlines()[2:]
    }

    home = tmp_path / "installation"
    home.mkdir()
    port = free_port()
    env = clean | {
        "DIALER_DATABASE_URL": f"sqlite+aiosqlite:///{home / 'dialer.db'}",
        "DIALER_WEB__PORT": str(port),
        "DIALER_WEB__SECRET_KEY": "s" * 40,
        "DIALER_WEB__SECURE_COOKIES": "false",
        "DIALER_AMI__PORT": str(fake_ami),
        "DIALER_AMI__SECRET": "ami-secret",
    }
    version = run(dialer, "--version", cwd=home, env=env)
    assert re.fullmatch(r"dialer \d+\.\d+\.\d+\S*\n", version)
    assert "Schéma à jour" in run(dialer, "db", "migrate", cwd=home, env=env)
    created = run(
        dialer, "users", "create", "premiere", "--role", "administrator", "--password-stdin",
        cwd=home, env=env, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert "Compte premiere créé" in created

    serving = subprocess.Popen(
        [str(dialer), "serve"],
        cwd=home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=5.0) as client:
            deadline = time.monotonic() + 60
            while True:
                assert serving.poll() is None, serving.communicate()[0]
                try:
                    form = client.get("/connexion")
                    break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "dialer serve never answered"
                    time.sleep(0.2)
            assert form.status_code == 200
            assert "Connexion" in form.text
            stylesheet = client.get("/static/style.css")
            assert stylesheet.status_code == 200
            assert stylesheet.text == (ROOT / "dialer/web/static/style.css").read_text()
            token = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert token is not None
            logged_in = client.post(
                "/connexion",
                data={"identifiant": "premiere", "mot_de_passe": PASSWORD, "csrf": token[1]},
                follow_redirects=True,
            )
            assert logged_in.status_code == 200
            assert "premiere" in logged_in.text
    finally:
        serving.terminate()
        output = serving.communicate(timeout=30)[0]
    assert f"Service prêt : http://127.0.0.1:{port}" in output
