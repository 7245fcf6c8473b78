"""``dialer demo --mode veille-sociale``: the volunteer calls to isolated households, for
real, on the local Asterisk and the simulated world (as ``make demo`` does the heatwave).

1. Writes the city's files (:mod:`dialer.rig.veille_files`) and imports them through the
   commands' own readers: the register, a consent file with a line missing its date
   (refused, the line and field named, nothing written), the consents, the directory of
   resources. Creates the coordinator (a supervisor, with an API token), the volunteers
   (each on a softphone of the rig) and a volunteer not yet trained.
2. Serves the whole product; the coordinator records the volunteers' training and becomes
   their coordinator through the API; the untrained volunteer's desk is refused. Creates
   and starts a veille-sociale campaign (preview) over the households who agreed; one of
   them withdraws their consent at once (the coordinator, through the API): never called.
3. Robot volunteers (:class:`~dialer.rig.robot_volunteers.VolunteerRobot`, the agents'
   robots with the volunteer role, on the same agent screen) take the offers, answer the
   two-level questionnaire, orient households from the « Orienter » panel's API, schedule
   follow-up calls a few minutes ahead (:data:`FOLLOW_UP_AFTER`), write debriefs (some
   flagged) and ask for help; the coordinator answers them through the API meanwhile. At
   its time, the service's own loop offers each follow-up to the volunteer who booked it,
   who calls the household again.
4. Once every household due has been called and every follow-up placed (or at the time
   limit), stops the campaign,
   prints the funnel and the needs analysis (its small cells « secret ») and writes the
   analysis as CSV, XLSX and PDF next to the files.
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

from dialer.campaigns.template_files import shipped_templates
from dialer.consent_files import read_consents
from dialer.core.campaign_plans import today_in_paris
from dialer.core.roles import Role
from dialer.core.windows import is_open
from dialer.desk.accounts import create_account
from dialer.errors import ConflictError, InputError
from dialer.register.importer import import_register
from dialer.reports.needs import Period, report_tables
from dialer.reports.needs_files import NEEDS_FORMATS, NeedsAnalysis, file_name, rendered
from dialer.resource_files import read_resources
from dialer.rig.demo_accounts import SUPERVISOR, provision_demo_people
from dialer.rig.demo_rig import DEMO_CYCLES, demo_rig, demo_settings
from dialer.rig.robot_personas import RandomPersonas
from dialer.rig.robot_volunteers import VOLUNTEER_ENDINGS, VOLUNTEER_HEALTH, VolunteerRobot
from dialer.rig.veille_coordination import Coordination
from dialer.rig.veille_files import VeilleFiles, write_veille_files
from dialer.rig.veille_funnel import VeilleFunnel, follow_ups_of, veille_funnel
from dialer.service import Service, running_service
from dialer.settings import Settings
from dialer.storage.api_tokens import ApiTokenRepository
from dialer.storage.consents import ConsentRegistry
from dialer.storage.database import (
    SessionFactory,
    create_engine,
    create_session_factory,
    migrate_engine,
)
from dialer.storage.resources import ResourceDirectory
from dialer.storage.schedule import CycleSchedule, MemberStatus
from dialer.telephony.ami import AmiCredentials

VEILLE_DIR = Path("var/demo-veille")
HOUSEHOLDS = 40
VOLUNTEERS = 4
VOLUNTEER_NAMES = ("camille", "malik", "josiane", "theo", "leila", "paul", "rose", "samir")
UNTRAINED = "benevole.nouveau"
CAMPAIGN_NAME = "Veille sociale — fêtes de fin d'année (démonstration)"
#: the robot volunteers book their follow-up calls this long ahead, within the demo's run
FOLLOW_UP_AFTER = timedelta(minutes=2)


async def run_veille_demo(
    settings: Settings,
    say: Callable[[str], None],
    *,
    minutes: float = 6.0,
    port: int = 8080,
    households: int = HOUSEHOLDS,
    volunteers: int = VOLUNTEERS,
) -> None:
    """``dialer demo --mode veille-sociale``: the rig started, then the scene."""
    settings = demo_settings(settings, volunteers, port, VEILLE_DIR / "veille.db")
    shutil.rmtree(VEILLE_DIR, ignore_errors=True)
    async with demo_rig(settings, say) as (rig, _):
        phones = [f"agent-{settings.rig.first_agent_extension + i}" for i in range(volunteers)]
        await veille_scene(
            settings, say, phones=phones, households=households, minutes=minutes,
            ami=rig.ami_credentials(), out=VEILLE_DIR,
        )  # fmt: skip


def volunteer_names(count: int) -> list[str]:
    return [f"benevole.{name}" for name in VOLUNTEER_NAMES[:count]]


async def prepare(
    sessions: SessionFactory,
    files: VeilleFiles,
    say: Callable[[str], None],
    *,
    volunteers: dict[str, str],
    password: str,
) -> str:
    """The files imported, the accounts created; the coordinator's API token."""
    now = datetime.now(UTC)
    imported = await import_register(sessions, files.register, now=now)
    say(f"Registre des ménages importé ({files.register}) : {imported.summary_fr()}")
    try:
        await asyncio.to_thread(read_consents, files.bad_consents, today=today_in_paris(now))
        say("  ERREUR : le fichier de consentements incomplet a été accepté")
    except InputError as exc:
        say(f"Consentements ({files.bad_consents.name}) refusés : {exc}")
    first = files.consenting[0]
    kept = len(await ConsentRegistry(sessions).history(first))
    say(f"  rien de ce fichier n'est enregistré ({first} : {kept} consentement en base).")
    records = await asyncio.to_thread(read_consents, files.consents, today=today_in_paris(now))
    recorded = (await ConsentRegistry(sessions).record(records, actor=SUPERVISOR, now=now)).written
    say(
        f"Consentements ({files.consents.name}) : {recorded} enregistrés (qui, quand, par "
        f"quel canal, pour quoi, recueilli par qui) ; {imported.added - recorded} ménages "
        "du registre sans accord ne seront pas appelés."
    )
    entries = await asyncio.to_thread(read_resources, files.resources)
    added, _ = await ResourceDirectory(sessions).import_entries(entries, actor=SUPERVISOR, now=now)
    say(f"Annuaire des ressources ({files.resources.name}) : {added} ressources importées.")
    await provision_demo_people(sessions, [], password)
    for username, phone in volunteers.items():
        await create_account(sessions, username, password, Role.VOLUNTEER, None, phone)
    await create_account(sessions, UNTRAINED, password, Role.VOLUNTEER)
    _, token = await ApiTokenRepository(sessions).create(
        name="coordination-demo", username=SUPERVISOR, created_by="demo", now=now,
        lifetime=timedelta(days=1),
    )  # fmt: skip
    return token


