"""Starting a systemd service unit the way systemd would, where systemd is not PID 1.

The project's machines and CI run in a container with no service manager (``systemctl``
and ``systemd-run`` need one), so the deployment test reads the shipped unit file and
starts exactly its ``ExecStart`` with the execution semantics systemd gives it:

- ``User=``/``Group=``: the process runs as that user (its supplementary groups none),
  ``HOME``, ``USER``, ``LOGNAME`` and ``SHELL`` set from the user's entry;
- a clean environment: ``PATH`` as systemd sets it, then ``Environment=`` and
  ``EnvironmentFile=`` in the unit's order (a later assignment wins);
- ``LoadCredential=id:path``: the file copied into a directory only that user can read,
  ``$CREDENTIALS_DIRECTORY`` and the ``%d`` specifier naming it;
- ``StateDirectory=``: created below the state root, owned by the user, with its mode;
  ``$STATE_DIRECTORY`` names it;
- ``WorkingDirectory=``, ``UMask=``; stopping: ``KillSignal=`` to the main process,
  ``TimeoutStopSec=`` to exit.

The sandboxing directives (``ProtectSystem=``, ``SystemCallFilter=``…) need systemd
itself: they are checked by ``systemd-analyze verify`` and ``systemd-analyze security
--offline`` instead, and listed in :data:`SANDBOXING`. Any other directive in
``[Service]`` makes the runner refuse the unit, so no semantics are dropped silently.

Absolute paths of the unit (``/opt/dialer``, ``/etc/dialer``, ``/var/lib``) are mapped to
a test installation by ``roots``, the only change made to the unit.
"""

from __future__ import annotations

import grp
import os
import pwd
import shlex
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: systemd's PATH for system services (systemd.exec(5), "Environment variables")
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

#: directives whose effect the runner reproduces
EMULATED = {
    "Type",
    "User",
    "Group",
    "EnvironmentFile",
    "Environment",
    "LoadCredential",
    "StateDirectory",
    "StateDirectoryMode",
    "WorkingDirectory",
    "ExecStart",
    "KillSignal",
    "KillMode",
    "TimeoutStopSec",
    "UMask",
}
#: directives about restarts: the runner starts once (the test checks their values)
RESTARTS = {"Restart", "RestartSec", "RestartPreventExitStatus"}
#: sandboxing that needs systemd itself (checked by systemd-analyze instead)
SANDBOXING = {
    "NoNewPrivileges",
    "CapabilityBoundingSet",
    "AmbientCapabilities",
    "ProtectSystem",
    "ProtectHome",
    "PrivateTmp",
    "PrivateDevices",
    "ProtectKernelTunables",
    "ProtectKernelModules",
    "ProtectKernelLogs",
    "ProtectControlGroups",
    "ProtectClock",
    "ProtectHostname",
    "ProtectProc",
    "ProcSubset",
    "RestrictAddressFamilies",
    "RestrictNamespaces",
    "RestrictRealtime",
    "RestrictSUIDSGID",
    "LockPersonality",
    "RemoveIPC",
    "SystemCallArchitectures",
    "SystemCallFilter",
    "SystemCallErrorNumber",
    "DevicePolicy",
}


