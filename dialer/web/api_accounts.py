"""The versioned API's agents, accounts of every role and intervention teams
(``/api/v1/agents``, ``/api/v1/accounts``, ``/api/v1/teams``): the same operations as the
administration pages (:mod:`dialer.desk.operations`), checked and audited alike. Their
routes and documentation are in the endpoint table, :data:`dialer.web.api.ENDPOINTS`."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from dialer.core.roles import Role
from dialer.desk.account_changes import change_role, reactivate, reset_password
from dialer.desk.operations import (
    NewSip,
    agent_json,
    create_agent,
    create_team,
    deactivate_account,
    force_logout,
    reset_sip,
    team_json,
    update_team_members,
)
from dialer.errors import NotFoundError
from dialer.storage.account_rows import Account
from dialer.storage.alerts import ContactRecord, TeamRepository
from dialer.web.access import caller
from dialer.web.api_models import (
    AccountRoleChange,
    AgentCreate,
    PasswordReset,
    SipReset,
    TeamCreate,
    TeamMembers,
    request_body,
)
from dialer.web.api_responses import (
    ok,
    page_of,
    paged,
)
from dialer.web.service import steering, web


def sip_json(created: NewSip) -> dict[str, str]:
    """The agent's new SIP credentials (shown once)."""
    return {
        "username": created.username,
        "sip_endpoint": created.endpoint,
        "sip_password": created.password,
    }


# ---- agents -----------------------------------------------------------------------------
async def list_agents(request: Request) -> Response:
    await caller(request)
    asked = page_of(request)
    engine = steering(request).engine
    accounts = await web(request).accounts.list_all()
    return paged([agent_json(a, engine) for a in accounts if a.role is Role.AGENT], asked)


async def add_agent(request: Request) -> Response:
    who = await caller(request)
    data: AgentCreate = await request_body(request, AgentCreate)
    created = await create_agent(
        steering(request),
        actor=who.actor,
        username=data.username,
        password=data.password,
        remote=data.remote,
        sip_endpoint=data.sip_endpoint,
    )
    return ok(sip_json(created), 201)


async def agent_sip_reset(request: Request) -> Response:
    who = await caller(request)
    data: SipReset = await request_body(request, SipReset)
    created = await reset_sip(
        steering(request),
        actor=who.actor,
        username=request.path_params["username"],
        remote=data.remote,
    )
    return ok(sip_json(created))


async def agent_logout(request: Request) -> Response:
    who = await caller(request)
    username = request.path_params["username"]
    account = await web(request).accounts.by_username(username)
    if account is None or account.role is not Role.AGENT:
        raise NotFoundError(f"agent {username!r} inconnu")
    return ok(await force_logout(steering(request), actor=who.actor, username=username))


# ---- accounts ---------------------------------------------------------------------------
def account_json(account: Account) -> dict[str, Any]:
    return {
        "id": account.id,
        "username": account.username,
        "role": account.role.value,
        "team_id": account.team_id,
        "active": account.active,
    }


async def list_accounts(request: Request) -> Response:
    await caller(request)
    return paged(
        [account_json(a) for a in await web(request).accounts.list_all()], page_of(request)
    )


async def account_role(request: Request) -> Response:
    who = await caller(request)
    data: AccountRoleChange = await request_body(request, AccountRoleChange)
    account = await change_role(
        steering(request),
        actor=who.actor,
        account_id=request.path_params["account_id"],
        role=data.role,
        team=data.team,
    )
    return ok(account_json(account))


async def account_password(request: Request) -> Response:
    who = await caller(request)
    data: PasswordReset = await request_body(request, PasswordReset)
    account = await reset_password(
        steering(request),
        actor=who.actor,
        account_id=request.path_params["account_id"],
        password=data.password,
    )
    return ok(account_json(account))


async def account_deactivate(request: Request) -> Response:
    who = await caller(request)
    done = await deactivate_account(
        steering(request), actor=who.actor, account_id=request.path_params["account_id"]
    )
    return ok(done)


async def account_reactivate(request: Request) -> Response:
    who = await caller(request)
    account = await reactivate(
        steering(request), actor=who.actor, account_id=request.path_params["account_id"]
    )
    return ok(account_json(await web(request).accounts.get(account.id)))


# ---- teams ------------------------------------------------------------------------------
async def list_teams(request: Request) -> Response:
    await caller(request)
    asked = page_of(request)
    ops = steering(request)
    records = await TeamRepository(ops.sessions).list_all()
    return paged(
        [await team_json(ops, r) for r in records[asked.offset :][: asked.limit]],
        asked,
        more=len(records) > asked.offset + asked.limit,
    )


async def add_team(request: Request) -> Response:
    who = await caller(request)
    data: TeamCreate = await request_body(request, TeamCreate)
    ops = steering(request)
    record = await create_team(
        ops,
        actor=who.actor,
        name=data.name,
        districts=data.districts,
        needs=data.needs,
        email=data.email,
        webhook_url=data.webhook_url,
        is_default=data.is_default,
        contacts=[ContactRecord(c.name, c.email, c.phone) for c in data.contacts],
        webhook_link_only=data.webhook_link_only,
    )
    created = await team_json(ops, record)
    if record.team.webhook_secret is not None:
        created["webhook_secret"] = record.team.webhook_secret  # shown once, never again
    return ok(created, 201)


async def set_members(request: Request) -> Response:
    who = await caller(request)
    data: TeamMembers = await request_body(request, TeamMembers)
    ops = steering(request)
    team_id = request.path_params["team_id"]
    await update_team_members(ops, actor=who.actor, team_id=team_id, members=data.members)
    return ok(await team_json(ops, await TeamRepository(ops.sessions).get(team_id)))
