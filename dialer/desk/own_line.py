"""Choosing one's line from the profile page: the softphone (the account's SIP endpoint) or
one's own phone (« mon téléphone »), whose number is checked as the register checks French
numbers (:mod:`dialer.register.phones`) and then by the own-line rule
(:func:`dialer.core.own_line.own_line_refusal`)."""

from __future__ import annotations

from dialer.core.labels import OWN_LINE_REFUSAL_LABELS
from dialer.core.own_line import own_line_refusal
from dialer.errors import InputError
from dialer.register.phones import PhoneError, normalise_phone
from dialer.storage.accounts import AccountRepository

#: the form's field holding the number
NUMBER_FIELD = "numero"


def own_line_number(text: str) -> str:
    """The E.164 form of an agent's own phone number, or :class:`InputError` naming the
    field and the reason."""
    try:
        record = normalise_phone(text.strip()[:40])
    except PhoneError as exc:
        raise InputError(f"champ « {NUMBER_FIELD} » : {exc.reason}") from None
    refusal = own_line_refusal(record.e164, record.kind)
    if refusal is not None:
        raise InputError(f"champ « {NUMBER_FIELD} » : {OWN_LINE_REFUSAL_LABELS[refusal]}")
    return record.e164


async def choose_line(
    accounts: AccountRepository, account_id: int, *, own_phone: bool, number: str
) -> str | None:
    """Store the account's line: its own phone (the checked number, returned) or its
    softphone (None)."""
    chosen = own_line_number(number) if own_phone else None
    await accounts.set_own_phone(account_id, chosen)
    return chosen
