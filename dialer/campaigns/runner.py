"""A campaign's dialing: its cycle's dial queue and its pacer, built once here for both the
service's campaign control (:mod:`dialer.campaigns.control`) and :class:`CampaignRun`, the
engine wired to one campaign (tests and benchmarks on the rig start one)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.queue import CycleDialQueue
from dialer.campaigns.rules import policy_from_json, windows_from_json
from dialer.clock import utcnow
from dialer.core.campaign_settings import CampaignSettings
from dialer.core.pacing_settings import (
    DEFAULT_MAX_ABANDON_RATE,
    DEFAULT_MAX_LINES_PER_AGENT,
    PacingConfig,
    PacingMode,
)
from dialer.core.planning import Cycle
from dialer.core.windows import CallingWindows
from dialer.engine.engine import DialingEngine, Pacer
from dialer.engine.pacing_view import window_pacer
from dialer.engine.ports import ScreenNotifier
from dialer.errors import ConflictError
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.storage.models import Campaign
from dialer.telephony.port import TelephonyPort


@dataclass(frozen=True)
class CampaignDialing:
    """What the engine needs to dial for one campaign's open cycle."""

    campaign_id: int
    cycle_id: int
    queue: CycleDialQueue
    windows: CallingWindows
    pacing: PacingConfig
    caller_id: str
    answering_machine_detection: bool
    #: ``None``: the service's
    ring_timeout_s: int | None = None

    @property
    def pacer(self) -> Pacer:
        return window_pacer(self.pacing, self.windows)

    def assign_to(self, engine: DialingEngine, *, dialing_enabled: bool = True) -> None:
        """The engine dials for this campaign, beside the others assigned (each with its
        own agents, :mod:`dialer.engine.assignments`)."""
        engine.assign(
            self.queue,
            self.pacer,
            caller_id=self.caller_id,
            answering_machine_detection=self.answering_machine_detection,
            dialing_enabled=dialing_enabled,
            ring_timeout_s=self.ring_timeout_s,
            campaign_id=self.campaign_id,
            cycle_id=self.cycle_id,
        )

    def retune(self, engine: DialingEngine) -> None:
        """``engine`` (when it dials this campaign) places its next dials with this
        dialing's pacing, caller id, answering-machine detection and ring timeout."""
        assignment = engine.campaign_assignments.get(self.campaign_id)
        if assignment is None:
            return
        assignment.pacer = self.pacer
        assignment.caller_id = self.caller_id
        assignment.amd = self.answering_machine_detection
        assignment.ring_timeout_s = self.ring_timeout_s or engine.default_ring_timeout_s

    def retuned(self, settings: CampaignSettings, engine: DialingEngine | None) -> CampaignDialing:
        """This dialing with the campaign's new settings, taken up at once: the queue plans
        the next attempts with the new windows and retry policy, and ``engine`` (when it
        dials this campaign) places its next dials with the new pacing window, caller id,
        answering-machine detection and ring timeout. Calls in progress go on unchanged."""
        self.queue.windows = settings.windows
        self.queue.inbound.windows = settings.windows  # callers are answered in the new hours
        self.queue.policy = settings.policy
        retuned = replace(
            self,
            windows=settings.windows,
            caller_id=settings.caller_id,
            answering_machine_detection=settings.answering_machine_detection,
            ring_timeout_s=settings.ring_timeout_s,
        )
        if engine is not None:
            retuned.retune(engine)
        return retuned


def pacing_of(
    campaign: Campaign,
    *,
    mode: PacingMode | None = None,
    max_abandon_rate: float | None = None,
    max_lines_per_agent: float | None = None,
) -> PacingConfig:
    """The campaign's pacing settings (its stored ones unless overridden);
    :class:`~dialer.errors.InputError` when the abandon rate or the lines per agent cap is
    out of bounds."""
    rate = max_abandon_rate if max_abandon_rate is not None else campaign.max_abandon_rate
    lines = max_lines_per_agent if max_lines_per_agent is not None else campaign.max_lines_per_agent
    return PacingConfig(
        mode=mode or campaign.pacing_mode,
        max_abandon_rate=DEFAULT_MAX_ABANDON_RATE if rate is None else rate,
        max_lines_per_agent=DEFAULT_MAX_LINES_PER_AGENT if lines is None else lines,
    )


async def campaign_dialing(
    sessions: SessionFactory, campaign_id: int, *, max_abandon_rate: float | None = None
) -> CampaignDialing:
    """The queue and pacing of the campaign's open cycle (:class:`ConflictError` when it has
    none)."""
    campaign = await CampaignRepository(sessions).get(campaign_id)
    stored_cycle = await CycleRepository(sessions).current(campaign_id)
    if stored_cycle is None:
        raise ConflictError(f"campaign {campaign.name!r} has no open cycle")
    windows = windows_from_json(campaign.calling_windows)
    pacing = pacing_of(campaign, max_abandon_rate=max_abandon_rate)
    queue = CycleDialQueue(
        sessions,
        cycle_id=stored_cycle.id,
        cycle=Cycle(stored_cycle.started_at, stored_cycle.deadline, stored_cycle.number),
        windows=windows,
        policy=policy_from_json(campaign.retry_policy),
        every_call_reserved=pacing.mode is PacingMode.PREVIEW,
        kind=campaign.kind,
    )
    return CampaignDialing(
        campaign_id=campaign.id,
        cycle_id=stored_cycle.id,
        queue=queue,
        windows=windows,
        pacing=pacing,
        caller_id=campaign.caller_id,
        answering_machine_detection=campaign.answering_machine_detection,
        ring_timeout_s=campaign.ring_timeout_s,
    )


class CampaignRun:
    """An engine of its own for one campaign (the service uses one engine and
    :class:`~dialer.campaigns.control.CampaignControl` instead)."""

    def __init__(
        self,
        sessions: SessionFactory,
        campaign_id: int,
        *,
        nodes: Sequence[TelephonyPort],
        ring_timeout_s: int = 30,
        max_abandon_rate: float | None = None,
        screens: ScreenNotifier | None = None,
        clock: Callable[[], datetime] = utcnow,
        tick_s: float = 1.0,
    ) -> None:
        self.sessions = sessions
        self.campaign_id = campaign_id
        self.nodes = list(nodes)
        self.ring_timeout_s = ring_timeout_s
        self.max_abandon_rate = max_abandon_rate
        self.screens = screens
        self.clock = clock
        self.tick_s = tick_s
        self.engine: DialingEngine | None = None
        self.queue: CycleDialQueue | None = None

    async def start(self) -> DialingEngine:
        dialing = await campaign_dialing(
            self.sessions, self.campaign_id, max_abandon_rate=self.max_abandon_rate
        )
        self.queue = dialing.queue
        self.engine = DialingEngine(
            nodes=self.nodes,
            attempt_log=StoredAttemptLog(self.sessions),
            ring_timeout_s=self.ring_timeout_s,
            screens=self.screens,
            clock=self.clock,
            tick_s=self.tick_s,
            zone=dialing.windows.timezone,
        )
        dialing.assign_to(self.engine)
        await self.engine.start()
        return self.engine

    async def stop(self) -> None:
        if self.engine is not None:
            await self.engine.stop()

    def statistics(self) -> dict[str, object]:
        return {
            "campaign_id": self.campaign_id,
            **(self.engine.statistics() if self.engine else {}),
        }
