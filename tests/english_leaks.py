"""English that leaks into the French screens: a small denylist of words and phrases typical
of untranslated text, and the raw codes of the domain's enumerations (those that are not also
French words). Used by the page walk and the pacing explanation's tests."""

from __future__ import annotations

import re
from enum import StrEnum

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, CycleResult, Disposition
from dialer.core.campaigns import CampaignState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing_settings import PacingMode

#: English words and phrases a French screen never shows
ENGLISH = (
    "dial",
    "dialing",
    "ringing",
    "free agent",
    "free agents",
    "free line",
    "answer rate",
    "answered waiting",
    "start-up",
    "held back",
    "allowed",
    "not started",
    "calling window",
    "abandons today",
    "lines in use",
    "loading",
    "error",
    "submit",
    "save",
    "cancel",
    "delete",
    "search",
    "logout",
    "password",
    "username",
    "dashboard",
    "settings",
    "the",
    "and",
    "with",
    "none",
    "true",
    "false",
)

#: enumeration codes that are French words too (« agent », « absent », « machine »…)
FRENCH_TOO = frozenset({"agent", "absent", "machine", "congestion", "mobile", "social", "audit"})

ENUMS: tuple[type[StrEnum], ...] = (
    AgentState,
    CampaignState,
    CallOutcome,
    Disposition,
    CycleResult,
    AttemptKind,
    PacingMode,
)
CODES = sorted(
    {member.value for enum in ENUMS for member in enum} - FRENCH_TOO, key=len, reverse=True
)
#: an audit action's code (« campaign.start », « read.alerts »; not a user name such as
#: « membre.nord »)
ACTION_FAMILIES = (
    "account",
    "agent",
    "alert",
    "api_token",
    "campaign",
    "cycle",
    "episode",
    "export",
    "person",
    "read",
    "register",
    "retention",
    "team",
)
ACTION_CODE = re.compile(r"\b(?:" + "|".join(ACTION_FAMILIES) + r")\.[a-z_]+\b")
_WORDS = re.compile(
    r"(?<![\w/.#-])(" + "|".join(re.escape(w) for w in (*ENGLISH, *CODES)) + r")(?![\w/.-])",
    re.IGNORECASE,
)


def english_leaks(text: str) -> list[str]:
    """The English words, raw codes and audit action codes found in ``text``."""
    found = [m.group(1) for m in _WORDS.finditer(text)]
    found += [m.group(0) for m in ACTION_CODE.finditer(text) if not _is_address(m.group(0))]
    return found


def _is_address(word: str) -> bool:
    """A file or host name (``dashboard.js``, ``exemple.fr``), not an action code."""
    return word.rsplit(".", 1)[1] in {"js", "css", "html", "fr", "com", "org", "csv", "pdf"}
