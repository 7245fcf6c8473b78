"""``dialer users create`` (the first administrator) and ``dialer api-token create/list``
through the command line's entry point (``dialer.cli.main``), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import sys
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from dialer import cli as cli_module
from dialer.cli import cli
from dialer.core.roles import Role
from dialer.storage.accounts import AccountRepository
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.database import migrated_database
from tests.storage.conftest import reset_postgres

PASSWORD = "une phrase de passe assez longue"


@pytest.fixture
def database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The settings point at an empty database (PostgreSQL: a fresh schema)."""
    if database_url.startswith("postgresql"):
        asyncio.run(reset_postgres(database_url))
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DATABASE_URL", database_url)
    return database_url


def run_main(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
    stdin: str = "",
) -> tuple[int, str]:
    """``dialer ARGS`` through ``dialer.cli.main``: (exit code, stdout + stderr)."""
    monkeypatch.setattr(sys, "argv", ["dialer", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        cli_module.main()
    except SystemExit as ended:
        code = int(ended.code or 0)
    else:
        code = 0
    captured = capsys.readouterr()
    return code, captured.out + captured.err


async def _stored(url: str) -> tuple[list[tuple[str, Role, bool]], list[tuple[str, str]]]:
    async with migrated_database(url) as sessions:
        accounts = await AccountRepository(sessions).list_all()
        audit = await AuditLog(sessions).search(AuditFilter())
    return (
        [(a.username, a.role, a.password_hash.startswith("$argon2id$")) for a in accounts],
        [(e.action, e.target) for e in audit],
    )


def test_the_first_administrator_is_made_once_with_a_password_from_stdin(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ["users", "create", "--role", "administrator", "--password-stdin"]
    code, out = run_main(monkeypatch, capsys, *first, "Alice", stdin=PASSWORD + "\n")
    assert code == 0, out
    assert "Compte alice créé (Administrateur)" in out
    assert PASSWORD not in out
    code, out = run_main(monkeypatch, capsys, *first, "bob", stdin=PASSWORD + "\n")
    assert code == 75
    assert "un administrateur existe déjà ('alice')" in out
    accounts, audit = asyncio.run(_stored(database))
    assert accounts == [("alice", Role.ADMINISTRATOR, True)]
    assert audit == [("account.create", "account:alice")]


def test_users_create_refuses_bad_input_with_clear_errors(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ["users", "create", "alice", "--role", "administrator", "--password-stdin"]
    code, out = run_main(monkeypatch, capsys, *first, stdin="court\n")
    assert (code, "au moins 12 caractères" in out) == (65, True)
    code, out = run_main(monkeypatch, capsys, *first, stdin="")
    assert (code, "mot de passe absent" in out) == (65, True)
    code, out = run_main(
        monkeypatch, capsys, "users", "create", "Al ice", "--role", "administrator",
        "--password-stdin", stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert (code, "identifiant 'al ice' invalide" in out) == (65, True)
    code, out = run_main(
        monkeypatch, capsys, "users", "create", "alice", "--role", "administrator",
        "--password", PASSWORD,
    )  # fmt: skip
    assert code == 2  # no password on the command line: the option does not exist
    assert PASSWORD not in out
    assert asyncio.run(_stored(database)) == ([], [])


def test_users_create_asks_twice_at_a_hidden_prompt(database: str) -> None:
    runner = CliRunner()
    mismatch = runner.invoke(
        cli,
        ["users", "create", "alice", "--role", "administrator"],
        input=f"{PASSWORD}\nautre chose\n",
    )
    assert "Error: The two entered values do not match." in mismatch.output
    done = runner.invoke(
        cli,
        ["users", "create", "alice", "--role", "administrator"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output  # the prompt does not echo it
    assert asyncio.run(_stored(database))[0] == [("alice", Role.ADMINISTRATOR, True)]


async def _token_life(url: str, name: str, token: str) -> tuple[timedelta, bool, bool]:
    async with migrated_database(url) as sessions:
        tokens = ApiTokenRepository(sessions)
        [(record, _)] = [row for row in await tokens.list_all() if row[0].name == name]
        life = record.expires_at - record.created_at
        now = datetime.now(UTC)
        valid = await tokens.owner(token, now=now) is not None
        later = await tokens.owner(token, now=now + life) is not None
    return life, valid, later


def test_api_tokens_are_made_with_an_expiry_and_listed_without_the_token(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = ["users", "create", "alice", "--role", "administrator", "--password-stdin"]
    assert run_main(monkeypatch, capsys, *first, stdin=PASSWORD + "\n")[0] == 0
    code, out = run_main(
        monkeypatch, capsys, "api-token", "create", "--user", "alice", "--name", "court",
        "--days", "7",
    )  # fmt: skip
    assert code == 0, out
    assert "valable jusqu'au" in out
    short_token = next(line for line in out.splitlines() if line.startswith("dlr_"))
    monkeypatch.setenv("DIALER_WEB__API_TOKEN_DAYS", "30")
    code, out = run_main(
        monkeypatch, capsys, "api-token", "create", "--user", "alice", "--name", "défaut"
    )
    assert code == 0, out
    default_token = next(line for line in out.splitlines() if line.startswith("dlr_"))
    code, out = run_main(
        monkeypatch, capsys, "api-token", "create", "--user", "alice", "--days", "400"
    )
    assert code == 2
    assert "400 is not in the range 1<=x<=366" in out
    code, out = run_main(monkeypatch, capsys, "api-token", "list")
    assert code == 0
    assert "court : alice, créé le" in out
    assert "expire le" in out
    assert "dernier usage : jamais" in out
    assert short_token not in out
    assert default_token not in out
    assert asyncio.run(_token_life(database, "court", short_token)) == (
        timedelta(days=7),
        True,
        False,
    )
    assert asyncio.run(_token_life(database, "défaut", default_token))[0] == timedelta(days=30)


async def _deactivate(url: str, username: str) -> None:
    async with migrated_database(url) as sessions:
        accounts = AccountRepository(sessions)
        found = await accounts.by_username(username)
        assert found is not None
        await accounts.set_active(found.id, False)


async def _routes(url: str) -> list[tuple[str, str, str]]:
    async with migrated_database(url) as sessions:
        audit = await AuditLog(sessions).search(AuditFilter())
    # the route is "cli: <program> users <command>" (the program: pytest's, here)
    return [(e.action, e.target, e.route.split("users ")[-1]) for e in reversed(audit)]


def test_users_change_roles_passwords_and_activity_from_the_command_line(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str, stdin: str = "") -> tuple[int, str]:
        return run_main(monkeypatch, capsys, "users", *args, stdin=stdin)

    code, out = run(
        "create", "alice", "--role", "administrator", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0, out
    code, out = run("create", "dupont", "--role", "agent", "--password-stdin", stdin=PASSWORD)
    assert code == 0, out
    assert "Agent dupont créé. Compte SIP : dupont / mot de passe : " in out
    code, out = run("create", "x1", "--role", "agent", "--team", "Nord", "--password-stdin")
    assert (code, "--team" in out) == (65, True)
    code, out = run("create", "x2", "--role", "supervisor", "--remote", "--password-stdin")
    assert (code, "--remote" in out) == (65, True)
    code, out = run("set-role", "dupont", "supervisor")
    assert (code, out.strip()) == (0, "Compte dupont : Superviseur.")
    code, out = run("set-role", "dupont", "team_member")
    assert code == 65
    assert "« team »" in out
    code, out = run("set-role", "alice", "supervisor")
    assert code == 75
    assert "dernier administrateur actif" in out
    code, out = run("reset-password", "dupont", "--password-stdin", stdin="court\n")
    assert code == 65
    assert "champ « mot de passe » : le mot de passe doit compter au moins 12" in out
    code, out = run("reset-password", "dupont", "--password-stdin", stdin="un autre mot long\n")
    assert (code, "sessions web fermées" in out) == (0, True)
    code, out = run("reset-password", "inconnu", "--password-stdin", stdin=PASSWORD + "\n")
    assert (code, "compte 'inconnu' inconnu" in out) == (66, True)
    asyncio.run(_deactivate(database, "dupont"))
    code, out = run("list")
    assert out.splitlines() == ["alice : Administrateur", "dupont : Superviseur (désactivé)"]
    code, out = run("reactivate", "dupont")
    assert (code, out.strip()) == (0, "Compte dupont réactivé.")
    code, out = run("reactivate", "dupont")
    assert code == 75
    assert asyncio.run(_routes(database)) == [
        ("account.create", "account:alice", "create"),
        ("agent.create", "agent:dupont", "create"),
        ("account.role", "account:dupont", "set-role"),
        ("account.password_reset", "account:dupont", "reset-password"),
        ("account.reactivate", "account:dupont", "reactivate"),
    ]
