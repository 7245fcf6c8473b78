"""The audit log's hash chain: each entry's hash is SHA-256 over a canonical serialisation
of the entry and the previous entry's hash, so changing, removing or reordering a stored
entry breaks every hash after it. Pure functions; the storage keeps the chain's head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

#: the "previous hash" of the very first entry
GENESIS = "0" * 64


@dataclass(frozen=True)
class ChainedFields:
    """What an entry's hash covers (everything but its row id and its own hash)."""

    prev_hash: str
    at: datetime
    actor: str
    action: str
    target: str
    person_id: int | None
    route: str
    details: dict[str, Any]


def canonical(fields: ChainedFields) -> bytes:
    """The entry as sorted, compact JSON, its moment in UTC with microseconds."""
    document = {
        "prev": fields.prev_hash,
        "at": fields.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": fields.actor,
        "action": fields.action,
        "target": fields.target,
        "person": fields.person_id,
        "route": fields.route,
        "details": fields.details,
    }
    return json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def entry_hash(fields: ChainedFields) -> str:
    return hashlib.sha256(canonical(fields)).hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first entry whose stored hashes do not follow from the chain."""

    entry_id: int | None
    reason: str


def check_link(expected_prev: str, fields: ChainedFields, stored_hash: str) -> str | None:
    """Why an entry does not follow ``expected_prev`` (None when it does)."""
    if fields.prev_hash != expected_prev:
        return "le hachage précédent ne correspond pas (entrée supprimée ou déplacée)"
    if entry_hash(fields) != stored_hash:
        return "le contenu a été modifié (hachage différent)"
    return None
