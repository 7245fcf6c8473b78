"""The simulated called people: one sipp UAS on the trunk's address plays them all.

The dialled number selects the behaviour (see ``dialer/rig/sipp/callee.xml``)::

    +33 9 B RR TTT NN    B behaviour, RR ring seconds, TTT talk seconds, NN serial

These are valid French numbers (09 = non-geographic), so the register importer accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from importlib import resources
from pathlib import Path

from dialer.rig.process import LoggedProcess

SIPP_DIR = Path(str(resources.files("dialer.rig") / "sipp"))
SCENARIO = SIPP_DIR / "callee.xml"
AGENT_FARM = SIPP_DIR / "agent_farm.xml"


class CalleeBehaviour(IntEnum):
    """What the person at the end of the line does."""

    ANSWERS = 0  # answers after the ring delay, talks, hangs up (or the dialer does)
    BUSY = 1  # 486 Busy Here
    RINGS_FOREVER = 2  # rings until the dialer gives up (CANCEL)
    UNREACHABLE = 3  # 480 Temporarily Unavailable
    UNAVAILABLE = 4  # 503 Service Unavailable
    INVALID_NUMBER = 5  # 404 Not Found
    HANGS_UP_AT_ONCE = 6  # answers and hangs up immediately
    REJECTS = 7  # 603 Decline
    PRESSES_1 = 8  # answers, presses 1 two seconds later (an agent's own phone), talks


@dataclass(frozen=True)
class SimulatedCallee:
    behaviour: CalleeBehaviour
    ring_s: int = 1
    talk_s: int = 30
    serial: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.ring_s <= 99:
            raise ValueError(f"ring_s={self.ring_s}: must be 0..99")
        if not 0 <= self.talk_s <= 999:
            raise ValueError(f"talk_s={self.talk_s}: must be 0..999")
        if not 0 <= self.serial <= 99:
            raise ValueError(f"serial={self.serial}: must be 0..99")

    @property
    def number(self) -> str:
        """The E.164 number that makes sipp behave this way."""
        return f"+339{int(self.behaviour)}{self.ring_s:02d}{self.talk_s:03d}{self.serial:02d}"


class SippUas:
    """One sipp UAS (``-sf SCENARIO``) on ``host:port`` until stopped: the simulated
    callees on the trunk's address, or the benchmark's agent farm. ``log_messages``: sipp
    logs every SIP message it sends or receives, one tab-separated line each (date, time,
    epoch, R/S, Call-ID, CSeq, first line) in :attr:`messages_log`: the callees' own record
    of the calls they received (``make chaos`` reads it). ``rtp_echo``: the people speak,
    sending back the audio they receive (sipp's ``-rtp_echo``), so audio flows both ways
    through Asterisk (the browser phone's test counts it)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        log_dir: Path,
        scenario: Path = SCENARIO,
        name: str = "",
        log_messages: bool = False,
        rtp_echo: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.log_dir = log_dir
        self.scenario = scenario
        self.name = name or scenario.stem
        self.log_messages = log_messages
        self.rtp_echo = rtp_echo
        self.messages_log = log_dir / f"sipp-{self.name}-messages.tsv"
        self._sipp = LoggedProcess(f"sipp ({self.name})", log_dir / f"sipp-{self.name}.log")

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        messages = (
            ["-trace_shortmsg", "-shortmessage_file", str(self.messages_log)]
            if self.log_messages
            else []
        )
        self._sipp.start(
            [
                "sipp",
                "-sf", str(self.scenario),
                "-i", self.host,
                "-p", str(self.port),
                "-nostdin",
                "-trace_err",
                "-error_file", str(self.log_dir / f"sipp-{self.name}-errors.log"),
                "-max_socket", "4000",
                *(["-rtp_echo"] if self.rtp_echo else []),
                *messages,
            ],
            cwd=self.log_dir,
            settle_s=0.3,
        )  # fmt: skip

    def stop(self) -> None:
        self._sipp.stop()

    def is_running(self) -> bool:
        return self._sipp.is_running()
