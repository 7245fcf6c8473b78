"""The city's file of consents imported on the supervisor's page and through the API, on
SQLite and PostgreSQL: who may (401, 403: agents, team members, volunteers), a file with a
bad line refused whole with each refused line named ``file:line:field — reason`` and
nothing written (a row without its consent, a formula cell,
binary junk, no file), a withdrawn consent re-sent skipped and reported, a body over
the limit refused (413), thousands of rows imported,
the counts shown, the import audited; and the households of the veille-sociale list with
no valid consent listed with why, a page at a time."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from dialer.core.consent import CONSENT_LIST, AgreedBy, ConsentChannel
from dialer.core.roles import Role
from dialer.core.windows import PARIS
from dialer.desk.accounts import create_account
from dialer.storage import (
    PersonRepository,
    SessionFactory,
)
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.storage.people import encode_batch
from dialer.testing import Clock
from dialer.web.consent_import import UPLOAD_LIMIT
from tests.storage.conftest import person
from tests.web.conftest import log_in
from tests.web.support import PASSWORD, T0, fast_passwords
from tests.web.test_lists_and_selection import database_url, sessions

pytestmark = pytest.mark.asyncio
__all__ = ["database_url", "sessions"]  # SQLite and PostgreSQL

PAGE = "/supervision/consentement"
IMPORT = PAGE + "/import"
API = "/api/v1/consents/import"
HEADER = (
    "identifiant;accord_de;proche;date_accord;canal;appels_reguliers;campagnes_urgence;"
    "recueilli_par\n"
)
GOOD = (
    HEADER
    + "V1;personne;;03/07/2026;telephone;oui;oui;Mme Martin (CCAS)\n"
    + "V2;proche;Paul Durand (fils);2026-07-04;papier;oui;non;Accueil mairie\n"
)
NO_CONSENT = GOOD + "V3;;;;;;;\n"


async def _on_the_list(sessions: SessionFactory, count: int) -> None:
    """V1..V{count} on the veille-sociale list."""
    people = PersonRepository(sessions)
    records = [person(f"V{n}", f"Nom{n}", f"+3314{n:08d}") for n in range(1, count + 1)]
    await people.write_encoded(
        encode_batch(
            await people.dialect(), records, [], now=T0 - timedelta(days=30),
            list_name=CONSENT_LIST,
        )
    )  # fmt: skip


async def _consents(sessions: SessionFactory, key: str) -> int:
    try:
        return len(await ConsentRegistry(sessions).history(key))
    except Exception:
        return 0


async def _actions(sessions: SessionFactory) -> list[str]:
    return [e.action for e in await AuditLog(sessions).search(AuditFilter())]


def _files(name: str, text: str | bytes) -> dict[str, tuple[str, bytes, str]]:
    content = text.encode() if isinstance(text, str) else text
    return {"fichier": (name, content, "text/csv")}


async def test_who_may_import(client: httpx.AsyncClient, sessions: SessionFactory) -> None:
    await _on_the_list(sessions, 3)
    assert (
        await client.post(API, content=GOOD, headers={"content-type": "text/csv"})
    ).status_code == 401
    anonymous = await client.post(IMPORT, files=_files("a.csv", GOOD), follow_redirects=False)
    assert anonymous.status_code in (303, 401, 403)
    await create_account(
        sessions, "benevole.ana", PASSWORD, Role.VOLUNTEER, passwords=fast_passwords()
    )
    for username in ("agent1", "membre.nord", "benevole.ana"):
        csrf = await log_in(client, username)
        refused = await client.post(
            API, content=GOOD, headers={"content-type": "text/csv", "X-CSRF-Token": csrf}
        )
        assert refused.status_code == 403, username
        page = await client.post(IMPORT, data={"csrf": csrf}, files=_files("a.csv", GOOD))
        assert page.status_code == 403, username
        assert (await client.get(PAGE)).status_code == 403
        await client.post("/deconnexion")
    csrf = await log_in(client, "superviseur")
    forged = await client.post(IMPORT, data={"csrf": "faux"}, files=_files("a.csv", GOOD))
    assert forged.status_code == 403
    no_token = await client.post(API, content=GOOD, headers={"content-type": "text/csv"})
    assert no_token.status_code == 403
    assert await _consents(sessions, "V1") == 0
    assert "consent.recorded" not in await _actions(sessions)


async def test_a_supervisor_imports_on_the_page_a_bad_row_refuses_the_file(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    await _on_the_list(sessions, 3)
    csrf = await log_in(client, "superviseur")
    page = await client.get(PAGE)
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "sans accord valide aux appels réguliers : 3" in text
    assert 'id="fichier-accords"' in text
    assert "Importer les accords" in text

    bad = NO_CONSENT + 'V4;personne;;03/07/2026;telephone;oui;oui;=HYPERLINK("x")\n'
    refused = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", bad))
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert "rien n'a été enregistré" in text
    assert "ville.csv:4:accord_de</code> — champ obligatoire manquant" in text
    assert "ville.csv:5:recueilli_par</code> — " in text
    assert "formule" in text
    assert await _consents(sessions, "V1") == 0

    for name, content, named in (
        ("junk.csv", b"\x00\xff\xfe" * 1000, "junk.csv"),
        ("nul.csv", HEADER.encode() + b"V1;\x00;\n", "nul.csv"),
        ("vide.csv", b"", "vide.csv:1"),
        ("../../etc/passwd", NO_CONSENT, "passwd:4:accord_de"),
    ):
        refused = await client.post(IMPORT, data={"csrf": csrf}, files=_files(name, content))
        assert refused.status_code == 422, name
        assert named in html.unescape(refused.text), name
    missing = await client.post(IMPORT, data={"csrf": csrf})
    assert missing.status_code == 422
    assert "champ « fichier »" in html.unescape(missing.text)
    assert await _consents(sessions, "V1") == 0

    done = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", GOOD))
    assert done.status_code == 200, done.text
    text = html.unescape(done.text)
    assert "ville.csv : 2 ligne(s) lue(s), 2 accord(s) enregistré(s), 0 déjà connu(s)" in text
    assert "sans accord valide aux appels réguliers : 1" in text  # V3 only
    again = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", GOOD))
    assert "0 accord(s) enregistré(s), 2 déjà connu(s)" in html.unescape(again.text)
    actions = await _actions(sessions)
    assert actions.count("consent.recorded") == 2
    assert actions.count("consent.import") == 2
    entries = await AuditLog(sessions).search(AuditFilter())
    imported = next(e for e in entries if e.action == "consent.import")
    assert imported.actor == "superviseur"
    assert imported.details == {"read": 2, "recorded": 0, "known": 2, "skipped": 0}


async def test_a_withdrawn_household_re_sent_is_skipped_and_reported(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    """The city re-sends its whole list after V1 withdrew: V1's line is not recorded and
    is reported (page and API), the rest of the file is; a bad line still refuses the
    whole file."""
    await _on_the_list(sessions, 4)
    csrf = await log_in(client, "superviseur")
    done = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", GOOD))
    assert done.status_code == 200
    await ConsentRegistry(sessions).withdraw(
        [WithdrawalRequest("V1", AgreedBy.PERSON, ConsentChannel.PHONE)], actor="t", now=T0
    )
    page = html.unescape((await client.get(PAGE)).text)
    assert "accord retiré" in page  # V1, listed with why
    resent = GOOD + "V3;personne;;05/07/2026;telephone;oui;oui;CCAS\n"
    refused = await client.post(
        IMPORT, data={"csrf": csrf}, files=_files("ville.csv", resent + "V4;;;;;;;\n")
    )
    assert refused.status_code == 422  # a bad line: nothing written
    assert "ville.csv:5:accord_de" in html.unescape(refused.text)
    assert await _consents(sessions, "V3") == 0
    shown = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", resent))
    assert shown.status_code == 200, shown.text
    text = html.unescape(shown.text)
    reported = (
        "ville.csv:2:date_accord : accord du 03/07/2026 déjà retiré le "
        f"{T0.astimezone(PARIS):%d/%m/%Y} : non réenregistré"
    )
    assert reported in text
    assert "1 accord(s) enregistré(s), 1 déjà connu(s), 1 non enregistré(s)" in text
    assert await _consents(sessions, "V3") == 1
    assert await _consents(sessions, "V1") == 1  # the withdrawn one, not a second
    again = await client.post(
        API, content=resent, headers={"X-CSRF-Token": csrf, "content-type": "text/csv"}
    )
    assert again.status_code == 201, again.text
    assert again.json()["skipped"] == [reported.replace("ville.csv", "accords.csv")]
    assert again.json()["recorded"] == 0


async def test_the_api_imports_names_refused_lines_and_bounds_the_body(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    await _on_the_list(sessions, 3)
    csrf = await log_in(client, "admin")
    headers = {"X-CSRF-Token": csrf}
    csv_headers = headers | {"content-type": "text/csv"}
    refused = await client.post(API, content=NO_CONSENT, headers=csv_headers)
    assert refused.status_code == 422
    assert "accords.csv:4:accord_de" in refused.json()["erreur"]
    wrong_kind = await client.post(API, json={"file": GOOD}, headers=headers)
    assert wrong_kind.status_code == 422
    assert "file" in wrong_kind.json()["erreur"]
    no_file = await client.post(API, files={"autre": ("a.csv", b"x")}, headers=headers)
    assert no_file.status_code == 422
    huge = HEADER.encode() + b"x" * (UPLOAD_LIMIT + 10)
    too_big = await client.post(API, content=huge, headers=csv_headers)
    assert too_big.status_code == 413
    too_big_page = await client.post(IMPORT, data={"csrf": csrf}, files=_files("g.csv", huge))
    assert too_big_page.status_code == 413
    assert await _consents(sessions, "V1") == 0

    multipart = await client.post(
        API, files={"file": ("ville.csv", GOOD.encode(), "text/csv")}, headers=headers
    )
    assert multipart.status_code == 201, multipart.text
    assert multipart.json() == {
        "file": "ville.csv", "read": 2, "recorded": 2, "known": 0, "skipped": [],
    }  # fmt: skip
    again = await client.post(API, content=GOOD, headers=csv_headers)
    assert again.json() == {
        "file": "accords.csv", "read": 2, "recorded": 0, "known": 2, "skipped": [],
    }  # fmt: skip


async def test_thousands_of_rows_and_the_households_without_consent_page_by_page(
    client: httpx.AsyncClient, sessions: SessionFactory
) -> None:
    await _on_the_list(sessions, 2000)
    csrf = await log_in(client, "superviseur")
    lines = [f"V{n};personne;;01/07/2026;telephone;oui;non;CCAS\n" for n in range(1, 1901)]
    bad = HEADER + "".join(lines[:-1]) + "V1900;personne;;01/07/2099;telephone;oui;non;CCAS\n"
    refused = await client.post(
        API, content=bad, headers={"X-CSRF-Token": csrf, "content-type": "text/csv"}
    )
    assert refused.status_code == 422
    assert "accords.csv:1901:date_accord" in refused.json()["erreur"]
    started = datetime.now(UTC)
    done = await client.post(
        IMPORT, data={"csrf": csrf}, files=_files("ville.csv", HEADER + "".join(lines))
    )
    assert done.status_code == 200
    assert datetime.now(UTC) - started < timedelta(seconds=60)
    text = html.unescape(done.text)
    assert "1900 accord(s) enregistré(s)" in text
    assert "sans accord valide aux appels réguliers : 100" in text
    assert text.count("aucun accord enregistré") == 50
    assert "Page suivante" in text
    second = html.unescape((await client.get(PAGE, params={"page": "2"})).text)
    assert second.count("aucun accord enregistré") == 50
    assert "Page suivante" not in second
    assert "Page précédente" in second
    assert (await client.get(PAGE, params={"page": "x" * 50})).status_code == 200
    reads = [
        e for e in await AuditLog(sessions).search(AuditFilter()) if e.action == "read.consent_gaps"
    ]
    assert reads
    assert len(reads[0].details["people"]) == 50


async def test_a_consent_dated_today_is_not_in_the_future_at_0030_in_paris(
    client: httpx.AsyncClient, sessions: SessionFactory, clock: Clock
) -> None:
    """At 00:30 in Paris (22:30 UTC the day before), a consent dated today (Paris) is
    recorded; one dated tomorrow is refused."""
    await _on_the_list(sessions, 2)
    clock.now = datetime(2026, 7, 13, 22, 30, tzinfo=UTC)
    csrf = await log_in(client, "superviseur")
    tomorrow = HEADER + "V1;personne;;15/07/2026;telephone;oui;non;CCAS\n"
    refused = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", tomorrow))
    assert refused.status_code == 422
    assert "ville.csv:2:date_accord" in html.unescape(refused.text)
    today = HEADER + "V1;personne;;14/07/2026;telephone;oui;non;CCAS\n"
    done = await client.post(IMPORT, data={"csrf": csrf}, files=_files("ville.csv", today))
    assert done.status_code == 200, done.text
    assert "1 accord(s) enregistré(s)" in html.unescape(done.text)
