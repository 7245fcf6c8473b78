"""Every audit action the package writes reads in French in the journal
(``/supervision/journal``, the person's access export): no « Action (consent.recorded) »
fallback. The actions are found in the source — a quoted ``family.name`` whose family is
an audit family — so a new action without its French name fails here."""

from __future__ import annotations

import re
from pathlib import Path

import dialer
from dialer.core.labels import (
    AUDIT_ACTION_NAMES,
    AUDIT_DETAIL_NAMES,
    audit_action_name,
    audit_details_text,
)
from dialer.core.operator_messages import MESSAGES

PACKAGE = Path(dialer.__file__).parent
#: quoted ``family.name`` literals of the audit families that are not audit actions
NOT_ACTIONS = {"resources.id"}  # a foreign key's target


def written_actions() -> set[str]:
    families = sorted({code.split(".", 1)[0] for code in AUDIT_ACTION_NAMES} | {"consent"})
    literal = re.compile(r'"((?:' + "|".join(families) + r')\.[a-z_]+)"')
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        found |= set(literal.findall(path.read_text(encoding="utf-8")))
    return {
        code
        for code in found - NOT_ACTIONS - set(MESSAGES)  # MESSAGES: log lines, not the audit
        if not code.endswith(".html")
    }


def test_every_written_action_has_its_french_name() -> None:
    actions = written_actions()
    assert {"consent.withdrawn", "volunteer.debrief", "account.role"} <= actions  # it finds them
    missing = sorted(code for code in actions if code not in AUDIT_ACTION_NAMES)
    assert missing == []
    assert audit_action_name("consent.withdrawn") == "Accord aux appels de la veille sociale retiré"


def test_the_veille_sociale_details_read_in_french() -> None:
    text = audit_details_text({"stopped": ["regular_calls", "emergency_campaigns"]})
    assert text == "arrêtés : appels réguliers, campagnes d'urgence"
    for key in ("trained_on", "coordinator", "slots", "flagged", "volunteer", "starts_on"):
        assert key in AUDIT_DETAIL_NAMES, key
