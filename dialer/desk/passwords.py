"""Password hashing with Argon2id (argon2-cffi), and the password rule.

An Argon2 hash or verification takes a few hundred milliseconds of CPU and 64 MiB on
purpose; run on the event loop it would stall the dialing engine that shares the loop
(a flood of wrong logins made the engine take a second to join an answered person).
So every hash and verification runs in a small pool of threads of its own (argon2-cffi
releases the GIL), one fewer than the machine's cores so that a core always stays free
for the event loop, at a lower CPU priority (``nice`` +10, on Linux) so that the loop
goes first when the machine is busy. At most :data:`BACKLOG_PER_WORKER` jobs per thread
wait their turn: beyond, :class:`~dialer.errors.TooManyAttemptsError` says to come back
in a moment (the login rate limits of :mod:`dialer.core.login_limits` keep that rare).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dialer.core.labels import SERVER_BUSY
from dialer.errors import InputError, TooManyAttemptsError

#: ANSSI's advice for a password that is the only factor: 12 characters at least
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256
#: jobs allowed to wait per thread of the pool before new ones are refused
BACKLOG_PER_WORKER = 8
#: how much nicer than the event loop the password threads are
THREAD_NICENESS = 10

T = TypeVar("T")


def default_workers() -> int:
    """One thread fewer than the cores (at least one): a core stays free for the loop."""
    return max(1, (os.cpu_count() or 1) - 1)


def _lower_priority() -> None:
    """Run this thread ``THREAD_NICENESS`` nicer (Linux gives each thread its own nice
    value; elsewhere this may fail, and the thread keeps the process's)."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), THREAD_NICENESS)


class Passwords:
    """Hash and verify, off the event loop. ``hasher`` may be a cheaper one in tests."""

    def __init__(self, hasher: PasswordHasher | None = None, *, workers: int | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        self.workers = workers or default_workers()
        self._pool = ThreadPoolExecutor(
            self.workers, thread_name_prefix="passwords", initializer=_lower_priority
        )
        self._pending = 0
        # verified against when the username is unknown, so timing tells nothing (made
        # in the pool at the first verification: hashing here would block the caller)
        self._decoy: str | None = None

    def check_rule(self, password: str, field: str | None = None) -> None:
        """:class:`InputError` for a password too short or too long, naming ``field`` (the
        form's or the request's field the password was typed in) when given."""
        named = f"champ « {field} » : " if field else ""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InputError(
                f"{named}le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères"
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InputError(
                f"{named}le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères"
            )

    async def hash(self, password: str, *, field: str | None = None) -> str:
        """The Argon2id hash of a password that follows the rule (:class:`InputError`
        naming ``field`` otherwise)."""
        self.check_rule(password, field)
        return await self._off_loop(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; always costs one verification (against a decoy
        when ``password_hash`` is ``None``). An over-long password costs nothing and fails."""
        if len(password) > MAX_PASSWORD_LENGTH:
            return False
        return await self._off_loop(self._verify, password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        """Reads the hash's parameters only (microseconds)."""
        return self._hasher.check_needs_rehash(password_hash)

    @property
    def pending(self) -> int:
        """Jobs running or waiting in the pool."""
        return self._pending

    def _verify(self, password_hash: str | None, password: str) -> bool:
        if password_hash is None and self._decoy is None:
            self._decoy = self._hasher.hash("decoy password, never valid")
        try:
            return self._hasher.verify(password_hash or self._decoy or "", password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def _off_loop(self, work: Callable[..., T], *args: object) -> T:
        if self._pending >= self.workers * (1 + BACKLOG_PER_WORKER):
            raise TooManyAttemptsError(SERVER_BUSY, retry_after_s=1)
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)
        finally:
            self._pending -= 1
