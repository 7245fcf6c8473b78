"""Reading the billing price grid (TOML) into a :class:`~dialer.core.billing.PriceGrid`.

The shipped default is ``price_grid.toml`` beside this module (its comments document the
format); ``[billing] price_grid_file`` in the settings points to another. Any problem is a
:class:`~dialer.errors.ConfigurationError` naming the file and the field
(``grille.toml: contacts[1].unit_price: ...``); unknown keys are refused.
"""

from __future__ import annotations

import tomllib
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from dialer.core.billing import DmtBand, PriceGrid, SetupTier, VolumeBand, grid_problems
from dialer.core.operator_messages import say
from dialer.errors import ConfigurationError

DEFAULT_PRICE_GRID = Path(str(resources.files("dialer.reports") / "price_grid.toml"))

_TOP_KEYS = {"currency", "vat_percent", "contacts", "dmt", "setup"}
_CONTACT_KEYS = {"up_to", "unit_price"}
_DMT_KEYS = {"up_to_s", "percent"}
_SETUP_KEYS = {"name", "max_questions", "max_skip_rules", "price"}


class _Problems:
    def __init__(self) -> None:
        self.found: list[str] = []

    def add(self, field: str, reason: str) -> None:
        self.found.append(f"{field}: {reason}")


def load_price_grid(path: Path | None = None) -> PriceGrid:
    """The grid of ``path`` (the shipped default when ``None``)."""
    source = path or DEFAULT_PRICE_GRID
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(say("price_grid.unreadable", path=source, reason=exc)) from exc
    return parse_price_grid(text, source=str(source))


def parse_price_grid(text: str, *, source: str) -> PriceGrid:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(say("price_grid.bad_toml", path=source, reason=exc)) from exc
    problems = _Problems()
    _unknown(problems, "", data, _TOP_KEYS)
    currency = data.get("currency", "EUR")
    if not isinstance(currency, str) or not currency.strip():
        problems.add("currency", "texte attendu (ex. « EUR »)")
        currency = "EUR"
    vat = _money(problems, "vat_percent", data.get("vat_percent", "20"))
    contacts = [
        VolumeBand(
            up_to=_whole(problems, f"{where}.up_to", table.get("up_to")),
            unit_price=_money(problems, f"{where}.unit_price", table.get("unit_price"), True),
        )
        for where, table in _tables(problems, data, "contacts", _CONTACT_KEYS)
    ]
    dmt = [
        DmtBand(
            up_to_s=_seconds(problems, f"{where}.up_to_s", table.get("up_to_s")),
            percent=_money(problems, f"{where}.percent", table.get("percent"), True),
        )
        for where, table in _tables(problems, data, "dmt", _DMT_KEYS)
    ]
    setup = [
        SetupTier(
            name=_name(problems, f"{where}.name", table.get("name")),
            max_questions=_whole(problems, f"{where}.max_questions", table.get("max_questions")),
            max_skip_rules=_whole(
                problems, f"{where}.max_skip_rules", table.get("max_skip_rules"), zero_ok=True
            ),
            price=_money(problems, f"{where}.price", table.get("price"), True),
        )
        for where, table in _tables(problems, data, "setup", _SETUP_KEYS)
    ]
    grid = PriceGrid(tuple(contacts), tuple(dmt), tuple(setup), currency, vat)
    if not problems.found:
        for field, reason in grid_problems(grid):
            problems.add(field, reason)
    if problems.found:
        raise ConfigurationError(
            say("price_grid.invalid", path=source, problems=" ; ".join(problems.found))
        )
    return grid


def _unknown(problems: _Problems, where: str, table: dict[str, Any], known: set[str]) -> None:
    for key in sorted(set(table) - known):
        problems.add(f"{where}{key}", "clé inconnue")


def _tables(
    problems: _Problems, data: dict[str, Any], name: str, known: set[str]
) -> list[tuple[str, dict[str, Any]]]:
    value = data.get(name)
    if value is None:
        problems.add(name, "section absente (au moins une entrée [[" + name + "]])")
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        problems.add(name, "liste de tables attendue ([[" + name + "]])")
        return []
    tables = []
    for index, table in enumerate(value):
        where = f"{name}[{index}]"
        _unknown(problems, f"{where}.", table, known)
        tables.append((where, table))
    return tables


def _money(problems: _Problems, field: str, value: Any, required: bool = False) -> Decimal:
    if value is None:
        if required:
            problems.add(field, "valeur manquante")
        return Decimal(0)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        problems.add(field, f"nombre attendu, pas {value!r}")
        return Decimal(0)
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        problems.add(field, f"nombre attendu, pas {value!r}")
        return Decimal(0)
    if not amount.is_finite():
        problems.add(field, f"nombre fini attendu, pas {value!r}")
        return Decimal(0)
    return amount


def _whole(problems: _Problems, field: str, value: Any, *, zero_ok: bool = False) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero_ok else 1):
        minimum = "positif ou nul" if zero_ok else "strictement positif"
        problems.add(field, f"entier {minimum} attendu, pas {value!r}")
        return None
    return value


def _seconds(problems: _Problems, field: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        problems.add(field, f"durée en secondes (> 0) attendue, pas {value!r}")
        return None
    return float(value)


def _name(problems: _Problems, field: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.add(field, "nom attendu")
        return "?"
    return value.strip()
