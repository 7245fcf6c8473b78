"""What kind of line a person's number is."""

from __future__ import annotations

from enum import StrEnum


class PhoneKind(StrEnum):
    MOBILE = "mobile"
    LANDLINE = "landline"
    VOIP = "voip"
    OTHER = "other"


def spreadsheet_number(e164: str) -> str:
    """A number as exports write it: text a spreadsheet keeps as it is and a French office
    dials. French numbers in their national form (``01 45 67 89 10``), others after the
    international prefix dialled from France (``00 44 2079460958``): never a leading ``+``
    (a formula to a spreadsheet), never bare digits (a number losing its leading zero)."""
    digits = e164[1:]
    if not e164.startswith("+") or not digits.isdigit():
        return e164
    if digits.startswith("33") and len(digits) == 11:
        national = "0" + digits[2:]
        return " ".join(national[index : index + 2] for index in range(0, 10, 2))
    return "00 " + digits
