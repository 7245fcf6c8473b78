"""``dialer volunteers`` through the command line's entry point, on SQLite and PostgreSQL:
a volunteer account is trained (date, by a supervisor), given a coordinator and slots;
bad names, dates and slots are refused naming what is wrong, and nothing is written."""

from __future__ import annotations

import asyncio

import pytest

from dialer.core.roles import Role
from dialer.desk.accounts import create_account
from dialer.storage.database import migrated_database
from tests.storage.test_account_cli import PASSWORD, database, run_main
from tests.web.support import fast_passwords

__all__ = ["database"]


async def _accounts(url: str) -> None:
    async with migrated_database(url) as sessions:
        for name, role in (
            ("ana", Role.VOLUNTEER),
            ("claire", Role.SUPERVISOR),
            ("agent1", Role.AGENT),
        ):
            await create_account(sessions, name, PASSWORD, role, passwords=fast_passwords())


def test_a_volunteer_is_trained_coordinated_and_given_slots(
    database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_accounts(database))
    code, out = run_main(monkeypatch, capsys, "volunteers", "list")
    assert (code, out.strip()) == (
        0,
        "ana : pas encore formé(e) ; coordinateur : aucun ; aucun créneau",
    )
    refused = {
        ("train", "bob", "--by", "claire"): (66, "compte « bob » inconnu"),
        ("train", "agent1", "--by", "claire"): (65, "« agent1 » n'est pas un bénévole"),
        ("train", "ana", "--by", "agent1"): (65, "« agent1 » n'est pas un superviseur"),
        ("train", "ana", "--by", "claire", "--on", "hier"): (65, "--on « hier »"),
        ("train", "ana", "--by", "claire", "--on", "01/01/2099"): (65, "dans le futur"),
        ("coordinator", "ana", "ana"): (65, "n'est pas un superviseur"),
        ("slots", "ana", "lundi 17:00-14:00"): (65, "la fin doit suivre le début"),
        ("slots", "ana", "funday 10:00-11:00"): (65, "jour HH:MM-HH:MM"),
    }
    for args, (status, message) in refused.items():
        code, out = run_main(monkeypatch, capsys, "volunteers", *args)
        assert (code, message in out) == (status, True), (args, out)
    code, out = run_main(monkeypatch, capsys, "volunteers", "list")
    assert "pas encore formé(e)" in out  # nothing written

    code, out = run_main(
        monkeypatch, capsys, "volunteers", "train", "ana", "--by", "claire", "--on", "02/09/2026"
    )
    assert code == 0, out
    assert "formé(e) le 02/09/2026 par claire" in out
    code, out = run_main(monkeypatch, capsys, "volunteers", "coordinator", "ana", "claire")
    assert code == 0, out
    code, out = run_main(
        monkeypatch, capsys, "volunteers", "slots", "ana", "jeudi 14:00-16:00", "lundi 10:00-12:00"
    )
    assert code == 0, out
    code, out = run_main(monkeypatch, capsys, "volunteers", "list")
    assert out.strip() == (
        "ana : formé(e) le 02/09/2026 par claire ; coordinateur : claire ; "
        "lundi 10:00-12:00, jeudi 14:00-16:00"
    )
