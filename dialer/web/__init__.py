"""The web service: agents' screens, the intervention teams' inbox, supervision and
administration (Starlette, Jinja2, French screens). See :func:`create_app`."""

from dialer.web.app import build_screens, create_app, screens_of
from dialer.web.screens import AgentScreens
from dialer.web.sip import SipAccess

__all__ = [
    "AgentScreens",
    "SipAccess",
    "build_screens",
    "create_app",
    "screens_of",
]
