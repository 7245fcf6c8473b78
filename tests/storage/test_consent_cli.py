"""``dialer consent import`` / ``withdraw`` / ``show`` through the command line's entry
point, on SQLite and PostgreSQL: a file with a bad line is refused naming
``file:line:field`` and writes nothing; a good one records who agreed, when, how, for
what and who collected it; a withdrawal keeps the history; a re-import writes nothing
twice; and a veille-sociale cycle enrols only the households with a valid consent."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialer.core.campaigns import CampaignKind
from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.core.selection import Selection
from dialer.core.windows import PARIS
from dialer.storage import CampaignRepository, CycleRepository, PacingMode, PersonRepository
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consents import ConsentRecord, ConsentRegistry, WithdrawalRequest
from dialer.storage.database import migrated_database
from dialer.storage.people import encode_batch
from dialer.storage.schedule import CycleSchedule, enrol_register
from dialer.storage.selection import set_campaign_selection
from tests.storage.conftest import person
from tests.storage.test_account_cli import database, run_main
from tests.stored import volunteer_campaign

__all__ = ["database"]

HEADER = (
    "identifiant;accord_de;proche;date_accord;canal;appels_reguliers;campagnes_urgence;"
    "recueilli_par\n"
)
GOOD = (
    HEADER
    + "V1;personne;;03/09/2026;telephone;oui;oui;Mme Martin (CCAS)\n"
    + "V2;proche;Paul Durand (fils);2026-09-04;papier;oui;non;Accueil mairie\n"
    + "V3;personne;;05/09/2026;en_personne;non;oui;Centre social\n"
)


async def _setup(url: str) -> None:
    async with migrated_database(url) as sessions:
        await PersonRepository(sessions).write_batch(
            [
                person(key, "Nom", f"+3314567000{i}")
                for i, key in enumerate(["V1", "V2", "V3", "V4"])
            ],
            [],
            now=datetime(2026, 9, 1, tzinfo=UTC),
        )


async def _history(url: str, key: str) -> list[tuple[str, bool, bool, str, bool]]:
    async with migrated_database(url) as sessions:
        rows = await ConsentRegistry(sessions).history(key)
    return [
        (r.agreed_by.value, r.regular_calls, r.emergency_campaigns, r.collected_by,
         r.withdrawn_at is not None)
        for r in rows
    ]  # fmt: skip


async def _enrolled(url: str) -> int:
    async with migrated_database(url) as sessions:
        now = datetime.now(UTC)
        campaign_id = await volunteer_campaign(sessions, now)
        cycle = await CycleRepository(sessions).open(
            campaign_id, started_at=now, deadline=now + timedelta(days=1)
        )
        return await enrol_register(sessions, cycle.id, due=now)


async def _audit(url: str) -> list[str]:
    async with migrated_database(url) as sessions:
        return [e.action for e in await AuditLog(sessions).search(AuditFilter())]


def test_a_file_with_a_bad_line_is_refused_whole(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_setup(database))
    cases = {
        "V4;personne;;03/09/2026;telephone;oui;oui;\n": "consents.csv:5:recueilli_par",
        "V4;proche;;03/09/2026;telephone;oui;oui;X\n": "consents.csv:5:proche",
        "V4;personne;;;telephone;oui;oui;X\n": "consents.csv:5:date_accord",
        "V4;personne;;31/02/2026;telephone;oui;oui;X\n": "consents.csv:5:date_accord",
        "V4;personne;;03/09/2099;telephone;oui;oui;X\n": "consents.csv:5:date_accord",
        "V4;personne;;03/09/2026;pigeon;oui;oui;X\n": "consents.csv:5:canal",
        "V4;personne;;03/09/2026;telephone;non;non;X\n": "consents.csv:5:appels_reguliers",
        "V4;personne;;03/09/2026;telephone;peut-être;oui;X\n": "consents.csv:5:appels_reguliers",
        "V1;personne;;03/09/2026;telephone;oui;oui;X\n": "consents.csv:5:identifiant",  # twice
        "NOBODY;personne;;03/09/2026;telephone;oui;oui;X\n": "consents.csv:5:identifiant",
        "V4;personne;;03/09/2026;telephone;oui;oui;X;en trop;encore\n": "consents.csv:5",
        # a row of the city's list without its consent fields
        "V4;;;;;;;\n": "consents.csv:5:accord_de",
        "V4\n": "consents.csv:5",
        "V4;personne;;03/09/2026;;oui;oui;X\n": "consents.csv:5:canal",
        "V4;personne;;03/09/2026;telephone;;;X\n": "consents.csv:5:appels_reguliers",
    }
    for line, named in cases.items():
        path = tmp_path / "consents.csv"
        path.write_text(GOOD + line, encoding="utf-8")
        code, out = run_main(monkeypatch, capsys, "consent", "import", str(path))
        assert code in {65, 66}, (line, out)
        assert named in out, (line, out)
        assert asyncio.run(_history(database, "V1")) == []  # nothing written
    no_column = tmp_path / "sans_colonne.csv"
    no_column.write_text("identifiant;accord_de\nV1;personne\n", encoding="utf-8")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(no_column))
    assert code == 65
    assert "sans_colonne.csv:1" in out
    assert "recueilli_par" in out
    assert "consent.recorded" not in asyncio.run(_audit(database))


def test_consents_are_imported_withdrawn_and_kept_as_history(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_setup(database))
    path = tmp_path / "consents.csv"
    path.write_text(GOOD, encoding="utf-8-sig")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(path))
    assert code == 0, out
    assert "3 consentement(s) enregistré(s)" in out
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(path))
    assert code == 0, out
    assert "0 consentement(s) enregistré(s) (3 déjà connu(s))" in out
    assert asyncio.run(_history(database, "V2")) == [
        ("relative", True, False, "Accueil mairie", False)
    ]
    code, out = run_main(monkeypatch, capsys, "consent", "show", "V2")
    assert "accord du 04/09/2026 : un proche (Paul Durand (fils)), sur papier" in out

    withdrawals = tmp_path / "retraits.csv"
    withdrawals.write_text(
        "identifiant;demande_par;canal\nV1;proche;telephone\nV4;personne;papier\n",
        encoding="utf-8",
    )
    code, out = run_main(monkeypatch, capsys, "consent", "withdraw", str(withdrawals))
    assert code == 0, out
    assert "1 foyer(s) retiré(s)" in out
    assert "(1 sans consentement en cours)" in out
    assert asyncio.run(_history(database, "V1")) == [
        ("person", True, True, "Mme Martin (CCAS)", True)
    ]
    bad = tmp_path / "retraits_faux.csv"
    bad.write_text("identifiant;demande_par;canal\nV2;personne;telephone\nV3;voisin;papier\n")
    code, out = run_main(monkeypatch, capsys, "consent", "withdraw", str(bad))
    assert code == 65
    assert "retraits_faux.csv:3:demande_par" in out
    assert asyncio.run(_history(database, "V2"))[0][4] is False  # line 2 not written
    code, out = run_main(monkeypatch, capsys, "consent", "show", "V1")
    assert "retiré le" in out
    actions = asyncio.run(_audit(database))
    assert actions.count("consent.recorded") == 3
    assert actions.count("consent.withdrawn") == 1

    # V1 withdrew, V3 agreed to emergency campaigns only, V4 never agreed: only V2
    assert asyncio.run(_enrolled(database)) == 1


async def _on_consent_list(url: str) -> None:
    async with migrated_database(url) as sessions:
        people = PersonRepository(sessions)
        records = [
            person(key, "Nom", f"+3314567000{i}") for i, key in enumerate(["V1", "V2", "V3"])
        ]
        await people.write_encoded(
            encode_batch(
                await people.dialect(),
                records,
                [],
                now=datetime(2026, 9, 1, tzinfo=UTC),
                list_name=CONSENT_LIST,
            )
        )


async def _cycles(url: str, now: datetime) -> tuple[int, int]:
    """A veille-sociale cycle and an emergency one over the veille-sociale list, open."""
    async with migrated_database(url) as sessions:
        opened = []
        for kind in (CampaignKind.VEILLE_SOCIALE, CampaignKind.HEATWAVE):
            campaign = await CampaignRepository(sessions).create(
                name=f"Campagne {kind.value}",
                kind=kind,
                questionnaire_id="veille_sociale",
                questionnaire_version="1",
                caller_id="+33140000000",
                pacing_mode=PacingMode.PREVIEW,
                calling_windows={},
                retry_policy={},
                now=now,
            )
            await set_campaign_selection(sessions, campaign.id, Selection(lists=(CONSENT_LIST,)))
            cycle = await CycleRepository(sessions).open(
                campaign.id, started_at=now, deadline=now + timedelta(days=1)
            )
            await enrol_register(sessions, cycle.id, due=now)
            opened.append(cycle.id)
        return opened[0], opened[1]


async def _taken(url: str, cycle_id: int, at: datetime) -> set[str]:
    async with migrated_database(url) as sessions:
        taken = await CycleSchedule(sessions).take_due(
            cycle_id, 10, now=at, planned_ids=[f"{cycle_id}-{n}" for n in range(10)]
        )
        found = set()
        for attempt in taken:
            who = await PersonRepository(sessions).get(attempt.person_id)
            found.add(who.external_id)
        return found


def test_a_withdrawal_from_a_file_stops_every_further_call(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """V1 agreed to both, V2 to regular calls only, V3 to emergency campaigns only: V1
    and V2 withdraw from a file after both cycles enrolled them; neither is called again,
    by the volunteers or by the emergency campaign; V3 still is, by the emergency one."""
    asyncio.run(_on_consent_list(database))
    path = tmp_path / "consents.csv"
    path.write_text(GOOD, encoding="utf-8")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(path))
    assert code == 0, out
    now = datetime.now(UTC)
    volunteer, emergency = asyncio.run(_cycles(database, now))
    withdrawals = tmp_path / "retraits.csv"
    withdrawals.write_text(
        "identifiant;demande_par;canal\nV1;personne;telephone\nV2;proche;papier\n",
        encoding="utf-8",
    )
    code, out = run_main(monkeypatch, capsys, "consent", "withdraw", str(withdrawals))
    assert code == 0, out
    assert "2 foyer(s) retiré(s)" in out
    later = datetime.now(UTC) + timedelta(seconds=1)
    assert asyncio.run(_taken(database, volunteer, later)) == set()
    assert asyncio.run(_taken(database, emergency, later)) == {"V3"}


async def _withdraw(url: str, key: str, at: datetime) -> None:
    async with migrated_database(url) as sessions:
        await ConsentRegistry(sessions).withdraw(
            [WithdrawalRequest(key, AgreedBy.PERSON, ConsentChannel.PHONE)], actor="t", now=at
        )


async def _recorded(url: str, record: ConsentRecord, at: datetime) -> int:
    async with migrated_database(url) as sessions:
        return (await ConsentRegistry(sessions).record([record], actor="t", now=at)).written


def test_re_importing_the_list_does_not_bring_a_withdrawn_household_back(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The review's scenario: V1 agreed on 03/09 and withdrew; the city re-sends its whole
    list. The withdrawn consent is skipped and reported (« déjà retiré le … : non
    réenregistré »), as is an older consent of the household; the rest of the file is
    recorded. A consent dated after the withdrawal, or the same (Paris) day but not the
    withdrawn one, is a new one, recorded, and V1 is called again."""
    asyncio.run(_setup(database))
    path = tmp_path / "consents.csv"
    path.write_text(GOOD, encoding="utf-8")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(path))
    assert code == 0, out
    withdrawn_at = datetime.now(UTC) - timedelta(days=1)
    withdrawn_day = f"{withdrawn_at.astimezone(PARIS):%d/%m/%Y}"
    asyncio.run(_withdraw(database, "V1", withdrawn_at))
    asyncio.run(_withdraw(database, "V3", withdrawn_at))
    resent = tmp_path / "liste_complete.csv"
    resent.write_text(
        GOOD.replace("05/09/2026;en_personne", "05/09/2026;papier")  # V3, not as withdrawn
        + "V4;personne;;05/09/2026;papier;oui;non;CCAS\n",
        encoding="utf-8",
    )
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(resent))
    assert code == 0, out
    assert (
        "liste_complete.csv:2:date_accord : accord du 03/09/2026 déjà retiré le "
        f"{withdrawn_day} : non réenregistré"
    ) in out
    assert (
        f"liste_complete.csv:4:date_accord : accord du 05/09/2026 antérieur au retrait du "
        f"{withdrawn_day} : non enregistré"
    ) in out
    assert "liste_complete.csv:3" not in out  # V2 is known
    assert "1 consentement(s) enregistré(s) (1 déjà connu(s), 2 non enregistré(s)" in out
    assert asyncio.run(_history(database, "V4")) == [("person", True, False, "CCAS", False)]
    assert [r[4] for r in asyncio.run(_history(database, "V1"))] == [True]
    assert asyncio.run(_enrolled(database)) == 2  # V2 and V4

    # the same (Paris) day as the withdrawal, and not the withdrawn consent: a new one
    same_day = ConsentRecord(
        "V3", AgreedBy.PERSON, None, withdrawn_at.replace(hour=0, minute=0, second=0,
        microsecond=0), ConsentChannel.PHONE, True, True, "CCAS", where="f.csv:2",
    )  # fmt: skip
    assert asyncio.run(_recorded(database, same_day, datetime.now(UTC))) == 1

    today = datetime.now(UTC).astimezone(PARIS).strftime("%d/%m/%Y")
    again = tmp_path / "nouvel_accord.csv"
    again.write_text(HEADER + f"V1;personne;;{today};telephone;oui;non;CCAS\n", encoding="utf-8")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(again))
    assert code == 0, out
    assert "1 consentement(s) enregistré(s)" in out
    # a running consent to regular calls: V1 is called again
    assert [(r[1], r[4]) for r in asyncio.run(_history(database, "V1"))] == [
        (True, False),
        (True, True),
    ]
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(again))
    assert "0 consentement(s) enregistré(s) (1 déjà connu(s))" in out

    # withdrawn again the same day it was given: re-sent, it is the withdrawn one, skipped;
    # a different consent that day (on paper) is a new one
    asyncio.run(_withdraw(database, "V1", datetime.now(UTC)))
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(again))
    assert code == 0, out
    assert f"nouvel_accord.csv:2:date_accord : accord du {today} déjà retiré le {today}" in out
    paper = tmp_path / "accord_papier.csv"
    paper.write_text(HEADER + f"V1;personne;;{today};papier;oui;non;CCAS\n", encoding="utf-8")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(paper))
    assert "1 consentement(s) enregistré(s)" in out, out
    assert [r[4] for r in asyncio.run(_history(database, "V1"))].count(False) == 1


def test_every_bad_line_of_a_file_is_named(
    database: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_setup(database))
    path = tmp_path / "consents.csv"
    path.write_text(
        GOOD
        + "V4;;;;;;;\n"
        + "NOBODY;personne;;03/09/2026;telephone;oui;oui;X\n"
        + 'V5;personne;;03/09/2026;telephone;oui;oui;=HYPERLINK("http://x")\n',
        encoding="utf-8",
    )
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(path))
    assert code == 65, out
    assert "consents.csv:5:accord_de" in out
    assert "consents.csv:6" not in out  # NOBODY is named once the lines are all read
    assert "consents.csv:7:recueilli_par" in out
    assert "formule" in out
    binary = tmp_path / "binaire.csv"
    binary.write_bytes(HEADER.encode() + b"V1;\x00\x01;\n")
    code, out = run_main(monkeypatch, capsys, "consent", "import", str(binary))
    assert code == 65
    assert "binaire.csv" in out
    assert asyncio.run(_history(database, "V1")) == []
