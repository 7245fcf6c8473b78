"""Running Debian tools for the rig, failing loudly with the command and its output."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Sequence

from dialer.errors import ProvisioningError


def run(command: Sequence[str], *, timeout_s: float = 600.0) -> str:
    """Run ``command``; return its output, or raise :class:`ProvisioningError` naming it."""
    printable = shlex.join(command)
    try:
        done = subprocess.run(
            list(command), capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except FileNotFoundError as exc:
        raise ProvisioningError(f"command not found: {printable}") from exc
    except subprocess.TimeoutExpired as exc:
        raise ProvisioningError(f"command timed out after {timeout_s:.0f} s: {printable}") from exc
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).strip().splitlines()[-20:]
        raise ProvisioningError(
            f"command failed (exit {done.returncode}): {printable}\n" + "\n".join(tail)
        )
    return done.stdout


def ensure_debian_packages(packages: Sequence[str]) -> list[str]:
    """Install the Debian packages that are missing; return the ones installed."""
    missing = [p for p in packages if not _installed(p)]
    if missing:
        if shutil.which("apt-get") is None:
            raise ProvisioningError(f"apt-get not found; install by hand: {' '.join(missing)}")
        run(["apt-get", "update", "-q"])
        run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing])
    return missing


def _installed(package: str) -> bool:
    done = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and "install ok installed" in done.stdout
