"""Benchmark of the register import: ``.venv/bin/python -m bench.register_import``.

Generates realistic registers (French names and addresses, the phone formats offices use,
a few invalid numbers, duplicates and couples sharing a landline) into a temporary
directory, imports each into a fresh SQLite database, then imports it again (a re-import
where nothing changed), and prints a markdown table. Each size runs in its own process,
so the peak RSS (``ru_maxrss``) is that import's own; big files are checked in worker
processes, one per processor, the largest peak RSS of which is shown beside it (``-``: no
worker).

Options: ``--rows 10500 --rows 1000000 --rows 2000000`` (the default sizes), ``--keep
DIR`` to keep the generated files and databases.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from dialer.register import import_register
from dialer.storage import create_engine, create_session_factory, migrate_engine

#: 10,500 rows: the city's register; 1M and 2M: the speed target, and memory that does not
#: grow from one to the other
DEFAULT_SIZES = (10_500, 1_000_000, 2_000_000)

LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
    "Mathieu",
    "Gautier",
    "Masson",
    "Marchand",
    "Duval",
    "Denis",
    "Dumont",
    "Marie",
    "Lemaire",
    "Noël",
    "Meyer",
    "Dufour",
    "Meunier",
    "Brun",
    "Blanchard",
    "Giraud",
    "Joly",
    "Rivière",
    "Lucas",
    "Brunet",
    "Gaillard",
    "Barbier",
    "Arnaud",
    "Martínez",
    "Gérard",
    "Roche",
    "Renard",
    "Schmitt",
    "Roy",
    "Leroux",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubert",
    "Lemoine",
    "Renaud",
    "Dumas",
    "Lacroix",
    "Olivier",
    "Philippe",
    "Bourgeois",
    "Pierre",
    "Benoît",
    "Rey",
    "Leclerc",
    "Payet",
    "Rolland",
    "Leclercq",
    "Guillaume",
    "Lecomte",
    "López",
    "Jean",
    "Dupuy",
    "Guillot",
    "Hubert",
    "Berger",
    "Carpentier",
    "Sánchez",
    "Dupuis",
    "Moulin",
    "Louis",
    "Deschamps",
    "Huet",
    "Vasseur",
    "Perez",
    "Boucher",
    "Fleury",
    "Royer",
    "Klein",
    "Jacquet",
    "Adam",
    "Paris",
    "Poirier",
    "Marty",
    "Aubry",
    "Guyot",
    "Carré",
    "Charles",
    "Renault",
    "Charpentier",
    "Ménard",
    "Maillard",
    "Baron",
    "Bertin",
    "Bailly",
    "Hervé",
    "Schneider",
    "Fernández",
    "Le",
    "Gall",
    "Collet",
    "Léger",
    "Bouvier",
    "Julien",
    "Prévost",
    "Millet",
    "Perrot",
    "Daniel",
    "Le",
    "Roux",
    "Cousin",
    "Germain",
    "Breton",
    "Besson",
    "Langlois",
    "Rémy",
    "Le",
    "Goff",
    "Pelletier",
    "Lévêque",
    "Perrier",
    "Leblanc",
    "Barré",
    "Lebrun",
    "Marchal",
    "Weber",
    "Mallet",
    "Hamon",
    "Boulanger",
    "Jacob",
    "Monnier",
    "Michaud",
    "Rodríguez",
    "Guichard",
    "Gillet",
    "Étienne",
    "Grondin",
    "Poulain",
    "Tessier",
    "Chevallier",
    "Collin",
    "Chauvin",
    "Da",
    "Silva",
    "Bouchet",
    "Gay",
    "Lemaître",
    "Bénard",
    "Maréchal",
    "Humbert",
    "Reynaud",
    "Antoine",
    "Hoarau",
    "Perret",
    "Barthélemy",
    "Cordier",
    "Pichon",
    "Lejeune",
    "Gilbert",
    "Lamy",
    "Delaunay",
    "Pasquier",
    "Carlier",
    "Laporte",
    "Œillet",
]
FIRST_NAMES = [
    "Marie",
    "Jeanne",
    "Françoise",
    "Monique",
    "Catherine",
    "Nathalie",
    "Isabelle",
    "Jacqueline",
    "Anne",
    "Sylvie",
    "Martine",
    "Madeleine",
    "Nicole",
    "Suzanne",
    "Hélène",
    "Christiane",
    "Denise",
    "Louise",
    "Simone",
    "Yvonne",
    "Germaine",
    "Odette",
    "Paulette",
    "Ginette",
    "Josette",
    "Colette",
    "Lucienne",
    "Renée",
    "Thérèse",
    "Andrée",
    "Geneviève",
    "Solange",
    "Jean",
    "Pierre",
    "Michel",
    "André",
    "Philippe",
    "René",
    "Louis",
    "Alain",
    "Jacques",
    "Bernard",
    "Marcel",
    "Daniel",
    "Roger",
    "Robert",
    "Paul",
    "Claude",
    "Christian",
    "Henri",
    "Georges",
    "Gérard",
    "Maurice",
    "Raymond",
    "Lucien",
    "Marcel",
    "François",
    "Joseph",
    "Gilbert",
    "Roland",
    "Serge",
    "Guy",
    "Émile",
    "Léon",
    "Gaston",
    "Fernand",
    "Jean-Pierre",
    "Jean-Claude",
    "Marie-Thérèse",
    "Anne-Marie",
    "Marie-Claude",
    "Noëlle",
    "Cécile",
    "Agnès",
    "Béatrice",
    "Élise",
    "Zoé",
    "Maëlle",
]
STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Voltaire",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue du Faubourg Saint-Antoine",
    "allée des Tilleuls",
    "rue de l'Église",
    "impasse des Lilas",
    "chemin du Moulin",
    "rue Émile Zola",
    "quai de la Loire",
    "avenue de la Gare",
    "rue Pasteur",
    "rue des Écoles",
    "cours Lafayette",
)
HANDICAP = ("", "", "", "", "", "fauteuil roulant", "malvoyant", "malentendant", "non", "GIR 3")
MEDICAL = ("", "", "", "", "", "", "oxygène à domicile", "dialyse", "diabète", "oui")
HEADER = (
    "N° dossier",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Adresse",
    "Code postal",
    "Ville",
    "Arrondissement",
    "Téléphone",
    "Portable",
    "Téléphone 2",
    "Personne à prévenir",
    "Téléphone contact",
    "Handicap",
    "Situation médicale",
)


def french_number(rng: random.Random, mobile: bool) -> str:
    """A valid French number in one of the formats registers use."""
    if mobile:
        head = "6" + rng.choice("01245678") if rng.random() < 0.8 else "7" + rng.choice("3456789")
        digits = head + f"{rng.randint(0, 9_999_999):07d}"
    else:
        first = rng.choice("12345")
        second = rng.choice(
            {"2": "01234579", "4": "123456789", "5": "012345678"}.get(first, "0123456789")
        )
        digits = first + second + f"{rng.randint(0, 9_999_999):07d}"
    pairs = " ".join(("0" + digits)[i : i + 2] for i in range(0, 10, 2))
    shape = rng.random()
    if shape < 0.55:
        return pairs
    if shape < 0.70:
        return pairs.replace(" ", ".")
    if shape < 0.80:
        return "0" + digits
    if shape < 0.90:
        return f"+33 {digits[0]} {' '.join(digits[i : i + 2] for i in range(1, 9, 2))}"
    if shape < 0.95:
        return f"0033 {digits[0]} {digits[1:]}"
    return pairs.replace(" ", "-")


def generate(path: Path, rows: int, seed: int = 2025) -> None:
    """A register of ``rows`` rows, UTF-8 with BOM, ``;``-separated, as Excel exports."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADER)
        previous: list[str] | None = None
        for index in range(rows):
            if previous is not None and rng.random() < 0.005:  # the same person again
                row = list(previous)
                row[8] = french_number(rng, mobile=False)
                writer.writerow(row)
                continue
            postcode = rng.choice(("75", "69", "13", "33", "59")) + f"{rng.randint(1, 20):03d}"
            landline = french_number(rng, mobile=False)
            if previous is not None and rng.random() < 0.05:  # a couple: one landline
                landline = previous[8]
            mobile = french_number(rng, mobile=True) if rng.random() < 0.6 else ""
            if rng.random() < 0.01:
                mobile = rng.choice(("06 12 34", "00 00 00 00 00", "n/a", "01 23 45 67 89 10 11"))
            row = [
                f"D{index:07d}",
                rng.choice(LAST_NAMES).upper() if rng.random() < 0.3 else rng.choice(LAST_NAMES),
                rng.choice(FIRST_NAMES),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1925, 1960)}",
                f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                postcode,
                {"75": "Paris", "69": "Lyon", "13": "Marseille", "33": "Bordeaux"}.get(
                    postcode[:2], "Lille"
                ),
                f"{int(postcode[2:])}e" if postcode[:2] in ("75", "69", "13") else "",
                landline,
                mobile,
                french_number(rng, mobile=False) if rng.random() < 0.1 else "",
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" if rng.random() < 0.5 else "",
                french_number(rng, mobile=True) if rng.random() < 0.4 else "",
                rng.choice(HANDICAP),
                rng.choice(MEDICAL),
            ]
            writer.writerow(row)
            previous = row


