"""A supervisor's phone (to listen to agents' calls) through ``dialer users create``: the SIP
account is made with its password shown once, and published by ``dialer asterisk sync``
beside the agents'. Other roles get no phone."""

from __future__ import annotations

import asyncio

import pytest

from dialer.storage.database import migrated_database
from dialer.storage.sip_accounts import SipAccountRepository, SipEndpoint
from tests.storage.test_account_cli import PASSWORD, database, run_main

__all__ = ["database"]


async def _endpoints(url: str) -> list[SipEndpoint]:
    async with migrated_database(url) as sessions:
        return await SipAccountRepository(sessions).endpoints()


def test_a_supervisor_gets_a_phone_and_other_staff_do_not(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str) -> tuple[int, str]:
        return run_main(
            monkeypatch, capsys, "users", "create", *args, "--password-stdin", stdin=PASSWORD
        )

    assert run("alice", "--role", "administrator")[0] == 0
    code, out = run("chef", "--role", "supervisor", "--sip", "chef-tel", "--remote")
    assert code == 0, out
    assert "Compte chef créé (Superviseur)" in out
    assert "Compte SIP : chef-tel / mot de passe : " in out
    code, out = run("bob", "--role", "supervisor")  # a supervisor without a phone
    assert code == 0, out
    assert "Compte SIP" not in out
    code, out = run("ops", "--role", "operations", "--sip", "ops-tel")
    assert code == 65
    assert "seuls les agents d'appel, les bénévoles et les superviseurs" in out
    code, out = run("bob2", "--role", "supervisor", "--remote")
    assert (code, "--remote" in out) == (65, True)
    published = asyncio.run(_endpoints(database))
    assert [(e.username, e.remote, e.display_name) for e in published] == [
        ("chef-tel", True, "chef")
    ]
