"""A campaign run: the engine wired to a campaign's cycle, its rules, the stored ledger and
the telephony nodes. ``dialer run`` and ``dialer serve`` start one; tests start one on the
rig."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from dialer.campaigns.ledger import StoredLedger
from dialer.campaigns.queue import CycleDialQueue
from dialer.campaigns.rules import policy_from_json, windows_from_json
from dialer.core.pacing import PacingConfig
from dialer.core.planning import Cycle
from dialer.engine.engine import DialingEngine
from dialer.engine.pacing_view import window_pacer
from dialer.engine.ports import ScreenNotifier
from dialer.errors import ConflictError
from dialer.storage.campaigns import CampaignRepository, CycleRepository
from dialer.storage.database import SessionFactory
from dialer.telephony.port import TelephonyPort


def _utcnow() -> datetime:
    return datetime.now(UTC)


class CampaignRun:
    def __init__(
        self,
        sessions: SessionFactory,
        campaign_id: int,
        *,
        nodes: Sequence[TelephonyPort],
        ring_timeout_s: int = 30,
        max_abandon_rate: float = 0.01,
        screens: ScreenNotifier | None = None,
        clock: Callable[[], datetime] = _utcnow,
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
        campaign = await CampaignRepository(self.sessions).get(self.campaign_id)
        stored_cycle = await CycleRepository(self.sessions).current(self.campaign_id)
        if stored_cycle is None:
            raise ConflictError(f"campaign {campaign.name!r} has no open cycle")
        windows = windows_from_json(campaign.calling_windows)
        policy = policy_from_json(campaign.retry_policy)
        self.queue = CycleDialQueue(
            self.sessions,
            cycle_id=stored_cycle.id,
            cycle=Cycle(stored_cycle.started_at, stored_cycle.deadline, stored_cycle.number),
            windows=windows,
            policy=policy,
        )
        pacing = PacingConfig(mode=campaign.pacing_mode, max_abandon_rate=self.max_abandon_rate)
        self.engine = DialingEngine(
            nodes=self.nodes,
            ledger=StoredLedger(self.sessions),
            queue=self.queue,
            pacer=window_pacer(pacing, windows),
            ring_timeout_s=self.ring_timeout_s,
            caller_id=campaign.caller_id,
            answering_machine_detection=campaign.answering_machine_detection,
            screens=self.screens,
            clock=self.clock,
            tick_s=self.tick_s,
            zone=windows.timezone,
        )
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
