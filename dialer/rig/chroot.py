"""Asterisk 22 in a Debian sid chroot (Debian 12 has no asterisk package).

``debootstrap --variant=minbase --include=asterisk,asterisk-modules sid DIR MIRROR``, where
MIRROR is the one the machine's own apt sources use. The chroot is built in ``DIR.tmp`` and
renamed when complete, so an interrupted run leaves nothing half-made that a later run
would reuse.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from dialer.errors import ProvisioningError
from dialer.rig.shell import run

# The chroot's asterisk user maps to another uid on the host: run as root inside instead.
ROOT_OWNED = (
    "etc/asterisk",
    "var/lib/asterisk",
    "var/spool/asterisk",
    "var/log/asterisk",
    "usr/share/asterisk",
)
APT_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))


def debian_mirror(sources: tuple[Path, ...] = APT_SOURCES) -> str:
    """The main Debian mirror URI configured in this machine's apt sources."""
    for path in sources:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for uri in re.findall(r"^URIs:\s*(\S+)", text, flags=re.MULTILINE):  # deb822
            if "security" not in uri:
                return str(uri)
        for uri in re.findall(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)", text, flags=re.MULTILINE):
            if "security" not in uri:
                return str(uri)
    raise ProvisioningError(
        f"no Debian mirror found in {', '.join(map(str, sources))}; set rig.mirror"
    )


class AsteriskChroot:
    """The directory that holds the Debian sid system with Asterisk installed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def asterisk_binary(self) -> Path:
        return self.path / "usr/sbin/asterisk"

    @property
    def etc(self) -> Path:
        return self.path / "etc/asterisk"

    @property
    def sounds(self) -> Path:
        return self.path / "usr/share/asterisk/sounds"

    def is_provisioned(self) -> bool:
        return self.asterisk_binary.is_file() and (self.path / ".dialer-provisioned").is_file()

    def provision(self, *, suite: str, mirror: str) -> bool:
        """Build the chroot unless it already exists. True when it was built now."""
        if self.is_provisioned():
            self._prepare()
            return False
        staging = self.path.with_name(self.path.name + ".tmp")
        if staging.exists():
            shutil.rmtree(staging)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        run(
            [
                "debootstrap",
                "--variant=minbase",
                "--include=asterisk,asterisk-modules",
                suite,
                str(staging),
                mirror,
            ],
            timeout_s=1800,
        )
        if self.path.exists():
            shutil.rmtree(self.path)
        staging.rename(self.path)
        self._prepare()
        version = self.version()
        if not version.startswith("Asterisk 22"):
            raise ProvisioningError(f"{self.asterisk_binary}: expected Asterisk 22, got {version}")
        (self.path / ".dialer-provisioned").write_text(version + "\n", encoding="utf-8")
        return True

    def version(self) -> str:
        return run(["chroot", str(self.path), "asterisk", "-V"], timeout_s=30).strip()

    def _prepare(self) -> None:
        for relative in ROOT_OWNED:
            target = self.path / relative
            target.mkdir(parents=True, exist_ok=True)
            run(["chown", "-R", "root:root", str(target)])
        (self.path / "var/run/asterisk").mkdir(parents=True, exist_ok=True)
