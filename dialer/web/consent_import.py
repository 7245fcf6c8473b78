"""The city's file of consents imported from the supervisor's page or the API: the same
reading (:func:`dialer.consent_files.consents_of`, here off the event loop) and the same
registry (:meth:`ConsentRegistry.record`, all or nothing, every refused line named, the
lines of withdrawn households skipped and reported) as ``dialer consent import``, plus one
audit entry for the import (``consent.import``) next to each consent's own
(``consent.recorded``, written at once). The request body is bounded before anything
reads it (:data:`UPLOAD_LIMIT`, in :data:`dialer.web.app.LARGER_BODY_LIMITS`)."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from starlette.datastructures import UploadFile
from starlette.requests import Request

from dialer.consent_files import consents_of
from dialer.core.campaign_plans import today_in_paris
from dialer.desk.operations import Steering, record_change
from dialer.errors import InputError, RowsError
from dialer.storage.consents import ConsentRegistry

#: the largest consents file uploaded: 1 MiB, about 15,000 households, ten times a big
#: city's list (500 to 1,000 households a year): an import holds the audit chain (and, on
#: SQLite, every write) while it runs, well under a second at this size
UPLOAD_LIMIT = 1024 * 1024
_NAME_MAX = 100


@dataclass(frozen=True)
class ConsentImport:
    """What an import did: lines read, consents recorded, lines skipped (the household
    withdrew: each named, with why), the others already known."""

    file: str
    read: int
    recorded: int
    skipped: tuple[str, ...] = ()

    @property
    def known(self) -> int:
        return self.read - self.recorded - len(self.skipped)

    def summary(self) -> str:
        withdrawn = (
            f", {len(self.skipped)} non enregistré(s) (foyer ayant retiré son accord)"
            if self.skipped
            else ""
        )
        return (
            f"{self.file} : {self.read} ligne(s) lue(s), {self.recorded} accord(s) "
            f"enregistré(s), {self.known} déjà connu(s){withdrawn}."
        )


def upload_name(filename: str | None) -> str:
    """How messages name an uploaded file: its own name, without folders or control
    characters, short."""
    name = PureWindowsPath(PurePosixPath(filename or "").name).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:_NAME_MAX] or "fichier.csv"


async def uploaded(request: Request, field: str) -> tuple[str, bytes] | None:
    """The file sent in the multipart field ``field``: its name and bytes (``None``
    without one); the upload's spool is closed."""
    async with request.form() as form:
        upload = form.get(field)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return None
        return upload.filename, await upload.read()


def problems_of(error: InputError) -> list[str]:
    """Each refused line of a failed import (one message for a file refused whole)."""
    return error.problems if isinstance(error, RowsError) else [str(error)]


async def import_consent_upload(
    ops: Steering, *, actor: str, filename: str | None, content: bytes, route: str
) -> ConsentImport:
    """Read and record an uploaded consents file, all or nothing; :class:`InputError`
    naming ``file:line:field`` (:class:`RowsError`: each refused line)."""
    name = upload_name(filename)
    now = ops.clock()
    records = await asyncio.to_thread(consents_of, name, content, today=today_in_paris(now))
    recorded = await ConsentRegistry(ops.sessions).record(
        records, actor=actor, now=now, route=route
    )
    done = ConsentImport(name, len(records), recorded.written, recorded.skipped)
    await record_change(
        ops, actor, "consent.import", f"file:{name}", route=route, read=done.read,
        recorded=done.recorded, known=done.known, skipped=len(done.skipped),
    )  # fmt: skip
    return done
