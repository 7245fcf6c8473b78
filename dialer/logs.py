"""The process's one logging configuration: a level and a format (lines of text, or one
JSON object a line for a log collector) from the ``[log]`` settings, the level overridden
by ``dialer --log-level``. Every logger of the process (ours, uvicorn's, SQLAlchemy's…)
writes through the one handler on standard error, and every record is masked of secrets
first (:func:`dialer.redaction.install_log_masking`).
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from dialer.redaction import install_log_masking

ACCESS_LOGGER = "dialer.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: attributes every LogRecord has: the others were passed in ``extra`` (the access log's)
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "color_message",  # uvicorn's copy of its message with terminal colours
}
#: loggers too chatty at INFO for an operator (their warnings still show)
QUIET_LIBRARIES = (
    "sqlalchemy.engine",
    "aiosqlite",
    "asyncio",
    "panoramisk",
    "httpx",
    "alembic",
)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (UTC, ISO 8601), ``level``, ``logger``,
    ``message``, the ``extra`` fields, and ``exception`` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((key, value) for key, value in record.__dict__.items() if key not in _STANDARD)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class StandardError(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record comes (not the one of the
    moment it was made: a test's captured stream is closed after the test)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


_installed: logging.Handler | None = None


def configure_logging(level: str, log_format: str, *, access_log: bool = True) -> None:
    """The root logger writes ``log_format`` (``text`` or ``json``) at ``level`` to
    standard error, through one handler (configuring again replaces it: other handlers,
    a test's for instance, are left alone). ``access_log``: the ``dialer.access`` lines
    (:mod:`dialer.web.access_log`), at INFO."""
    global _installed  # noqa: PLW0603 - the process's one handler
    install_log_masking()
    handler = StandardError()
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    root.addHandler(handler)
    _installed = handler
    root.setLevel(level.upper())
    quiet = max(logging.WARNING, root.level)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.NOTSET if access_log else logging.WARNING)
