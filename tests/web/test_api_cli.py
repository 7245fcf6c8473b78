"""The steering commands against a real service: uvicorn on 127.0.0.1 (a free port), in a
thread with its own event loop, with the dialing engine on a fake node and its campaign
control; the commands go through the REST API with a token."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import uvicorn
from click.testing import CliRunner

from dialer import cli as cli_module
from dialer.cli import cli
from dialer.service import start_serving
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.testing import Clock
from dialer.web.app import create_app
from tests.web.steering_support import build_engine, ready_agent, usable_seeded_campaign
from tests.web.support import SECRET_KEY, T0, catalog_in, fast_passwords, open_database, seed


class LiveService:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.tokens: dict[str, str] = {}
        self.server: uvicorn.Server | None = None
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to the fixture
            self.failure = exc
            self.ready.set()
        finally:
            self.loop.close()

    async def _serve(self) -> None:
        clock = Clock(T0)
        database, self.sessions = await open_database(self.directory / "cli.db")
        world = await seed(self.sessions, now=clock())
        await usable_seeded_campaign(self.sessions, world, clock)
        self.campaign_id = world.campaign_id
        self.engine, self.node, control = await build_engine(self.sessions, clock)
        await ready_agent(self.engine)
        for who in ("superviseur", "agent1"):
            _, self.tokens[who] = await ApiTokenRepository(self.sessions).create(
                name=f"cli-{who}",
                username=who,
                created_by="test",
                now=clock(),
                lifetime=timedelta(days=90),
            )
        app = create_app(
            sessions=self.sessions,
            engine=self.engine,
            questionnaires=catalog_in(self.directory / "questionnaires"),
            secret_key=SECRET_KEY,
            clock=clock,
            secure_cookies=False,
            passwords=fast_passwords(),
            control=control,
        )
        self.server = uvicorn.Server(
            uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
            )
        )
        serving = await start_serving(self.server)
        self.ready.set()
        try:
            await serving
        finally:
            await self.engine.flush()
            await database.dispose()

    def audit_actions(self) -> list[tuple[str, str]]:
        async def read() -> list[tuple[str, str]]:
            return [
                (e.action, e.actor) for e in await AuditLog(self.sessions).search(AuditFilter())
            ]

        return asyncio.run_coroutine_threadsafe(read(), self.loop).result(10)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[LiveService]:
    live = LiveService(tmp_path)
    live.thread.start()
    assert live.ready.wait(30)
    if live.failure is not None:
        raise live.failure
    yield live
    if live.server is not None:
        live.server.should_exit = True
    live.thread.join(15)


def run(service: LiveService, *args: str, who: str = "superviseur") -> tuple[int, str]:
    # --log-level warning: the service runs in this process, its access log lines would mix in
    command = [
        "--log-level",
        "warning",
        *args,
        "--url",
        service.url,
        "--token",
        service.tokens[who],
    ]
    result = CliRunner().invoke(cli, command, catch_exceptions=True)
    return result.exit_code, result.output


def run_main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str]:
    """Through ``dialer.cli.main`` (the exit code of the error, its message on stderr)."""
    monkeypatch.setattr(sys, "argv", ["dialer", *args])
    try:
        cli_module.main()
    except SystemExit as ended:
        return int(ended.code or 0), capsys.readouterr().err
    return 0, capsys.readouterr().err


def test_start_from_alert_then_steer_from_the_command_line(service: LiveService) -> None:
    code, output = run(service, "campaign", "start-from-alert", "--template", "heatwave")
    assert code == 0, output
    assert "2 personnes" in output
    assert "1 appel(s) lancé(s) aussitôt" in output
    assert len(service.node.placed) == 1
    code, output = run(service, "campaign", "list")
    assert code == 0
    assert "(appelle)" in output
    code, output = run(
        service, "campaign", "pacing", "2", "--mode", "predictive", "--max-lines-per-agent", "2.5"
    )
    assert (code, "prédictif" in output or "predictive" in output) == (0, True)
    assert "lignes par agent ≤ 2.5" in output
    code, output = run(service, "agents", "logout", "agent1")
    assert code == 0, output
    assert "Agent agent1 déconnecté" in output
    assert service.audit_actions() == [
        ("agent.logout", "api:cli-superviseur"),
        ("campaign.pacing", "api:cli-superviseur"),
        ("episode.start", "api:cli-superviseur"),  # « Démarrer depuis l'alerte »: an episode
        ("campaign.start_from_alert", "api:cli-superviseur"),
    ]


def test_a_supervisor_sets_the_campaigns_of_an_agent_from_the_command_line(
    service: LiveService,
) -> None:
    code, output = run(service, "campaign", "start", str(service.campaign_id))
    assert code == 0, output
    code, output = run(service, "campaign", "start-from-alert", "--template", "cold_spell")
    assert code == 0, output  # a second campaign at once
    code, output = run(service, "agents", "campaigns", "agent1")
    assert (code, output.strip()) == (0, "agent1 sert toutes les campagnes en cours.")
    code, output = run(
        service, "agents", "serve", "agent1", str(service.campaign_id), "--priority", "4"
    )
    assert code == 0, output
    assert "priorité 4" in output
    code, output = run(service, "agents", "campaigns", "agent1")
    assert code == 0
    assert f"campagne {service.campaign_id}" in output
    assert "priorité 4" in output
    code, output = run(service, "agents", "unserve", "agent1", str(service.campaign_id))
    assert code == 0, output
    assert "sert toutes les campagnes en cours" in output
    assert [a for a in service.audit_actions() if a[0].startswith("agent.")] == [
        ("agent.stop_serving", "api:cli-superviseur"),
        ("agent.serve", "api:cli-superviseur"),
    ]


def test_command_line_errors_name_the_field_and_exit_with_the_error_code(
    service: LiveService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = ["--url", service.url, "--token", service.tokens["superviseur"]]
    code, err = run_main(
        monkeypatch, capsys, "campaign", "pacing", "1", "--max-abandon-rate", "0.05", *sup
    )
    assert code == 65
    assert "max_abandon_rate" in err
    code, err = run_main(
        monkeypatch, capsys, "campaign", "pacing", "1", "--max-lines-per-agent", "12", *sup
    )
    assert code == 65
    assert "max_lines_per_agent" in err
    code, err = run_main(monkeypatch, capsys, "campaign", "start", "1", *sup)
    assert code == 0, err  # the seeded campaign starts
    code, err = run_main(monkeypatch, capsys, "campaign", "start", "1", *sup)
    assert code == 75
    assert "déjà en cours" in err
    code, err = run_main(
        monkeypatch, capsys, "agents", "serve", "agent1", "1", "--priority", "0", *sup
    )
    assert code == 65
    assert "priority" in err
    code, err = run_main(monkeypatch, capsys, "agents", "serve", "agent1", "un", *sup)
    assert code != 0
    assert "CAMPAIGN" in err
    agent = ["--url", service.url, "--token", service.tokens["agent1"]]
    code, err = run_main(monkeypatch, capsys, "campaign", "stop", "1", *agent)
    assert code == 77
    code, err = run_main(monkeypatch, capsys, "agents", "serve", "agent1", "1", *agent)
    assert code == 77
    monkeypatch.delenv("DIALER_API_TOKEN", raising=False)
    code, err = run_main(monkeypatch, capsys, "campaign", "list", "--url", service.url)
    assert code == 77
    assert "DIALER_API_TOKEN" in err
    code, err = run_main(
        monkeypatch, capsys, "campaign", "list", "--url", "http://127.0.0.1:9", "--token", "x"
    )
    assert code == 1
    assert "ne répond pas" in err


def test_alert_episodes_from_the_command_line(
    service: LiveService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sup = ["--url", service.url, "--token", service.tokens["superviseur"]]
    code, output = run(
        service, "alert", "start", "--kind", "heatwave", "--level", "3", "--district", "Nord"
    )
    assert code == 0, output
    assert "Épisode déclenché : n° 1 Canicule, niveau 3, Nord" in output
    assert "1 personnes dans le cycle 1" in output  # Nord's only
    code, err = run_main(  # another heatwave over Nord: the same kind and area
        monkeypatch, capsys, "alert", "start", "--kind", "heatwave", "--level", "2",
        "--district", "Nord", *sup,
    )  # fmt: skip
    assert (code, "sur la même zone : terminez-le d'abord" in err) == (75, True)
    code, output = run(  # a flood in Sud lasts beside the heatwave: name the one to end
        service, "alert", "start", "--kind", "flood", "--level", "2", "--district", "Sud"
    )
    assert code == 0, output
    code, output = run(service, "alert", "end")
    assert (code, "plusieurs épisodes d'alerte en cours (n° 2, n° 1)" in output) == (2, True)
    code, output = run(service, "alert", "end", "2")
    assert code == 0, output
    code, err = run_main(monkeypatch, capsys, "alert", "start", "--kind", "flood", "--level", "9")
    assert (code, "--level" in err) == (2, True)
    code, output = run(service, "alert", "list")
    assert (code, "en cours, campagne n° 2" in output) == (0, True)
    code, err = run_main(monkeypatch, capsys, "alert", "end", "999", *sup)
    assert code == 66, err
    code, output = run(service, "alert", "end")
    assert code == 0, output
    assert "Épisode terminé : n° 1 Canicule" in output
    assert "Son rapport : dialer report episode 1 (page /rapports/episodes/1)" in output
    code, output = run(service, "alert", "end")
    assert (code, "aucun épisode d'alerte en cours" in output) == (2, True)
    assert service.audit_actions()[:3] == [
        ("cycle.close", "service"),  # newest first: the end closed the cycle
        ("episode.end", "api:cli-superviseur"),
        ("campaign.finish", "api:cli-superviseur"),
    ]


def test_an_owner_lists_and_revokes_their_own_tokens_from_the_command_line(
    service: LiveService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = run(service, "api-token", "mine", who="agent1")
    assert code == 0, output
    assert "cli-agent1 : créé le" in output
    assert "expire le" in output
    assert "(valable)" in output
    assert service.tokens["agent1"] not in output
    assert "cli-superviseur" not in output
    listed = next(line for line in output.splitlines() if "cli-agent1 : créé le" in line)
    token_id = listed.split()[1]
    sup = ["--url", service.url, "--token", service.tokens["superviseur"]]
    code, output = run_main(monkeypatch, capsys, "api-token", "revoke-mine", token_id, *sup)
    assert code == 66, output  # another account's token: as unknown as a missing one
    assert f"jeton {token_id} inconnu" in output
    code, output = run(service, "api-token", "revoke-mine", token_id, who="agent1")
    assert code == 0, output
    assert f"Jeton n° {token_id} « cli-agent1 » révoqué." in output
    agent = ["--url", service.url, "--token", service.tokens["agent1"]]
    code, output = run_main(monkeypatch, capsys, "api-token", "mine", *agent)
    assert code == 77  # the revoked token no longer opens anything
    assert "Veuillez vous connecter" in output
    assert service.audit_actions() == [("api_token.revoke", "api:cli-agent1")]


def test_the_audit_command_reads_the_log_page_by_page(
    service: LiveService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's client follows the API's pages (two entries a page here) up to --limit."""
    monkeypatch.setattr("dialer.cli.api_client.PAGE_SIZE", 2)
    for action in ("start", "pause", "resume", "pause"):
        code, output = run(service, "campaign", action, str(service.campaign_id))
        assert code == 0, output
    assert len(service.audit_actions()) == 4
    code, output = run(service, "audit", "--limit", "3")
    assert code == 0, output
    lines = output.strip().splitlines()
    assert len(lines) == 3
    newest = [action for action, _ in service.audit_actions()[:3]]
    assert [line.split()[3] for line in lines] == newest
    code, output = run(service, "audit", "--limit", "100", "--action", "campaign.")
    assert code == 0, output
    assert len(output.strip().splitlines()) == len(
        [a for a, _ in service.audit_actions() if a.startswith("campaign.")]
    )
    code, output = run(service, "audit", "--limit", "0")
    assert code == 2
    assert "--limit" in output


def test_a_supervisor_plans_a_veille_sociale_campaign_from_the_command_line(
    service: LiveService, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = ["campaign", "plan", "--list", "registre", "--from", "2026-12-14"]
    code, output = run(service, *plan, "--to", "2026-12-31", "--name", "Fêtes 2026")
    assert code == 0, output
    assert "Planifiée : « Fêtes 2026 »" in output
    assert "du 14/12/2026 au 31/12/2026" in output
    sup = ["--url", service.url, "--token", service.tokens["superviseur"]]
    code, err = run_main(monkeypatch, capsys, *plan, "--to", "2026-12-01", *sup)
    assert code != 0
    assert "ends_on" in err
    code, err = run_main(monkeypatch, capsys, *plan, "--to", "2026-12-20", "--name", "B", *sup)
    assert code != 0
    assert "chevauchent" in err
    assert ("campaign.plan", "api:cli-superviseur") in service.audit_actions()
