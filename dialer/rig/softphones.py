"""The simulated agents' softphones: one auto-answering baresip per agent, registered to
its PJSIP endpoint with its own credentials, bound to loopback."""

from __future__ import annotations

from pathlib import Path

from dialer.rig.process import LoggedProcess
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
        self._baresip = LoggedProcess(f"baresip for {account.username}", self.dir / "baresip.log")

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
        self._baresip.start(["baresip", "-f", str(self.dir)], settle_s=0.1)

    def stop(self) -> None:
        self._baresip.stop()

    def kill(self) -> None:
        """The agent's phone dies without a BYE (power cut, crash, network gone)."""
        self._baresip.kill()

    def is_running(self) -> bool:
        return self._baresip.is_running()
