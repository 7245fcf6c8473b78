"""``make demo``: the product at work, for real, on the embedded defaults.

1. Provisions and starts the local Asterisk 22 and the simulated world (sipp plays the
   called people, one auto-answering baresip softphone per agent), and checks the telephony
   path with one test call per kind of callee.
2. Builds a register of simulated people with realistic behaviour (most answer after a few
   rings, some are busy, never answer, unreachable, or have a wrong number), imports it,
   creates the agents', supervisor's and intervention team's accounts.
3. Serves the whole product (engine, agents' screens, supervision, team inbox), starts a
   heatwave alert episode (« Démarrer depuis l'alerte »), whose cycles last half the
   demo's time: the service closes the first at its deadline and opens the second by
   itself, then the episode is ended, closing the second. Meanwhile it lets
   robot agents work through the same web interface a person uses: log in, connect the
   phone, go ready, fill the questionnaire when a call pops, give the disposition.
   The live dashboard's address is printed: open it to watch the campaign move.
4. Prints the campaign report (funnel, outcomes, handling time, billing reconciled with
   the ledger) and the alerts raised, and writes it as CSV, XLSX and PDF.
5. Plays the call-back scene: a person who answered while every agent was busy hears the
   information message, then is called back by an agent reserved for them.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from dialer.alerts.messages import need_label
from dialer.campaigns.template_files import shipped_templates
from dialer.cli.context import settings_of
from dialer.cli.demo_veille import HOUSEHOLDS, VOLUNTEER_NAMES, VOLUNTEERS, run_veille_demo
from dialer.core.attempts import AttemptKind
from dialer.core.labels import CYCLE_RESULT_LABELS, OUTCOME_LABELS
from dialer.core.windows import is_open
from dialer.csv_output import csv_writer
from dialer.questionnaire_files import load_questionnaires
from dialer.register.importer import import_register
from dialer.reports.files import write_report_files
from dialer.reports.service import ReportBuilder
from dialer.rig.asterisk import Rig, hang_up_everything
from dialer.rig.call_back_scene import play_call_back_scene
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.demo_accounts import SUPERVISOR, TEAM_MEMBER, provision_demo_people
from dialer.rig.demo_rig import DEMO_CYCLES, demo_rig, demo_settings
from dialer.rig.robot_agents import RobotAgent
from dialer.rig.world import SimulatedWorld
from dialer.service import QUESTIONNAIRES, Service, running_service
from dialer.settings import Settings
from dialer.storage.campaigns import CycleRepository
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.results import CycleResultRepository
from dialer.storage.schedule import CycleSchedule, MemberStatus
from dialer.telephony.ami import AmiClient, AmiCredentials
from dialer.telephony.probe import dial_and_classify
from dialer.telephony.queries import active_channels

DEMO_DIR = Path("var/demo")
PEOPLE = 250
AGENTS = 8
BEHAVIOURS_FR = {
    CalleeBehaviour.ANSWERS: "décroche et parle",
    CalleeBehaviour.BUSY: "occupé (486)",
    CalleeBehaviour.RINGS_FOREVER: "sonne sans réponse",
    CalleeBehaviour.UNREACHABLE: "injoignable (480)",
    CalleeBehaviour.UNAVAILABLE: "indisponible (503)",
    CalleeBehaviour.INVALID_NUMBER: "numéro inexistant (404)",
    CalleeBehaviour.HANGS_UP_AT_ONCE: "décroche et raccroche aussitôt",
    CalleeBehaviour.REJECTS: "refuse l'appel (603)",
    CalleeBehaviour.PRESSES_1: "décroche et tape 1 (ligne d'agent)",
}
MIX = (
    (CalleeBehaviour.ANSWERS, 0.70),
    (CalleeBehaviour.BUSY, 0.08),
    (CalleeBehaviour.RINGS_FOREVER, 0.08),
    (CalleeBehaviour.UNREACHABLE, 0.05),
    (CalleeBehaviour.INVALID_NUMBER, 0.04),
    (CalleeBehaviour.HANGS_UP_AT_ONCE, 0.03),
    (CalleeBehaviour.REJECTS, 0.02),
)
FIRST = ["Hélène", "Jean", "Françoise", "Marcel", "Odette", "René", "Gisèle", "André", "Lucienne"]
LAST = ["Lefèvre", "Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Faure"]
STREETS = ["rue de la Roquette", "boulevard Voltaire", "rue Oberkampf", "avenue Parmentier"]


def write_register(path: Path, count: int, rng: random.Random) -> None:
    """A register as a city office exports it: CSV, ';', French column names."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv_writer(handle, delimiter=";")
        writer.writerow(
            ["N° dossier", "Nom", "Prénom", "Date de naissance", "Adresse", "Code postal",
             "Ville", "Arrondissement", "Téléphone", "Personne à prévenir", "Téléphone contact"]
        )  # fmt: skip
        behaviours = [b for b, _ in MIX]
        weights = [w for _, w in MIX]
        for index in range(count):
            behaviour = rng.choices(behaviours, weights=weights)[0]
            callee = SimulatedCallee(
                behaviour,
                ring_s=rng.randint(1, 6),
                talk_s=rng.randint(25, 45) + 100 * (index // 100),
                serial=index % 100,
            )
            district = rng.randint(11, 12)
            writer.writerow(
                [
                    f"CAN-{index:05d}",
                    rng.choice(LAST),
                    rng.choice(FIRST),
                    f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.randint(1925, 1959)}",
                    f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                    f"750{district}",
                    "Paris",
                    f"{district}e",
                    callee.number,
                    rng.choice(["", "Sophie (fille)", "M. Petit (voisin)"]),
                    "",
                ]
            )


