"""``database_password_file``: the database password read from a file (systemd's
``LoadCredential``, the compose file's secret shared with the PostgreSQL container) and put
into ``database_url``, which then names the user only."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.errors import ConfigurationError
from dialer.settings import load_settings
from tests.storage.conftest import postgres_url, reset_postgres


def without_password(url: str) -> tuple[str, str]:
    """``url`` without its password, and the password."""
    parts = urlsplit(url)
    credentials, _, host = parts.netloc.rpartition("@")
    user, _, password = credentials.partition(":")
    return urlunsplit(parts._replace(netloc=f"{user}@{host}")), unquote(password)


@pytest.mark.postgres
def test_db_migrate_reads_the_password_from_its_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url = postgres_url()
    asyncio.run(reset_postgres(url))
    bare_url, password = without_password(url)
    assert password, "the test database URL holds a password"
    (tmp_path / "database-password").write_text(f"{password}\n", encoding="utf-8")
    monkeypatch.setenv("DIALER_DATABASE_URL", bare_url)
    monkeypatch.setenv("DIALER_DATABASE_PASSWORD_FILE", str(tmp_path / "database-password"))
    result = CliRunner().invoke(cli, ["db", "migrate"])
    assert result.exit_code == 0, result.output
    assert password not in result.output
    # without the file, the same URL is refused by the server
    monkeypatch.delenv("DIALER_DATABASE_PASSWORD_FILE")
    refused = CliRunner().invoke(cli, ["db", "migrate"])
    assert refused.exit_code != 0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite+aiosqlite:///var/dialer.db", "seulement pour une database_url postgresql://"),
        ("postgresql+asyncpg://127.0.0.1/dialer", "database_url ne nomme aucun utilisateur"),
        (
            "postgresql+asyncpg://dialer:other@127.0.0.1/dialer",
            "database_url contient déjà un mot de passe",
        ),
    ],
)
def test_a_password_file_beside_an_unfit_url_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, problem: str
) -> None:
    (tmp_path / "database-password").write_text("s3cret\n", encoding="utf-8")
    monkeypatch.setenv("DIALER_DATABASE_URL", url)
    monkeypatch.setenv("DIALER_DATABASE_PASSWORD_FILE", str(tmp_path / "database-password"))
    result = CliRunner().invoke(cli, ["db", "migrate"])
    assert isinstance(result.exception, ConfigurationError)
    assert f"database_password_file : {problem}" in str(result.exception)
    assert "s3cret" not in str(result.exception)


def test_an_empty_or_missing_password_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DIALER_DATABASE_URL", "postgresql+asyncpg://dialer@127.0.0.1/dialer")
    (tmp_path / "empty").write_text("", encoding="utf-8")
    for unusable, problem in (
        (tmp_path / "empty", "est vide"),
        (tmp_path / "absent", "impossible de lire"),
    ):
        monkeypatch.setenv("DIALER_DATABASE_PASSWORD_FILE", str(unusable))
        with pytest.raises(ConfigurationError, match=f"database_password_file : .*{problem}"):
            load_settings().database_address()


def test_a_password_with_url_characters_is_quoted(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "pw").write_text("a@b:c/d%e\n", encoding="utf-8")
    monkeypatch.setenv("DIALER_DATABASE_URL", "postgresql+asyncpg://dialer@db:5432/dialer")
    monkeypatch.setenv("DIALER_DATABASE_PASSWORD_FILE", str(tmp_path / "pw"))
    address = load_settings().database_address()
    assert address == "postgresql+asyncpg://dialer:a%40b%3Ac%2Fd%25e@db:5432/dialer"
    assert unquote(urlsplit(address).password or "") == "a@b:c/d%e"
