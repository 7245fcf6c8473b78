"""Campaign control: the service's one dialing engine, and which campaigns it dials for.

The service always runs one :class:`~dialer.engine.engine.DialingEngine`, campaign or not,
so agents' seats and phones survive campaign changes. :class:`CampaignControl` attaches
campaigns to it (each its open cycle's dial queue and pacer), pauses and resumes each one's
dialing, detaches it, and changes its pacing and its settings
(:meth:`CampaignControl.change_settings`) while it runs. Several campaigns dial at once
(a city-wide heatwave and a flood in one district), each independently, each paced against
the agents serving it (:mod:`dialer.campaigns.campaign_agents`).

Every operation is serialised, persisted in ``campaigns.state`` (so a restarted service
attaches again every campaign it left running or paused, :meth:`CampaignControl.recover`)
and recorded in the audit log with who asked for it.

"Starting from an alert" (:meth:`CampaignControl.start_from_alert`) is one action: a
campaign from the template, its first cycle with a snapshot of the current register,
attached, and the first pacing tick run at once (the first dials leave before it returns).
"""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from dialer.campaigns.campaign_agents import CampaignAgents
from dialer.campaigns.runner import CampaignDialing, campaign_dialing, pacing_of
from dialer.campaigns.settings_change import (
    SettingsView,
    checked_change,
    settings_columns,
    stored_settings,
)
from dialer.campaigns.start import create_from_template, open_cycle
from dialer.campaigns.template_files import shipped_templates
from dialer.campaigns.templates import TemplateCatalog, with_cycle_settings
from dialer.campaigns.views import CampaignView
from dialer.clock import utcnow
from dialer.core.campaign_settings import differences
from dialer.core.campaigns import CampaignState
from dialer.core.labels import CAMPAIGN_STATE_LABELS
from dialer.core.operator_messages import details_text, say
from dialer.core.pacing import PacingDecision, decision
from dialer.core.pacing_reasons import Clause, fact
from dialer.core.pacing_settings import PacingMode, mode_for_kind
from dialer.core.windows import PARIS
from dialer.engine.engine import DialingEngine
from dialer.engine.statistics_view import campaigns_statistics, pacing_of_each
from dialer.errors import ConflictError, DialerError
from dialer.questionnaire_files import QuestionnaireCatalog
from dialer.settings import CycleSettings
from dialer.storage.audit import AuditLog
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.models import Campaign

log = logging.getLogger(__name__)

#: the actor of what the service does by itself (re-attaching after a restart)
SERVICE_ACTOR = "service"


@dataclass(frozen=True)
class AlertStart:
    """What one "start from the alert" did."""

    campaign: CampaignView
    people: int
    first_due: datetime
    first_plan: PacingDecision


