"""What a person who logs in may do: their role."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    OPERATIONS = "operations"
    TEAM_MEMBER = "team_member"
    ADMINISTRATOR = "administrator"
    #: a trained volunteer of the veille sociale: preview calls to the households assigned
    VOLUNTEER = "volunteer"