def fresh_register(register: Path, rng: random.Random) -> None:
    """A new demo directory with a new register (the previous run's database goes too)."""
    shutil.rmtree(register.parent, ignore_errors=True)
    register.parent.mkdir(parents=True)
    write_register(register, PEOPLE, rng)


async def check_telephony(rig: Rig, ami: AmiClient, say: Callable[[str], None]) -> None:
    say("Vérification du trunk : un appel par comportement d'appelé simulé…")
    callees = [
        SimulatedCallee(b, ring_s=1, talk_s=2, serial=i) for i, b in enumerate(CalleeBehaviour)
    ]
    results = await asyncio.gather(
        *(
            dial_and_classify(ami, c.number, trunk=rig.settings.trunk.name, ring_timeout_s=15)
            for c in callees
        )
    )
    for callee, result in zip(callees, results, strict=True):
        say(
            f"  {BEHAVIOURS_FR[callee.behaviour]:<32} → {OUTCOME_LABELS[result.outcome]} "
            f"(cause {result.cause}, SIP {result.tech_cause})"
        )


async def run_demo(
    settings: Settings, say: Callable[[str], None], *, minutes: float = 6.0, port: int = 8080
) -> None:
    rng = random.Random(2026)
    agents = [f"agent-{settings.rig.first_agent_extension + i}" for i in range(AGENTS)]
    settings = demo_settings(settings, len(agents), port, DEMO_DIR / "demo.db")
    async with demo_rig(settings, say) as (rig, world):
        async with AmiClient(rig.ami_credentials()) as ami:
            await check_telephony(rig, ami, say)
        await campaign_demo(settings, say, rng, agents, minutes, ami=rig.ami_credentials())
        await call_back_demo(rig, world, say, agents[0])


async def call_back_demo(
    rig: Rig, world: SimulatedWorld, say: Callable[[str], None], agent: str
) -> None:
    """The information message's promise: an abandoned person called back by a reserved
    agent (see :mod:`dialer.rig.call_back_scene`), on a database of its own."""
    say("Scène « rappel après abandon » : deux personnes décrochent, un seul agent libre…")
    async with AmiClient(rig.ami_credentials()) as ami:  # the campaign's calls all gone
        await hang_up_everything(ami)
        for _ in range(150):
            if not await active_channels(ami):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)  # the softphones have taken the hang-ups in
        await world.wait_registered(ami)  # and the agent's phone can be called again
    database = create_engine(f"sqlite+aiosqlite:///{DEMO_DIR / 'rappel.db'}")
    await migrate_engine(database)
    try:
        scene = await play_call_back_scene(
            create_session_factory(database),
            ami=rig.ami_credentials(),
            trunk=rig.settings.trunk.name,
            agent=agent,
            work_dir=DEMO_DIR,
            call_back_within=timedelta(minutes=2),
        )
    finally:
        await database.dispose()
    for attempt in scene.attempts:
        when = attempt.placed_at or attempt.planned_for
        outcome = OUTCOME_LABELS[attempt.outcome] if attempt.outcome else "—"
        reserved = f", agent réservé {attempt.agent}" if attempt.kind is AttemptKind.PREVIEW else ""
        say(f"  {when:%H:%M:%S} {attempt.number} : {outcome}{reserved}")
    say("  Le message d'information a été joué, puis la personne a été rappelée par un agent.")


