"""How many errors the database raised, by kind, since the process started: the web
service's ``dialer_database_errors_total`` counter (:mod:`dialer.web.metrics`).

Every engine :func:`dialer.storage.database.create_engine` builds reports its errors here
(SQLAlchemy's ``handle_error`` event: whatever statement, transaction or repository ran
it). The kind is SQLAlchemy's error class (``OperationalError`` for a lost connection or
a locked database, ``IntegrityError`` for a refused change...): a short, bounded list.
A failed pre-ping (the pool checking a connection before handing it out, then opening a
new one) is not counted: nothing failed for the caller."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import event
from sqlalchemy.engine import Engine, ExceptionContext

#: errors by kind since the process started (one process, one count, like a Prometheus
#: counter)
DRIVER_ERRORS: Counter[str] = Counter()


def _count(context: ExceptionContext) -> None:
    if context.is_pre_ping:
        return
    error = context.sqlalchemy_exception or context.original_exception
    DRIVER_ERRORS[type(error).__name__] += 1


def count_errors_of(engine: Engine) -> None:
    """Count every error ``engine`` raises in :data:`DRIVER_ERRORS`."""
    event.listen(engine, "handle_error", _count)


def driver_errors() -> dict[str, int]:
    """The errors so far, by kind."""
    return dict(DRIVER_ERRORS)
