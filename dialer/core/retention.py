"""Retention: how long each kind of personal data is kept, and the moment before which it
goes (GDPR art. 5(1)(e), storage limitation). Pure: ``now`` is passed in.

A month is a calendar month (12 months before 29 February is 28 February of the year
before); a kind's *cutoff* is the moment its retention ends: what is older goes.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class DataKind(StrEnum):
    """The kinds of personal data the purge deletes, in the order it deletes them."""

    ANSWERS = "answers"  # questionnaire answers and free-text notes
    ALERTS = "alerts"  # acknowledged alerts and their deliveries
    NEVER_REACHED = "never_reached"  # never-reached and wrong-number lists of closed cycles
    LEDGER = "ledger"  # the attempt ledger of closed cycles (and their call sheets)
    AUDIT = "audit"  # the audit log
    WEB_SESSIONS = "web_sessions"  # server-side web sessions
    #: what the volunteer calls collected about a household that withdrew its consent
    WITHDRAWN_CONSENT = "withdrawn_consent"


@dataclass(frozen=True)
class RetentionPolicy:
    answers_months: int
    alerts_months: int
    never_reached_months: int
    ledger_months: int
    audit_months: int
    web_sessions: timedelta
    withdrawn_consent_months: int = 3

    def cutoffs(self, now: datetime) -> dict[DataKind, datetime]:
        """Per kind, the moment before which its data goes."""
        return {
            DataKind.ANSWERS: months_before(now, self.answers_months),
            DataKind.ALERTS: months_before(now, self.alerts_months),
            DataKind.NEVER_REACHED: months_before(now, self.never_reached_months),
            DataKind.LEDGER: months_before(now, self.ledger_months),
            DataKind.AUDIT: months_before(now, self.audit_months),
            DataKind.WEB_SESSIONS: now - self.web_sessions,
            DataKind.WITHDRAWN_CONSENT: months_before(now, self.withdrawn_consent_months),
        }


def months_before(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months earlier (the day clamped to the month's end)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    last_day = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def next_daily_run(now: datetime, hour: int) -> datetime:
    """The next ``hour``:00 (in ``now``'s zone) strictly after ``now``."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return today if today > now else today + timedelta(days=1)
