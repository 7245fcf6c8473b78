"""The billing totals of a closed cycle, kept when the purge deletes the cycle's ledger
(attempts, call sheets): what the bill is computed from, without any personal data.

A report reads a cycle's totals from here once its rows are gone (``ReportRows``). The
table is created by the migration ``0012``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from dialer.storage.models import Base


class BillingPeriod(Base):
    __tablename__ = "billing_periods"

    #: one closed cycle
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycles.id"), primary_key=True)
    #: contacts billed (one per person, each tied to its call: the reconciliation's)
    billed_contacts: Mapped[int] = mapped_column(Integer)
    #: people with a complete questionnaire (the volume bands of the later cycles)
    useful_contacts: Mapped[int] = mapped_column(Integer)
    #: calls an agent handled and wrapped up, and the sum of their handling times (DMT)
    handled_calls: Mapped[int] = mapped_column(Integer)
    handling_total_s: Mapped[float] = mapped_column(Float)
    #: when the purge recorded them
    recorded_at: Mapped[datetime]


@dataclass(frozen=True)
class PeriodTotals:
    """The billing totals of one cycle."""

    cycle_id: int
    billed_contacts: int
    useful_contacts: int
    handled_calls: int
    handling_total_s: float


def totals_of(period: BillingPeriod) -> PeriodTotals:
    return PeriodTotals(
        cycle_id=period.cycle_id,
        billed_contacts=period.billed_contacts,
        useful_contacts=period.useful_contacts,
        handled_calls=period.handled_calls,
        handling_total_s=period.handling_total_s,
    )