async def campaign_demo(
    settings: Settings,
    say: Callable[[str], None],
    rng: random.Random,
    agents: list[str],
    minutes: float,
    *,
    ami: AmiCredentials,
) -> None:
    register = DEMO_DIR / "registre-canicule.csv"
    await asyncio.to_thread(fresh_register, register, rng)
    database = create_engine(settings.database_address())
    await migrate_engine(database)
    sessions = create_session_factory(database)
    imported = await import_register(sessions, register, now=datetime.now(UTC))
    say(f"Registre importé ({register}) : {imported.summary_fr()}")
    password = secrets.token_urlsafe(12)
    await provision_demo_people(sessions, agents, password)
    cycles = DEMO_CYCLES.model_copy(
        update={
            "length_min": minutes / 2,
            "all_day_windows": not is_open(
                shipped_templates().get("heatwave").windows, datetime.now(UTC)
            ),
        }
    )
    if cycles.all_day_windows:
        say("Hors des heures d'appel réelles : fenêtres élargies à toute la journée pour la démo.")
    await database.dispose()
    async with running_service(
        settings.model_copy(update={"cycles": cycles}), ami=ami,
        secret_key=secrets.token_urlsafe(48), ring_timeout_s=20, tick_s=0.5,
    ) as service:  # fmt: skip
        start = await service.episodes.start_from_alert(
            "heatwave", actor=SUPERVISOR, name="Canicule — démonstration"
        )
        campaign_id = start.started.campaign.id
        say(
            f"Épisode d'alerte « canicule » niveau {start.episode.level} déclenché : campagne "
            f"« {start.started.campaign.name} », cycle 1 avec {start.started.people} personnes. "
            f"Le service ouvre seul un cycle toutes les {minutes / 2:g} min (48 h en "
            "production) tant que dure l'épisode."
        )
        say(f"Service : {service.url}  (mot de passe de démonstration : {password})")
        say(f"  agents : {', '.join(agents)} ; superviseur : {SUPERVISOR} ; équipe : {TEAM_MEMBER}")
        say(
            f"  Tableau de bord en direct : {service.url}/tableau-de-bord "
            f"(se connecter en {SUPERVISOR})"
        )
        say(f"  Rapport de la campagne : {service.url}/rapports/{campaign_id}")
        stop = asyncio.Event()
        robots = [
            RobotAgent(
                service.url,
                agent,
                password,
                rng=random.Random(i),
                wrap_up_s=3.0,
                callback_after=timedelta(seconds=40),
            )
            for i, agent in enumerate(agents)
        ]
        tasks = [asyncio.create_task(robot.run(stop)) for robot in robots]
        await follow_two_cycles(service, campaign_id, minutes, say)
        ended = await service.episodes.end(actor=SUPERVISOR)
        say(
            f"Épisode terminé à {ended.ended_at:%H:%M:%S} : plus de nouvel appel, les appels "
            "en cours finissent, le cycle en cours est clos."
        )
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await service.engine.flush()
        await say_cycles(service.sessions, campaign_id, say)
        await report(service.sessions, campaign_id, say)


async def follow_two_cycles(
    service: Service, campaign_id: int, minutes: float, say: Callable[[str], None]
) -> None:
    """What the episode's cycles do, every 10 s, until the second cycle has run its course
    (everyone done, or its deadline near): the first closes and the second opens by
    themselves."""
    cycles = CycleRepository(service.sessions)
    schedule = CycleSchedule(service.sessions)
    seen = 1
    limit = time.monotonic() + minutes * 60
    while time.monotonic() < limit:
        await asyncio.sleep(10)
        current = await cycles.current(campaign_id)
        if current is None:
            continue
        if current.number != seen:
            seen = current.number
            say(
                f"  [{datetime.now(UTC):%H:%M:%S}] le service a clos le cycle {seen - 1} à son "
                f"échéance et ouvert le cycle {seen} avec le registre du moment."
            )
        counts = await schedule.counts(current.id)
        total = sum(counts.values())
        stats = service.engine.statistics() if service.engine else {}
        say(
            f"  [{datetime.now(UTC):%H:%M:%S}] cycle {current.number} : traités "
            f"{counts[MemberStatus.DONE]}/{total}, en appel {counts[MemberStatus.IN_CALL]}, "
            f"agents {stats.get('agents')}, décision : {stats.get('pacing')}"
        )
        near_end = current.deadline - datetime.now(UTC) < timedelta(seconds=15)
        if current.number >= 2 and (counts[MemberStatus.DONE] == total or near_end):
            return


