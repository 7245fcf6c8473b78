"""Steering operations on agents, teams and the register, shared by the REST API
(:mod:`dialer.web.api`) and the supervisor's pages (:mod:`dialer.web.steering`), so both go
through the same code and the same audit log. (Campaign operations are
:class:`~dialer.campaigns.control.CampaignControl`'s.)

Each operation takes the ``actor`` (login, ``api:<token>``) and records one audit entry.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dialer.alerts.webhook_targets import check_webhook_target, new_webhook_secret
from dialer.campaigns.control import CampaignControl
from dialer.campaigns.episodes import EpisodeControl
from dialer.campaigns.plans import PlanControl
from dialer.core.agent_states import AgentState
from dialer.core.roles import Role
from dialer.core.selection import check_list_name
from dialer.desk.accounts import create_account, create_agent_account
from dialer.desk.passwords import Passwords
from dialer.engine.engine import DialingEngine
from dialer.errors import ConflictError, InputError
from dialer.register.importer import ImportReport, import_register
from dialer.storage.account_rows import Account
from dialer.storage.accounts import AccountRepository
from dialer.storage.alerts import ContactRecord, TeamRecord, TeamRepository
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditLog
from dialer.storage.database import SessionFactory
from dialer.storage.list_rows import DEFAULT_LIST
from dialer.storage.sip_accounts import SipAccountRepository
from dialer.storage.staff import end_web_sessions, set_team_members, team_members

#: register files the import accepts (by suffix)
REGISTER_SUFFIXES = (".csv", ".txt", ".xlsx")


@dataclass
class Steering:
    """What the steering operations work with (the web service keeps one in
    ``app.state.steering``)."""

    sessions: SessionFactory
    control: CampaignControl | None
    episodes: EpisodeControl | None
    audit: AuditLog
    tokens: ApiTokenRepository
    passwords: Passwords
    clock: Callable[[], datetime]
    counters: dict[str, int] = field(default_factory=dict)
    #: team webhooks may point at this machine over plain http (tests only, explicitly)
    allow_loopback_webhooks: bool = False
    #: the campaigns planned by dates (opened and closed by the service's loop)
    plans: PlanControl | None = None

    @property
    def engine(self) -> DialingEngine | None:
        return self.control.engine if self.control is not None else None

    def count(self, name: str) -> None:
        self.counters[name] = self.counters.get(name, 0) + 1

    def statistics(self) -> dict[str, object]:
        return {
            "control": self.control.statistics() if self.control is not None else None,
            "audit": self.audit.statistics(),
            "operations": dict(self.counters),
        }


# ---- agents -----------------------------------------------------------------------------
@dataclass(frozen=True)
class NewSip:
    username: str
    endpoint: str
    password: str  # shown once


async def create_agent(
    ops: Steering,
    *,
    actor: str,
    username: str,
    password: str,
    remote: bool,
    sip_endpoint: str | None = None,
    route: str = "",
    entry_field: str = "password",
) -> NewSip:
    """An agent's account and SIP credentials (the SIP password is returned once), and its
    audit entry: all of it or nothing (an account whose entry cannot be written is taken
    back)."""
    account, sip_password = await create_agent_account(
        ops.sessions,
        username,
        password,
        sip_endpoint=sip_endpoint or username.strip().lower(),
        remote=remote,
        passwords=ops.passwords,
        clock=ops.clock,
        entry_field=entry_field,
    )
    endpoint = account.sip_endpoint or ""
    await _record_creation(
        ops, actor, "agent.create", account, f"agent:{account.username}", route, remote=remote
    )
    return NewSip(account.username, endpoint, sip_password)


async def create_staff_account(
    ops: Steering,
    *,
    actor: str,
    username: str,
    password: str,
    role: str,
    team: str | None,
    sip_endpoint: str | None,
    entry_field: str = "password",
    first_administrator: bool = False,
    route: str = "",
) -> Account:
    """An account of any role (the administration page, ``dialer users create``), and its
    audit entry: both or neither. ``first_administrator``: see
    :func:`~dialer.desk.accounts.create_account`."""
    account = await create_account(
        ops.sessions,
        username,
        password,
        role,
        team=team,
        sip_endpoint=sip_endpoint,
        passwords=ops.passwords,
        clock=ops.clock,
        entry_field=entry_field,
        first_administrator=first_administrator,
    )
    await _record_creation(
        ops,
        actor,
        "account.create",
        account,
        f"account:{account.username}",
        route,
        role=account.role.value,
        team_id=account.team_id,
        sip_endpoint=account.sip_endpoint,
    )
    return account


async def _record_creation(  # noqa: PLR0917 - the entry's fields
    ops: Steering,
    actor: str,
    action: str,
    account: Account,
    target: str,
    route: str,
    **details: Any,
) -> None:
    try:
        await record_change(ops, actor, action, target, route=route, **details)
    except BaseException:
        await AccountRepository(ops.sessions).remove_new(account.id)
        raise


async def deactivate_account(ops: Steering, *, actor: str, account_id: int) -> dict[str, Any]:
    """Deactivate an account at once: it can no longer log in or use its API tokens, its
    web sessions end, and an agent leaves the dialing engine now, whatever they were doing
    (:meth:`~dialer.engine.engine.DialingEngine.remove_agent`: their phone line is hung up,
    no call is offered to them again). Audited."""
    accounts = AccountRepository(ops.sessions)
    account = await accounts.get(account_id)
    sessions_ended = await accounts.set_active(account_id, False)
    was = AgentState.LOGGED_OUT
    engine = ops.engine
    if engine is not None and account.role is Role.AGENT:
        was = await engine.remove_agent(account.username)
    details: dict[str, Any] = {
        "role": account.role.value,
        "was": was.value,
        "web_sessions_ended": sessions_ended,
    }
    await record_change(ops, actor, "account.deactivate", f"account:{account.username}", **details)
    return {"username": account.username, **details}


async def reset_sip(ops: Steering, *, actor: str, username: str, remote: bool) -> NewSip:
    endpoint, password = await SipAccountRepository(ops.sessions).reset(
        username, remote=remote, now=ops.clock()
    )
    await record_change(ops, actor, "agent.sip_reset", f"agent:{username}", remote=remote)
    return NewSip(username, endpoint, password)


async def force_logout(ops: Steering, *, actor: str, username: str) -> dict[str, Any]:
    """Log the agent out of the engine (an agent in wrap-up has the call sheet closed
    without a disposition first; one on a call is refused) and end their web sessions."""
    engine = ops.engine
    seat = engine.seats.seats_by_agent().get(username) if engine is not None else None
    was = seat.state.value if seat is not None else AgentState.LOGGED_OUT.value
    if seat is not None and seat.state in (AgentState.RESERVED, AgentState.ON_CALL):
        raise ConflictError(
            f"l'agent {username} est en communication : réessayez à la fin de l'appel"
        )
    sessions_ended = await end_web_sessions(ops.sessions, username)
    if engine is not None and seat is not None and seat.state is not AgentState.LOGGED_OUT:
        if seat.state is AgentState.WRAP_UP:
            await engine.finish_wrap_up(username, None)
        await engine.log_out(username)
    details: dict[str, Any] = {"was": was, "web_sessions_ended": sessions_ended}
    await record_change(ops, actor, "agent.logout", f"agent:{username}", **details)
    return {"username": username, **details}


def agent_json(account: Account, engine: DialingEngine | None) -> dict[str, Any]:
    seat = engine.seats.seats_by_agent().get(account.username) if engine is not None else None
    return {
        "username": account.username,
        "sip_endpoint": account.sip_endpoint,
        "active": account.active,
        "state": seat.state.value if seat is not None else AgentState.LOGGED_OUT.value,
        "created_at": account.created_at.isoformat(),
    }


# ---- teams ------------------------------------------------------------------------------
async def create_team(
    ops: Steering,
    *,
    actor: str,
    name: str,
    districts: Sequence[str] = (),
    needs: Sequence[str] = (),
    email: str | None = None,
    webhook_url: str | None = None,
    is_default: bool = False,
    contacts: Sequence[ContactRecord] = (),
    webhook_link_only: bool = False,
) -> TeamRecord:
    """A new team. A webhook must be https to a public address
    (:func:`~dialer.alerts.webhook_targets.check_webhook_target`); the team gets its own
    signing secret, which ``record.team.webhook_secret`` holds for the caller to show once."""
    secret = None
    if webhook_url is not None:
        await check_webhook_target(webhook_url, allow_loopback=ops.allow_loopback_webhooks)
        secret = new_webhook_secret()
    record = await TeamRepository(ops.sessions).add(
        name=name,
        districts=districts,
        needs=needs,
        email=email,
        webhook_url=webhook_url,
        webhook_secret=secret,
        webhook_link_only=webhook_link_only,
        is_default=is_default,
        contacts=contacts,
        now=ops.clock(),
    )
    await record_change(
        ops,
        actor,
        "team.create",
        f"team:{record.team.id}",
        name=name,
        webhook=webhook_url is not None,
        webhook_link_only=webhook_link_only,
    )
    return record


async def update_team_members(
    ops: Steering, *, actor: str, team_id: int, members: Sequence[str]
) -> list[str]:
    before = await team_members(ops.sessions, team_id)
    after = await set_team_members(ops.sessions, team_id, members)
    await record_change(ops, actor, "team.members", f"team:{team_id}", before=before, after=after)
    return after


async def team_json(ops: Steering, record: TeamRecord) -> dict[str, Any]:
    team = record.team
    return {
        "id": team.id,
        "name": team.name,
        "districts": list(team.districts),
        "needs": list(team.needs),
        "email": team.email,
        "webhook_url": team.webhook_url,
        "webhook_link_only": team.webhook_link_only,
        "is_default": team.is_default,
        "contacts": [{"name": c.name, "email": c.email, "phone": c.phone} for c in record.contacts],
        "members": await team_members(ops.sessions, team.id),
    }


# ---- register ---------------------------------------------------------------------------
async def import_register_upload(
    ops: Steering,
    *,
    actor: str,
    filename: str,
    content: bytes,
    mapping: bytes | None,
    dry_run: bool,
    list_name: str = DEFAULT_LIST,
    list_field: str = "list",
) -> dict[str, Any]:
    """Import an uploaded register file under the list ``list_name`` (a dry run writes
    nothing and is not logged); a bad list name is an :class:`InputError` naming
    ``list_field``."""
    list_name = check_list_name(list_name, field=list_field)
    suffix = Path(filename).suffix.lower()
    if suffix not in REGISTER_SUFFIXES:
        raise InputError(
            f"champ « file » : {filename!r} n'est pas un registre CSV ou XLSX "
            f"(extensions acceptées : {', '.join(REGISTER_SUFFIXES)})"
        )
    with tempfile.TemporaryDirectory(prefix="dialer-import-") as folder:
        directory = Path(folder)
        path = directory / f"registre{suffix}"
        await asyncio.to_thread(path.write_bytes, content)
        mapping_path = None
        if mapping is not None:
            mapping_path = directory / "colonnes.toml"
            await asyncio.to_thread(mapping_path.write_bytes, mapping)
        report = await import_register(
            ops.sessions,
            path,
            mapping=mapping_path,
            dry_run=dry_run,
            rejects_path=directory / "rejets.csv",
            now=ops.clock(),
            name=filename,
            mapping_name="champ « mapping »",
            list_name=list_name,
        )
    result = report_json(report, filename) | {"list_name": list_name}
    if not dry_run:
        counts = {k: result[k] for k in ("read", "added", "changed", "removed", "rejected")}
        counts["list"] = list_name
        await record_change(ops, actor, "register.import", f"register:{filename}", **counts)
    return result


def report_json(report: ImportReport, filename: str, *, issues: int = 200) -> dict[str, Any]:
    return {
        "file": filename,
        "dry_run": report.dry_run,
        "summary": report.summary_fr().replace(" (voir rejets.csv)", ""),
        "read": report.read,
        "added": report.added,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "removed": report.removed,
        "merged_duplicates": report.merged_duplicates,
        "shared_numbers": report.shared_numbers,
        "rejected": report.rejected,
        "ignored_columns": list(report.ignored_columns),
        "issues": [
            {
                "kind": issue.kind.value,
                "line": issue.line,
                "column": issue.column,
                "value": issue.value,
                "reason": issue.reason,
            }
            for issue in report.issues[:issues]
        ],
        "issues_total": report.issue_count,
    }


async def record_change(
    ops: Steering, actor: str, action: str, target: str, *, route: str = "", **details: Any
) -> None:
    """One audit entry for an operation (``route``: the command that made it, when not a
    request)."""
    ops.count(action)
    await ops.audit.record(
        actor=actor, action=action, target=target, at=ops.clock(), details=details, route=route
    )
