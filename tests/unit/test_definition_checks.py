"""Issue 17: an administrator checks a questionnaire or a campaign template before using
it (``dialer questionnaire check FILE``, ``dialer template check FILE``: every error as
``file:line: reason``, or a summary), and adds a template without code (a file in the
``[templates] directory``, used by ``dialer campaign start --template KEY --offline``)."""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import dialer.cli as cli_module
from dialer.campaigns.template_files import SHIPPED_TEMPLATES, load_templates
from dialer.core.campaigns import CampaignKind
from dialer.core.episodes import AlertKind
from dialer.errors import InputError
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES
from dialer.storage.campaigns import CampaignRepository
from dialer.storage.database import migrated_database

Run = Callable[..., tuple[int, str, str]]
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<reason>.+)$")

BAD_TEMPLATE = """\
title: Crue
alert: tsunami
questionnaire: inondation
windows:
  monday: ["19:00-09:00"]
  funday: []
retry:
  max_attempts: 0
  busy_delay_min: -3
"""

ADMIN_TEMPLATE = """\
# a template of the city's own: a flood of the Seine, every day 08:00-20:00
title: Crue de la Seine
alert: flood
questionnaire: inondation
ring_timeout_s: 45
answering_machine_detection: true
windows:
  monday: ["00:00-23:59"]
  tuesday: ["00:00-23:59"]
  wednesday: ["00:00-23:59"]
  thursday: ["00:00-23:59"]
  friday: ["00:00-23:59"]
  saturday: ["00:00-23:59"]
  sunday: ["00:00-23:59"]
  holiday: ["00:00-23:59"]
retry:
  max_attempts: 2
  cycle_length_h: 12
  no_answer_delay_min: 30
"""


