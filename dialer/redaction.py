"""Secrets never shown: what ``dialer settings``, error messages and log lines print
instead of a password.

- A URL's password (``postgresql+asyncpg://dialer:s3cret@db/dialer``) becomes ``***``.
- ``secret=…``, ``password: …``, ``token=…`` (and ``ami_secret``, ``webhook_secret``,
  ``smtp_password`` …) keep their name and lose their value.
- :class:`pydantic.SecretStr` settings already print as ``**********``.

:func:`install_log_masking` makes every log record of the process go through
:func:`mask_secrets`, whichever handler writes it (ours, uvicorn's, a library's).
"""

from __future__ import annotations

import logging
import re
from typing import Any

MASK = "***"

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):(?P<secret>[^@\s/]+)@")
_NAMED_SECRET = re.compile(
    r"(?P<head>(?:secret|password|passwd|token)[\"']?\s*[=:]\s*[\"']?)"
    r"(?P<secret>(?!\*\*\*)[^\s\"',;&]+)",
    re.IGNORECASE,
)


def mask_secrets(text: str) -> str:
    """``text`` with every URL password and every named secret's value replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['head']}:{MASK}@", text)
    return _NAMED_SECRET.sub(lambda m: f"{m['head']}{MASK}", text)


def masked(value: Any) -> Any:
    """A JSON-like value (dicts, lists, strings) with :func:`mask_secrets` applied to every
    string in it."""
    if isinstance(value, str):
        return mask_secrets(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [masked(item) for item in value]
    return value


_installed = False


def install_log_masking() -> None:
    """From now on, every log record's message is masked when it is created (once per
    process; later calls do nothing)."""
    global _installed  # noqa: PLW0603 - one process-wide switch
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def masking_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        message = record.getMessage()
        masked_message = mask_secrets(message)
        if masked_message != message:
            record.msg, record.args = masked_message, None
        return record

    logging.setLogRecordFactory(masking_factory)
    _installed = True
