"""Start-up through ``dialer``: every configuration error is one line naming the setting
and the fix, unknown keys are refused at every level, and ``dialer serve`` takes its web
port before anything else."""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialer.cli import main
from dialer.errors import ConfigurationError, exit_code

CONFIGURATION_EXIT = exit_code(ConfigurationError(""))
SECRET_KEY = "k" * 40


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def dialer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``dialer ARGUMENTS`` through its entry point (:func:`dialer.cli.main`), in
    ``tmp_path``, with only the given ``DIALER_*`` variables."""
    for name in list(os.environ):
        if name.startswith("DIALER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*arguments: str, **environment: str) -> Run:
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["dialer", *arguments])
        capsys.readouterr()
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        else:
            code = 0
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


def one_line_error(done: Run) -> str:
    assert done.returncode == CONFIGURATION_EXIT, done.stderr
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("erreur : ")
    return lines[0]


@pytest.mark.parametrize(
    ("toml", "environment", "expected"),
    [
        ("[web]\nprot = 1\n", {}, "web.prot: unknown setting ([web] takes: host, port, "),
        ("", {"DIALER_WEB__PROT": "1"}, "web.prot: unknown setting ([web] takes: host, port"),
        ("[webb]\nport = 1\n", {}, "webb: unknown setting (the top level takes: database_url"),
        ("", {"DIALER_WEBB__PORT": "1"}, "DIALER_WEBB__PORT: unknown section (the sections: ami"),
        ("[ami]\nhost = '127.0.0.1'\nsecrett = 'x'\n", {}, "ami.secrett: unknown setting"),
        ("[cycles]\nlenght_min = 5\n", {}, "cycles.lenght_min: unknown setting"),
        # read nowhere, so removed: the calling windows and the screens use Europe/Paris
        ('timezone = "Europe/Paris"\n', {}, "timezone: unknown setting"),
        (
            'database_url = "postgresql://dialer:s3cret@db/dialer"\n',
            {},
            "database_url: postgresql:// has no driver the dialer runs on: write "
            "postgresql+asyncpg:// instead",
        ),
        (
            "",
            {"DIALER_DATABASE_URL": "sqlite:///var/dialer.db"},
            "database_url: sqlite:// has no driver the dialer runs on: write sqlite+aiosqlite://",
        ),
        (
            'database_url = "mysql+aiomysql://x@y/z"\n',
            {},
            "database_url: 'mysql+aiomysql' is not a database the dialer runs on: write "
            "sqlite+aiosqlite:///path/dialer.db, or postgresql+asyncpg://",
        ),
        ("[web\n", {}, "cannot read settings file dialer.toml: "),
        ("", {"DIALER_WEB__PORT": "http"}, "web.port: Input should be a valid integer"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it_and_the_fix(
    dialer: Callable[..., Run],
    tmp_path: Path,
    toml: str,
    environment: dict[str, str],
    expected: str,
) -> None:
    if toml:
        (tmp_path / "dialer.toml").write_text(toml, encoding="utf-8")
    line = one_line_error(dialer("settings", **environment))
    assert expected in line
    assert "s3cret" not in line


def test_the_settings_command_still_shows_good_settings(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    (tmp_path / "dialer.toml").write_text("[web]\nport = 8181\n", encoding="utf-8")
    done = dialer("settings", DIALER_AMI__ACTION_TIMEOUT_S="2.5")
    assert done.returncode == 0, done.stderr
    assert '"port": 8181' in done.stdout
    assert '"action_timeout_s": 2.5' in done.stdout
    assert "timezone" not in done.stdout


def test_serve_with_its_port_taken_stops_at_once_before_the_database(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = dialer(
            "serve",
            DIALER_WEB__PORT=str(port),
            DIALER_WEB__SECRET_KEY=SECRET_KEY,
            DIALER_DATABASE_URL="sqlite+aiosqlite:///dialer.db",
            DIALER_AMI__SECRET="unused",
        )
    line = one_line_error(done)
    assert line == (
        f"erreur : web.port: cannot listen on 127.0.0.1:{port}, already in use: stop what "
        "listens there or choose another (DIALER_WEB__HOST, DIALER_WEB__PORT)"
    )
    # nothing ran before: no migration (the database file), hence no AMI session either
    assert not (tmp_path / "dialer.db").exists()


def test_serve_on_an_address_not_of_this_machine_is_one_line(
    dialer: Callable[..., Run], tmp_path: Path
) -> None:
    done = dialer(
        "serve",
        DIALER_WEB__HOST="192.0.2.1",
        DIALER_WEB__TRUSTED_PROXIES='["192.0.2.2"]',
        DIALER_WEB__SECRET_KEY=SECRET_KEY,
        DIALER_DATABASE_URL="sqlite+aiosqlite:///dialer.db",
    )
    assert "web.port: cannot listen on 192.0.2.1:8080, not an address of this machine" in (
        one_line_error(done)
    )
    assert not (tmp_path / "dialer.db").exists()
