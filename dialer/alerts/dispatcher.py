"""The long-lived alert dispatcher: sends the outbox, escalates unacknowledged alerts.

Every ``poll_s`` seconds (slept on the injected ``sleep``, so a test clock drives it), or at
once when woken (a new alert, even one raised while a run is under way),
:meth:`AlertDispatcher.run_once`

1. publishes the never-reached list of every cycle closed since
   (:mod:`~dialer.alerts.never_reached`: the list and its messages to the teams), then
   requests a field visit for each person on it and each person whose relative had no
   news (:mod:`~dialer.alerts.visits`: alerts of their own, delivered and escalated below);
2. escalates the open alerts whose deadline passed to the team's next escalation contact
   (an e-mail to the contact, and the team's webhook), and sets the next deadline;
3. sends every outbox message that is due (alerts' and lists'), a few at a time. A
   message that fails stays in the outbox with its error and is tried again after a
   back-off (30 s, 1 min, 2 min, 5 min, 10 min, then every 15 min): an alert is never
   lost, only late. A channel that is not configured (an e-mail address but no SMTP
   server) fails the same way, visibly.

The in-app inbox needs no delivery: the alert row (the list's entries) is the inbox entry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from dialer.alerts.channels import DeliveryFailed
from dialer.alerts.escalation import EscalationPolicy, RetryPolicy, next_escalation
from dialer.alerts.messages import OutboxJob
from dialer.alerts.never_reached import NeverReachedPublisher
from dialer.alerts.raising import team_deliveries
from dialer.alerts.visits import VisitPublisher
from dialer.errors import DialerError
from dialer.storage.alert_rows import Alert, DeliveryChannel
from dialer.storage.alerts import (
    AlertRepository,
    NewDelivery,
    OutboxRepository,
    TeamRepository,
)
from dialer.storage.database import SessionFactory
from dialer.storage.never_reached import ListDeliveryJob, NeverReachedRepository

log = logging.getLogger(__name__)


class Channel(Protocol):
    async def send(self, job: OutboxJob) -> None: ...


@dataclass(frozen=True)
class RunReport:
    published: int = 0
    escalated: int = 0
    sent: int = 0
    failed: int = 0


class AlertDispatcher:
    def __init__(
        self,
        sessions: SessionFactory,
        *,
        clock: Callable[[], datetime],
        email: Channel | None = None,
        webhook: Channel | None = None,
        escalation: EscalationPolicy | None = None,
        retry: RetryPolicy | None = None,
        poll_s: float = 5.0,
        concurrency: int = 4,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        stop_grace_s: float = 10.0,
    ) -> None:
        self._alerts = AlertRepository(sessions)
        self._outbox = OutboxRepository(sessions)
        self._teams = TeamRepository(sessions)
        self._lists = NeverReachedRepository(sessions)
        self._publisher = NeverReachedPublisher(sessions)
        self._clock = clock
        self._channels: dict[DeliveryChannel, Channel | None] = {
            DeliveryChannel.EMAIL: email,
            DeliveryChannel.WEBHOOK: webhook,
        }
        self.escalation = escalation or EscalationPolicy()
        self._visits = VisitPublisher(sessions, self.escalation)
        self.retry = retry or RetryPolicy()
        self.poll_s = poll_s
        self._sleep = sleep
        self._stop_grace_s = stop_grace_s
        self._stopping = False
        self._limit = asyncio.Semaphore(concurrency)
        self._woken = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._counters = {
            "runs": 0,
            "lists_published": 0,
            "visits_requested": 0,
            "sent": 0,
            "failed_tries": 0,
            "escalated": 0,
            "escalation_lists_exhausted": 0,
            "run_errors": 0,
        }
        self._last_error: str | None = None
        self._pending = 0

    # ---- running ------------------------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="alert-dispatcher")

    async def stop(self) -> None:
        """Stop after the run under way, if any: a run cut in the middle of a database
        transaction would leave its connection open. A run that does not end within
        ``stop_grace_s`` (a channel that hangs) is cancelled."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        self._woken.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), self._stop_grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            self._stopping = False

    def wake(self) -> None:
        """A new alert is in the outbox: deliver now rather than at the next poll."""
        self._woken.set()

    async def _loop(self) -> None:
        while not self._stopping:
            self._woken.clear()  # before the run: a wake during the run brings another run
            try:
                await self.run_once()
            except DialerError as exc:  # the database is down: try again at the next poll
                self._counters["run_errors"] += 1
                log.warning("alert dispatcher run failed: %s", exc)
            if not self._stopping:
                await self._idle()

    async def _idle(self) -> None:
        """Until woken or ``poll_s`` has passed on the injected clock."""
        if self._woken.is_set():  # woken during the run: run again at once
            return
        woken = asyncio.ensure_future(self._woken.wait())
        slept = asyncio.ensure_future(self._sleep(self.poll_s))
        try:
            await asyncio.wait({woken, slept}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (woken, slept):
                waiter.cancel()
            await asyncio.gather(woken, slept, return_exceptions=True)

    async def run_once(self) -> RunReport:
        """Escalate what is due, then send what is due (see the module docstring)."""
        async with self._lock:
            self._counters["runs"] += 1
            published = await self._publisher.publish_due(self._clock())
            self._counters["lists_published"] += published
            self._counters["visits_requested"] += await self._visits.request_due(self._clock())
            escalated = await self._escalate_due()
            now = self._clock()
            jobs: list[OutboxJob] = [*await self._outbox.due(now), *await self._lists.due(now)]
            results = await asyncio.gather(*(self._deliver(job) for job in jobs))
            self._pending = await self._outbox.pending_count()
        sent = sum(1 for ok in results if ok)
        return RunReport(
            published=published, escalated=escalated, sent=sent, failed=len(results) - sent
        )

    # ---- escalation ---------------------------------------------------------------------
    async def _escalate_due(self) -> int:
        done = 0
        for alert in await self._alerts.due_escalations(self._clock()):
            if await self._escalate(alert):
                done += 1
        return done

    async def _escalate(self, alert: Alert) -> bool:
        now = self._clock()
        if alert.team_id is None:
            return False
        record = await self._teams.get(alert.team_id)
        step = next_escalation(
            level=alert.escalation_level,
            priority=alert.priority,
            contacts=len(record.contacts),
            now=now,
            policy=self.escalation,
        )
        if step is None:
            self._counters["escalation_lists_exhausted"] += 1
            await self._alerts.escalate(
                alert.id,
                from_level=alert.escalation_level,
                to_level=alert.escalation_level,
                next_escalation_at=None,
                deliveries=(),
                now=now,
            )
            return False
        contact = record.contacts[step.level - 1]
        deliveries = [NewDelivery(DeliveryChannel.EMAIL, contact.email)] if contact.email else []
        deliveries += [d for d in team_deliveries(record) if d.channel is DeliveryChannel.WEBHOOK]
        moved = await self._alerts.escalate(
            alert.id,
            from_level=alert.escalation_level,
            to_level=step.level,
            next_escalation_at=step.next_deadline,
            deliveries=deliveries,
            now=now,
        )
        if moved:
            self._counters["escalated"] += 1
            log.info("alert %d escalated to contact %d of its team", alert.id, step.level)
        return moved

    # ---- delivery -----------------------------------------------------------------------
    async def _deliver(self, job: OutboxJob) -> bool:
        delivery = job.delivery
        channel = self._channels.get(delivery.channel)
        async with self._limit:
            try:
                if channel is None:
                    raise DeliveryFailed(f"canal {delivery.channel.value} non configuré")
                await channel.send(job)
            except DeliveryFailed as exc:
                tries = delivery.tries + 1
                retry_at = self.retry.next_try(tries, self._clock())
                await self._outbox.mark_failed(delivery.id, error=str(exc), next_try_at=retry_at)
                self._counters["failed_tries"] += 1
                self._last_error = str(exc)
                log.warning(
                    "%s: %s delivery %d failed (try %d), next try at %s: %s",
                    _subject(job),
                    delivery.channel.value,
                    delivery.id,
                    tries,
                    retry_at.isoformat(),
                    exc,
                )
                return False
        await self._outbox.mark_sent(delivery.id, now=self._clock())
        self._counters["sent"] += 1
        return True

    # ---- statistics ---------------------------------------------------------------------
    def statistics(self) -> dict[str, object]:
        return {
            **self._counters,
            "outbox_pending": self._pending,
            "running": self._task is not None and not self._task.done(),
            "last_error": self._last_error,
            "channels": sorted(k.value for k, v in self._channels.items() if v is not None),
        }


def _subject(job: OutboxJob) -> str:
    if isinstance(job, ListDeliveryJob):
        return f"never-reached list {job.team_list.list.id}"
    return f"alert {job.alert.id}"
