"""An agent's search of the campaign's register for the person an unknown number is
about (a relative, a neighbour, the person calling from another phone): bounded in what
it asks and returns, and in how often an agent may ask (the register is personal data:
the screen never lists it, it finds one person).

The words typed are read as a name (letters), a postcode (5 digits) or a phone number (6
digits or more, compared on its end, the national and international forms alike).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dialer.errors import InputError

#: at most this many people returned (the agent narrows the search otherwise)
MAX_RESULTS = 8
#: the longest search accepted, in characters
MAX_QUERY = 60
#: the shortest name searched (two letters would list half the register)
MIN_NAME = 3
#: at most this many searches per agent in :data:`SEARCH_WINDOW`
SEARCHES_PER_WINDOW = 10
SEARCH_WINDOW = timedelta(minutes=1)
#: the longest note kept about who called
MAX_NOTE = 1000


@dataclass(frozen=True)
class RegisterSearch:
    """What to look for: any of a name, a postcode, the end of a phone number."""

    name: str | None = None
    postcode: str | None = None
    number_end: str | None = None


def read_search(text: str) -> RegisterSearch:
    """The search typed in the field ``q``; :class:`InputError` naming it otherwise."""
    query = " ".join(text.split())
    if len(query) > MAX_QUERY:
        raise InputError(f"champ « q » : {MAX_QUERY} caractères au plus")
    digits = "".join(c for c in query if c.isdigit())
    letters = "".join(c for c in query if c.isalpha() or c in " -'").strip()
    name = letters if len(letters.replace(" ", "")) >= MIN_NAME else None
    postcode = digits if len(digits) == 5 else None
    number_end = digits[-9:] if len(digits) >= 6 else None
    if name is None and postcode is None and number_end is None:
        raise InputError(
            f"champ « q » : un nom ({MIN_NAME} lettres au moins), un code postal ou un "
            "numéro de téléphone"
        )
    return RegisterSearch(name, postcode, number_end)


def search_wait_s(previous: Sequence[datetime], now: datetime) -> int:
    """Seconds before an agent who searched at ``previous`` may search again (0: now)."""
    recent = sorted(t for t in previous if now - t < SEARCH_WINDOW)
    if len(recent) < SEARCHES_PER_WINDOW:
        return 0
    oldest = recent[-SEARCHES_PER_WINDOW]
    return max(1, int((oldest + SEARCH_WINDOW - now).total_seconds()) + 1)


def read_note(text: str) -> str:
    """The note about who called (field ``note``), trimmed; bounded."""
    note = text.strip()
    if not note:
        raise InputError("champ « note » : écrivez qui a appelé et pourquoi")
    if len(note) > MAX_NOTE:
        raise InputError(f"champ « note » : {MAX_NOTE} caractères au plus")
    return note