async def say_cycles(
    sessions: SessionFactory, campaign_id: int, say: Callable[[str], None]
) -> None:
    """Each cycle of the episode: its span, its results and its never-reached list."""
    results = CycleResultRepository(sessions)
    for cycle in await CycleRepository(sessions).list_for(campaign_id):
        counts = await results.counts(cycle.id)
        closed = f"{cycle.closed_at:%H:%M:%S}" if cycle.closed_at else "ouvert"
        lines = ", ".join(
            f"{CYCLE_RESULT_LABELS[result]} {count}" for result, count in sorted(counts.items())
        )
        say(f"  Cycle {cycle.number} ({cycle.started_at:%H:%M:%S} → {closed}) : {lines}")


async def report(sessions: SessionFactory, campaign_id: int, say: Callable[[str], None]) -> None:
    """The campaign report, as a supervisor gets it (``dialer report``, /rapports): from
    the ledger, with the billing reconciled call by call; written as CSV, XLSX and PDF."""
    builder = ReportBuilder(sessions, catalog=load_questionnaires(QUESTIONNAIRES))
    result = await builder.build(campaign_id, None, now=datetime.now(UTC))
    figures, billing = result.figures, result.billing
    say(f"Rapport : {result.scope}")
    say("  Entonnoir : " + " → ".join(f"{step.label} {step.count}" for step in figures.funnel))
    say(
        "  Tentatives : "
        + ", ".join(f"{line.label} {line.count}" for line in figures.outcomes if line.count)
    )
    useful = figures.useful_contacts
    share = useful / figures.register if figures.register else 0.0
    say(
        f"  Contacts utiles (questionnaire complet) : {useful}/{figures.register} "
        f"({100 * share:.0f} % ; objectif 65–70 %)"
    )
    dmt = figures.dmt_overall
    say(
        f"  DMT : {dmt.mean_handling_s:.1f} s (conversation {dmt.mean_talk_s:.1f} s + "
        f"après-appel {dmt.mean_wrap_up_s:.1f} s) sur {dmt.calls} appels traités"
    )
    for agent in figures.dmt_by_agent:
        say(f"    {agent.agent:<12} {agent.calls:>3} appels, DMT moyenne {agent.mean_s:.1f} s")
    say(f"  À suivre par les équipes de terrain (jamais joints) : {len(figures.follow_up)}")
    bill = billing.bill
    reconciled = "oui" if billing.reconciliation.balanced else "NON"
    say(
        f"  Facturation : {billing.reconciliation.billed_count} contacts facturés, "
        f"{bill.total_excluding_vat} {bill.currency} HT "
        f"({bill.total_including_vat} {bill.currency} TTC) ; "
        f"rapproché du journal d'appels : {reconciled}"
    )
    say(f"  Alertes levées : {len(figures.alerts)}")
    for alert in sorted(figures.alerts, key=lambda line: line.priority)[:10]:
        say(f"    P{alert.priority} {need_label(alert.need)} : {alert.message}")
    written = await asyncio.to_thread(write_report_files, result, DEMO_DIR / "rapport")
    say(f"  Rapport écrit dans {DEMO_DIR / 'rapport'} ({len(written)} fichiers, dont le PDF) :")
    for path in written:
        if path.suffix != ".csv":
            say(f"    {path}")


MODES = ("canicule", "veille-sociale")


@click.command("demo")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="canicule",
    show_default=True,
    help="canicule : l'épisode d'alerte et ses agents ; veille-sociale : les bénévoles "
    "appellent les ménages qui ont donné leur accord.",
)
@click.option("--minutes", default=6.0, show_default=True, help="Durée maximale de la campagne.")
@click.option("--port", default=8080, show_default=True, help="Port du service web (127.0.0.1).")
@click.option(
    "--households",
    default=HOUSEHOLDS,
    show_default=True,
    type=click.IntRange(5, 99),
    help="veille-sociale : ménages du registre.",
)
@click.option(
    "--volunteers",
    default=VOLUNTEERS,
    show_default=True,
    type=click.IntRange(1, len(VOLUNTEER_NAMES)),
    help="veille-sociale : bénévoles (robots).",
)
@click.pass_context
def demo(
    ctx: click.Context, *, mode: str, minutes: float, port: int, households: int, volunteers: int
) -> None:
    """Démonstration complète sur l'Asterisk local et le monde simulé."""
    if mode == "veille-sociale":
        asyncio.run(
            run_veille_demo(
                settings_of(ctx), click.echo, minutes=minutes, port=port,
                households=households, volunteers=volunteers,
            )
        )  # fmt: skip
        return
    asyncio.run(run_demo(settings_of(ctx), click.echo, minutes=minutes, port=port))
