"""The consent rules of the volunteer calls (:mod:`dialer.core.consent`): valid at a date,
for a purpose, until withdrawn; what a withdrawal stops; when the purge may go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.core.consent import (
    Consent,
    ConsentGap,
    ConsentPurpose,
    consent_gap,
    may_be_called,
    purge_due,
    stopped_by_withdrawal,
    valid_consent,
    withdrawal_covering,
)

T = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
REGULAR = ConsentPurpose.REGULAR_CALLS
EMERGENCY = ConsentPurpose.EMERGENCY_CAMPAIGNS
BOTH = frozenset({REGULAR, EMERGENCY})


def test_a_consent_is_valid_from_its_date_for_its_purposes_until_withdrawn() -> None:
    consent = Consent(T, frozenset({REGULAR}), withdrawn_at=T + timedelta(days=10))
    assert not valid_consent(consent, REGULAR, T - timedelta(seconds=1))
    assert valid_consent(consent, REGULAR, T)
    assert valid_consent(consent, REGULAR, T + timedelta(days=10) - timedelta(seconds=1))
    assert not valid_consent(consent, REGULAR, T + timedelta(days=10))
    assert not valid_consent(consent, EMERGENCY, T + timedelta(days=1))


def test_a_household_may_be_called_when_one_of_its_consents_allows_it() -> None:
    old = Consent(T, BOTH, withdrawn_at=T + timedelta(days=1))
    new = Consent(T + timedelta(days=5), frozenset({EMERGENCY}))
    assert may_be_called([old, new], REGULAR, T + timedelta(hours=1))
    assert not may_be_called([old, new], REGULAR, T + timedelta(days=6))
    assert may_be_called([old, new], EMERGENCY, T + timedelta(days=6))
    assert not may_be_called([], REGULAR, T)


def test_a_withdrawal_stops_everything_the_consents_still_allowed() -> None:
    running = Consent(T, BOTH)
    assert stopped_by_withdrawal([running], T + timedelta(days=1)) == BOTH
    ended = Consent(T, BOTH, withdrawn_at=T)
    assert stopped_by_withdrawal([ended], T + timedelta(days=1)) == frozenset()


def test_the_purge_waits_for_every_consent_withdrawn_before_the_cutoff() -> None:
    cutoff = T + timedelta(days=90)
    withdrawn = Consent(T - timedelta(days=30), BOTH, withdrawn_at=T)
    assert purge_due([withdrawn], cutoff)
    assert not purge_due([withdrawn], T)  # not old enough
    assert not purge_due([withdrawn, Consent(T, BOTH)], cutoff)  # agreed again since
    late = Consent(T, BOTH, withdrawn_at=cutoff + timedelta(days=1))
    assert not purge_due([withdrawn, late], cutoff)
    assert not purge_due([], cutoff)


def test_a_consent_on_or_before_the_latest_withdrawal_is_not_a_new_one() -> None:
    first = Consent(T, BOTH, withdrawn_at=T + timedelta(days=10))
    second = Consent(T + timedelta(days=20), BOTH, withdrawn_at=T + timedelta(days=30))
    assert withdrawal_covering(T, []) is None
    assert withdrawal_covering(T, [Consent(T, BOTH)]) is None  # none withdrawn
    assert withdrawal_covering(T, [first]) == T + timedelta(days=10)
    assert withdrawal_covering(T + timedelta(days=10), [first]) == T + timedelta(days=10)
    assert withdrawal_covering(T + timedelta(days=11), [first]) is None  # after: a new one
    # the latest withdrawal counts: a consent between the two is refused too
    assert withdrawal_covering(T + timedelta(days=15), [first, second]) == T + timedelta(days=30)


def test_days_are_compared_in_paris_and_a_same_day_consent_counts_unless_withdrawn() -> None:
    """Withdrawn at 23:30 UTC on 13/07 (01:30 on 14/07 in Paris): a consent dated 13/07
    is before it, one dated 14/07 is that day: the withdrawn one is covered, another one
    is new."""
    agreed = datetime(2026, 7, 1, tzinfo=UTC)
    withdrawn = Consent(agreed, BOTH, withdrawn_at=datetime(2026, 7, 13, 23, 30, tzinfo=UTC))
    dated_13 = datetime(2026, 7, 13, tzinfo=UTC)  # a file's day: its midnight UTC
    dated_14 = datetime(2026, 7, 14, tzinfo=UTC)
    assert withdrawal_covering(dated_13, [withdrawn], is_withdrawn_one=False) is not None
    assert withdrawal_covering(dated_14, [withdrawn], is_withdrawn_one=True) is not None
    assert withdrawal_covering(dated_14, [withdrawn], is_withdrawn_one=False) is None
    assert withdrawal_covering(datetime(2026, 7, 15, tzinfo=UTC), [withdrawn]) is None


def test_why_a_household_is_not_called_by_the_volunteers() -> None:
    at = T + timedelta(days=5)
    assert consent_gap([Consent(T, BOTH)], at) is None
    assert consent_gap([], at) is ConsentGap.NONE
    assert consent_gap([Consent(T, BOTH, withdrawn_at=T + timedelta(days=1))], at) is (
        ConsentGap.WITHDRAWN
    )
    assert consent_gap([Consent(T, frozenset({EMERGENCY}))], at) is ConsentGap.EMERGENCY_ONLY
