"""Where a team's webhook may point, and how its body is signed.

- ``https://`` only, to a public address: the hostname is resolved and every address it
  gives must be global (no loopback, private, link-local — the cloud metadata service
  169.254.169.254 included —, shared, multicast or reserved address). The check runs when
  the team is created and again before every delivery (a name may be re-pointed later).
- ``allow_loopback``: a webhook on this machine (``http://127.0.0.1:…``) is allowed too.
  Only tests and local receivers set it, explicitly; the service never does.
- Signature: ``X-Dialer-Signature: t=<unix time>,sha256=<HMAC-SHA256(team secret,
  "<t>." + body)>``. The receiver recomputes it with the team's secret (shown once, when
  the team is created) and refuses a timestamp older than a few minutes (replays).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import secrets
import socket
from datetime import datetime
from urllib.parse import urlsplit

from dialer.errors import InputError

FIELD = "champ « webhook_url »"
SIGNATURE_HEADER = "X-Dialer-Signature"


def new_webhook_secret() -> str:
    """A team's signing key: 256 random bits."""
    return secrets.token_urlsafe(32)


def signature(secret: str, body: bytes, at: datetime) -> str:
    """The ``X-Dialer-Signature`` value of ``body`` sent at ``at``."""
    stamp = int(at.timestamp())
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},sha256={mac}"


def check_webhook_url(url: str, *, allow_loopback: bool = False) -> str:
    """The URL's host when its form is acceptable; :class:`InputError` naming the field
    otherwise (scheme, credentials in the URL, no host)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a malformed port raises here
    except ValueError:
        raise InputError(f"{FIELD} : adresse invalide") from None
    host = parts.hostname
    if not host:
        raise InputError(f"{FIELD} : adresse sans nom d'hôte")
    if parts.username or parts.password:
        raise InputError(f"{FIELD} : pas d'identifiants dans l'adresse (signature HMAC)")
    if parts.scheme == "https":
        return host
    if parts.scheme == "http" and allow_loopback and _is_loopback_name(host):
        return host
    raise InputError(f"{FIELD} : https:// obligatoire (les données sont personnelles)")


def _is_loopback_name(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refused_address(address: str, *, allow_loopback: bool) -> str | None:
    """Why a webhook may not be sent to ``address`` (None: it may)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "adresse de cette machine (loopback)"
    if ip.is_link_local:
        return "adresse lien-local (dont le service de métadonnées 169.254.169.254)"
    if not ip.is_global or ip.is_multicast:
        return "adresse privée, interne ou réservée"
    return None


async def check_webhook_target(url: str, *, allow_loopback: bool = False) -> None:
    """:class:`InputError` naming the field unless ``url`` is acceptable and every
    address its host resolves to is public (or loopback, when allowed)."""
    host = check_webhook_url(url, allow_loopback=allow_loopback)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # unknown name, or not a valid (IDNA) host name
        raise InputError(f"{FIELD} : le nom {host!r} ne se résout pas") from None
    for info in infos:
        reason = refused_address(str(info[4][0]), allow_loopback=allow_loopback)
        if reason is not None:
            raise InputError(f"{FIELD} : {host!r} mène à une {reason} : refusé")
