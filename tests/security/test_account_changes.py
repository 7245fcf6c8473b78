"""Issue 23, accounts: role change, password reset by an administrator, password change by
its owner and reactivation, through the ``/admin`` page, the REST API and the own-password
page; each audited; refused to other roles (403), to forged forms (no CSRF token), and
when the last active administrator would go."""

from __future__ import annotations

import pytest

from dialer.core.agent_states import AgentState
from dialer.core.roles import Role
from dialer.storage.account_rows import Account
from dialer.storage.accounts import AccountRepository
from tests.web.conftest import client_for, log_in
from tests.web.steering_support import SteerRig, ready_agent
from tests.web.support import PASSWORD

pytestmark = [pytest.mark.security, pytest.mark.asyncio]

NEW_PASSWORD = "un tout autre mot de passe"


async def account(steer: SteerRig, username: str) -> Account:
    found = await AccountRepository(steer.sessions).by_username(username)
    assert found is not None
    return found


async def test_an_administrator_changes_a_role_on_the_page_and_it_is_audited(
    steer: SteerRig,
) -> None:
    chief = await account(steer, "superviseur")
    async with client_for(steer.app) as chief_client:
        await log_in(chief_client, "superviseur")
        csrf = await log_in(steer.http, "admin")
        done = await steer.http.post(
            f"/admin/comptes/{chief.id}/role", data={"csrf": csrf, "role": "operations"}
        )
        assert done.status_code == 303, done.text
        page = await steer.http.get(done.headers["location"])
        assert "superviseur : rôle Exploitation" in page.text
        # the account's sessions ended: it logs in again under its new role
        assert (await chief_client.get("/supervision")).status_code == 303
    assert (await account(steer, "superviseur")).role is Role.OPERATIONS
    [entry] = await steer.audit("account.role")
    assert (entry.actor, entry.target) == ("admin", "account:superviseur")
    assert entry.details == {"before": "supervisor", "after": "operations"}


