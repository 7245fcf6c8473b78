"""The two outside channels of an alert: e-mail (SMTP) and a webhook (HTTP POST).

Each ``send`` either returns (delivered) or raises :class:`DeliveryFailed` with a reason
that is safe to store and log: no password, and a webhook URL only as scheme and host (a
URL may carry a token in its path or query).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import aiosmtplib
import httpx

from dialer.alerts.messages import OutboxJob, email_message, webhook_body
from dialer.alerts.webhook_targets import SIGNATURE_HEADER, check_webhook_target, signature
from dialer.clock import utcnow
from dialer.errors import InputError


class DeliveryFailed(Exception):
    """A message could not be delivered now; the outbox tries again later."""


def redact_url(url: str) -> str:
    """``https://hooks.example.org:8443/…``: where, without path, query or credentials."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    sender: str = "veille@localhost"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    #: "starttls" (port 587), "tls" (implicit TLS, port 465) or "none" (local relay only)
    security: str = "starttls"
    timeout_s: float = 20.0


class EmailChannel:
    def __init__(self, config: SmtpConfig, *, inbox_url: str) -> None:
        if config.security not in ("starttls", "tls", "none"):
            raise ValueError(f"SMTP security {config.security!r}: use starttls, tls or none")
        self.config = config
        self.inbox_url = inbox_url

    async def send(self, job: OutboxJob) -> None:
        config = self.config
        message = email_message(job, sender=config.sender, inbox_url=self.inbox_url)
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username,
                password=config.password,
                use_tls=config.security == "tls",
                start_tls=config.security == "starttls",
                timeout=config.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP {config.host}:{config.port}: {_reason(exc)}") from exc


class WebhookChannel:
    """POSTs the alert (or the never-reached list) as JSON to a public https address
    (:mod:`webhook_targets`, checked again before each delivery). ``X-Dialer-Delivery`` is
    the delivery id (the same on every retry, for the receiver to drop duplicates);
    ``X-Dialer-Signature`` signs the body and its timestamp with the team's secret (a team
    without one gets nothing). ``allow_loopback``: also deliver to this machine over plain
    http (tests only)."""

    def __init__(
        self,
        *,
        inbox_url: str,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
        allow_loopback: bool = False,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.inbox_url = inbox_url
        self.allow_loopback = allow_loopback
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=timeout_s, transport=transport, follow_redirects=False
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, job: OutboxJob) -> None:
        where = redact_url(job.delivery.target)
        secret = job.team.webhook_secret if job.team is not None else None
        if not secret:
            raise DeliveryFailed(f"webhook {where}: l'équipe n'a pas de clé de signature")
        try:
            await check_webhook_target(job.delivery.target, allow_loopback=self.allow_loopback)
        except InputError as exc:
            raise DeliveryFailed(f"webhook {where}: {str(exc).split(' : ', 1)[-1]}") from exc
        body = json.dumps(webhook_body(job, inbox_url=self.inbox_url), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Dialer-Delivery": str(job.delivery.id),
            SIGNATURE_HEADER: signature(secret, body, self._clock()),
            "User-Agent": "dialer-alerts/1",
        }
        try:
            response = await self._client.post(job.delivery.target, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"webhook {where}: {type(exc).__name__}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"webhook {where}: HTTP {response.status_code}")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__
