"""The consenting list imported on the supervisor's page in a real browser (issue 21's
Done-when): a supervisor uploads the city's file with a row without consent: the file is
refused, the row named ``fichier:ligne:champ — raison``, nothing written; then the good
file: the counts are shown, and the household of the veille-sociale list that had no
consent leaves the list of households the volunteers do not call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dialer.core.consent import CONSENT_LIST
from dialer.storage import PersonRepository
from dialer.storage.consents import ConsentRegistry
from dialer.storage.people import encode_batch
from tests.browser.helpers import Browser, login
from tests.browser.live_server import LiveServer
from tests.storage.conftest import person
from tests.web.support import PASSWORD

pytestmark = pytest.mark.browser

HEADER = (
    "identifiant;accord_de;proche;date_accord;canal;appels_reguliers;campagnes_urgence;"
    "recueilli_par\n"
)


def test_a_supervisor_imports_the_consenting_list_a_row_without_consent_is_rejected(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    server = live_server
    sessions = server.sessions

    async def on_the_list() -> None:
        people = PersonRepository(sessions)
        await people.write_encoded(
            encode_batch(
                await people.dialect(), [person("VS-1", "Martin", "+33145670099")], [],
                now=datetime.now(UTC), list_name=CONSENT_LIST,
            )
        )  # fmt: skip

    server.call(on_the_list)
    day = (datetime.now(UTC) - timedelta(days=3)).strftime("%d/%m/%Y")
    good_lines = (
        f"J1;personne;;{day};telephone;oui;oui;Mme Martin (CCAS)\n"
        f"B2;proche;Paul Durand (fils);{day};papier;oui;non;Accueil mairie\n"
    )
    bad = tmp_path / "liste_ville.csv"
    bad.write_text(HEADER + good_lines + "VS-1;;;;;;;\n", encoding="utf-8")
    good = tmp_path / "liste_corrigee.csv"
    good.write_text(
        HEADER + good_lines + f"VS-1;personne;;{day};en_personne;oui;non;Centre social\n",
        encoding="utf-8",
    )

    page = browser.new_page()
    login(page, "superviseur", PASSWORD)
    page.goto("/supervision/consentement")
    page.wait_text("#sans-accord", "sans accord valide aux appels réguliers : 1")
    assert "VS-1" in page.text("#foyers-sans-accord")
    assert "aucun accord enregistré" in page.text("#foyers-sans-accord")

    page.find("#fichier-accords").send_keys(str(bad))
    page.find("#importer-accords").click()
    page.wait_text("#import-refus", "rien n'a été enregistré")
    refused = page.text("#import-refus")
    assert "liste_ville.csv:4:accord_de — champ obligatoire manquant" in refused
    assert "liste_ville.csv:2" not in refused  # the good rows are not named
    assert server.call(lambda: ConsentRegistry(sessions).history("J1")) == []  # nothing

    page.find("#fichier-accords").send_keys(str(good))
    page.find("#importer-accords").click()
    page.wait_text(
        "#import-resultat",
        "liste_corrigee.csv : 3 ligne(s) lue(s), 3 accord(s) enregistré(s), 0 déjà connu(s)",
    )
    page.wait_text("#sans-accord", "sans accord valide aux appels réguliers : 0")
    assert len(server.call(lambda: ConsentRegistry(sessions).history("J1"))) == 1
    page.find("#identifiant").send_keys("B2")
    page.find("form[method='get'] button").click()
    page.wait_text("main", "Paul Durand (fils)")
