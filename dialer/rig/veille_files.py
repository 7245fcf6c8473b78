"""The city's files for the veille-sociale demo, as its offices would send them: the
register of the isolated and fragile households (the register's CSV, with the numbers of
simulated callees), the list of their consents (``dialer consent import``'s file), a
consent file with one line missing its date (refused as a whole), and the directory of
resources (``dialer resources import``'s file).

Most households answer and talk long enough for the two-level call; a few are busy or
never answer (« not reached »); the last ones of the register never agreed (not called).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dialer.consent_files import CONSENT_COLUMNS
from dialer.csv_output import csv_writer
from dialer.resource_files import COLUMNS as RESOURCE_COLUMNS
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee

FIRST = ["Nadia", "Karim", "Sylvie", "Yacine", "Maryse", "Inès", "Bernard", "Aïcha", "Lucas"]
LAST = ["Benali", "Morel", "Traoré", "Petit", "Nguyen", "Garnier", "Diallo", "Fontaine"]
STREETS = ["rue de Belleville", "rue des Pyrénées", "rue de Charonne", "avenue Gambetta"]
DISTRICTS = ("11e", "20e")
#: who answers (most), who does not: one in ten busy, one in ten never answers
MIX = (
    (CalleeBehaviour.ANSWERS, 0.8),
    (CalleeBehaviour.BUSY, 0.1),
    (CalleeBehaviour.RINGS_FOREVER, 0.1),
)
#: households of the register who never agreed (the campaign leaves them out)
WITHOUT_CONSENT = 2
RESOURCES = (
    ("Épicerie solidaire de Belleville", "alimentation", "20e", "01 43 00 00 01",
     "mar-sam 14h-18h"),
    ("Restos du cœur Charonne", "alimentation", "11e", "01 43 00 00 02", "lun-ven 10h-12h"),
    ("Point d'accès au droit", "argent_droits,logement", "toute la ville", "pad@ville.test",
     "lun-ven 9h-17h"),
    ("Centre de santé municipal", "sante", "toute la ville", "01 43 00 00 03", "lun-sam 8h-19h"),
    ("Agence départementale pour le logement", "logement", "toute la ville", "01 43 00 00 04",
     "lun-ven 9h-12h"),
    ("Petits frères des Pauvres", "solitude", "toute la ville", "01 43 00 00 05",
     "tous les jours"),
    ("Café des voisins", "solitude", "11e", "01 43 00 00 06", "mer-dim 15h-19h"),
    ("Espace public numérique", "numerique", "11e / 20e", "epn@ville.test", "mar-sam 10h-18h"),
)  # fmt: skip


@dataclass(frozen=True)
class VeilleFiles:
    register: Path
    consents: Path
    bad_consents: Path
    resources: Path
    #: the register's ids of the households who agreed
    consenting: tuple[str, ...]
    #: each household's number (a simulated callee's), by register id
    numbers: dict[str, str]


def household_id(index: int) -> str:
    return f"VS-{index:04d}"


def write_veille_files(
    directory: Path, households: int, rng: random.Random, *, today: date
) -> VeilleFiles:
    """The four files in ``directory``: ``households`` in the register, all but the last
    :data:`WITHOUT_CONSENT` of them in the consents."""
    files = VeilleFiles(
        register=directory / "registre-veille-sociale.csv",
        consents=directory / "consentements.csv",
        bad_consents=directory / "consentements-incomplet.csv",
        resources=directory / "annuaire-ressources.csv",
        consenting=tuple(household_id(i) for i in range(max(households - WITHOUT_CONSENT, 1))),
        numbers={},
    )
    _write_register(files, households, rng)
    rows = [_consent_row(external_id, rng, today) for external_id in files.consenting]
    _write(files.consents, CONSENT_COLUMNS, rows)
    incomplete = [list(row) for row in rows[:3]]
    incomplete[-1][3] = ""  # the last line lacks the consent's date: the file is refused
    _write(files.bad_consents, CONSENT_COLUMNS, incomplete)
    _write(files.resources, RESOURCE_COLUMNS, [list(r) for r in RESOURCES])
    return files


def _write(path: Path, header: tuple[str, ...], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_writer(handle, delimiter=";")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)


def _consent_row(external_id: str, rng: random.Random, today: date) -> list[str]:
    by_relative = rng.random() < 0.15
    agreed = today - timedelta(days=rng.randint(10, 200))
    return [
        external_id,
        "proche" if by_relative else "personne",
        "Sophie (fille)" if by_relative else "",
        f"{agreed:%d/%m/%Y}",
        rng.choice(["telephone", "papier", "en_personne"]),
        "oui",
        rng.choice(["oui", "non"]),
        rng.choice(["Mme Martin (CCAS)", "Accueil mairie du 11e", "Centre social Archipélia"]),
    ]


def _write_register(files: VeilleFiles, households: int, rng: random.Random) -> None:
    """The register in the city's own shape (as ``make demo``'s): ``;``, French names."""
    behaviours = [b for b, _ in MIX]
    weights = [w for _, w in MIX]
    with files.register.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_writer(handle, delimiter=";")
        writer.writerow(
            ["N° dossier", "Nom", "Prénom", "Date de naissance", "Adresse", "Code postal",
             "Ville", "Arrondissement", "Téléphone"]
        )  # fmt: skip
        for index in range(households):
            drawn = rng.choices(behaviours, weights=weights)[0]
            behaviour = CalleeBehaviour.ANSWERS if index < 2 else drawn
            callee = SimulatedCallee(
                behaviour, ring_s=rng.randint(1, 3), talk_s=180, serial=index % 100
            )
            district = DISTRICTS[index % len(DISTRICTS)]
            files.numbers[household_id(index)] = callee.number
            writer.writerow(
                [
                    household_id(index),
                    rng.choice(LAST),
                    rng.choice(FIRST),
                    f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1950, 2004)}",
                    f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                    f"750{district[:2]}",
                    "Paris",
                    district,
                    callee.number,
                ]
            )
