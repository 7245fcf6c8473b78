"""AMI messages as our own typed values, independent of panoramisk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class AmiMessage:
    """One AMI event or response. Header names are kept as Asterisk spells them;
    :meth:`get` looks them up case-insensitively. Repeated headers keep their last value
    in ``headers`` and every value in ``multi``."""

    headers: Mapping[str, str]
    multi: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The event name (``Hangup``), or ``""`` for a response."""
        return self.get("Event")

    @property
    def is_event(self) -> bool:
        return bool(self.get("Event"))

    @property
    def succeeded(self) -> bool:
        """True for an event, or a ``Response: Success|Follows|Goodbye``."""
        return self.is_event or self.get("Response") in {"Success", "Follows", "Goodbye"}

    def get(self, header: str, default: str = "") -> str:
        lowered = header.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default
