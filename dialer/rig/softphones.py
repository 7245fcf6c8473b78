"""The simulated agents' softphones: one auto-answering baresip per agent, registered to
its PJSIP endpoint with its own credentials, bound to loopback."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from dialer.errors import RigError
from dialer.telephony.asterisk_config import SipAccount

# baresip's stdio module needs a terminal, ausine refuses 8 kHz, and an aufile source ends
# the call when its file ends: aubridge loops what the agent hears back as the agent's
# voice, for as long as the call lasts.
_CONFIG = """\
poll_method\tepoll
net_interface\t{host}
sip_listen\t{host}:{port}
sip_transports\tudp
audio_player\taubridge,{device}
audio_source\taubridge,{device}
audio_alert\taubridge,{device}-alert
audio_srate\t8000
audio_channels\t1
module_path\t/usr/lib/baresip/modules
module\tg711.so
module\taubridge.so
module_app\taccount.so
"""


class Softphone:
    """One agent's baresip, auto-answering, registered to Asterisk."""

    def __init__(
        self,
        account: SipAccount,
        *,
        host: str,
        port: int,
        registrar_host: str,
        registrar_port: int,
        state_dir: Path,
    ) -> None:
        self.account = account
        self.host = host
        self.port = port
        self.registrar = f"{registrar_host}:{registrar_port}"
        self.dir = state_dir / account.username
        self._process: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        config = _CONFIG.format(host=self.host, port=self.port, device=self.account.username)
        (self.dir / "config").write_text(config, encoding="utf-8")
        account = (
            f"<sip:{self.account.username}@{self.registrar};transport=udp>"
            f";auth_pass={self.account.password};answermode=auto;regint=300\n"
        )
        accounts = self.dir / "accounts"
        accounts.write_text(account, encoding="utf-8")
        accounts.chmod(0o600)

    def start(self) -> None:
        if self.is_running():
            return
        self._write_config()
        log = (self.dir / "baresip.log").open("ab")
        self._process = subprocess.Popen(
            ["baresip", "-f", str(self.dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        time.sleep(0.1)
        if self._process.poll() is not None:
            raise RigError(
                f"baresip for {self.account.username} exited with code "
                f"{self._process.returncode}; see {self.dir / 'baresip.log'}"
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

    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None
