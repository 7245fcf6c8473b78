"""Who may do what: the one table of permissions, read by the web pages, the REST API and
the agents' WebSocket alike (:mod:`dialer.web.access` attaches an :class:`Action` to
every route). A role not listed for an action is refused (HTTP 403).

Besides the table, the rules on accounts themselves live here: an installation always keeps
an active administrator (:func:`administrators_left_refusal`), and a password is changed by
its owner (knowing the current one) or reset by an administrator
(:data:`Action.ACCOUNTS_MANAGE`)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from dialer.core.campaigns import CampaignKind
from dialer.core.roles import Role


class Action(StrEnum):
    """What a request does, as the permission table knows it."""

    #: the agent's own desk: screen, phone, calls, call sheets, the people they call (and,
    #: on their own veille-sociale call, the household's withdrawal of its consent); a
    #: trained volunteer's too, on veille-sociale campaigns only (:func:`may_take_calls_of`)
    AGENT_DESK = "agent_desk"
    #: the agent's history of their call sheets (answers, scores): not the volunteers'
    AGENT_HISTORY = "agent_history"
    #: a call's score and risk level, told when its sheet is submitted: not the volunteers'
    #: (they see only what the call needs)
    CALL_SCORES = "call_scores"
    #: the intervention team's alert inbox
    ALERTS_INBOX = "alerts_inbox"
    ALERT_ACKNOWLEDGE = "alert_acknowledge"
    #: live supervision and the dashboard
    SUPERVISION_VIEW = "supervision_view"
    CAMPAIGNS_VIEW = "campaigns_view"
    CAMPAIGNS_STEER = "campaigns_steer"
    #: a campaign's settings: calling windows, retries, AMD, caller id, ring timeout...
    CAMPAIGN_SETTINGS = "campaign_settings"
    REPORTS_VIEW = "reports_view"
    #: the per-person results (answers, scores, alerts) of a cycle or an episode, exported
    RESULTS_EXPORT = "results_export"
    REGISTER_IMPORT = "register_import"
    AGENTS_VIEW = "agents_view"
    AGENT_LOGOUT = "agent_logout"
    #: create agents, reset their SIP credentials
    AGENTS_MANAGE = "agents_manage"
    TEAMS_VIEW = "teams_view"
    TEAMS_MANAGE = "teams_manage"
    AUDIT_VIEW = "audit_view"
    #: the administration page: accounts of every role, their creation, role change,
    #: password reset, deactivation and reactivation
    ACCOUNTS_MANAGE = "accounts_manage"
    #: a person's rights (GDPR): export all that is held on them, correct, erase
    PERSON_RIGHTS = "person_rights"
    #: acknowledge an agent's « besoin d'aide »
    CALL_HELP_ACKNOWLEDGE = "call_help_acknowledge"
    #: listen to an agent's call, whisper to the agent, or join the call (barge)
    CALL_LISTEN = "call_listen"
    #: transfer the agent's own call to a third party (warm, or a three-way conference)
    CALL_TRANSFER = "call_transfer"
    #: on the agent's own call coming in: say who of the register is on the phone (a
    #: shared line), find the person of an unknown number, or note who called
    INBOUND_ATTACH = "inbound_attach"
    #: the never-reached lists (a team member sees their team's, the staff every team's)
    NEVER_REACHED_VIEW = "never_reached_view"
    #: record and lift a person's opposition (« ne plus appeler »); see its history
    OPPOSITION_MANAGE = "opposition_manage"
    #: download a cycle's register changes (deceased, moved, hospitalised, opposed) for the
    #: register's owner
    REGISTER_CHANGES_EXPORT = "register_changes_export"
    #: the households' consents to the volunteer calls (veille sociale): read, withdraw
    CONSENT_MANAGE = "consent_manage"
    #: the volunteer's own desk (veille sociale): only what their calls need; a volunteer
    #: has no other action, so every other page, and every export, refuses them
    VOLUNTEER_DESK = "volunteer_desk"
    #: the volunteers' onboarding (training), coordinators and availability slots
    VOLUNTEERS_MANAGE = "volunteers_manage"
    #: the directory of resources (city services, local partners): read it, and (the
    #: administrators) import and edit it
    RESOURCES_VIEW = "resources_view"
    RESOURCES_MANAGE = "resources_manage"


_VIEWERS = frozenset({Role.SUPERVISOR, Role.OPERATIONS, Role.ADMINISTRATOR})
_STAFF = frozenset({Role.SUPERVISOR, Role.ADMINISTRATOR})
_SUPERVISORS = frozenset({Role.SUPERVISOR})
_ADMINISTRATORS = frozenset({Role.ADMINISTRATOR})

PERMISSIONS: Mapping[Action, frozenset[Role]] = {
    Action.AGENT_DESK: frozenset({Role.AGENT, Role.VOLUNTEER}),
    Action.AGENT_HISTORY: frozenset({Role.AGENT}),
    Action.CALL_SCORES: frozenset({Role.AGENT}),
    Action.ALERTS_INBOX: frozenset({Role.TEAM_MEMBER}),
    Action.ALERT_ACKNOWLEDGE: frozenset({Role.TEAM_MEMBER, Role.SUPERVISOR}),
    Action.SUPERVISION_VIEW: _VIEWERS,
    Action.CAMPAIGNS_VIEW: _VIEWERS,
    Action.CAMPAIGNS_STEER: _SUPERVISORS,
    Action.CAMPAIGN_SETTINGS: _STAFF,
    Action.REPORTS_VIEW: _VIEWERS,
    Action.RESULTS_EXPORT: frozenset({Role.SUPERVISOR, Role.OPERATIONS}),
    Action.REGISTER_IMPORT: _STAFF,
    Action.AGENTS_VIEW: _STAFF,
    Action.AGENT_LOGOUT: _STAFF,
    Action.AGENTS_MANAGE: _ADMINISTRATORS,
    Action.TEAMS_VIEW: _STAFF,
    Action.TEAMS_MANAGE: _ADMINISTRATORS,
    Action.AUDIT_VIEW: _STAFF,
    Action.ACCOUNTS_MANAGE: _ADMINISTRATORS,
    Action.PERSON_RIGHTS: _ADMINISTRATORS,
    Action.NEVER_REACHED_VIEW: _VIEWERS | {Role.TEAM_MEMBER},
    Action.OPPOSITION_MANAGE: _STAFF,
    Action.REGISTER_CHANGES_EXPORT: frozenset({Role.SUPERVISOR, Role.OPERATIONS}),
    Action.CALL_HELP_ACKNOWLEDGE: _SUPERVISORS,
    Action.CALL_LISTEN: _SUPERVISORS,
    Action.CONSENT_MANAGE: _STAFF,
    Action.VOLUNTEER_DESK: frozenset({Role.VOLUNTEER}),
    Action.VOLUNTEERS_MANAGE: _STAFF,
    Action.RESOURCES_VIEW: _VIEWERS,
    Action.RESOURCES_MANAGE: _ADMINISTRATORS,
    Action.CALL_TRANSFER: frozenset({Role.AGENT}),
    Action.INBOUND_ATTACH: frozenset({Role.AGENT}),
}


def allowed(role: Role, action: Action) -> bool:
    """May an account of ``role`` do ``action``?"""
    return role in PERMISSIONS[action]


def may_take_calls_of(role: Role, kind: CampaignKind) -> bool:
    """May an account of ``role`` be offered or joined the calls of a campaign of
    ``kind``? A volunteer takes veille-sociale calls only (never an emergency campaign's
    people); an agent every kind."""
    return role is not Role.VOLUNTEER or kind is CampaignKind.VEILLE_SOCIALE


def roles_for(action: Action) -> tuple[Role, ...]:
    """The roles allowed to do ``action``, in the roles' order."""
    return tuple(role for role in Role if role in PERMISSIONS[action])


def administrators_left_refusal(
    *,
    role_before: Role,
    active_before: bool,
    role_after: Role,
    active_after: bool,
    other_active_administrators: int,
) -> str | None:
    """Why a change of an account's role or activity is refused, or ``None``: the last
    active administrator may neither lose the role nor be deactivated (nobody could then
    manage the accounts but the server's operator)."""
    was_administrator = role_before is Role.ADMINISTRATOR and active_before
    stays_administrator = role_after is Role.ADMINISTRATOR and active_after
    if was_administrator and not stays_administrator and other_active_administrators == 0:
        return "c'est le dernier administrateur actif : nommez d'abord un autre administrateur"
    return None
