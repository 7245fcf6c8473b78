"""A rig program run in the background (sipp, baresip): started with its output in a log
file, checked to have survived its start, stopped with TERM then KILL."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from dialer.errors import RigError


class LoggedProcess:
    def __init__(self, what: str, log_path: Path) -> None:
        self.what = what
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, command: Sequence[str], *, cwd: Path | None = None, settle_s: float) -> None:
        """Start ``command`` unless it runs; raise :class:`RigError` if it dies at once."""
        if self.is_running():
            return
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                list(command),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                start_new_session=True,
            )
        time.sleep(settle_s)
        if self._process.poll() is not None:
            raise RigError(
                f"{self.what} exited with code {self._process.returncode}; see {self.log_path}"
            )

    def stop(self) -> None:
        if self._process is None:
            return
        process, self._process = self._process, None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def kill(self) -> None:
        """Kill at once (SIGKILL): the program says goodbye to nobody (fault tests)."""
        if self._process is None:
            return
        process, self._process = self._process, None
        if process.poll() is None:
            process.kill()
            process.wait(5)

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None
