"""``dialer asterisk prompts``: the information message's audio installed in Asterisk's
sounds directory, synthesised from its text (espeak-ng, sox) or from a city's recording."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli import cli
from dialer.errors import ConfigurationError


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DIALER_CONFIG", raising=False)
    monkeypatch.setenv("DIALER_DIALING__SERVICE_NAME", "service des solidarités de Lyon")
    monkeypatch.setenv("DIALER_DIALING__CALLBACK_NUMBER", "04 72 10 30 30")
    return CliRunner()


def played_format(path: Path) -> tuple[int, int, int]:
    with wave.open(str(path), "rb") as audio:
        return audio.getframerate(), audio.getnchannels(), audio.getsampwidth()


def test_the_message_is_synthesised_from_the_settings_where_the_dialplan_plays_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    sounds = tmp_path / "sounds"
    made = runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(sounds)])
    assert made.exit_code == 0, made.output
    played = sounds / "dialer" / "information.wav"  # Playback(dialer/information)
    assert f"Message synthétisé : {played}" in made.output
    assert "service des solidarités de Lyon" in made.output
    assert "04 72 10 30 30" in made.output
    assert played_format(played) == (8000, 1, 2)

    again = runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(sounds)])
    assert again.exit_code == 0, again.output
    assert f"Message déjà à jour : {played}" in again.output


def test_without_a_call_back_number_the_message_is_correct_french(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIALER_DIALING__CALLBACK_NUMBER", "")
    made = runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(tmp_path / "sounds")])
    assert made.exit_code == 0, made.output
    assert "Un conseiller vous rappellera dans quelques minutes." in made.output
    assert "vous pouvez aussi rappeler le numéro qui s'affiche sur votre téléphone." in made.output
    assert "au le numéro" not in made.output
    assert "Je répète" not in made.output  # nothing to repeat
    assert "[sans numéro]" not in made.output


def test_with_a_call_back_number_it_is_said_twice_and_the_shown_number_is_not(
    runner: CliRunner, tmp_path: Path
) -> None:
    made = runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(tmp_path / "sounds")])
    assert made.exit_code == 0, made.output
    assert "nous appeler au 04 72 10 30 30." in made.output
    assert "Je répète : 04 72 10 30 30." in made.output
    assert "s'affiche" not in made.output
    assert "[sans numéro]" not in made.output


def test_a_city_recording_is_converted_to_the_played_format(
    runner: CliRunner, tmp_path: Path
) -> None:
    recording = tmp_path / "message-de-la-ville.wav"
    with wave.open(str(recording), "wb") as audio:
        audio.setnchannels(2)
        audio.setsampwidth(2)
        audio.setframerate(44100)
        audio.writeframes(b"\x00\x00" * 2 * 44100)
    sounds = tmp_path / "sounds"
    runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(sounds)])

    installed = runner.invoke(
        cli, ["asterisk", "prompts", "--sounds", str(sounds), "--recording", str(recording)]
    )
    assert installed.exit_code == 0, installed.output
    played = sounds / "dialer" / "information.wav"
    assert f"Enregistrement installé : {played}" in installed.output
    assert played_format(played) == (8000, 1, 2)
    with wave.open(str(played), "rb") as audio:
        assert audio.getnframes() == 8000  # the recording's second, not the synthesised text
    # the synthesised message no longer counts as current: asking for it makes it again
    again = runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(sounds)])
    assert "Message synthétisé" in again.output
    # a node given only the city's recording has the other messages too (the readiness
    # check needs them: before, it was never ready)
    fresh = tmp_path / "fresh"
    installed = runner.invoke(
        cli, ["asterisk", "prompts", "--sounds", str(fresh), "--recording", str(recording)]
    )
    assert installed.exit_code == 0, installed.output
    for name in ("information", "own-line", "inbound-waiting", "inbound-position-1"):
        assert played_format(fresh / "dialer" / f"{name}.wav") == (8000, 1, 2), name


def test_a_missing_recording_is_refused(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "absent.wav"
    refused = runner.invoke(
        cli, ["asterisk", "prompts", "--sounds", str(tmp_path), "--recording", str(missing)]
    )
    assert isinstance(refused.exception, ConfigurationError)
    assert "absent.wav : enregistrement introuvable" in str(refused.exception)
    assert not (tmp_path / "dialer" / "information.wav").exists()


def test_the_incoming_call_messages_are_installed_with_the_service_and_the_hours(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIALER_DIALING__OPENING_HOURS", "tous les jours de 10 heures à 18 heures")
    sounds = tmp_path / "sounds"
    made = runner.invoke(cli, ["asterisk", "prompts", "--sounds", str(sounds)])
    assert made.exit_code == 0, made.output
    for name in ("inbound-waiting", "inbound-callback", "inbound-closed"):
        played = sounds / "dialer" / f"{name}.wav"  # Playback(dialer/<name>)
        assert f"Message synthétisé : {played}" in made.output
        assert played_format(played) == (8000, 1, 2)
    assert "Merci de patienter, un conseiller va vous répondre." in made.output
    for word in ("1", "9", "many"):  # the caller's position in the queue
        played = sounds / "dialer" / f"inbound-position-{word}.wav"
        assert f"Message synthétisé : {played}" in made.output
        assert played_format(played) == (8000, 1, 2)
    assert "Vous êtes la deuxième personne en attente." in made.output
    assert "un conseiller vous rappellera très vite" in made.output
    assert "Nous répondons tous les jours de 10 heures à 18 heures." in made.output
    assert "appelez le 15, ou le 112" in made.output
