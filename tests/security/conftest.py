"""The security tier (``-m security``): the web fixtures of :mod:`tests.web`."""

from tests.web.conftest import app, catalog, client, clock, desk, dispatcher, sessions, world
from tests.web.steering_support import steer

__all__ = ["app", "catalog", "client", "clock", "desk", "dispatcher", "sessions", "steer", "world"]
