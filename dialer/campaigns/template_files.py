"""Campaign template files (YAML), loaded with the file and line of every error.

The shipped templates live in ``dialer/campaigns/shipped_templates`` (heatwave, cold
spell, epidemic, flood); an administrator adds their own in the directory of the
``[templates] directory`` setting, one ``*.yaml`` file each, its key the file's name (a
file named like a shipped template replaces it). ``dialer template check FILE`` checks one.
An invalid file is refused with :class:`~dialer.errors.InputError`, one line per problem:
``path/to/file.yaml:LINE: reason``. Unknown keys are errors.

The format (every key but ``title``, ``alert`` and ``questionnaire`` optional; the values
below are the defaults)::

    title: Canicule              # French, shown on the screens
    alert: heatwave              # heatwave | cold_spell | epidemic | flood | other
    kind: veille_sociale         # optional: a campaign of its own kind, not an alert's
    questionnaire: canicule      # the questionnaire's id
    pacing_mode: progressive     # progressive | predictive | preview
    answering_machine_detection: false
    ring_timeout_s: 30           # 15 to 120; absent: the service's [dialing] ring_timeout_s
    windows:                     # local wall-clock time, intervals HH:MM-HH:MM in order
      monday: ["09:00-19:00"]    # ... tuesday to friday the same
      saturday: ["10:00-19:00"]  # sunday the same
      holiday: ["10:00-19:00"]   # public holidays
      closed_dates: []           # [2026-07-14]: no call that day
      open_dates: {}             # {2026-08-16: ["10:00-12:00"]}: these hours that day
      timezone: Europe/Paris
    retry:
      max_attempts: 4
      cycle_length_h: 48
      busy_delay_min: 15         # any delay of the retry policy, in minutes (*_min)
      no_answer_delay_min: 180
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.campaigns.templates import CampaignTemplate, TemplateCatalog
from dialer.core.campaign_settings import (
    DELAY_FIELDS,
    MAX_RING_TIMEOUT_S,
    MIN_RING_TIMEOUT_S,
    retry_policy,
)
from dialer.core.campaigns import CampaignKind
from dialer.core.episodes import AlertKind
from dialer.core.pacing_settings import PacingMode, mode_refusal
from dialer.core.planning import RetryPolicy
from dialer.core.questionnaire import Location
from dialer.core.windows import DEFAULT_WEEK, RESTDAY_HOURS, CallingWindows, OpeningInterval
from dialer.errors import ConfigurationError, InputError, NotFoundError
from dialer.questionnaire_files import file_text, line_of, yaml_root

SHIPPED_TEMPLATES = Path(str(resources.files("dialer.campaigns") / "shipped_templates"))
SUFFIXES = (".yaml", ".yml")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_KEY = re.compile(r"[a-z][a-z0-9_]{0,49}\Z")
_TOP = {
    "title",
    "alert",
    "kind",
    "questionnaire",
    "pacing_mode",
    "answering_machine_detection",
    "ring_timeout_s",
    "windows",
    "retry",
}
_WINDOWS = {*DAYS, "holiday", "closed_dates", "open_dates", "timezone"}
_RETRY = {"max_attempts", "cycle_length_h", "relative_calls_per_cycle", *DELAY_FIELDS}


def template_key(path: Path) -> str:
    return path.stem


def load_template(path: Path) -> CampaignTemplate:
    """The template in the file ``path``; :class:`InputError` naming the file and line of
    every problem (:class:`NotFoundError` when it cannot be read)."""
    return parse_template(file_text(path), source=str(path), key=template_key(path))


def parse_template(text: str, *, source: str, key: str) -> CampaignTemplate:
    root = yaml_root(text, source=source, holds="campaign template")
    reader = _Reader(root, key)
    template = reader.read()
    if template is None or reader.problems:
        lines = sorted((line_of(root, where), reason) for where, reason in reader.problems)
        raise InputError("\n".join(f"{source}:{line}: {reason}" for line, reason in lines))
    return template


def load_templates(directory: Path | None = None) -> TemplateCatalog:
    """The shipped templates, and those of ``directory`` (an administrator's) over them;
    :class:`InputError` on the first invalid file, :class:`NotFoundError` when
    ``directory`` is missing."""
    templates = dict(_directory(SHIPPED_TEMPLATES))
    if directory is not None:
        if not directory.is_dir():
            raise NotFoundError(f"{directory} : pas de dossier de modèles à cet endroit")
        templates.update(_directory(directory))
    return TemplateCatalog(templates)


@functools.cache
def shipped_templates() -> TemplateCatalog:
    return load_templates()


def _directory(directory: Path) -> dict[str, CampaignTemplate]:
    paths = sorted(p for p in directory.iterdir() if p.suffix in SUFFIXES and p.is_file())
    return {template_key(path): load_template(path) for path in paths}


@dataclass
class _Reader:
    root: object
    key: str

    def __post_init__(self) -> None:
        self.problems: list[tuple[Location, str]] = []

    def add(self, where: Location, reason: str) -> None:
        self.problems.append((where, reason))

    def read(self) -> CampaignTemplate | None:
        if not _KEY.match(self.key):
            self.add(
                (), f"nom de fichier {self.key!r} : lettres minuscules, chiffres et _ seulement"
            )
        top = self.mapping((), self.root, _TOP)
        if top is None:
            return None
        title = self.text(("title",), top.get("title"), 100)
        alert = self.choice(("alert",), top.get("alert"), AlertKind)
        kind = self.choice(("kind",), top["kind"], CampaignKind) if "kind" in top else None
        questionnaire = self.text(("questionnaire",), top.get("questionnaire"), 100)
        pacing = self.choice(("pacing_mode",), top.get("pacing_mode", "progressive"), PacingMode)
        if pacing is not None and (refusal := mode_refusal(pacing, kind)) is not None:
            self.add(("pacing_mode",), refusal)
        amd = top.get("answering_machine_detection", False)
        if not isinstance(amd, bool):
            self.add(("answering_machine_detection",), "true ou false attendu")
        ring = top.get("ring_timeout_s")
        if ring is not None and (
            isinstance(ring, bool)
            or not isinstance(ring, int)
            or not MIN_RING_TIMEOUT_S <= ring <= MAX_RING_TIMEOUT_S
        ):
            self.add(
                ("ring_timeout_s",),
                f"un nombre entier de secondes, de {MIN_RING_TIMEOUT_S} à {MAX_RING_TIMEOUT_S}",
            )
        windows = self.windows(top.get("windows", {}))
        policy = self.policy(top.get("retry", {}))
        if alert is None or pacing is None or self.problems:
            return None
        if title is None or questionnaire is None or windows is None or policy is None:
            return None
        return CampaignTemplate(
            key=self.key,
            title=title,
            alert=alert,
            campaign_kind=kind,
            questionnaire_id=questionnaire,
            pacing_mode=pacing,
            answering_machine_detection=bool(amd),
            ring_timeout_s=ring,
            windows=windows,
            policy=policy,
        )

    def mapping(self, where: Location, node: object, known: set[str]) -> Mapping[str, Any] | None:
        if not isinstance(node, Mapping):
            self.add(where, "des lignes « clé: valeur » attendues")
            return None
        for name in node:
            if name not in known:
                self.add(
                    (*where, name), f"clé inconnue {name!r} (connues : {', '.join(sorted(known))})"
                )
        return node

    def text(self, where: Location, value: object, longest: int) -> str | None:
        if value is None:
            self.add(where[:-1], f"clé {where[-1]!r} manquante")
            return None
        if not isinstance(value, str) or not value.strip() or len(value) > longest:
            self.add(where, f"un texte de 1 à {longest} caractères")
            return None
        return value.strip()

    def choice(self, where: Location, value: object, kind: type[Any]) -> Any:
        if value is None:
            self.add(where[:-1], f"clé {where[-1]!r} manquante")
            return None
        try:
            return kind(str(value))
        except ValueError:
            self.add(where, f"{value!r} : une valeur parmi {', '.join(m.value for m in kind)}")
            return None

    def windows(self, node: object) -> CallingWindows | None:
        data = self.mapping(("windows",), node, _WINDOWS)
        if data is None:
            return None
        week = list(DEFAULT_WEEK)
        for number, day in enumerate(DAYS):
            if day in data:
                week[number] = self.intervals(("windows", day), data[day]) or ()
        holiday = self.intervals(("windows", "holiday"), data.get("holiday", [])) or ()
        if "holiday" not in data:
            holiday = RESTDAY_HOURS
        closed: set[date] = set()
        for position, day in enumerate(data.get("closed_dates") or []):
            found = self.day(("windows", "closed_dates", position), day)
            if found is not None:
                closed.add(found)
        opened: dict[date, tuple[OpeningInterval, ...]] = {}
        open_dates = data.get("open_dates") or {}
        if not isinstance(open_dates, Mapping):
            self.add(("windows", "open_dates"), "{date: [plages]} attendu")
            open_dates = {}
        for raw_day, raw in open_dates.items():
            found = self.day(("windows", "open_dates", raw_day), raw_day)
            if found is not None:
                opened[found] = self.intervals(("windows", "open_dates", raw_day), raw) or ()
        try:
            zone = ZoneInfo(str(data.get("timezone", "Europe/Paris")))
        except (ZoneInfoNotFoundError, ValueError):
            self.add(("windows", "timezone"), "fuseau horaire inconnu (ex. Europe/Paris)")
            return None
        try:
            return CallingWindows(
                week=tuple(week),
                holiday=holiday,
                closed_dates=frozenset(closed),
                open_dates=opened,
                timezone=zone,
            )
        except ConfigurationError as exc:
            self.add(("windows",), str(exc))
            return None

    def intervals(self, where: Location, raw: object) -> tuple[OpeningInterval, ...] | None:
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            self.add(where, 'une liste de plages, ex. ["09:00-12:00", "14:00-19:00"]')
            return None
        try:
            return tuple(OpeningInterval.parse(text) for text in raw)
        except ConfigurationError as exc:
            self.add(where, str(exc))
            return None

    def day(self, where: Location, raw: object) -> date | None:
        if isinstance(raw, date):
            return raw
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            self.add(where, f"{str(raw)[:20]!r} : une date AAAA-MM-JJ attendue")
            return None

    def policy(self, node: object) -> RetryPolicy | None:
        data = self.mapping(("retry",), node, _RETRY)
        if data is None:
            return None
        before = len(self.problems)
        for name, value in data.items():
            try:
                retry_policy(RetryPolicy(), {name: value})
            except InputError as exc:
                self.add(("retry", name), str(exc))
        if len(self.problems) > before:
            return None
        try:
            return retry_policy(RetryPolicy(), dict(data))
        except InputError as exc:
            self.add(("retry",), str(exc))
            return None
