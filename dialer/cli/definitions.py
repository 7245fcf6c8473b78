"""``dialer questionnaire check FILE`` and ``dialer template check FILE``: an administrator
checks a definition file before using it. Every error is printed as ``file:line: reason``
(exit code 65), else a summary of what the file holds."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dialer.campaigns.template_files import load_template
from dialer.campaigns.templates import CampaignTemplate
from dialer.core.campaign_settings import CampaignSettings, settings_json
from dialer.core.labels import CAMPAIGN_SETTING_NAMES, PACING_MODE_LABELS
from dialer.core.questionnaire import Questionnaire
from dialer.core.questionnaire_checks import score_range
from dialer.errors import InputError, exit_code
from dialer.questionnaire_files import (
    SHIPPED_QUESTIONNAIRES,
    file_text,
    line_of,
    load_questionnaire,
    load_questionnaires,
    yaml_root,
)

FILE = click.Path(exists=False, dir_okay=False, path_type=Path)


def _refused(error: InputError) -> None:
    """Every line of ``error`` (``file:line: reason``) on stderr, and the input error's code."""
    for line in str(error).splitlines():
        click.echo(line, err=True)
    sys.exit(exit_code(error))


@click.group()
def questionnaire() -> None:
    """Les questionnaires (fichiers YAML)."""


@questionnaire.command("check")
@click.argument("path", type=FILE)
def questionnaire_check(path: Path) -> None:
    """Vérifie un questionnaire : ses erreurs (fichier:ligne: motif) ou son résumé."""
    try:
        definition = load_questionnaire(path)
    except InputError as error:
        _refused(error)
        return
    for line in questionnaire_summary(definition):
        click.echo(line)


def questionnaire_summary(q: Questionnaire) -> list[str]:
    low, high = score_range(q)
    skips = [question for question in q.questions if question.show_if is not None]
    lines = [
        f"Questionnaire « {q.title} » ({q.id}, version {q.version}, type {q.kind.value}) : valide",
        f"Questions : {len(q.questions)} ({', '.join(question.id for question in q.questions)})",
        f"Règles de saut (show_if) : {len(skips)}"
        + (f" ({', '.join(question.id for question in skips)})" if skips else ""),
        f"Score possible : de {low:g} à {high:g}",
        "Niveaux de risque : "
        + ", ".join(f"{level.name} dès {level.min_score:g}" for level in q.risk_levels),
        f"Règles d'alerte : {len(q.alerts)}",
    ]
    lines += [
        f"  - priorité {rule.priority}, besoin {rule.need.value} : {rule.message}"
        for rule in q.alerts
    ]
    lines.append(f"Réponses d'urgence : {len(q.emergency_answers)}")
    return lines


@click.group()
def template() -> None:
    """Les modèles de campagne (fichiers YAML)."""


@template.command("check")
@click.argument("path", type=FILE)
@click.option(
    "--questionnaires",
    "questionnaires_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dossier des questionnaires (défaut : ceux livrés).",
)
def template_check(path: Path, questionnaires_dir: Path | None) -> None:
    """Vérifie un modèle de campagne : ses erreurs (fichier:ligne: motif) ou ses réglages."""
    try:
        tpl = load_template(path)
        catalog = load_questionnaires(questionnaires_dir or SHIPPED_QUESTIONNAIRES)
    except InputError as error:
        _refused(error)
        return
    if tpl.questionnaire_id not in catalog.ids():
        known = ", ".join(catalog.ids())
        _refused(
            InputError(
                f"{path}:{_line_of_key(path, 'questionnaire')}: questionnaire "
                f"{tpl.questionnaire_id!r} inconnu (connus : {known})"
            )
        )
        return
    version = catalog.get(tpl.questionnaire_id).version
    for line in template_summary(tpl, version):
        click.echo(line)


def template_summary(tpl: CampaignTemplate, questionnaire_version: int) -> list[str]:
    settings = settings_json(
        CampaignSettings(
            windows=tpl.windows,
            policy=tpl.policy,
            answering_machine_detection=tpl.answering_machine_detection,
            caller_id="",
            ring_timeout_s=tpl.ring_timeout_s,
            questionnaire_version=questionnaire_version,
        )
    )
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
    lines = [
        f"Modèle « {tpl.title} » ({tpl.key}, alerte {tpl.alert.value}) : valide",
        f"Questionnaire : {tpl.questionnaire_id} (version {questionnaire_version})",
        f"Rythme : {PACING_MODE_LABELS[tpl.pacing_mode]}",
        "Plages : "
        + " ; ".join(
            f"{day} {', '.join(hours) or 'fermé'}"
            for day, hours in zip(days, settings["week"], strict=True)
        ),
        f"Jours fériés : {', '.join(settings['holiday']) or 'fermé'}",
        f"Dates fermées : {', '.join(settings['closed_dates']) or 'aucune'}",
        "Dates ouvertes : "
        + (
            " ; ".join(f"{d} {', '.join(h)}" for d, h in settings["open_dates"].items()) or "aucune"
        ),
        f"Fuseau : {tpl.windows.timezone}",
    ]
    for name in (
        "max_attempts",
        "cycle_length_h",
        "busy_delay_min",
        "no_answer_delay_min",
        "machine_delay_min",
        "answered_delay_min",
        "failure_delay_min",
        "min_gap_between_attempts_min",
    ):
        lines.append(f"{CAMPAIGN_SETTING_NAMES[name].capitalize()} : {settings[name]}")
    amd = "oui" if tpl.answering_machine_detection else "non"
    lines.append(f"{CAMPAIGN_SETTING_NAMES['answering_machine_detection'].capitalize()} : {amd}")
    ring = tpl.ring_timeout_s if tpl.ring_timeout_s is not None else "celle du service"
    lines.append(f"{CAMPAIGN_SETTING_NAMES['ring_timeout_s'].capitalize()} : {ring}")
    return lines


def _line_of_key(path: Path, key: str) -> int:
    root = yaml_root(file_text(path), source=str(path), holds="campaign template")
    return line_of(root, (key,))
