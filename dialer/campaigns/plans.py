"""Campaigns planned by dates (« veille sociale »: 1 to 3 a year, around key moments).

A supervisor plans a campaign over a list for a date range (pages, API, ``dialer campaign
plan``): the campaign is created at once, in preparation, from its template (its calling
windows and retry rules, editable as any campaign's settings until it opens), its
selection the list. From then on the service itself (:meth:`PlanControl.keep_plans`, in
``dialer serve``, every ``cycles.check_s``) opens it at its start date: one cycle from then
to the end of its end date, the list as it stands enrolled (in a veille-sociale campaign,
only households with a valid consent), first calls at the first window; and closes it
after its end date: its cycle closed (households still waiting end it not reached, with
the reason), the campaign finished. The rule is :func:`dialer.core.campaign_plans.plan_step`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from dialer.campaigns.control import SERVICE_ACTOR, CampaignControl
from dialer.campaigns.keeping import Keeping
from dialer.campaigns.rules import (
    policy_from_json,
    policy_to_json,
    windows_from_json,
    windows_to_json,
)
from dialer.campaigns.templates import with_cycle_settings
from dialer.campaigns.views import CampaignView
from dialer.core.campaign_plans import PlanStep, check_plan, closes_at, parse_plan_date, plan_step
from dialer.core.campaigns import CampaignKind, CampaignState
from dialer.core.planning import Cycle, initial_attempt_time
from dialer.core.selection import check_list_name
from dialer.errors import ConflictError, DialerError, InputError
from dialer.storage.campaign_plans import CampaignPlan, PlanRepository
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.schedule import open_cycle_with_register

log = logging.getLogger(__name__)

#: the template a plan starts from unless told
DEFAULT_PLAN_TEMPLATE = "veille_sociale"


@dataclass(frozen=True)
class PlannedView:
    plan: CampaignPlan
    campaign: CampaignView


class PlanControl:
    """Campaigns planned, and opened and closed by the service at their dates."""

    def __init__(
        self,
        control: CampaignControl,
        *,
        check_s: float = 5.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.control = control
        self.sessions = control.sessions
        self.clock = control.clock
        self.check_s = check_s
        self.plans = PlanRepository(self.sessions)
        self.campaigns = CampaignRepository(self.sessions)
        self.cycles = CycleRepository(self.sessions)
        self._lock = asyncio.Lock()
        self.counters = {"opened": 0, "closed": 0, "errors": 0}
        self._keeping = Keeping(
            "plan-keeper", self.keep_plans, self.counters, check_s=check_s, sleep=sleep
        )

    # ---- planning -----------------------------------------------------------------------
    async def plan(
        self,
        *,
        list_name: str,
        starts_on: object,
        ends_on: object,
        actor: str,
        name: str | None = None,
        template_key: str = DEFAULT_PLAN_TEMPLATE,
    ) -> PlannedView:
        """Plan a campaign of the template (a veille-sociale one) over ``list_name`` from
        ``starts_on`` to ``ends_on`` (Paris days, included). :class:`InputError` naming the
        field: unknown list or template, dates in the past, the wrong way round, or over
        another plan of the list; nothing is written then."""
        first = parse_plan_date(starts_on, "starts_on")
        last = parse_plan_date(ends_on, "ends_on")
        list_name = check_list_name(list_name, field="list")
        if template_key not in self.control.templates:
            raise InputError(f"champ « template » : modèle inconnu « {str(template_key)[:50]} »")
        tpl = with_cycle_settings(
            self.control.templates.get(template_key), self.control.cycle_settings
        )
        if tpl.kind is not CampaignKind.VEILLE_SOCIALE:
            raise InputError(
                f"champ « template » : le modèle « {tpl.key} » n'est pas un modèle de "
                "veille sociale"
            )
        now = self.clock()
        check_plan(first, last, now=now)  # the quick checks before the database's
        if name is not None and (not name.strip() or len(name) > 200):
            raise InputError("champ « name » : nom vide ou trop long (200 caractères au plus)")
        title = name.strip() if name else f"{tpl.title} du {first:%d/%m/%Y} au {last:%d/%m/%Y}"
        plan, campaign = await self.plans.create(
            {
                "name": title,
                "kind": tpl.kind,
                "questionnaire_id": tpl.questionnaire_id,
                "questionnaire_version": "1",
                "caller_id": self.control.caller_id,
                "pacing_mode": tpl.pacing_mode,
                "calling_windows": windows_to_json(tpl.windows),
                "retry_policy": policy_to_json(tpl.policy),
                "answering_machine_detection": tpl.answering_machine_detection,
                "ring_timeout_s": tpl.ring_timeout_s,
            },
            list_name=list_name,
            starts_on=first,
            ends_on=last,
            by=actor,
            now=now,
        )
        await self._record(actor, "campaign.plan", plan, template=tpl.key, name=title)
        return PlannedView(plan, await self.control.view(campaign.id))

    async def all(self) -> list[PlannedView]:
        return [
            PlannedView(plan, await self.control.view(plan.campaign_id))
            for plan in await self.plans.list_all()
        ]

    # ---- the service's loop -------------------------------------------------------------
    async def keep_plans(self) -> list[tuple[int, PlanStep]]:
        """One look at every plan not closed: open those whose start date came, close those
        whose end date passed. What it did, by campaign."""
        async with self._lock:
            now = self.clock()
            done: list[tuple[int, PlanStep]] = []
            for plan in await self.plans.to_run():
                step = plan_step(
                    plan.starts_on,
                    plan.ends_on,
                    opened=plan.opened_at is not None,
                    closed=plan.closed_at is not None,
                    now=now,
                )
                try:
                    if step is PlanStep.OPEN:
                        await self._open(plan, now)
                    elif step is PlanStep.CLOSE:
                        await self._close(plan, now)
                    else:
                        continue
                except DialerError as exc:
                    self.counters["errors"] += 1
                    log.warning("plan of campaign %s not kept: %s", plan.campaign_id, exc)
                    continue
                done.append((plan.campaign_id, step))
            return done

    async def _open(self, plan: CampaignPlan, now: datetime) -> None:
        campaign = await self.campaigns.get(plan.campaign_id)
        people = 0
        if campaign.state is CampaignState.DRAFT:  # stopped by a supervisor: not opened
            cycle = Cycle(now, closes_at(plan.ends_on), 1)
            due = initial_attempt_time(
                now=now,
                cycle=cycle,
                windows=windows_from_json(campaign.calling_windows),
                policy=policy_from_json(campaign.retry_policy),
            )
            try:
                _, people = await open_cycle_with_register(
                    self.sessions,
                    campaign.id,
                    number=cycle.index,
                    started_at=cycle.started_at,
                    deadline=cycle.deadline,
                    due=due or cycle.deadline,
                )
            except ConflictError:
                # its cycle is open already: another controller opened it, or a controller
                # stopped between the cycle and the campaign's state (a crash, the database
                # lost): the campaign still in draft is run below, or it would never dial
                log.info("plan of campaign %s: its cycle is open already", campaign.id)
            try:
                await self.campaigns.set_state(
                    campaign.id, CampaignState.RUNNING, expected={CampaignState.DRAFT}
                )
            except ConflictError:
                log.info("plan of campaign %s opened by another controller", campaign.id)
                return
            await self.control.follow_cycle(campaign.id)
        if await self.plans.mark(plan.id, opened_at=now):
            self.counters["opened"] += 1
            if campaign.state in {CampaignState.STOPPED, CampaignState.FINISHED}:
                # stopped by a supervisor before its start: its day passed, never opened
                await self._record(
                    SERVICE_ACTOR, "campaign.plan_not_opened", plan, state=campaign.state.value
                )
            else:
                await self._record(SERVICE_ACTOR, "campaign.plan_open", plan, people=people)

    async def _close(self, plan: CampaignPlan, now: datetime) -> None:
        cycle = await self.cycles.current(plan.campaign_id)
        not_reached = 0
        if cycle is not None:
            try:
                closed = await self.cycles.close(cycle.id, at=now)
            except ConflictError:
                log.info("cycle %s was closed by another controller", cycle.id)
            else:
                not_reached = len(closed.never_reached)
        await self.control.finish(plan.campaign_id, actor=SERVICE_ACTOR)
        if await self.plans.mark(plan.id, closed_at=now):
            self.counters["closed"] += 1
            await self._record(
                SERVICE_ACTOR, "campaign.plan_close", plan, never_reached=not_reached
            )

    async def start_keeping(self) -> None:
        """Keep the plans every ``check_s`` seconds (at once first) until stopped."""
        await self._keeping.start()

    async def stop_keeping(self) -> None:
        await self._keeping.stop()

    async def _record(self, actor: str, action: str, plan: CampaignPlan, **details: object) -> None:
        log.info("%s: campaign %s by %s %s", action, plan.campaign_id, actor, details)
        await self.control.audit.record(
            actor=actor,
            action=action,
            target=f"campaign:{plan.campaign_id}",
            at=self.clock(),
            details={
                "list": plan.list_name,
                "starts_on": plan.starts_on.isoformat(),
                "ends_on": plan.ends_on.isoformat(),
                **details,
            },
        )
