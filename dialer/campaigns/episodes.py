"""Alert episodes, run by the service from the alert to its end.

Several episodes may last at once, each with its own campaign and cycles (a city-wide
heatwave and a flood in one district), never two of one kind over a shared area
(:func:`dialer.core.episodes.check_may_start`). Starting an episode (pages, API, CLI,
« Démarrer depuis l'alerte ») records it and starts its campaign from the template: first
cycle, the current register, first dials. From then on the service itself
(:meth:`EpisodeControl.run`, in ``dialer serve``) keeps each episode's cycles
(:func:`dialer.core.cycles.cycle_step`): at each deadline it closes the cycle
(:func:`close_cycle`: people still waiting go on its never-reached list with the reason)
and opens the next one, the cycle length after the previous start, with the register as it
stands then, and the engine follows it. Within the lead time before a deadline, the people
not reached yet get their relative's call (:mod:`dialer.campaigns.relatives`). A controller
that was down at that instant does it when it starts again, once: the cycle's number is its
slot on the grid, and the database refuses a second cycle with the same number for the
campaign.

Ending the episode detaches its campaign (calls in progress finish, no new attempt is
placed), finishes it and closes its cycle the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from dialer.campaigns.control import SERVICE_ACTOR, AlertStart, CampaignControl
from dialer.campaigns.keeping import Keeping
from dialer.campaigns.relatives import turn_to_relatives
from dialer.campaigns.rules import policy_from_json, windows_from_json
from dialer.campaigns.templates import TemplateCatalog
from dialer.core.attempts import CycleResult
from dialer.core.campaigns import CampaignState
from dialer.core.cycle_closure import eligible_for_new_cycle
from dialer.core.cycles import cycle_step
from dialer.core.episodes import (
    DEFAULT_LEVEL,
    AlertKind,
    EpisodeView,
    check_level,
    check_may_start,
    parse_alert_kind,
    parse_districts,
    the_one_running,
)
from dialer.core.labels import ALERT_KIND_LABELS
from dialer.core.operator_messages import details_text, say
from dialer.core.planning import Cycle, initial_attempt_time
from dialer.core.relatives import calls_relatives
from dialer.errors import ConflictError, DialerError, InputError
from dialer.storage.campaigns import CampaignRepository, ClosedCycle, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.episodes import EpisodeRepository
from dialer.storage.models import Campaign
from dialer.storage.models import Cycle as StoredCycle
from dialer.storage.schedule import open_cycle_with_register, register_districts

log = logging.getLogger(__name__)


async def close_cycle(sessions: SessionFactory, cycle_id: int, *, at: datetime) -> ClosedCycle:
    """Close a cycle: everyone still waiting ends it on its never-reached list, with the
    reason and the count of their attempts (people in a call finish it and get their
    result in this cycle when it ends). The one place a cycle closes, at its deadline or
    at the episode's end. :class:`ConflictError` when it is closed already."""
    return await CycleRepository(sessions).close(cycle_id, at=at)


async def open_next_cycle(
    sessions: SessionFactory,
    campaign: Campaign,
    cycle: Cycle,
    *,
    now: datetime,
    districts: Collection[str] = (),
) -> tuple[StoredCycle, int]:
    """Open ``cycle`` (its slot, number and deadline) for ``campaign`` with the register as
    it stands at ``now`` (of the episode's ``districts`` only, when given), without the
    people who left the list in an earlier cycle
    (:func:`~dialer.core.cycle_closure.eligible_for_new_cycle`), everyone due at the first
    calling instant (at the deadline when no window opens before it: nobody is dialled and
    the closing says why)."""
    due = initial_attempt_time(
        now=now,
        cycle=cycle,
        windows=windows_from_json(campaign.calling_windows),
        policy=policy_from_json(campaign.retry_policy),
    )
    return await open_cycle_with_register(
        sessions,
        campaign.id,
        number=cycle.index,
        started_at=cycle.started_at,
        deadline=cycle.deadline,
        due=due or cycle.deadline,
        left_with=[result for result in CycleResult if not eligible_for_new_cycle(result)],
        districts=districts,
    )


