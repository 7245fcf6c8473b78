"""Asterisk's configuration, rendered from the Jinja2 templates in
``dialer/telephony/asterisk_conf/`` (package data).

The same templates serve the local rig and production: production renders them with its
own settings (its carrier trunk, its agents, its AMI secret) via ``dialer asterisk render``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jinja2

from dialer.core.operator_messages import say
from dialer.core.own_line import KEY_TRIES, KEY_WAIT_S
from dialer.errors import ConfigurationError
from dialer.settings import Settings
from dialer.telephony.translate import AMI_EVENTS

CONFIG_FILES = (
    "manager.conf",
    "pjsip.conf",
    "extensions.conf",
    "http.conf",
    "cdr.conf",
    "modules.conf",
    "rtp.conf",
    "logger.conf",
)
TEMPLATES_DIR = Path(str(resources.files("dialer.telephony") / "asterisk_conf"))
LOOPBACK_ONLY = ("127.0.0.1/255.255.255.255",)
#: seconds without RTP from an agent's phone before Asterisk hangs its leg up (a dead
#: softphone is detected within seconds, see pjsip.conf's rtp_timeout)
AGENT_RTP_TIMEOUT_S = 4


@dataclass(frozen=True)
class SipAccount:
    """An agent's PJSIP endpoint and its credentials: a ``password`` (the rig's simulated
    agents) or only its ``md5_cred`` digest (agents from the database). ``remote`` agents
    (working from home) use the TLS transport with SRTP and the NAT settings; ``browser``
    agents use the phone in their page (WebRTC over Asterisk's WebSocket)."""

    username: str
    password: str = ""
    display_name: str = ""
    md5_cred: str = ""
    remote: bool = False
    browser: bool = False

    def __post_init__(self) -> None:
        if not self.password and not self.md5_cred:
            raise ConfigurationError(say("asterisk.no_sip_credentials", username=self.username))

    def __repr__(self) -> str:  # keep the credentials out of logs and tracebacks
        return (
            f"SipAccount(username={self.username!r}, remote={self.remote}, browser={self.browser})"
        )


def render(
    settings: Settings,
    *,
    ami_secret: str,
    agents: Sequence[SipAccount],
    ami_permit: Sequence[str] = LOOPBACK_ONLY,
    templates_dir: Path = TEMPLATES_DIR,
    static_agents: Sequence[str] = (),
    static_agent_contact: str = "",
) -> dict[str, str]:
    """Every configuration file's text, by file name."""
    if not ami_secret:
        raise ConfigurationError(say("asterisk.no_ami_secret"))
    if any(agent.remote for agent in agents) and not settings.sip.tls_cert_file:
        raise ConfigurationError(say("asterisk.remote_needs_tls"))
    trunk_password = settings.trunk.password
    if settings.trunk.username and trunk_password is None:
        raise ConfigurationError(say("asterisk.trunk_password"))
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # noqa: S701 - Asterisk configuration, not HTML
    )
    context = {
        "ami": settings.ami,
        "ami_secret": ami_secret,
        "ami_permit": ami_permit,
        "ami_events": AMI_EVENTS,
        "sip": settings.sip,
        "trunk": settings.trunk,
        "trunk_password": trunk_password.get_secret_value() if trunk_password else "",
        "agents": agents,
        "join_window_s": settings.dialing.join_window_s,
        "inbound_wait_s": settings.dialing.inbound_wait_s,
        "own_line_key_wait_s": KEY_WAIT_S,
        "own_line_key_tries": KEY_TRIES,
        "agent_rtp_timeout_s": AGENT_RTP_TIMEOUT_S,
        "static_agents": static_agents,
        "static_agent_contact": static_agent_contact,
    }
    try:
        return {
            name: environment.get_template(f"{name}.j2").render(context) for name in CONFIG_FILES
        }
    except jinja2.TemplateError as exc:
        raise ConfigurationError(
            say("asterisk.bad_template", directory=templates_dir, reason=exc)
        ) from exc


#: the rendered files hold the AMI secret and SIP passwords: owner read/write, group read
PRIVATE_MODE = 0o640


def write(rendered: Mapping[str, str], target: Path) -> list[Path]:
    """Write the rendered files into ``target``. Each file is created private (mode
    :data:`PRIVATE_MODE`, never readable by others even for an instant: the mode is given
    to ``open`` itself, and an existing file is replaced by a new private one)."""
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in rendered.items():
        path = target / name
        written.append(_write_private(path, text.encode("utf-8")))
    return written


def _write_private(path: Path, content: bytes) -> Path:
    """Write ``content`` to a fresh private temporary file beside ``path``, then rename it
    over ``path`` (an older, world-readable file is never opened for writing)."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_MODE)  # the umask may have removed bits, never added
        with os.fdopen(descriptor, "wb") as file:
            descriptor = -1
            file.write(content)
    finally:
        if descriptor >= 0:
            os.close(descriptor)
    temporary.replace(path)
    return path