async def veille_scene(
    settings: Settings,
    say: Callable[[str], None],
    *,
    phones: list[str],
    households: int,
    minutes: float,
    ami: AmiCredentials,
    out: Path,
    follow_up_after: timedelta = FOLLOW_UP_AFTER,
) -> VeilleFunnel:
    """The whole scene (see the module docstring) on a running rig: ``phones``, the rig's
    softphones, one per volunteer; the volunteers book follow-up calls ``follow_up_after``
    ahead. Returns the funnel it printed."""
    rng = random.Random(2027)
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    files = await asyncio.to_thread(
        write_veille_files, out, households, rng, today=datetime.now(UTC).date()
    )
    volunteers = dict(zip(volunteer_names(len(phones)), phones, strict=True))
    password = secrets.token_urlsafe(12)
    database = create_engine(settings.database_address())
    await migrate_engine(database)
    token = await prepare(
        create_session_factory(database), files, say, volunteers=volunteers, password=password
    )
    await database.dispose()
    windows = shipped_templates().get("veille_sociale").windows
    cycles = DEMO_CYCLES.model_copy(
        update={"all_day_windows": not is_open(windows, datetime.now(UTC))}
    )
    if cycles.all_day_windows:
        say("Hors des heures d'appel réelles : fenêtres élargies à toute la journée pour la démo.")
    async with running_service(
        settings.model_copy(update={"cycles": cycles}), ami=ami,
        secret_key=secrets.token_urlsafe(48), ring_timeout_s=20, tick_s=0.5,
    ) as service:  # fmt: skip
        say(f"Service : {service.url}  (mot de passe de démonstration : {password})")
        say(f"  bénévoles : {', '.join(volunteers)} ; coordinateur : {SUPERVISOR}")
        say(
            f"  Activité des bénévoles : {service.url}/supervision/benevoles/activite "
            f"(se connecter en {SUPERVISOR})"
        )
        async with Coordination(service.url, token) as coordinator:
            return await _campaign(
                service, coordinator, files=files, say=say, volunteers=volunteers,
                password=password, minutes=minutes, out=out, follow_up_after=follow_up_after,
            )  # fmt: skip


