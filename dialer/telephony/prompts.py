"""Recorded prompts: French text in ``dialer/ivr_scripts/prompts/``, audio made offline.

The information message (played when a person answered and no agent was free in time)
names the service, says that an agent will call back within minutes (an agent-reserved
call, see :mod:`dialer.core.planning`) and gives a number to call. Lines that name
``{numero_rappel}`` are said only when a call-back number is set; lines starting with
:data:`WITHOUT_NUMBER` only when none is (then the person is told to call back the number
shown on their phone). Its audio is
synthesised with espeak-ng and converted by sox to what Asterisk plays natively (WAV,
8 kHz, mono, 16 bit), unless the city supplies a recording (``dialer asterisk prompts
--recording FILE``). The dialplan plays it as ``dialer/information``: the file
:func:`information_prompt` names in Asterisk's sounds directory. The prompt an agent's own
phone hears at log-in (« appuyez sur 1 », :func:`own_line_text`) is synthesised the same way
and played as ``dialer/own-line``.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from importlib import resources
from pathlib import Path

from dialer.core.inbound_queue import position_prompt_words
from dialer.core.operator_messages import say
from dialer.errors import ConfigurationError, ProvisioningError
from dialer.settings import DialingSettings

PROMPTS_DIR = Path(str(resources.files("dialer") / "ivr_scripts" / "prompts"))
INFORMATION = "information"
#: marks a line of the message said only when no call-back number is set
WITHOUT_NUMBER = "[sans numéro]"
#: the prompt an agent's own phone hears at log-in (press 1), played as ``dialer/own-line``
OWN_LINE = "own_line"
#: the hold message of a warm transfer, played as ``dialer/transfer-hold``
TRANSFER_HOLD = "transfer_hold"


def information_prompt(sounds: Path) -> Path:
    """The information message's audio file in Asterisk's sounds directory ``sounds``."""
    return sounds / "dialer" / f"{INFORMATION}.wav"


def information_text(dialing: DialingSettings, prompts_dir: Path = PROMPTS_DIR) -> str:
    """The information message with the service and the call-back number filled in (the
    lines about the number depend on whether one is set, see the module)."""
    path = prompts_dir / f"{INFORMATION}_fr.txt"
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(say("prompts.unreadable", path=path, reason=exc)) from exc
    number = dialing.callback_number.strip()
    lines = []
    for line in template.splitlines():
        if line.startswith(WITHOUT_NUMBER):
            if not number:
                lines.append(line.removeprefix(WITHOUT_NUMBER).strip())
        elif "{numero_rappel}" not in line or number:
            lines.append(line)
    try:
        return "\n".join(lines).format(service=dialing.service_name, numero_rappel=number).strip()
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigurationError(say("prompts.bad_placeholder", path=path, field=exc)) from exc


def own_line_prompt(sounds: Path) -> Path:
    """The own-phone prompt's audio file in Asterisk's sounds directory ``sounds``."""
    return sounds / "dialer" / "own-line.wav"


def transfer_hold_prompt(sounds: Path) -> Path:
    """What a person hears while the agent consults a third party (a warm transfer), played
    in a loop as ``dialer/transfer-hold``."""
    return sounds / "dialer" / "transfer-hold.wav"


def transfer_hold_text(prompts_dir: Path = PROMPTS_DIR) -> str:
    path = prompts_dir / f"{TRANSFER_HOLD}_fr.txt"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(say("prompts.unreadable", path=path, reason=exc)) from exc


def own_line_text(dialing: DialingSettings, prompts_dir: Path = PROMPTS_DIR) -> str:
    """The prompt an agent's own phone hears when the dialer calls it (press 1)."""
    path = prompts_dir / f"{OWN_LINE}_fr.txt"
    try:
        template = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(say("prompts.unreadable", path=path, reason=exc)) from exc
    try:
        return template.format(service=dialing.service_name).strip()
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigurationError(say("prompts.bad_placeholder", path=path, field=exc)) from exc


#: what a person calling the campaign's number hears (``[dialer-inbound]``): the waiting
#: message, « nous vous rappellerons », and outside calling hours the hours and the
#: emergency numbers; each played as ``dialer/<name>``, its text in ``<name>_fr.txt``
#: (``-`` as ``_``)
INBOUND_PROMPTS = ("inbound-waiting", "inbound-callback", "inbound-closed")


def inbound_prompts(
    sounds: Path, dialing: DialingSettings, prompts_dir: Path = PROMPTS_DIR
) -> list[tuple[Path, str]]:
    """Each incoming-call message's audio file in ``sounds`` and its text."""
    made = []
    for name in INBOUND_PROMPTS:
        path = prompts_dir / f"{name.replace('-', '_')}_fr.txt"
        try:
            template = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(say("prompts.unreadable", path=path, reason=exc)) from exc
        try:
            text = template.format(
                service=dialing.service_name, horaires=dialing.opening_hours
            ).strip()
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigurationError(say("prompts.bad_placeholder", path=path, field=exc)) from exc
        made.append((sounds / "dialer" / f"{name}.wav", text))
    return made + position_prompts(sounds, prompts_dir)


#: the waiting caller's position, one prompt a position (``dialer/inbound-position-<word>``,
#: :mod:`dialer.core.inbound_queue`): one line of ``inbound_position_fr.txt`` each
POSITION_PROMPT = "inbound-position"


def position_prompts(sounds: Path, prompts_dir: Path = PROMPTS_DIR) -> list[tuple[Path, str]]:
    """Each position prompt's audio file in ``sounds`` and its text."""
    path = prompts_dir / "inbound_position_fr.txt"
    try:
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except OSError as exc:
        raise ConfigurationError(say("prompts.unreadable", path=path, reason=exc)) from exc
    lines = [line for line in lines if line]
    words = position_prompt_words()
    if len(lines) != len(words):
        raise ConfigurationError(
            say("prompts.bad_placeholder", path=path, field=f"{len(words)} lignes attendues")
        )
    return [
        (sounds / "dialer" / f"{POSITION_PROMPT}-{word}.wav", text)
        for word, text in zip(words, lines, strict=True)
    ]


def synthesize(text: str, target: Path) -> bool:
    """Write ``target`` (WAV 8 kHz mono) from ``text``; False when it was already current."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    stamp = target.with_suffix(".sha256")
    if target.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return False
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise ProvisioningError(f"{tool} not found: install the Debian package {tool}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "raw.wav"
        _run(["espeak-ng", "-v", "fr", "-s", "140", "-w", str(raw), text])
        _run(["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(target)])
    stamp.write_text(digest, encoding="utf-8")
    return True


def install_recording(recording: Path, target: Path) -> None:
    """Convert a city-supplied recording (any format sox reads) to the played format."""
    if not recording.is_file():
        raise ConfigurationError(say("prompts.no_recording", path=recording))
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(["sox", str(recording), "-r", "8000", "-c", "1", "-b", "16", str(target)])
    target.with_suffix(".sha256").unlink(missing_ok=True)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise ProvisioningError(
            f"command failed (exit {done.returncode}): {' '.join(command[:3])} …\n"
            + done.stderr.strip()[-2000:]
        )
