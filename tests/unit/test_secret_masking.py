"""Issue 16, defect 9: no command output and no log line shows a password or secret."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.redaction import mask_secrets

DB_PASSWORD = "b3e0-db-pass-9f1c"
AMI_SECRET = "ami-secret-77aa"
SMTP_PASSWORD = "smtp-pass-55bb"
WEB_KEY = "k" * 40


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv(
        "DIALER_DATABASE_URL", f"postgresql+asyncpg://dialer:{DB_PASSWORD}@db.local:5432/dialer"
    )
    monkeypatch.setenv("DIALER_AMI__SECRET", AMI_SECRET)
    monkeypatch.setenv("DIALER_SMTP__PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("DIALER_WEB__SECRET_KEY", WEB_KEY)
    return CliRunner()


def test_dialer_settings_prints_no_secret(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["settings"])
    assert result.exit_code == 0, result.output
    for secret in (DB_PASSWORD, AMI_SECRET, SMTP_PASSWORD, WEB_KEY):
        assert secret not in result.output
    shown = json.loads(result.output)
    assert shown["database_url"] == "postgresql+asyncpg://dialer:***@db.local:5432/dialer"
    assert shown["ami"]["secret"] == "**********"
    assert shown["smtp"]["password"] == "**********"


def test_an_unparsable_database_url_is_reported_without_its_password(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIALER_DATABASE_URL", f"postgresql+asyncpg://dialer:{DB_PASSWORD}@h:x/db")
    result = runner.invoke(cli, ["db", "migrate"])
    assert result.exit_code != 0
    assert DB_PASSWORD not in result.output + str(result.exception)
    assert "database_url" in str(result.exception)


def test_log_lines_are_masked_whatever_logs_them(
    runner: CliRunner, caplog: pytest.LogCaptureFixture
) -> None:
    runner.invoke(cli, ["settings"])  # every command installs the masking
    # a library's own logger and handler, not propagating to ours (as uvicorn's)
    library = logging.getLogger("a.library")
    written = io.StringIO()
    handler = logging.StreamHandler(written)
    library.addHandler(handler)
    library.propagate = False
    try:
        library.warning("connecting to %s", f"postgresql://u:{DB_PASSWORD}@h/db")
    finally:
        library.removeHandler(handler)
    assert DB_PASSWORD not in written.getvalue()
    assert "postgresql://u:***@h/db" in written.getvalue()
    with caplog.at_level(logging.INFO):
        logging.getLogger("dialer.alerts").info("webhook_secret=%s ami secret: %s", "abc", "x1")
    assert "webhook_secret=***" in caplog.text
    assert "secret: ***" in caplog.text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("smtp://mailer:p%40ss@smtp.ville.fr", "smtp://mailer:***@smtp.ville.fr"),
        (
            "https://hooks.example.org/x?token=abc123&a=1",
            "https://hooks.example.org/x?token=***&a=1",
        ),
        ('{"password": "hunter2"}', '{"password": "***"}'),
        ("sqlite+aiosqlite:///var/dialer.db", "sqlite+aiosqlite:///var/dialer.db"),
        ("ami.secret_file: /etc/dialer/ami", "ami.secret_file: /etc/dialer/ami"),
    ],
)
def test_mask_secrets(text: str, shown: str) -> None:
    assert mask_secrets(text) == shown
