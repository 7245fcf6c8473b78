"""Password hashing with Argon2id (argon2-cffi), and the password rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from dialer.errors import InputError

#: ANSSI's advice for a password that is the only factor: 12 characters at least
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class Passwords:
    """Hash and verify. ``hasher`` may be a cheaper one in tests."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # verified against when the username is unknown, so timing tells nothing
        self._decoy = self._hasher.hash("decoy password, never valid")

    def check_rule(self, password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InputError(
                f"le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères"
            )
        if len(password) > MAX_PASSWORD_LENGTH:
            raise InputError(
                f"le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères"
            )

    def hash(self, password: str) -> str:
        self.check_rule(password)
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; always costs one verification."""
        try:
            return self._hasher.verify(password_hash or self._decoy, password) and (
                password_hash is not None
            )
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
