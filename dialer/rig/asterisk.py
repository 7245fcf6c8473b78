"""Start, check and stop the rig's Asterisk, and keep its configuration rendered."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from dialer.errors import AmiConnectionError, RigError
from dialer.rig import secrets as rig_secrets
from dialer.rig.chroot import AsteriskChroot, debian_mirror
from dialer.rig.shell import ensure_debian_packages, run
from dialer.settings import Settings
from dialer.telephony import asterisk_config, prompts
from dialer.telephony.ami import AmiClient, AmiCredentials
from dialer.telephony.asterisk_config import SipAccount
from dialer.telephony.queries import active_channels

# What the rig needs on the host: debootstrap builds the chroot; sipp plays the called
# people; baresip plays the agents' softphones; espeak-ng and sox make the prompts' audio.
HOST_PACKAGES = ("debootstrap", "sip-tester", "baresip-core", "espeak-ng", "sox")


@dataclass(frozen=True)
class ProvisionReport:
    built_chroot: bool
    installed_packages: tuple[str, ...]
    asterisk_version: str
    seconds: float


class Rig:
    """The rig's files live under ``settings.rig.root``; the chroot is ``asterisk-root``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.rig.root
        self.chroot = AsteriskChroot(self.root / "asterisk-root")
        self._secrets_path = self.root / "secrets.json"
        self._secrets = rig_secrets.load_or_create(self._secrets_path)
        self._pid_path = self.root / "asterisk.pid"
        self._process: subprocess.Popen[bytes] | None = None

    # ---- secrets and accounts -------------------------------------------------------
    @property
    def ami_secret(self) -> str:
        return self.settings.ami.configured_secret() or self._secrets.ami_secret

    def ami_credentials(self) -> AmiCredentials:
        ami = self.settings.ami
        return AmiCredentials(ami.host, ami.port, ami.username, self.ami_secret)

    def agent_accounts(self) -> list[SipAccount]:
        """The simulated agents' SIP accounts (agent-1001, agent-1002, ...)."""
        first = self.settings.rig.first_agent_extension
        accounts = []
        for index in range(self.settings.rig.agents):
            username = f"agent-{first + index}"
            accounts.append(
                SipAccount(
                    username=username,
                    password=self._secrets.agent_password(username),
                    display_name=f"Agent {first + index}",
                )
            )
        rig_secrets.save(self._secrets_path, self._secrets)
        return accounts

    # ---- provisioning -----------------------------------------------------------------
    def provision(self) -> ProvisionReport:
        """Install host packages and build the chroot if missing; render the configuration."""
        started = time.monotonic()
        if os.geteuid() != 0:
            raise RigError("provisioning the rig needs root (debootstrap, chroot, apt-get)")
        installed = ensure_debian_packages(HOST_PACKAGES)
        mirror = self.settings.rig.mirror or debian_mirror()
        built = self.chroot.provision(suite=self.settings.rig.suite, mirror=mirror)
        self.render_configuration()
        return ProvisionReport(
            built_chroot=built,
            installed_packages=tuple(installed),
            asterisk_version=self.chroot.version(),
            seconds=time.monotonic() - started,
        )

    def render_configuration(self) -> list[Path]:
        """Write the configuration files and the information message's audio."""
        rig = self.settings.rig
        rendered = asterisk_config.render(
            self.settings,
            ami_secret=self.ami_secret,
            agents=self.agent_accounts(),
            static_agents=[f"bench-agent-{n}" for n in range(1, rig.bench_agents + 1)],
            static_agent_contact=f"127.0.0.1:{rig.agent_farm_port}",
        )
        written = asterisk_config.write(rendered, self.chroot.etc)
        rig_secrets.write_private(rig.ami_secret_file, self.ami_secret + "\n")
        prompt = prompts.information_prompt(self.chroot.sounds)
        prompts.synthesize(prompts.information_text(self.settings.dialing), prompt)
        own_line = prompts.own_line_prompt(self.chroot.sounds)
        prompts.synthesize(prompts.own_line_text(self.settings.dialing), own_line)
        hold = prompts.transfer_hold_prompt(self.chroot.sounds)
        prompts.synthesize(prompts.transfer_hold_text(), hold)
        inbound = prompts.inbound_prompts(self.chroot.sounds, self.settings.dialing)
        for path, text in inbound:
            prompts.synthesize(text, path)
        return [*written, prompt, own_line, hold, *(path for path, _ in inbound)]

    # ---- the process ------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            pid = int(self._pid_path.read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        return pid

    def is_running(self) -> bool:
        return self.pid() is not None

    @property
    def spawned_running(self) -> bool:
        """An Asterisk this object started is running (a test may have restarted the one
        found running: whoever holds this object stops it, or it outlives its Popen)."""
        return self._process is not None and self._process.poll() is None

    async def start(self) -> bool:
        """Start Asterisk (or reload a running one) and wait until AMI answers a login and a
        Ping. True when it was started now, False when a running one was reused."""
        if not self.chroot.is_provisioned():
            raise RigError(f"{self.chroot.path}: not provisioned; run `dialer rig provision`")
        self.render_configuration()
        if self.is_running():
            await asyncio.to_thread(self._cli, "core reload")
            await self.wait_ready()
            return False
        self._spawn()
        await self.wait_ready()
        return True

    async def start_as_configured(self) -> None:
        """Start a fresh Asterisk on the configuration the chroot holds now, without
        rendering the rig's over it (a production render under check, ``dialer rig
        check-render``). Refused while one runs: it would keep its own configuration."""
        if not self.chroot.is_provisioned():
            raise RigError(f"{self.chroot.path}: not provisioned; run `dialer rig provision`")
        if self.is_running():
            raise RigError("the rig's Asterisk is running: stop it first (`dialer rig stop`)")
        self._spawn()
        await self.wait_ready()

    def _spawn(self) -> None:
        """Start ``asterisk -f`` in the chroot, in its own session, logging to a file."""
        if self._process is not None:
            # the previous Asterisk (stopped, or killed by a test): reap it, or its Popen,
            # replaced here and collected later, warns that it is "still running"
            self._process.poll()
        log_path = self.root / "asterisk.log"
        with log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                ["chroot", str(self.chroot.path), "asterisk", "-f", "-U", "root", "-G", "root"],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._pid_path.write_text(str(self._process.pid), encoding="utf-8")

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + self.settings.rig.start_timeout_s
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RigError(
                    f"Asterisk exited with code {self._process.returncode}; "
                    f"see {self.root / 'asterisk.log'}"
                )
            try:
                async with AmiClient(self.ami_credentials(), action_timeout_s=2.0) as ami:
                    await ami.ping()
                # AMI answers before every module has registered; wait for the whole boot.
                await asyncio.to_thread(self._cli, "core waitfullybooted")
                return
            except AmiConnectionError as exc:
                last_error = exc
            await asyncio.sleep(0.25)
        raise RigError(
            f"AMI did not answer a login and a Ping within "
            f"{self.settings.rig.start_timeout_s:.0f} s: {last_error}"
        )

    async def stop(self) -> bool:
        """Stop Asterisk cleanly (``core stop now``), then by signal. True if one was running."""
        pid = self.pid()
        if pid is None:
            self._pid_path.unlink(missing_ok=True)
            return False
        with contextlib.suppress(RigError):
            await asyncio.to_thread(self._cli, "core stop now")
        if not await self._wait_exit(pid, 15.0):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            if not await self._wait_exit(pid, 5.0):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                await self._wait_exit(pid, 5.0)
        self._pid_path.unlink(missing_ok=True)
        return True

    async def _wait_exit(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process is not None and self._process.pid == pid:
                if self._process.poll() is not None:
                    return True
            else:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    return True
            await asyncio.sleep(0.1)
        return False

    def _cli(self, command: str) -> str:
        return run(["chroot", str(self.chroot.path), "asterisk", "-rx", command], timeout_s=30)

    def cli(self, command: str) -> str:
        """Run an Asterisk CLI command against the running rig (tests and diagnostics)."""
        return self._cli(command)


async def hang_up_everything(ami: AmiClient) -> None:
    """Hang up every channel (the rig's clean state between tests)."""
    if await active_channels(ami):
        await ami.action("Hangup", {"Channel": "/.*/", "Cause": "16"})
