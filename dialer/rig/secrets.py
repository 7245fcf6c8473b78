"""Secrets the rig generates for itself: the AMI secret and each simulated agent's SIP
password. They live in ``<rig root>/secrets.json`` (mode 0600), never in the repository.
A secret set in the settings (``DIALER_AMI__SECRET`` or ``DIALER_AMI__SECRET_FILE``) wins
over the generated one. The AMI secret in use is also written alone into
``<rig root>/ami-secret`` (mode 0600), for ``DIALER_AMI__SECRET_FILE`` when the service
runs against the rig."""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from dialer.errors import RigError


@dataclass
class RigSecrets:
    ami_secret: str
    agent_passwords: dict[str, str]

    def __repr__(self) -> str:
        return f"RigSecrets(agents={sorted(self.agent_passwords)})"

    def agent_password(self, username: str) -> str:
        if username not in self.agent_passwords:
            self.agent_passwords[username] = new_secret()
        return self.agent_passwords[username]


def new_secret() -> str:
    """A strong random secret, safe in Asterisk configuration files."""
    return secrets.token_hex(24)


def load_or_create(path: Path) -> RigSecrets:
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return RigSecrets(str(data["ami_secret"]), dict(data["agent_passwords"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise RigError(
                f"{path}: unreadable rig secrets ({exc}); delete it to regenerate"
            ) from exc
    return RigSecrets(new_secret(), {})


def save(path: Path, value: RigSecrets) -> None:
    payload = json.dumps(
        {"ami_secret": value.ami_secret, "agent_passwords": value.agent_passwords}, indent=2
    )
    write_private(path, payload)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` into ``path``, readable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
