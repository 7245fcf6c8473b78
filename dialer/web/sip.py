"""What a remote agent's phone needs: the SIP server's public address over TLS for a
softphone, Asterisk's WebSocket and the ICE servers for the phone in the page."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SipAccess:
    """The PJSIP TLS transport for remote agents (``telephony/asterisk_conf/pjsip.conf.j2``):
    TLS on ``port`` (5061), media encrypted with SRTP negotiated by SDES
    (``media_encryption=sdes``), NAT handled by Asterisk (``rtp_symmetric``,
    ``force_rport``, ``rewrite_contact``, ``direct_media=no``, ICE)."""

    host: str
    port: int = 5061
    #: the domain the softphone registers to, when it differs from ``host``
    domain: str | None = None
    stun_server: str | None = None
    #: where browser phones reach Asterisk's WebSocket (``sip.webrtc_url``)
    webrtc_url: str = "ws://127.0.0.1:8088/ws"
    #: STUN/TURN servers for browser phones, and the TURN credentials
    ice_servers: tuple[str, ...] = ()
    turn_username: str = ""
    turn_password: str = field(default="", repr=False)

    @property
    def registrar(self) -> str:
        return self.domain or self.host

    @property
    def proxy(self) -> str:
        return f"{self.host}:{self.port}"