def parse_unit(text: str) -> dict[str, list[tuple[str, str]]]:
    """The unit's sections, each a list of ``(directive, value)`` in file order (a
    directive may repeat). Continuation lines (ending in ``\\``) are joined."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = pending + raw.strip()
        pending = ""
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        key, equals, value = line.partition("=")
        if current is None or not equals:
            raise ValueError(f"unit line {number}: not a directive in a section: {raw!r}")
        current.append((key.strip(), value.strip()))
    return sections


def environment_file_values(path: Path) -> list[tuple[str, str]]:
    """``KEY=value`` lines of an environment file (systemd's syntax: comments, quotes)."""
    values = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, equals, value = line.partition("=")
        if not equals:
            raise ValueError(f"{path}:{number}: not KEY=value")
        words = shlex.split(value) if value[:1] in "\"'" else [value]
        values.append((key.strip(), words[0] if words else ""))
    return values


@dataclass
class UnitRunner:
    """One service unit, ready to be started as systemd would start it."""

    unit: Path
    #: unit path prefix -> where it lies in the test installation
    roots: dict[str, Path]
    #: where the runner keeps the credentials directory
    runtime: Path
    directives: list[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        sections = parse_unit(self.unit.read_text(encoding="utf-8"))
        self.directives = sections["Service"]
        unknown = {key for key, _ in self.directives} - EMULATED - RESTARTS - SANDBOXING
        if unknown:
            raise ValueError(f"{self.unit}: the runner does not know {sorted(unknown)}")

    def values(self, key: str) -> list[str]:
        return [value for name, value in self.directives if name == key]

    def value(self, key: str, default: str | None = None) -> str:
        found = self.values(key)
        if not found:
            if default is None:
                raise KeyError(f"{self.unit}: no {key}=")
            return default
        return found[-1]

    def mapped(self, path: str) -> Path:
        """Where the unit's absolute ``path`` lies in the test installation."""
        for prefix, root in self.roots.items():
            if path == prefix or path.startswith(prefix + "/"):
                return root / path[len(prefix) :].lstrip("/")
        raise ValueError(f"{self.unit}: {path} is outside the mapped roots {list(self.roots)}")

    @property
    def user(self) -> pwd.struct_passwd:
        return pwd.getpwnam(self.value("User"))

    @property
    def group(self) -> grp.struct_group:
        return grp.getgrnam(self.value("Group", self.user.pw_name))

    @property
    def credentials(self) -> Path:
        return self.runtime / "credentials" / self.unit.name

    @property
    def state_directory(self) -> Path:
        return self.mapped("/var/lib") / self.value("StateDirectory")

    def _expand(self, value: str) -> str:
        """systemd's specifiers used by the unit: ``%d``, ``%S``, ``%%``."""
        specifiers = {"d": str(self.credentials), "S": str(self.mapped("/var/lib")), "%": "%"}
        out, index = [], 0
        while index < len(value):
            if value[index] == "%" and index + 1 < len(value):
                letter = value[index + 1]
                if letter not in specifiers:
                    raise ValueError(f"{self.unit}: specifier %{letter} not emulated")
                out.append(specifiers[letter])
                index += 2
            else:
                out.append(value[index])
                index += 1
        return "".join(out)

    def prepare(self) -> None:
        """What systemd does before ``ExecStart``: credentials, state directory."""
        user, group = self.user, self.group
        if self.credentials.exists():
            shutil.rmtree(self.credentials)
        self.credentials.mkdir(parents=True, mode=0o500)
        for entry in self.values("LoadCredential"):
            name, _, source = entry.partition(":")
            target = self.credentials / name
            shutil.copyfile(self.mapped(source), target)
            os.chown(target, user.pw_uid, group.gr_gid)
            target.chmod(0o400)
        os.chown(self.credentials, user.pw_uid, group.gr_gid)
        for parent in self.credentials.parents:
            if parent == self.runtime.parent:
                break
            parent.chmod(0o755)
        state = self.state_directory
        state.mkdir(parents=True, exist_ok=True)
        os.chown(state, user.pw_uid, group.gr_gid)
        state.chmod(int(self.value("StateDirectoryMode", "0755"), 8))

    def environment(self) -> dict[str, str]:
        """The process environment systemd would give, in the unit's order."""
        user = self.user
        environment = {
            "PATH": SYSTEMD_PATH,
            "HOME": user.pw_dir,
            "USER": user.pw_name,
            "LOGNAME": user.pw_name,
            "SHELL": user.pw_shell,
            "CREDENTIALS_DIRECTORY": str(self.credentials),
            "STATE_DIRECTORY": str(self.state_directory),
        }
        for key, value in self.directives:
            if key == "Environment":
                for assignment in shlex.split(self._expand(value)):
                    name, _, setting = assignment.partition("=")
                    environment[name] = setting
            elif key == "EnvironmentFile":
                optional = value.startswith("-")
                path = self.mapped(value.lstrip("-"))
                if path.exists() or not optional:
                    environment.update(environment_file_values(path))
        return environment

    def command(self, *, arguments: list[str] | None = None) -> list[str]:
        """``ExecStart`` (its program mapped), or the same program with ``arguments``."""
        [start] = self.values("ExecStart")
        if start[:1] in "-@:+!":
            raise ValueError(f"{self.unit}: ExecStart prefix {start[0]!r} not emulated")
        argv = shlex.split(self._expand(start))
        program = str(self.mapped(argv[0]))
        return [program, *(argv[1:] if arguments is None else arguments)]

    def _popen_options(self) -> dict[str, object]:
        return {
            "env": self.environment(),
            "cwd": self.mapped(self.value("WorkingDirectory", "/")),
            "user": self.user.pw_uid,
            "group": self.group.gr_gid,
            "extra_groups": [],
            "umask": int(self.value("UMask", "0022"), 8),
        }

    def start(self, output: Path) -> subprocess.Popen[bytes]:
        """``prepare`` then start ``ExecStart``; its output (the journal) to ``output``."""
        self.prepare()
        with output.open("wb") as journal:
            return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=journal,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **self._popen_options(),
            )

    def run(self, arguments: list[str], *, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """The unit's program with other ``arguments``, in the service's own context (what
        an operator does with ``systemd-run --property=…`` or ``runuser``)."""
        return subprocess.run(  # type: ignore[call-overload, no-any-return]
            self.command(arguments=arguments),
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            **self._popen_options(),
        )

    def stop(self, process: subprocess.Popen[bytes]) -> int:
        """``KillSignal=`` to the main process; its exit status, within ``TimeoutStopSec=``
        (past it, SIGKILL as systemd does, and the test sees a failure)."""
        kill_signal = getattr(signal, self.value("KillSignal", "SIGTERM"))
        timeout_s = float(self.value("TimeoutStopSec", "90").removesuffix("s"))
        process.send_signal(kill_signal)
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