async def _import(path: Path, database: Path, *, fresh: bool) -> dict[str, float]:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        if fresh:
            await migrate_engine(engine)
        started = time.perf_counter()
        report = await import_register(
            create_session_factory(engine),
            path,
            rejects_path=path.with_name(path.stem + "-rejets.csv"),
            now=datetime.now(UTC),
        )
        seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {
        "seconds": seconds,
        "read": report.read,
        "added": report.added,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # the worker process that reads and validates big files (0: none was started)
        "worker_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }


def _child(rows: int, directory: Path, stage: str) -> None:
    path = directory / f"registre-{rows}.csv"
    if stage == "first":
        generate(path, rows)
    database = directory / f"dialer-{rows}.db"
    result = asyncio.run(_import(path, database, fresh=not database.exists()))
    print(json.dumps(result))


def _worker_rss(result: dict[str, float]) -> str:
    worker = result.get("worker_rss_mib", 0.0)
    return f"{worker:.0f}" if worker >= 1 else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--child", nargs=3, metavar=("ROWS", "DIR", "STAGE"), help="internal")
    options = parser.parse_args(argv)
    if options.child:
        rows, directory, stage = options.child
        _child(int(rows), Path(directory), stage)
        return

    sizes = options.rows or list(DEFAULT_SIZES)
    lines = [
        "| rows | import | seconds | rows/s | added | unchanged | rejected | peak RSS (MiB) "
        "| worker peak RSS (MiB) |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory(prefix="register-bench-") as scratch:
        directory = options.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        for rows in sizes:
            for stage in ("first", "again"):
                done = subprocess.run(
                    [sys.executable, "-m", "bench.register_import", "--child", str(rows),
                     str(directory), stage],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                result = json.loads(done.stdout.strip().splitlines()[-1])
                label = "into an empty database" if stage == "first" else "again, unchanged"
                lines.append(
                    f"| {rows:,} | {label} | {result['seconds']:.2f} | "
                    f"{result['read'] / result['seconds']:,.0f} | {result['added']:,} | "
                    f"{result['unchanged']:,} | {result['rejected']:,} | "
                    f"{result['peak_rss_mib']:.0f} | {_worker_rss(result)} |"
                )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
