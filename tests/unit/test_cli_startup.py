"""``dialer --help`` and ``dialer --version``: quick, because the root group imports no
command module (the time itself is measured by ``python -m bench.cli_startup``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import click
from click.testing import CliRunner

from dialer.cli import COMMANDS, cli

ROOT = str(Path(__file__).resolve().parents[2])
#: what ``dialer --help`` must not import (each costs tens of milliseconds or more)
HEAVY = (
    "sqlalchemy",
    "alembic",
    "pydantic",
    "pydantic_settings",
    "starlette",
    "uvicorn",
    "panoramisk",
    "matplotlib",
    "openpyxl",
    "jinja2",
    "httpx",
    "dialer.settings",
    "dialer.storage",
    "dialer.service",
)


def modules_after(*arguments: str) -> set[str]:
    """The modules a fresh interpreter has imported once ``dialer ARGUMENTS`` is done."""
    script = (
        "import json, sys\n"
        "from dialer.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": ROOT},
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_imports_no_command_module_and_no_heavy_library() -> None:
    loaded = modules_after("--help")
    heavy = sorted(
        name
        for name in loaded
        for prefix in HEAVY
        if name == prefix or name.startswith(prefix + ".")
    )
    assert heavy == []
    assert not any(entry.module in loaded for entry in COMMANDS.values())
    # the listing itself still names every command
    assert "dialer.cli" in loaded


def test_help_lists_every_command_with_its_own_help_line() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0, result.output
    for name in COMMANDS:
        assert f"  {name} " in result.output
    assert "Le journal (modifications et consultations)" in result.output


def test_each_entry_names_its_command_and_repeats_its_help_line() -> None:
    context = click.Context(cli)
    for name, entry in COMMANDS.items():
        command = cli.get_command(context, name)
        assert command is not None
        assert command.name == name
        assert command.get_short_help_str(limit=500) == entry.help


def test_an_unknown_command_is_refused() -> None:
    result = CliRunner().invoke(cli, ["nosuchcommand"])
    assert result.exit_code == 2
    assert "No such command 'nosuchcommand'" in result.output


def test_version_comes_from_the_package_metadata() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output == f"dialer {metadata.version('dialer')}\n"


def test_help_and_version_need_no_valid_settings(tmp_path: Path) -> None:
    """Asking for help works even where the settings are broken (the fix is shown later)."""
    broken = tmp_path / "dialer.toml"
    broken.write_text("[web]\nprot = 1\n", encoding="utf-8")
    runner = CliRunner(env={"DIALER_CONFIG": str(broken)})
    assert runner.invoke(cli, ["--help"]).exit_code == 0
    assert runner.invoke(cli, ["--version"]).exit_code == 0
