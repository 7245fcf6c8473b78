"""The dialer's one exception tree, and where each error ends up.

::

    DialerError                      exit 1   HTTP 500
    ├── ConfigurationError           exit 78  HTTP 500   bad or missing setting
    ├── InputError                   exit 65  HTTP 422   bad user input (file, line, field)
    │   ├── NotFoundError            exit 66  HTTP 404   a named thing does not exist
    │   └── RowsError                                   several lines of a file, each named
    ├── AuthenticationError          exit 77  HTTP 401   not logged in, or the session expired
    ├── PermissionDeniedError        exit 77  HTTP 403   logged in, but the role does not allow it
    │   └── NotReadyError                                the person may not yet: the reason, French
    ├── ConflictError                exit 75  HTTP 409   the request contradicts current state
    ├── TooManyAttemptsError         exit 75  HTTP 429   too many tries: come back after a delay
    ├── TelephonyError               exit 69  HTTP 503   Asterisk / AMI trouble
    │   ├── AmiConnectionError                          cannot reach or log in to AMI
    │   │   └── NotConnectedError                       no session: the request was not sent
    │   └── AmiActionError                              AMI answered an action with an error
    │       └── AmiTimeoutError                         no answer in time
    ├── RigError                     exit 70  HTTP 500   the local Asterisk rig failed
    │   └── ProvisioningError                           a provisioning command failed
    └── StorageError                 exit 74  HTTP 503   the database failed

Exit codes follow BSD ``sysexits.h``. :func:`exit_code` and :func:`http_status` are the
only places that map errors to codes.
"""

from __future__ import annotations


class DialerError(Exception):
    """Base of every error the dialer raises on purpose."""


class ConfigurationError(DialerError):
    """A setting is missing or invalid."""


class InputError(DialerError):
    """User input is invalid. The message names the file, line or field."""


class NotFoundError(InputError):
    """A named thing (campaign, agent, file, ...) does not exist."""


class RowsError(InputError):
    """Several lines of a file are bad: ``problems`` names each one (``file:line:field :
    reason``); the message lists the first :data:`SHOWN` of them."""

    SHOWN = 200

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        more = len(self.problems) - self.SHOWN
        text = "\n".join(self.problems[: self.SHOWN])
        if more > 0:
            text += f"\n… et {more} autre(s) ligne(s) refusée(s)"
        super().__init__(text)


class AuthenticationError(DialerError):
    """Not logged in, wrong credentials, or an expired session."""


class PermissionDeniedError(DialerError):
    """The account's role does not allow this."""


class NotReadyError(PermissionDeniedError):
    """The account may not do this yet (an untrained volunteer taking calls); the message
    is French, for the person, and says why."""


class ConflictError(DialerError):
    """The request contradicts the current state (e.g. starting a running campaign)."""


class TooManyAttemptsError(DialerError):
    """Too many attempts (logins) for now; ``retry_after_s`` says when to come back. The
    message is French, for the person."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class TelephonyError(DialerError):
    """Asterisk or its AMI connection failed."""


class AmiConnectionError(TelephonyError):
    """AMI cannot be reached, or refused the login."""


class NotConnectedError(AmiConnectionError):
    """No AMI session: the request was refused before anything was sent to Asterisk."""


class AmiActionError(TelephonyError):
    """AMI answered an action with ``Response: Error``."""


class AmiTimeoutError(AmiActionError):
    """An AMI action got no answer in time."""


class RigError(DialerError):
    """The local Asterisk rig (provisioning, start, stop, simulated world) failed."""


class ProvisioningError(RigError):
    """A provisioning step failed; the message carries the command and its output."""


class StorageError(DialerError):
    """The database failed."""


_EXIT_CODES: tuple[tuple[type[DialerError], int], ...] = (
    (NotFoundError, 66),
    (InputError, 65),
    (AuthenticationError, 77),
    (PermissionDeniedError, 77),
    (ConfigurationError, 78),
    (ConflictError, 75),
    (TooManyAttemptsError, 75),
    (TelephonyError, 69),
    (RigError, 70),
    (StorageError, 74),
    (DialerError, 1),
)

_HTTP_STATUSES: tuple[tuple[type[DialerError], int], ...] = (
    (NotFoundError, 404),
    (InputError, 422),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (ConflictError, 409),
    (TooManyAttemptsError, 429),
    (TelephonyError, 503),
    (StorageError, 503),
    (DialerError, 500),
)


def exit_code(error: DialerError) -> int:
    """The process exit code for ``error`` (most specific class first)."""
    return next(code for cls, code in _EXIT_CODES if isinstance(error, cls))


def http_status(error: DialerError) -> int:
    """The HTTP status for ``error`` (most specific class first)."""
    return next(code for cls, code in _HTTP_STATUSES if isinstance(error, cls))
