"""The operator messages' table: both languages of a message take the same fields, and
every message the code says is in the table."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import dialer
from dialer.core.operator_messages import MESSAGES, Language, choose_language, say


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_languages_take_the_same_fields(key: str) -> None:
    french, english = MESSAGES[key]
    assert fields(french) == fields(english)
    assert "\n" not in french + english  # one line each


def test_every_message_said_in_the_code_is_in_the_table() -> None:
    package = Path(dialer.__file__).parent
    said = {
        key
        for path in package.rglob("*.py")
        for key in re.findall(r"\bsay\(\s*\"([a-z_.]+)\"", path.read_text(encoding="utf-8"))
    }
    assert said, "the code says something"
    assert sorted(said - set(MESSAGES)) == []


def test_a_message_speaks_the_chosen_language() -> None:
    choose_language("en")
    assert say("prompts.no_recording", path="a.wav").startswith("a.wav: no such recording")
    choose_language(Language.FRENCH)
    assert say("prompts.no_recording", path="a.wav").startswith("a.wav : enregistrement")