class CampaignControl:
    def __init__(
        self,
        sessions: SessionFactory,
        engine: DialingEngine,
        *,
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] = utcnow,
        caller_id: str = "",
        cycles: CycleSettings | None = None,
        templates: TemplateCatalog | None = None,
    ) -> None:
        self.sessions = sessions
        #: the campaign templates (shipped and the administrator's files)
        self.templates = templates or shipped_templates()
        #: the cycle length, retry delays and windows of the campaigns it creates
        self.cycle_settings = cycles or CycleSettings()
        self.engine = engine
        self.audit = audit or AuditLog(sessions)
        self.clock = clock
        self.caller_id = caller_id
        self.campaigns = CampaignRepository(sessions)
        self.cycles = CycleRepository(sessions)
        #: the campaigns attached to the engine, by id, in the order they were attached
        self.attached: dict[int, CampaignDialing] = {}
        #: which agents serve which campaign (the engine follows it)
        self.agents = CampaignAgents(sessions, engine, audit=self.audit, clock=clock)
        self._lock = asyncio.Lock()
        self._counters = {
            "started": 0,
            "paused": 0,
            "resumed": 0,
            "stopped": 0,
            "pacing": 0,
            "settings": 0,
            "finished": 0,
            "cycles_followed": 0,
        }

    # ---- reading ------------------------------------------------------------------------
    @property
    def current(self) -> CampaignDialing | None:
        """The campaign attached, when exactly one is."""
        if len(self.attached) != 1:
            return None
        return next(iter(self.attached.values()))

    @property
    def attached_id(self) -> int | None:
        """The campaign attached, when exactly one is."""
        return self.current.campaign_id if self.current is not None else None

    async def view(self, campaign: Campaign | int) -> CampaignView:
        if isinstance(campaign, int):
            campaign = await self.campaigns.get(campaign)
        cycle = await self.cycles.current(campaign.id)
        return CampaignView.of(campaign, cycle, attached=campaign.id in self.attached)

    async def list(self) -> list[CampaignView]:
        """Newest first."""
        return [await self.view(c) for c in reversed(await self.campaigns.list_all())]

    # ---- steering -----------------------------------------------------------------------
    async def create(
        self, template_key: str, *, actor: str, name: str | None = None
    ) -> CampaignView:
        """A campaign from a template, in preparation (no cycle, not dialing)."""
        async with self._lock:
            campaign = await self._create(template_key, name)
            await self._record(actor, "campaign.create", campaign, template=template_key)
            return await self.view(campaign)

    async def start(self, campaign_id: int, *, actor: str) -> CampaignView:
        """Open a cycle (snapshot of the register) if none is open, mark the campaign
        running and attach it to the engine."""
        async with self._lock:
            campaign = await self.campaigns.get(campaign_id)
            if campaign.state is CampaignState.PAUSED:
                raise ConflictError(
                    f"la campagne « {campaign.name} » est en pause : reprenez-la plutôt"
                )
            if campaign.state is CampaignState.RUNNING and campaign.id in self.attached:
                raise ConflictError(f"la campagne « {campaign.name} » est déjà en cours")
            opened = await self._start(campaign)
            await self._record(actor, "campaign.start", campaign, **opened)
            self._counters["started"] += 1
            await self._first_tick(campaign.id)
            return await self.view(campaign.id)

    async def start_from_alert(
        self,
        template_key: str,
        *,
        actor: str,
        name: str | None = None,
        districts: Collection[str] = (),
    ) -> AlertStart:
        """One action from the alert to the first dials: the campaign from its template,
        its first cycle with the current register (of ``districts`` only, when given),
        attached, and the first dials placed before this returns."""
        async with self._lock:
            tpl = self.templates.get(template_key)  # unknown template: nothing created
            campaign = await self._create(tpl.key, name, districts)
            try:
                opened = await self._start(campaign, districts)
            except DialerError:
                await self.campaigns.set_state(
                    campaign.id, CampaignState.STOPPED, expected={CampaignState.DRAFT}
                )
                raise
            self._counters["started"] += 1
            plan = await self._first_tick(campaign.id)
            await self._record(
                actor,
                "campaign.start_from_alert",
                campaign,
                template=tpl.key,
                first_dials=plan.dials,
                **opened,
            )
            view = await self.view(campaign.id)
            return AlertStart(
                view,
                int(opened.get("people", 0)),
                datetime.fromisoformat(str(opened["first_due"])),
                plan,
            )

    async def pause(self, campaign_id: int, *, actor: str) -> CampaignView:
        """No new dials; calls in progress go on."""
        async with self._lock:
            campaign = await self._in_state(campaign_id, CampaignState.RUNNING, "mettre en pause")
            await self.campaigns.set_state(
                campaign.id, CampaignState.PAUSED, expected={CampaignState.RUNNING}
            )
            if campaign.id in self.attached:
                self.engine.pause_campaign(campaign.id)
            await self._record(actor, "campaign.pause", campaign)
            self._counters["paused"] += 1
            return await self.view(campaign.id)

    async def resume(self, campaign_id: int, *, actor: str) -> CampaignView:
        async with self._lock:
            campaign = await self._in_state(campaign_id, CampaignState.PAUSED, "reprendre")
            if campaign.id not in self.attached:
                await self._attach(campaign.id, dialing_enabled=False)
            await self.campaigns.set_state(
                campaign.id, CampaignState.RUNNING, expected={CampaignState.PAUSED}
            )
            self.engine.resume_campaign(campaign.id)
            await self._record(actor, "campaign.resume", campaign)
            self._counters["resumed"] += 1
            await self._first_tick(campaign.id)
            return await self.view(campaign.id)

    async def stop(self, campaign_id: int, *, actor: str) -> CampaignView:
        """Detach the campaign (calls in progress end normally); it can be started again."""
        async with self._lock:
            campaign = await self.campaigns.get(campaign_id)
            allowed = {CampaignState.DRAFT, CampaignState.RUNNING, CampaignState.PAUSED}
            if campaign.state not in allowed:
                raise ConflictError(
                    f"la campagne « {campaign.name} » est "
                    f"{CAMPAIGN_STATE_LABELS[campaign.state].lower()} : impossible de l'arrêter"
                )
            await self.campaigns.set_state(campaign.id, CampaignState.STOPPED, expected=allowed)
            if campaign.id in self.attached:
                self._detach(campaign.id)
            await self._record(actor, "campaign.stop", campaign)
            self._counters["stopped"] += 1
            return await self.view(campaign.id)

    async def finish(self, campaign_id: int, *, actor: str) -> CampaignView:
        """The campaign's episode is over: detached (calls in progress end normally, no new
        attempt is placed) and finished for good."""
        async with self._lock:
            campaign = await self.campaigns.get(campaign_id)
            if campaign.state is not CampaignState.FINISHED:
                await self.campaigns.set_state(
                    campaign.id,
                    CampaignState.FINISHED,
                    expected=set(CampaignState) - {CampaignState.FINISHED},
                )
                await self._record(actor, "campaign.finish", campaign)
                self._counters["finished"] += 1
            if campaign.id in self.attached:
                self._detach(campaign.id)
            return await self.view(campaign.id)

    async def follow_cycle(self, campaign_id: int) -> bool:
        """The campaign's cycle changed (closed at its deadline, the next one opened): the
        engine now dials the open cycle if the campaign is running (or waits on it if
        paused), beside the other campaigns attached; it is detached when no cycle is open.
        True when the engine is attached to it."""
        async with self._lock:
            campaign = await self.campaigns.get(campaign_id)
            steerable = campaign.state in (CampaignState.RUNNING, CampaignState.PAUSED)
            if not steerable or await self.cycles.current(campaign_id) is None:
                if campaign_id in self.attached:
                    self._detach(campaign_id)
                return False
            await self._attach(campaign_id, dialing_enabled=campaign.state is CampaignState.RUNNING)
            self._counters["cycles_followed"] += 1
            return True

    async def set_pacing(
        self,
        campaign_id: int,
        *,
        actor: str,
        mode: PacingMode | None = None,
        max_abandon_rate: float | None = None,
        max_lines_per_agent: float | None = None,
    ) -> CampaignView:
        """Change the pacing mode, abandon cap (never above 3 %) and lines per agent cap (1 to
        10), at once if it dials."""
        async with self._lock:
            campaign = await self.campaigns.get(campaign_id)
            if campaign.state is CampaignState.FINISHED:
                raise ConflictError(f"la campagne « {campaign.name} » est terminée")
            if mode is not None:
                mode_for_kind(mode, campaign.kind)
            config = pacing_of(
                campaign,
                mode=mode,
                max_abandon_rate=max_abandon_rate,
                max_lines_per_agent=max_lines_per_agent,
            )
            before = {
                "mode": campaign.pacing_mode.value,
                "max_abandon_rate": campaign.max_abandon_rate,
                "max_lines_per_agent": campaign.max_lines_per_agent,
            }
            await self.campaigns.set_pacing(
                campaign.id,
                mode=config.mode,
                max_abandon_rate=config.max_abandon_rate,
                max_lines_per_agent=config.max_lines_per_agent,
            )
            dialing = self.attached.get(campaign.id)
            if dialing is not None:
                dialing = self.attached[campaign.id] = replace(dialing, pacing=config)
                dialing.queue.every_call_reserved = config.mode is PacingMode.PREVIEW
                dialing.retune(self.engine)
            after = {
                "mode": config.mode.value,
                "max_abandon_rate": config.max_abandon_rate,
                "max_lines_per_agent": config.max_lines_per_agent,
            }
            await self._record(actor, "campaign.pacing", campaign, before=before, after=after)
            self._counters["pacing"] += 1
            return await self.view(campaign.id)

    async def settings(self, campaign_id: int) -> SettingsView:
        campaign = await self.campaigns.get(campaign_id)
        return SettingsView.of(campaign, self.engine.default_ring_timeout_s)

    async def change_settings(
        self,
        campaign_id: int,
        change: dict[str, Any],
        *,
        actor: str,
        version: int,
        questionnaires: QuestionnaireCatalog | None = None,
    ) -> SettingsView:
        """Change the campaign's settings (flat names of
        :mod:`dialer.core.campaign_settings`) if they are still at ``version`` (else
        :class:`ConflictError`); its open cycle's next plans and dials use them at once."""
        async with self._lock:
            campaign = await self.campaigns.get(campaign_id)
            if campaign.state is CampaignState.FINISHED:
                raise ConflictError(f"la campagne « {campaign.name} » est terminée")
            before = stored_settings(campaign)
            after = checked_change(campaign, change, questionnaires)
            stored = await self.campaigns.set_settings(
                campaign.id, expected_version=version, values=settings_columns(after)
            )
            dialing = self.attached.get(campaign.id)
            if dialing is not None:
                self.attached[campaign.id] = dialing.retuned(after, self.engine)
            changes = differences(before, after)
            await self._record(
                actor, "campaign.settings", campaign, version=stored.settings_version, **changes
            )
            self._counters["settings"] += 1
            return await self.settings(campaign.id)

    async def recover(self, campaign_id: int | None = None) -> builtins.list[CampaignView]:
        """At service start: attach ``campaign_id`` (starting it if it is not running or
        paused) and every campaign left running or paused with an open cycle. Returns the
        campaigns attached, oldest first."""
        async with self._lock:
            await self.agents.load()
            attached: builtins.list[CampaignView] = []
            if campaign_id is not None:
                campaign = await self.campaigns.get(campaign_id)
                if campaign.state not in (CampaignState.RUNNING, CampaignState.PAUSED):
                    opened = await self._start(campaign)
                    await self._record(SERVICE_ACTOR, "campaign.start", campaign, **opened)
                    attached.append(await self.view(campaign.id))
            left = [
                c
                for c in await self.campaigns.list_all()
                if c.state in (CampaignState.RUNNING, CampaignState.PAUSED)
                and c.id not in self.attached
            ]
            for campaign in sorted(left, key=lambda c: c.id):
                if await self.cycles.current(campaign.id) is None:
                    # between two cycles of its episode: the cycle keeper opens the next
                    # one and attaches it (CampaignControl.follow_cycle)
                    log.warning("campaign %s has no open cycle: not attached", campaign.id)
                    continue
                paused = campaign.state is CampaignState.PAUSED
                await self._attach(campaign.id, dialing_enabled=not paused)
                await self._record(
                    SERVICE_ACTOR, "campaign.reattach", campaign, state=campaign.state.value
                )
                attached.append(await self.view(campaign.id))
            return sorted(attached, key=lambda v: v.id)

    # ---- inside -------------------------------------------------------------------------
    async def _create(
        self, template_key: str, name: str | None, districts: Collection[str] = ()
    ) -> Campaign:
        """The campaign from its template; by default named after it, its area (two
        episodes of one kind over different districts may start at once) and the time."""
        now = self.clock()
        tpl = with_cycle_settings(self.templates.get(template_key), self.cycle_settings)
        area = f" ({', '.join(districts)})" if districts else ""
        return await create_from_template(
            self.sessions,
            tpl,
            now=now,
            name=name or f"{tpl.title}{area} {now.astimezone(PARIS):%d/%m/%Y %H:%M:%S}",
            caller_id=self.caller_id,
        )

    async def _start(self, campaign: Campaign, districts: Collection[str] = ()) -> dict[str, Any]:
        """Open a cycle if needed, attach, mark running; what was opened (for the log)."""
        details: dict[str, Any] = {}
        if await self.cycles.current(campaign.id) is None:
            opened = await open_cycle(
                self.sessions, campaign, now=self.clock(), districts=districts
            )
            details = {
                "cycle_id": opened.cycle_id,
                "people": opened.people,
                "first_due": opened.first_due.isoformat(),
            }
        dialing = await campaign_dialing(self.sessions, campaign.id)
        await self.agents.load()  # its kind (and a new veille sociale's volunteers)
        await self.campaigns.set_state(
            campaign.id,
            CampaignState.RUNNING,
            expected={CampaignState.DRAFT, CampaignState.STOPPED, CampaignState.RUNNING},
        )
        self._assign(dialing, dialing_enabled=True)
        return details

    async def _attach(self, campaign_id: int, *, dialing_enabled: bool) -> None:
        await self.agents.load()  # a veille-sociale campaign new since: its volunteers
        self._assign(
            await campaign_dialing(self.sessions, campaign_id), dialing_enabled=dialing_enabled
        )

    def _assign(self, dialing: CampaignDialing, *, dialing_enabled: bool) -> None:
        dialing.assign_to(self.engine, dialing_enabled=dialing_enabled)
        self.attached[dialing.campaign_id] = dialing
        log.info("campaign %s attached to the engine", dialing.campaign_id)

    def _detach(self, campaign_id: int) -> None:
        self.engine.unassign(campaign_id)
        self.attached.pop(campaign_id, None)

    async def _in_state(self, campaign_id: int, state: CampaignState, doing: str) -> Campaign:
        campaign = await self.campaigns.get(campaign_id)
        if campaign.state is not state:
            raise ConflictError(
                f"la campagne « {campaign.name} » est "
                f"{CAMPAIGN_STATE_LABELS[campaign.state].lower()} : impossible de la {doing}"
            )
        return campaign

    async def _first_tick(self, campaign_id: int) -> PacingDecision:
        """Dial at once rather than at the pacing loop's next tick; the campaign's plan."""
        try:
            await self.engine.tick()
        except DialerError as exc:
            log.warning("first pacing tick failed: %s", exc)
            return decision(0, fact(Clause.FIRST_TICK_FAILED, text=str(exc)))
        return self.engine.plan_of(campaign_id)

    async def _record(self, actor: str, action: str, campaign: Campaign, **details: Any) -> None:
        """The change's audit entry, and its INFO log line."""
        log.info(
            say(
                "campaign.change",
                campaign=campaign.id,
                name=campaign.name,
                action=action,
                actor=actor,
                details=details_text(details),
            )
        )
        await self.audit.record(
            actor=actor,
            action=action,
            target=f"campaign:{campaign.id}",
            at=self.clock(),
            details={"name": campaign.name, **details},
        )

    def statistics(self) -> dict[str, object]:
        return {
            "attached_campaign": self.attached_id,
            "attached_campaigns": list(self.attached),
            "dialing_enabled": self.engine.dialing_enabled,
            "last_plan": self.engine.last_plan.reason,
            "pacing": pacing_of_each(self.engine),
            "campaigns": campaigns_statistics(self.engine),
            **self._counters,
        }