@pytest.fixture
def dialer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Run:
    (tmp_path / "none.toml").write_text("")
    monkeypatch.setenv("DIALER_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("DIALER_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/dialer.db")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["dialer", *args])
        try:
            cli_module.main()
        except SystemExit as ended:
            code = int(ended.code or 0)
        else:
            code = 0
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def errors_of(err: str) -> list[tuple[str, int, str]]:
    """Every line of ``err`` as (file, line, reason); a line of another shape fails."""
    found = []
    for text in err.splitlines():
        match = LINE.match(text)
        assert match is not None, text
        found.append((match["file"], int(match["line"]), match["reason"]))
    return found


def test_a_shipped_questionnaire_is_summed_up(dialer: Run) -> None:
    code, out, err = dialer("questionnaire", "check", str(SHIPPED_QUESTIONNAIRES / "canicule.yaml"))
    assert (code, err) == (0, "")
    assert "(canicule, version 1, type heatwave) : valide" in out
    assert "Questions : 14 (malaise_maintenant, signes_chaleur," in out
    assert "Règles de saut (show_if) : 3 (rafraichir, medicaments_suffisants, visites)" in out
    assert "Score possible : de 0 à 68" in out
    assert "Niveaux de risque : faible dès 0, modéré dès 5, élevé dès 10, critique dès 18" in out
    assert "Règles d'alerte : 10" in out
    assert "Réponses d'urgence : 1" in out


def test_every_error_of_a_questionnaire_is_printed_with_its_line(
    dialer: Run, tmp_path: Path
) -> None:
    path = tmp_path / "veille.yaml"
    path.write_text(
        "id: veille\nversion: 0\ntitle: Veille\nkind: heatwave\nguidance: Bonjour\n"
        "questions:\n  - id: seul\n    text: Seul ?\n    type: yes_no\n"
        "    weights: {oui: 2, non: 0}\n    show_if: {question: inconnue, equals: oui}\n"
        "scoring:\n  risk_levels:\n    - {name: faible, min_score: 0}\n",
        encoding="utf-8",
    )
    code, out, err = dialer("questionnaire", "check", str(path))
    assert (code, out) == (65, "")
    found = errors_of(err)
    assert {file for file, _, _ in found} == {str(path)}
    lines = [line for _, line, _ in found]
    assert 2 in lines  # version 0
    assert 11 in lines  # the show_if naming an unknown question
    assert len(found) >= 2


@pytest.mark.parametrize("key", ["heatwave", "cold_spell", "epidemic", "flood"])
def test_every_shipped_template_checks(dialer: Run, key: str) -> None:
    code, out, err = dialer("template", "check", str(SHIPPED_TEMPLATES / f"{key}.yaml"))
    assert (code, err) == (0, "")
    assert f"({key}, alerte {key}) : valide" in out
    assert "Plages : lundi 09:00-19:00 ;" in out
    assert "Tentatives au plus : 4" in out
    assert "Durée du cycle (h) : 48" in out
    assert "Durée de sonnerie (s) : celle du service" in out


def test_the_shipped_templates_answer_their_alerts() -> None:
    catalog = load_templates()
    assert catalog.keys() == ("cold_spell", "epidemic", "flood", "heatwave", "veille_sociale")
    for alert in (AlertKind.HEATWAVE, AlertKind.COLD_SPELL, AlertKind.EPIDEMIC, AlertKind.FLOOD):
        found = catalog.for_alert(alert)
        assert found is not None
        assert found.key == alert.value
    # the volunteers' template is a campaign of its own kind: no alert starts it
    assert catalog.for_alert(AlertKind.OTHER) is None
    assert catalog.get("veille_sociale").kind is CampaignKind.VEILLE_SOCIALE


def test_every_error_of_a_template_is_printed_with_its_line(dialer: Run, tmp_path: Path) -> None:
    path = tmp_path / "crue.yaml"
    path.write_text(BAD_TEMPLATE, encoding="utf-8")
    code, out, err = dialer("template", "check", str(path))
    assert (code, out) == (65, "")
    found = {(line, reason.split(" ")[0]) for _, line, reason in errors_of(err)}
    assert found == {
        (2, "'tsunami'"),
        (5, "plage"),
        (6, "clé"),
        (8, "champ"),
        (9, "champ"),
    }
    assert "« max_attempts » : entre 1 et 20" in err


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("", 1, "it is empty"),
        ("title: [unclosed\n", 2, "invalid YAML"),
        ("title: X\ntitle: Y\nalert: flood\nquestionnaire: inondation\n", 2, "duplicate"),
        ("alert: flood\nquestionnaire: inondation\n", 1, "'title' manquante"),
        ("title: X\nalert: flood\nquestionnaire: tsunami\n", 3, "'tsunami' inconnu"),
        ("title: X\nalert: flood\nquestionnaire: inondation\nring_timeout_s: 5\n", 4, "15 à 120"),
        (
            "title: X\nalert: flood\nquestionnaire: inondation\nwindows:\n"
            "  timezone: Mars/Olympus\n",
            5,
            "fuseau",
        ),
        (
            "title: X\nalert: flood\nquestionnaire: inondation\nwindows:\n"
            '  closed_dates: [2026-08-15]\n  open_dates: {2026-08-15: ["10:00-12:00"]}\n',
            4,
            "ouvert",
        ),
        (  # the volunteers' campaign is preview only: each household to its volunteer
            "title: X\nalert: other\nkind: veille_sociale\nquestionnaire: veille_sociale\n"
            "pacing_mode: progressive\n",
            5,
            "aperçu seulement",
        ),
    ],
)
def test_a_broken_template_names_its_line(
    dialer: Run, tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = tmp_path / "modele.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = dialer("template", "check", str(path))
    assert (code, out) == (65, ""), err
    [(file, found_line, found_reason), *_] = errors_of(err)
    assert (file, found_line) == (str(path), line), err
    assert reason in found_reason


def test_an_unreadable_template_is_refused(dialer: Run, tmp_path: Path) -> None:
    missing = tmp_path / "absent.yaml"
    code, _, err = dialer("template", "check", str(missing))
    assert code == 66
    assert str(missing) in err
    binary = tmp_path / "binaire.yaml"
    binary.write_bytes(b"title: X\n\xff\xfe\n")
    code, _, err = dialer("template", "check", str(binary))
    assert code == 65
    assert errors_of(err)[0][:2] == (str(binary), 2)


def test_an_administrator_adds_a_template_without_code(
    dialer: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "modeles"
    directory.mkdir()
    (directory / "crue_seine.yaml").write_text(ADMIN_TEMPLATE, encoding="utf-8")
    monkeypatch.setenv("DIALER_TEMPLATES__DIRECTORY", str(directory))
    code, out, err = dialer(
        "campaign", "start", "--template", "crue_seine", "--offline", "--name", "Crue"
    )
    assert code == 0, err
    assert "Campagne « Crue »" in out

    async def stored() -> tuple[object, ...]:
        async with migrated_database(f"sqlite+aiosqlite:///{tmp_path}/dialer.db") as sessions:
            campaign = await CampaignRepository(sessions).by_name("Crue")
        return (
            campaign.questionnaire_id,
            campaign.ring_timeout_s,
            campaign.answering_machine_detection,
            campaign.retry_policy["max_attempts"],
            campaign.retry_policy["cycle_length_s"],
            campaign.calling_windows["week"][6],
        )

    assert asyncio.run(stored()) == ("inondation", 45, True, 2, 12 * 3600, ["00:00-23:59"])

    (directory / "casse.yaml").write_text(BAD_TEMPLATE, encoding="utf-8")
    code, _, err = dialer(
        "campaign", "start", "--template", "crue_seine", "--offline", "--name", "Crue 2"
    )
    assert code == 65
    assert f"{directory / 'casse.yaml'}:2:" in err
    with pytest.raises(InputError, match=r"casse\.yaml:8:"):
        load_templates(directory)
