"""The directory of resources as a file, for ``dialer resources import``: CSV, ``;``, UTF-8
(with or without BOM), a first line of column names::

    nom;besoins;zone;contact;horaires
    Épicerie solidaire du Faubourg;alimentation;10e arrondissement;01 40 00 00 00;mar-sam 14h-18h
    Point d'accès au droit;argent_droits,logement;Paris Centre et 10e;pad@ville.test;lun-ven 9h-17h

``besoins``: one or more of alimentation, argent_droits, sante, logement, solitude,
numerique, autre (``,``-separated). A bad line stops the whole file, named
``file:line:field``: nothing is written."""

from __future__ import annotations

from pathlib import Path

from dialer.consent_files import read_table
from dialer.core.resources import ResourceEntry, checked_resource
from dialer.errors import InputError

COLUMNS = ("nom", "besoins", "zone", "contact", "horaires")


def read_resources(path: Path) -> list[ResourceEntry]:
    """The file's resources; :class:`InputError` naming ``file:line:field``."""
    entries = []
    seen: dict[str, int] = {}
    for number, cells in read_table(path, COLUMNS):
        where = f"{path.name}:{number}:"
        entry = checked_resource(cells, where=where)
        if entry.name in seen:
            raise InputError(f"{where}nom : « {entry.name} » déjà à la ligne {seen[entry.name]}")
        seen[entry.name] = number
        entries.append(entry)
    return entries
