"""Importing the city's register of people to call (CSV or XLSX) into the database.

Entry point: :func:`import_register`, which returns an :class:`ImportReport`.
"""

from dialer.register.columns import ColumnMap, Field, load_mapping, normalise_header
from dialer.register.importer import (
    ImportIssue,
    ImportProgress,
    ImportReport,
    ImportStep,
    IssueKind,
    default_rejects_path,
    import_register,
)
from dialer.register.phones import PhoneError, normalise_phone
from dialer.register.reading import RegisterFile, open_register

__all__ = [
    "ColumnMap",
    "Field",
    "ImportIssue",
    "ImportProgress",
    "ImportReport",
    "ImportStep",
    "IssueKind",
    "PhoneError",
    "RegisterFile",
    "default_rejects_path",
    "import_register",
    "load_mapping",
    "normalise_header",
    "normalise_phone",
    "open_register",
]