def template_for(templates: TemplateCatalog, kind: AlertKind) -> str:
    """The campaign template an alert of ``kind`` starts from."""
    found = templates.for_alert(kind)
    if found is not None:
        return found.key
    raise InputError(
        f"template: aucun modèle de campagne pour une alerte « {ALERT_KIND_LABELS[kind]} » ; "
        f"choisissez-en un ({', '.join(templates.keys())})"
    )


@dataclass(frozen=True)
class EpisodeStart:
    episode: EpisodeView
    started: AlertStart


@dataclass(frozen=True)
class CycleChange:
    """What the cycle keeper did for one campaign: ``closed`` / ``opened`` cycle numbers."""

    campaign_id: int
    closed: int | None = None
    never_reached: int = 0
    opened: int | None = None
    people: int = 0


class EpisodeControl:
    """Episodes started and ended, and the cycles of their campaigns kept by the service."""

    def __init__(
        self,
        control: CampaignControl,
        *,
        check_s: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.control = control
        self.sessions: SessionFactory = control.sessions
        self.clock = control.clock
        self.check_s = check_s
        self.episodes = EpisodeRepository(self.sessions)
        self.campaigns = CampaignRepository(self.sessions)
        self.cycles = CycleRepository(self.sessions)
        self._lock = asyncio.Lock()
        self.counters = {
            "closed": 0,
            "opened": 0,
            "never_reached": 0,
            "relatives_called": 0,
            "errors": 0,
        }
        self._keeping = Keeping(
            "cycle-keeper", self.keep_cycles, self.counters, check_s=check_s, sleep=sleep
        )

    # ---- reading ------------------------------------------------------------------------
    async def current(self) -> EpisodeView | None:
        return await self.episodes.current()

    async def running(self) -> list[EpisodeView]:
        """The episodes that last, oldest first (each with its own campaign and cycles)."""
        return await self.episodes.running()

    async def all(self) -> list[EpisodeView]:
        """Newest first."""
        return await self.episodes.list_all()

    # ---- steering -----------------------------------------------------------------------
    async def start(
        self,
        *,
        kind: str,
        level: int,
        districts: Sequence[str] = (),
        actor: str,
        template_key: str | None = None,
        name: str | None = None,
    ) -> EpisodeStart:
        """Start an episode and its campaign (first cycle, first dials). :class:`InputError`
        for a bad kind, level or area; :class:`ConflictError` while another one lasts."""
        alert = parse_alert_kind(kind)
        check_level(level)
        area = parse_districts(districts)
        key = template_key or template_for(self.control.templates, alert)
        self.control.templates.get(key)  # unknown template: nothing created
        async with self._lock:
            check_may_start(await self.episodes.running(), alert, area)
            unknown = sorted(set(area) - await register_districts(self.sessions))
            if unknown:
                raise InputError(
                    f"districts: aucune personne du registre dans {', '.join(unknown)}"
                )
            started = await self.control.start_from_alert(
                key, actor=actor, name=name, districts=area
            )
            campaign_id = started.campaign.id
            try:
                episode = await self.episodes.start(
                    kind=alert,
                    level=level,
                    districts=area,
                    by=actor,
                    at=self.clock(),
                    campaign_id=campaign_id,
                )
            except DialerError:
                await self.control.stop(campaign_id, actor=SERVICE_ACTOR)
                raise
            await self._record(
                actor,
                "episode.start",
                episode,
                kind=alert.value,
                level=level,
                districts=list(area),
                campaign_id=campaign_id,
            )
            return EpisodeStart(episode, started)

    async def start_from_alert(
        self, template_key: str, *, actor: str, name: str | None = None
    ) -> EpisodeStart:
        """« Démarrer depuis l'alerte »: an episode of the template's kind, at the plan's
        level 3, over the whole city."""
        tpl = self.control.templates.get(template_key)
        return await self.start(
            kind=tpl.alert.value,
            level=DEFAULT_LEVEL,
            actor=actor,
            template_key=tpl.key,
            name=name,
        )

    async def end(self, *, actor: str, episode_id: int | None = None) -> EpisodeView:
        """End the episode (the one that lasts, or ``episode_id``): its campaign places no
        new attempt, calls in progress finish, its open cycle closes now."""
        async with self._lock:
            if episode_id is None:
                episode_id = the_one_running(await self.episodes.running()).id
            ended = await self.episodes.end(episode_id, by=actor, at=self.clock())
            if ended.campaign_id is not None:
                await self.control.finish(ended.campaign_id, actor=actor)
            await self._record(actor, "episode.end", ended)
            await self._keep(ended, self.clock())
            return ended

    # ---- the cycles ---------------------------------------------------------------------
    async def keep_cycles(self) -> list[CycleChange]:
        """One look at every episode's cycles: close those due, open the next ones."""
        async with self._lock:
            now = self.clock()
            changes = []
            for episode in await self.episodes.with_cycles_to_run():
                try:
                    change = await self._keep(episode, now)
                    await self._turn_to_relatives(episode, now)
                except DialerError as exc:
                    self.counters["errors"] += 1
                    log.warning("episode %s: cycles not kept: %s", episode.id, exc)
                    continue
                if change is not None:
                    changes.append(change)
            return changes

    async def _keep(self, episode: EpisodeView, now: datetime) -> CycleChange | None:
        if episode.campaign_id is None:
            return None
        stored = await self.cycles.latest(episode.campaign_id)
        if stored is None:
            return None
        last = Cycle(stored.started_at, stored.deadline, stored.number)
        campaign = await self.campaigns.get(episode.campaign_id)
        step = cycle_step(
            last,
            last_closed=stored.closed_at is not None,
            episode_active=episode.active,
            now=now,
            length=policy_from_json(campaign.retry_policy).cycle_length,
        )
        if step.nothing:
            return None
        change = CycleChange(episode.campaign_id)
        if step.close is not None:
            try:
                closed = await close_cycle(self.sessions, stored.id, at=now)
            except ConflictError:
                log.info("cycle %s was closed by another controller", stored.id)
            else:
                marked = len(closed.never_reached)
                change = CycleChange(episode.campaign_id, stored.number, marked)
                self.counters["closed"] += 1
                self.counters["never_reached"] += marked
                await self._record(
                    SERVICE_ACTOR, "cycle.close", episode, cycle=stored.number, never_reached=marked
                )
        campaign = await self.campaigns.get(episode.campaign_id)  # as the close left it
        steerable = campaign.state in (CampaignState.RUNNING, CampaignState.PAUSED)
        if step.open is not None and steerable:
            try:
                opened, people = await open_next_cycle(
                    self.sessions, campaign, step.open, now=now, districts=episode.districts
                )
            except ConflictError:
                log.info("cycle %s was opened by another controller", step.open.index)
            else:
                change = CycleChange(
                    change.campaign_id, change.closed, change.never_reached, opened.number, people
                )
                self.counters["opened"] += 1
                await self._record(
                    SERVICE_ACTOR, "cycle.open", episode, cycle=opened.number, people=people
                )
        await self.control.follow_cycle(episode.campaign_id)
        return change

    async def _turn_to_relatives(self, episode: EpisodeView, now: datetime) -> None:
        """Within the lead time before the open cycle's deadline, the people not reached
        yet get their relative's call (:func:`~dialer.campaigns.relatives.turn_to_relatives`)."""
        if episode.campaign_id is None or not episode.active:
            return
        stored = await self.cycles.current(episode.campaign_id)
        if stored is None:
            return
        campaign = await self.campaigns.get(episode.campaign_id)
        if campaign.state is not CampaignState.RUNNING or not calls_relatives(campaign.kind):
            return
        self.counters["relatives_called"] += await turn_to_relatives(
            self.sessions,
            cycle_id=stored.id,
            cycle=Cycle(stored.started_at, stored.deadline, stored.number),
            windows=windows_from_json(campaign.calling_windows),
            policy=policy_from_json(campaign.retry_policy),
            now=now,
        )

    # ---- the service's loop -------------------------------------------------------------
    async def start_keeping(self) -> None:
        """Keep the cycles every ``check_s`` seconds (at once first) until stopped."""
        await self._keeping.start()

    async def stop_keeping(self) -> None:
        await self._keeping.stop()

    async def _record(
        self, actor: str, action: str, episode: EpisodeView, **details: object
    ) -> None:
        """The change's audit entry (an episode's start and end, its cycles' opening and
        closing), and its INFO log line."""
        log.info(
            say(
                "episode.change",
                episode=episode.id,
                action=action,
                actor=actor,
                details=details_text(details),
            )
        )
        await self.control.audit.record(
            actor=actor,
            action=action,
            target=f"episode:{episode.id}",
            at=self.clock(),
            details=dict(details),
        )