async def _campaign(
    service: Service,
    coordinator: Coordination,
    *,
    files: VeilleFiles,
    say: Callable[[str], None],
    volunteers: dict[str, str],
    password: str,
    minutes: float,
    out: Path,
    follow_up_after: timedelta,
) -> VeilleFunnel:
    for username in volunteers:
        await coordinator.train(username)
    say(f"Formation enregistrée par {SUPERVISOR} (API) pour {len(volunteers)} bénévoles.")
    untrained = VolunteerRobot(service.url, UNTRAINED, password, rng=random.Random(0))
    say(f"  {UNTRAINED}, pas encore formé, ouvre son poste : « {await untrained.try_desk()} »")
    created = await service.control.create("veille_sociale", actor=SUPERVISOR, name=CAMPAIGN_NAME)
    started = await service.control.start(created.id, actor=SUPERVISOR)
    cycle = await service.control.cycles.current(started.id)
    if cycle is None:
        raise ConflictError(f"la campagne « {started.name} » n'a pas ouvert de cycle")
    counts = await CycleSchedule(service.sessions).counts(cycle.id)
    say(
        f"Campagne « {started.name} » (n° {started.id}, aperçu) démarrée : "
        f"{sum(counts.values())} ménages ayant donné leur accord dans le cycle."
    )
    withdrawn = files.consenting[-1]
    await coordinator.withdraw(withdrawn)
    say(f"  {withdrawn} retire son accord (par téléphone, enregistré par l'API) : plus appelé.")
    stop = asyncio.Event()
    robots = [
        VolunteerRobot(
            service.url, username, password, rng=random.Random(i), answer_delay_s=0.3,
            wrap_up_s=1.0, personas=RandomPersonas(VOLUNTEER_HEALTH, VOLUNTEER_ENDINGS),
            follow_up_after=follow_up_after,
        )
        for i, username in enumerate(volunteers)
    ]  # fmt: skip
    tasks = [asyncio.create_task(robot.run(stop)) for robot in robots]
    await _follow(
        service, (started.id, cycle.id), coordinator, robots=robots, minutes=minutes, say=say
    )
    await service.control.stop(started.id, actor=SUPERVISOR)
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await service.engine.flush()
    await coordinator.answer_all(say)
    funnel = await veille_funnel(service.sessions, started.id, files, withdrawn)
    for line in funnel.lines():
        say(line)
    for robot in robots:
        for error in robot.errors:
            say(f"  incident du robot {robot.username} : {error}")
    await needs_analysis(service, started.id, say, out)
    return funnel


async def _follow(
    service: Service,
    campaign: tuple[int, int],
    coordinator: Coordination,
    *,
    robots: list[VolunteerRobot],
    minutes: float,
    say: Callable[[str], None],
) -> None:
    """Every 5 s: the coordinator answers what came in; the campaign's progress; until no
    household is due nor in a call and no follow-up call is still awaited (not placed, not
    late by more than a minute), twice in a row (or ``minutes``). ``campaign``: the
    campaign's and its cycle's ids."""
    campaign_id, cycle_id = campaign
    schedule = CycleSchedule(service.sessions)
    limit = time.monotonic() + minutes * 60
    quiet = 0
    while time.monotonic() < limit and quiet < 2:
        await asyncio.sleep(5)
        await coordinator.answer_all(say)
        counts = await schedule.counts(cycle_id)
        due = await schedule.due_count(cycle_id, datetime.now(UTC))
        busy = any(not call.submitted for robot in robots for call in robot.handled)
        calls = sum(len(robot.handled) for robot in robots)
        pending = (await follow_ups_of(service.sessions, campaign_id)).awaited
        say(
            f"  [{datetime.now(UTC):%H:%M:%S}] appels décrochés {calls}, en appel "
            f"{counts[MemberStatus.IN_CALL]}, ménages à appeler maintenant {due}, "
            f"rappels de suivi à venir {pending}"
        )
        idle = not due and not counts[MemberStatus.IN_CALL] and not busy and not pending
        quiet = quiet + 1 if idle else 0


async def needs_analysis(
    service: Service, campaign_id: int, say: Callable[[str], None], out: Path
) -> list[Path]:
    """The needs analysis as ``dialer report needs`` builds it, printed table by table
    (suppressed cells « secret ») and written as CSV, XLSX and PDF in ``out``."""
    threshold = service.settings.reports.needs_min_cell
    analysis = NeedsAnalysis(service.sessions, threshold=threshold)
    report = await analysis.build(campaign_id, Period(), now=datetime.now(UTC))
    say(f"Analyse des besoins (agrégats anonymes, cases de moins de {threshold} masquées) :")
    for table in report_tables(report):
        say(f"  {table.title}")
        say("    " + " | ".join(table.headers))
        for row in table.rows:
            say("    " + " | ".join("" if cell is None else str(cell) for cell in row))
    written = []
    for fmt in NEEDS_FORMATS:
        path = out / file_name(report, fmt)
        await asyncio.to_thread(path.write_bytes, await rendered(report, fmt))
        written.append(path)
    say("  Écrite : " + ", ".join(str(path) for path in written))
    return written
