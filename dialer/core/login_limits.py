"""How often one may try to log in: pure rules, ``now`` passed in.

Three limits, checked before any password is verified:

- **global**: at most ``per_second`` attempts a second for the whole service (bursts of
  ``burst``), so no crowd of addresses can keep the password threads busy;
- **per address**: at most ``per_minute`` attempts a minute from one network address
  (bursts of ``burst``);
- **per account and address**: each attempt is counted *before* its password is verified
  (:func:`after_failures`), and the next one from the same address for the same account
  must wait 1 s, 2 s, 4 s… (at most 15 minutes) until one succeeds. Guesses sent at once
  get no more tries than guesses sent one after the other, and an attacker elsewhere never
  delays the account's owner: there is no lock that others can trigger.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

#: the wait after the first counted attempt, doubled after each further one
FIRST_DELAY = timedelta(seconds=1)
LONGEST_DELAY = timedelta(minutes=15)
#: addresses remembered by the per-address limit (the least recently seen go first)
MAX_ADDRESSES = 10_000


def after_failures(failures: int) -> timedelta:
    """The wait before the next attempt once ``failures`` attempts are counted (0: none)."""
    if failures <= 0:
        return timedelta(0)
    doublings = min(failures - 1, 20)
    return min(FIRST_DELAY * (1 << doublings), LONGEST_DELAY)


def seconds_until(moment: datetime, now: datetime) -> int:
    """Whole seconds from ``now`` to ``moment`` (at least 1): a ``Retry-After`` value."""
    return max(1, math.ceil((moment - now).total_seconds()))


@dataclass
class TokenBucket:
    """``capacity`` attempts at once, refilled at ``per_second``."""

    capacity: float
    per_second: float
    tokens: float
    updated: datetime

    @classmethod
    def full(cls, capacity: float, per_second: float, now: datetime) -> TokenBucket:
        return cls(capacity, per_second, capacity, now)

    def take(self, now: datetime) -> int | None:
        """Take one attempt: ``None`` when allowed, else the seconds to wait for one."""
        elapsed = max(0.0, (now - self.updated).total_seconds())
        self.tokens = min(self.capacity, self.tokens + elapsed * self.per_second)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.per_second))


@dataclass(frozen=True)
class LoginRates:
    """The global and per-address limits (settings ``web.login_*``)."""

    per_second: float = 10.0
    burst: int = 30
    per_address_per_minute: float = 30.0
    per_address_burst: int = 30


class LoginRateLimits:
    """The global and per-address token buckets, in memory."""

    def __init__(self, rates: LoginRates) -> None:
        self.rates = rates
        self._global: TokenBucket | None = None
        self._addresses: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, address: str, now: datetime) -> int | None:
        """Count one attempt from ``address``: ``None`` when allowed, else the seconds to
        wait. A refused attempt still uses up its address's allowance, never the global
        one, so one noisy address cannot shut everyone else out."""
        rates = self.rates
        bucket = self._addresses.pop(address, None) or TokenBucket.full(
            rates.per_address_burst, rates.per_address_per_minute / 60, now
        )
        self._addresses[address] = bucket
        while len(self._addresses) > MAX_ADDRESSES:
            self._addresses.popitem(last=False)
        wait = bucket.take(now)
        if wait is not None:
            return wait
        if self._global is None:
            self._global = TokenBucket.full(rates.burst, rates.per_second, now)
        return self._global.take(now)
