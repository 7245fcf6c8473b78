"""Alerts for intervention teams: routing (:mod:`~dialer.alerts.routing`), escalation and
retry rules (:mod:`~dialer.alerts.escalation`), raising them from a call sheet
(:mod:`~dialer.alerts.raising`), their messages, channels (e-mail, webhook), and the
long-lived :class:`~dialer.alerts.dispatcher.AlertDispatcher`.

Wiring (the campaign runner / ``dialer serve``)::

    dispatcher = AlertDispatcher(
        sessions,
        clock=utcnow,
        email=EmailChannel(SmtpConfig(host=..., sender=...), inbox_url=...),  # optional
        webhook=WebhookChannel(inbox_url=...),
        escalation=EscalationPolicy(),
    )
    await dispatcher.start()   # ... await dispatcher.stop()
    app = create_app(..., alerts=AlertRaiser(sessions, clock=utcnow, dispatcher=dispatcher))
"""

from dialer.alerts.channels import (
    DeliveryFailed,
    EmailChannel,
    SmtpConfig,
    WebhookChannel,
)
from dialer.alerts.dispatcher import AlertDispatcher, RunReport
from dialer.alerts.escalation import EscalationPolicy, RetryPolicy
from dialer.alerts.raising import AlertRaiser, plan_alerts
from dialer.alerts.routing import Route, TeamScope, route

__all__ = [
    "AlertDispatcher",
    "AlertRaiser",
    "DeliveryFailed",
    "EmailChannel",
    "EscalationPolicy",
    "RetryPolicy",
    "Route",
    "RunReport",
    "SmtpConfig",
    "TeamScope",
    "WebhookChannel",
    "plan_alerts",
    "route",
]