async def test_an_agent_who_stops_being_one_leaves_the_engine_at_once(steer: SteerRig) -> None:
    await ready_agent(steer.engine, "agent1")
    agent = await account(steer, "agent1")
    response = await steer.http.put(
        f"/api/v1/accounts/{agent.id}/role",
        json={"role": "supervisor"},
        headers=steer.auth("admin"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "supervisor"
    assert steer.engine.seats.get("agent1").state is AgentState.LOGGED_OUT
    [entry] = await steer.audit("account.role")
    assert entry.details == {"before": "agent", "after": "supervisor", "was": "ready"}


async def test_a_team_member_needs_a_team_and_the_error_names_the_field(steer: SteerRig) -> None:
    chief = await account(steer, "superviseur")
    response = await steer.http.put(
        f"/api/v1/accounts/{chief.id}/role",
        json={"role": "team_member"},
        headers=steer.auth("admin"),
    )
    assert response.status_code == 422
    assert "« team »" in response.json()["erreur"]
    unknown = await steer.http.put(
        f"/api/v1/accounts/{chief.id}/role", json={"role": "pape"}, headers=steer.auth("admin")
    )
    assert unknown.status_code == 422
    assert "« role »" in unknown.json()["erreur"]
    assert await steer.audit("account.role") == []


async def test_other_roles_cannot_change_roles_or_reset_passwords(steer: SteerRig) -> None:
    admin = await account(steer, "admin")
    for who in ("superviseur", "agent1"):
        for method, path, body in (
            ("PUT", f"/api/v1/accounts/{admin.id}/role", {"role": "agent"}),
            ("POST", f"/api/v1/accounts/{admin.id}/password", {"password": NEW_PASSWORD}),
            ("POST", f"/api/v1/accounts/{admin.id}/deactivate", None),
            ("POST", f"/api/v1/accounts/{admin.id}/reactivate", None),
            ("GET", "/api/v1/accounts", None),
        ):
            response = await steer.http.request(method, path, json=body, headers=steer.auth(who))
            assert response.status_code == 403, (who, path)
    csrf = await log_in(steer.http, "superviseur")
    for path, data in (
        (f"/admin/comptes/{admin.id}/role", {"role": "agent"}),
        (f"/admin/comptes/{admin.id}/mot-de-passe", {"nouveau_mot_de_passe": NEW_PASSWORD}),
        (f"/admin/comptes/{admin.id}/reactiver", {}),
    ):
        response = await steer.http.post(path, data={"csrf": csrf, **data})
        assert response.status_code == 403, path
    assert (await account(steer, "admin")).role is Role.ADMINISTRATOR
    assert await steer.audit("account.") == []
    async with client_for(steer.app) as other:
        await log_in(other, "admin")  # the administrator's password did not change


async def test_forged_forms_without_the_csrf_token_are_refused(steer: SteerRig) -> None:
    chief = await account(steer, "superviseur")
    await log_in(steer.http, "admin")
    for path, data in (
        (f"/admin/comptes/{chief.id}/role", {"role": "administrator"}),
        (f"/admin/comptes/{chief.id}/mot-de-passe", {"nouveau_mot_de_passe": NEW_PASSWORD}),
        (f"/admin/comptes/{chief.id}/reactiver", {}),
    ):
        assert (await steer.http.post(path, data=data)).status_code == 403, path
        forged = await steer.http.post(path, data={"csrf": "forged", **data})
        assert forged.status_code == 403, path
    session_api = await steer.http.put(
        f"/api/v1/accounts/{chief.id}/role", json={"role": "administrator"}
    )
    assert session_api.status_code == 403  # the session without X-CSRF-Token
    assert (await account(steer, "superviseur")).role is Role.SUPERVISOR
    assert await steer.audit("account.") == []


async def test_the_last_active_administrator_cannot_be_removed(steer: SteerRig) -> None:
    admin = await account(steer, "admin")
    csrf = await log_in(steer.http, "admin")
    for path, data in (
        (f"/admin/comptes/{admin.id}/role", {"role": "supervisor"}),
        (f"/admin/comptes/{admin.id}/desactiver", {}),
    ):
        response = await steer.http.post(path, data={"csrf": csrf, **data})
        assert response.status_code == 409, path
        assert "dernier administrateur actif" in response.text
    for method, path, body in (
        ("PUT", f"/api/v1/accounts/{admin.id}/role", {"role": "agent"}),
        ("POST", f"/api/v1/accounts/{admin.id}/deactivate", None),
    ):
        response = await steer.http.request(method, path, json=body, headers=steer.auth("admin"))
        assert response.status_code == 409, path
    still = await account(steer, "admin")
    assert (still.role, still.active) == (Role.ADMINISTRATOR, True)
    # with a second administrator, the first may step down
    chief = await account(steer, "superviseur")
    promoted = await steer.http.post(
        f"/admin/comptes/{chief.id}/role", data={"csrf": csrf, "role": "administrator"}
    )
    assert promoted.status_code == 303
    stepped_down = await steer.http.put(
        f"/api/v1/accounts/{admin.id}/role",
        json={"role": "supervisor"},
        headers=steer.auth("admin"),
    )
    assert stepped_down.status_code == 200, stepped_down.text
    assert [e.details["after"] for e in await steer.audit("account.role")] == [
        "supervisor",
        "administrator",
    ]


async def test_an_administrator_resets_a_password(steer: SteerRig) -> None:
    chief = await account(steer, "superviseur")
    async with client_for(steer.app) as chief_client:
        await log_in(chief_client, "superviseur")
        csrf = await log_in(steer.http, "admin")
        short = await steer.http.post(
            f"/admin/comptes/{chief.id}/mot-de-passe",
            data={"csrf": csrf, "nouveau_mot_de_passe": "court"},
        )
        assert short.status_code == 422
        assert "hamp « nouveau_mot_de_passe » : le mot de passe doit compter" in short.text
        done = await steer.http.post(
            f"/admin/comptes/{chief.id}/mot-de-passe",
            data={"csrf": csrf, "nouveau_mot_de_passe": NEW_PASSWORD},
        )
        assert done.status_code == 303
        assert (await chief_client.get("/supervision")).status_code == 303  # sessions ended
    async with client_for(steer.app) as again:
        await log_in(again, "superviseur", NEW_PASSWORD)
    [entry] = await steer.audit("account.password_reset")
    assert (entry.actor, entry.target, entry.details) == ("admin", "account:superviseur", {})
    api_short = await steer.http.post(
        f"/api/v1/accounts/{chief.id}/password",
        json={"password": "court"},
        headers=steer.auth("admin"),
    )
    assert api_short.status_code == 422
    assert "« password »" in api_short.json()["erreur"]


async def test_everyone_changes_their_own_password(steer: SteerRig) -> None:
    async with client_for(steer.app) as elsewhere:
        await log_in(elsewhere, "agent1")
        csrf = await log_in(steer.http, "agent1")
        page = await steer.http.get("/compte/mot-de-passe")
        assert page.status_code == 200
        assert 'name="mot_de_passe_actuel"' in page.text
        for data, field in (
            ({"mot_de_passe_actuel": "faux mot de passe"}, "mot_de_passe_actuel"),
            ({"nouveau_mot_de_passe": "court", "confirmation": "court"}, "nouveau_mot_de_passe"),
            ({"confirmation": "autre chose tout à fait"}, "confirmation"),
        ):
            form = {
                "csrf": csrf,
                "mot_de_passe_actuel": PASSWORD,
                "nouveau_mot_de_passe": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
                **data,
            }
            refused = await steer.http.post("/compte/mot-de-passe", data=form)
            assert refused.status_code == 422, field
            assert f"hamp « {field} »" in refused.text
        forged = await steer.http.post(
            "/compte/mot-de-passe",
            data={
                "mot_de_passe_actuel": PASSWORD,
                "nouveau_mot_de_passe": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
            },
        )
        assert forged.status_code == 403
        done = await steer.http.post(
            "/compte/mot-de-passe",
            data={
                "csrf": csrf,
                "mot_de_passe_actuel": PASSWORD,
                "nouveau_mot_de_passe": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
            },
        )
        assert done.status_code == 303
        assert "Mot de passe changé" in (await steer.http.get(done.headers["location"])).text
        assert (await steer.http.get("/agent")).status_code == 200  # this session goes on
        assert (await elsewhere.get("/agent")).status_code == 303  # the other one ended
    async with client_for(steer.app) as again:
        await log_in(again, "agent1", NEW_PASSWORD)
    [entry] = await steer.audit("account.password_change")
    assert (entry.actor, entry.target) == ("agent1", "account:agent1")
    assert entry.details == {}


async def test_a_deactivated_account_is_reactivated(steer: SteerRig) -> None:
    chief = await account(steer, "superviseur")
    csrf = await log_in(steer.http, "admin")
    assert (
        await steer.http.post(f"/admin/comptes/{chief.id}/desactiver", data={"csrf": csrf})
    ).status_code == 303
    page = await steer.http.get("/admin")
    assert f'action="/admin/comptes/{chief.id}/reactiver"' in page.text
    done = await steer.http.post(f"/admin/comptes/{chief.id}/reactiver", data={"csrf": csrf})
    assert done.status_code == 303
    async with client_for(steer.app) as chief_client:
        await log_in(chief_client, "superviseur")
    again = await steer.http.post(
        f"/api/v1/accounts/{chief.id}/reactivate", headers=steer.auth("admin")
    )
    assert again.status_code == 409  # already active
    [entry] = await steer.audit("account.reactivate")
    assert (entry.actor, entry.target, entry.details) == (
        "admin",
        "account:superviseur",
        {"role": "supervisor"},
    )


async def test_guessing_the_current_password_is_rate_limited_like_logging_in(
    steer: SteerRig,
) -> None:
    csrf = await log_in(steer.http, "agent1")
    statuses = []
    for attempt in range(40):
        response = await steer.http.post(
            "/compte/mot-de-passe",
            data={
                "csrf": csrf,
                "mot_de_passe_actuel": f"essai numéro {attempt}",
                "nouveau_mot_de_passe": NEW_PASSWORD,
                "confirmation": NEW_PASSWORD,
            },
        )
        statuses.append(response.status_code)
    assert set(statuses) == {422, 429}
    assert statuses[-1] == 429
    assert await steer.audit("account.password_change") == []
