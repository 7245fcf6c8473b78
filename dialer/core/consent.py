"""A household's consent to the volunteer calls (« veille sociale »).

Unlike the register's people, called under the city's public-health mission, the
households of the volunteer calls are called only because they agreed: a *consent* says
who agreed (the person, or a named relative for them), when, by which channel, for what
(regular friendly calls; inclusion in emergency campaigns) and who collected it. A consent
is never deleted: a withdrawal fills ``withdrawn_at`` (who asked, how), so its history
stays, as the law asks the city to be able to show it.

:func:`valid_consent` is the one rule; the storage applies it in SQL where a veille-sociale
cycle enrols and plans people (:mod:`dialer.storage.consent_rows`). Pure: ``at`` is
passed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from dialer.core.windows import PARIS

#: names and free texts of a consent are short
NAME_MAX_LENGTH = 200
#: the list of the households who agreed (``dialer register import FILE --list
#: veille_sociale``): in an emergency campaign, a household known only from this list is
#: selected and called only with a valid consent to emergency campaigns
CONSENT_LIST = "veille_sociale"


class ConsentPurpose(StrEnum):
    """What the household agreed to."""

    REGULAR_CALLS = "regular_calls"  # the volunteers' regular friendly calls
    EMERGENCY_CAMPAIGNS = "emergency_campaigns"  # inclusion in emergency campaigns


class ConsentChannel(StrEnum):
    """How the consent (or its withdrawal) was given."""

    PHONE = "phone"
    PAPER = "paper"
    ONLINE_FORM = "online_form"
    IN_PERSON = "in_person"


class AgreedBy(StrEnum):
    """Who agreed (or withdrew)."""

    PERSON = "person"
    RELATIVE = "relative"


@dataclass(frozen=True)
class Consent:
    """One consent as stored."""

    agreed_at: datetime
    purposes: frozenset[ConsentPurpose]
    withdrawn_at: datetime | None = None


def consent_of(
    agreed_at: datetime, *, regular: bool, emergency: bool, withdrawn_at: datetime | None
) -> Consent:
    """A consent from its stored columns (one flag per purpose)."""
    purposes = {
        ConsentPurpose.REGULAR_CALLS: regular,
        ConsentPurpose.EMERGENCY_CAMPAIGNS: emergency,
    }
    return Consent(agreed_at, frozenset(p for p, on in purposes.items() if on), withdrawn_at)


def valid_consent(consent: Consent, purpose: ConsentPurpose, at: datetime) -> bool:
    """Does ``consent`` allow ``purpose`` at ``at``? Given before (or at) ``at``, for that
    purpose, and not withdrawn by then."""
    if purpose not in consent.purposes or consent.agreed_at > at:
        return False
    return consent.withdrawn_at is None or consent.withdrawn_at > at


def may_be_called(consents: Iterable[Consent], purpose: ConsentPurpose, at: datetime) -> bool:
    """May the household be called for ``purpose`` at ``at``: one of its consents allows it."""
    return any(valid_consent(consent, purpose, at) for consent in consents)


def stopped_by_withdrawal(consents: Iterable[Consent], at: datetime) -> frozenset[ConsentPurpose]:
    """What a withdrawal at ``at`` stops: every purpose a consent still allowed then (a
    withdrawal withdraws the household from this mode entirely: its regular calls and its
    inclusion in emergency campaigns)."""
    return frozenset(
        purpose
        for consent in consents
        for purpose in consent.purposes
        if valid_consent(consent, purpose, at)
    )


def withdrawal_covering(
    agreed_at: datetime, consents: Iterable[Consent], *, is_withdrawn_one: bool = True
) -> datetime | None:
    """The household's latest withdrawal when a consent agreed at ``agreed_at`` is not a
    new one (``None`` otherwise): what was withdrawn must not come back when the city
    re-sends its whole list. Days are compared in Paris time (a consent carries a day, not
    an hour): a consent dated before the withdrawal's day is covered by it; one dated that
    very day is covered only when it ``is_withdrawn_one`` (the same agreement as a
    withdrawn consent); otherwise it is a new consent given after the withdrawal (the
    household changed its mind the same day); one dated after it is always new."""
    latest = max(
        (consent.withdrawn_at for consent in consents if consent.withdrawn_at is not None),
        default=None,
    )
    if latest is None:
        return None
    agreed_on, withdrawn_on = paris_day(agreed_at), paris_day(latest)
    if agreed_on < withdrawn_on or (agreed_on == withdrawn_on and is_withdrawn_one):
        return latest
    return None


def paris_day(at: datetime) -> date:
    """The day of ``at`` in Paris (a consent file's day is stored as its midnight UTC)."""
    return at.astimezone(PARIS).date()


class ConsentGap(StrEnum):
    """Why a household of the veille-sociale list is not called by the volunteers."""

    NONE = "none"  # no consent recorded
    WITHDRAWN = "withdrawn"  # its consent was withdrawn
    EMERGENCY_ONLY = "emergency_only"  # agreed to emergency campaigns only


def consent_gap(consents: Iterable[Consent], at: datetime) -> ConsentGap | None:
    """Why the household has no valid consent to regular calls at ``at`` (``None``: it has
    one); shown to the supervisors so that nobody on the list is silently never called."""
    every = list(consents)
    if may_be_called(every, ConsentPurpose.REGULAR_CALLS, at):
        return None
    if not every:
        return ConsentGap.NONE
    if any(c.withdrawn_at is not None and c.withdrawn_at <= at for c in every):
        return ConsentGap.WITHDRAWN
    return ConsentGap.EMERGENCY_ONLY


def kept_after_withdrawal(
    consent: Consent, withdrawn: frozenset[ConsentPurpose]
) -> frozenset[ConsentPurpose] | None:
    """What a running ``consent`` still allows after a withdrawal of the purposes
    ``withdrawn`` only (a household may stop the regular calls and stay on the emergency
    campaigns' list): its other purposes; None when the withdrawal does not touch it."""
    if consent.withdrawn_at is not None or not consent.purposes & withdrawn:
        return None
    return consent.purposes - withdrawn


def purge_due(consents: Iterable[Consent], cutoff: datetime) -> bool:
    """Has the household withdrawn from the regular calls for longer than the retention
    (withdrawn before ``cutoff``, with no consent to them given since)? Then what the
    volunteer calls collected about them goes; the consents themselves stay (the proof of
    what was agreed and withdrawn). A consent kept for emergency campaigns only does not
    hold the purge back: the volunteers' calls are what it purges."""
    every = [c for c in consents if ConsentPurpose.REGULAR_CALLS in c.purposes]
    if not every or any(consent.withdrawn_at is None for consent in every):
        return False
    return max(consent.withdrawn_at or cutoff for consent in every) < cutoff


def emergency_inclusion(lists: frozenset[str], emergency_consent: bool) -> frozenset[str]:
    """The lists through which a household may be selected into an emergency campaign:
    all of its lists, but the veille-sociale list (:data:`CONSENT_LIST`) only with a valid
    consent to emergency campaigns (people on the register are selected as usual)."""
    return lists if emergency_consent else lists - {CONSENT_LIST}
