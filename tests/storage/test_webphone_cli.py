"""``dialer agents sip-reset NAME --browser`` marks an agent for the phone in their page
(issue #20): stored with their SIP account, read back by ``dialer asterisk sync``'s list of
agents (a WebRTC endpoint), on SQLite and PostgreSQL, through the command line's entry point."""

from __future__ import annotations

import asyncio

import pytest

from dialer.cli.asterisk import stored_agents
from dialer.storage.database import migrated_database
from dialer.storage.sip_accounts import SipAccountRepository, md5_cred
from dialer.telephony.asterisk_config import SipAccount
from tests.storage.test_account_cli import PASSWORD, database, run_main

__all__ = ["database"]  # the fixture, imported


async def _agents(url: str) -> tuple[list[SipAccount], bool, bool]:
    async with migrated_database(url) as sessions:
        accounts = await stored_agents(sessions)
        repository = SipAccountRepository(sessions)
        return (
            accounts,
            await repository.browser_phone("paul") is not None,
            await repository.browser_phone("lea") is not None,
        )


def test_an_agent_is_marked_for_the_phone_in_the_page(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("paul", "lea"):
        code, out = run_main(
            monkeypatch, capsys, "users", "create", name, "--role", "agent", "--password-stdin",
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        assert code == 0, out
    code, out = run_main(monkeypatch, capsys, "agents", "sip-reset", "paul", "--browser")
    assert code == 0, out
    assert "téléphone dans la page de l'agent" in out
    assert "mot de passe" not in out  # the page registers with the digest, never shown
    accounts, paul_browser, lea_browser = asyncio.run(_agents(database))
    by_name = {account.username: account for account in accounts}
    assert by_name["paul"].browser is True
    assert by_name["paul"].remote is False
    assert by_name["lea"].browser is False
    assert (paul_browser, lea_browser) == (True, False)
    # back to a softphone: the mark goes with a new reset
    code, out = run_main(monkeypatch, capsys, "agents", "sip-reset", "paul")
    assert code == 0, out
    password = out.split("nouveau mot de passe ", 1)[1].split(" ", 1)[0]
    accounts, paul_browser, _ = asyncio.run(_agents(database))
    assert not paul_browser
    paul = next(a for a in accounts if a.username == "paul")
    assert paul.md5_cred == md5_cred("paul", password)


def test_a_softphone_and_the_browser_at_once_are_refused(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run_main(
        monkeypatch, capsys, "users", "create", "paul", "--role", "agent", "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert code == 0, out
    code, out = run_main(
        monkeypatch, capsys, "agents", "sip-reset", "paul", "--browser", "--remote"
    )
    assert code == 65, out
    assert "--remote et --browser" in out
    code, out = run_main(monkeypatch, capsys, "agents", "sip-reset", "inconnu", "--browser")
    assert code != 0
    assert "inconnu" in out
