"""The ledger against the witnesses: every count in :data:`COUNTS` must be zero; and, for
each fault, the time until dialling resumed and the calls in progress that survived."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dialer.core.attempts import AttemptKind
from dialer.rig.chaos.faults import Injected
from dialer.rig.chaos.witnesses import CdrCall, ChannelObserver, Delivery, ReceivedCall
from dialer.rig.robot_agents import HandledCall
from dialer.storage.database import create_engine, create_session_factory
from dialer.storage.ledger_audit import LedgerSnapshot, read_snapshot
from dialer.storage.models import Attempt

IN_FLIGHT = {"planned", "dialing", "ringing", "answered", "bridged"}
ABANDON_QUIET = timedelta(hours=72)
SURVIVED_AFTER_S = 2.0  # a call still up this long after the fault was lifted survived it

#: the invariants (each a list of offending records; all must be empty)
COUNTS = (
    "CDR calls without an attempt (lost attempts)",
    "attempts dialled without a CDR entry",
    "wrong outcomes",
    "lost abandons",
    "people stuck",
    "wrap-ups never closed",
    "people dialled twice at once (duplicates)",
    "calls received by a callee without an attempt (callees' log)",
    "people in two calls at once (callees' log)",
    "people dialled over the attempt cap",
    "people dialled automatically within 72 h of an abandon",
    "calls joined to a dead agent leg",
    "submitted sheets lost or altered",
    "alerts raised by submitted answers missing from the ledger",
    "alerts never delivered to the webhook",
    "alerts delivered twice (distinct deliveries)",
    "deliveries with a bad signature",
)


async def read_ledger(database_url: str) -> LedgerSnapshot:
    engine = create_engine(database_url)
    try:
        return await read_snapshot(create_session_factory(engine))
    finally:
        await engine.dispose()


@dataclass
class FaultFigures:
    kind: str
    at: datetime
    detail: str
    in_progress: int
    survived: int
    recovery_s: float | None  # None: no call placed after it


@dataclass
class Verdict:
    found: dict[str, list[str]]
    figures: list[FaultFigures]
    totals: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not any(self.found.get(name) for name in COUNTS)


def judge(
    ledger: LedgerSnapshot,
    *,
    cdr: dict[str, CdrCall],
    received: dict[str, ReceivedCall],
    faults: list[Injected],
    handled: list[HandledCall],
    deliveries: list[Delivery],
    observer: ChannelObserver,
    max_attempts: int,
) -> Verdict:
    found: dict[str, list[str]] = defaultdict(list)
    for member in ledger.members:
        if member.status.value in {"in_call", "wrap_up"}:
            found["people stuck"].append(f"person {member.person_id} {member.status.value}")
    for a in ledger.attempts:
        for name, detail in _attempt_faults(a, cdr.get(a.id), faults):
            found[name].append(detail)
    ids = {a.id for a in ledger.attempts}
    found["CDR calls without an attempt (lost attempts)"] = sorted(set(cdr) - ids)
    found["people dialled twice at once (duplicates)"] = _twice_at_once(ledger.attempts, cdr)
    found["people dialled over the attempt cap"] = _over_cap(ledger.attempts, cdr, max_attempts)
    found["people dialled automatically within 72 h of an abandon"] = _after_abandon(
        ledger.attempts, cdr
    )
    _callees(ledger.attempts, cdr, received, found)
    found["submitted sheets lost or altered"] = _sheets(ledger, handled)
    _alerts(ledger, handled, deliveries, found)
    figures = [_figures(f, observer) for f in faults]
    outcomes = Counter(a.outcome.value if a.outcome else a.state.value for a in ledger.attempts)
    totals = {
        "attempts": len(ledger.attempts),
        "CDR outbound calls": len(cdr),
        "calls received by the callees (sipp)": len(received),
        "answered": outcomes.get("answered", 0),
        "sheets submitted (robots)": sum(1 for c in handled if c.submitted),
        "alerts raised": len(ledger.alerts),
        "webhook deliveries received": len(deliveries),
        "deliveries received again (retries)": sum(
            n - 1 for n in Counter(d.delivery_id for d in deliveries).values() if n > 1
        ),
    }
    return Verdict(dict(found), figures, totals)


def _attempt_faults(
    a: Attempt, call: CdrCall | None, faults: list[Injected]
) -> list[tuple[str, str]]:
    tag = f"{a.id} person {a.person_id} {a.state.value}/{a.outcome.value if a.outcome else None}"
    found: list[tuple[str, str]] = []
    if a.state.value in IN_FLIGHT:
        found.append(("people stuck", f"attempt {tag} never closed"))
    if a.bridged_at is not None and a.wrap_up_done_at is None:
        found.append(("wrap-ups never closed", tag))
    if call is None:
        if a.placed_at is not None:
            found.append(("attempts dialled without a CDR entry", tag))
        return found
    outcome = a.outcome.value if a.outcome else None
    if call.bridged_to and outcome != "answered":
        found.append(("wrong outcomes", f"{tag}: bridged in the CDR"))
    elif outcome == "hung_up" and a.bridged_at is not None:
        found.append(("wrong outcomes", f"{tag}: hung_up with bridged_at"))
    elif outcome == "answered" and not call.bridged_to and not call.reached_join:
        found.append(("wrong outcomes", f"{tag}: answered, never bridged in the CDR"))
    if call.information and not call.bridged_to and outcome != "abandoned":
        found.append(("lost abandons", f"{tag}: information played in the CDR"))
    for fault in faults:
        killed = datetime.fromtimestamp(fault.hit_at, UTC).replace(microsecond=0)
        if (
            fault.dead_legs
            and call.bridged_to & fault.dead_legs
            and call.start >= killed
            and a.id not in fault.in_progress
        ):
            found.append(("calls joined to a dead agent leg", f"{tag}: {sorted(call.bridged_to)}"))
    return found


def _placed_by_person(
    attempts: list[Attempt], cdr: dict[str, CdrCall]
) -> dict[int, list[tuple[CdrCall, Attempt]]]:
    placed: dict[int, list[tuple[CdrCall, Attempt]]] = defaultdict(list)
    for a in attempts:
        if a.id in cdr:
            placed[a.person_id].append((cdr[a.id], a))
    for calls in placed.values():
        calls.sort(key=lambda pair: pair[0].start)
    return placed


def _twice_at_once(attempts: list[Attempt], cdr: dict[str, CdrCall]) -> list[str]:
    """People with two outbound channels up at the same time (CDR, 1-s resolution)."""
    return [
        f"person {person}: {first.id} {second.id}"
        for person, calls in _placed_by_person(attempts, cdr).items()
        for (one, first), (two, second) in itertools.pairwise(calls)
        if two.start < one.end
    ]


def _over_cap(attempts: list[Attempt], cdr: dict[str, CdrCall], cap: int) -> list[str]:
    """People the dialer called on its own more often than the policy's attempt cap, per cycle."""
    counts = Counter(
        (a.person_id, a.cycle_id)
        for a in attempts
        if a.id in cdr and a.kind is AttemptKind.AUTOMATIC
    )
    return [f"person {p} cycle {c}: {n} automatic calls" for (p, c), n in counts.items() if n > cap]


def _after_abandon(attempts: list[Attempt], cdr: dict[str, CdrCall]) -> list[str]:
    found = []
    for person, calls in _placed_by_person(attempts, cdr).items():
        for index, (call, attempt) in enumerate(calls):
            if not call.information or call.bridged_to:
                continue
            for later, other in calls[index + 1 :]:
                if other.kind is AttemptKind.AUTOMATIC and later.start < call.end + ABANDON_QUIET:
                    found.append(f"person {person}: {other.id} after the abandon {attempt.id}")
    return found


def _callees(
    attempts: list[Attempt],
    cdr: dict[str, CdrCall],
    received: dict[str, ReceivedCall],
    found: dict[str, list[str]],
) -> None:
    """The callees' log against the ledger: no more calls received on a number than the
    ledger placed to it; never two calls at once on one number (one person)."""
    placed = Counter(a.number for a in attempts if a.id in cdr)
    by_number: dict[str, list[ReceivedCall]] = defaultdict(list)
    for call in received.values():
        by_number[call.number].append(call)
    found["calls received by a callee without an attempt (callees' log)"] = [
        f"{number}: {len(calls)} calls received, {placed[number]} attempts placed"
        for number, calls in by_number.items()
        if len(calls) > placed[number]
    ]
    found["people in two calls at once (callees' log)"] = [
        f"{number}: a call at {datetime.fromtimestamp(two.first, UTC):%H:%M:%S}, another up"
        for number, calls in by_number.items()
        for one, two in itertools.pairwise(sorted(calls, key=lambda c: c.first))
        if two.first < one.last
    ]


def _sheets(ledger: LedgerSnapshot, handled: list[HandledCall]) -> list[str]:
    found = []
    for call in handled:
        if not call.submitted:
            continue
        sheet = ledger.sheets.get(call.attempt_id)
        if sheet is None or sheet.submitted_at is None:
            found.append(f"{call.attempt_id}: submitted ({call.disposition}), not in the ledger")
            continue
        stored = ledger.answers.get(sheet.id, {})
        altered = {q for q, v in call.answers.items() if stored.get(q) != v}
        disposition = sheet.disposition.value if sheet.disposition else None
        if altered or disposition != call.disposition:
            found.append(
                f"{call.attempt_id}: disposition {disposition} (sent {call.disposition}), "
                f"answers differing: {sorted(altered)}"
            )
    return found


def _alerts(
    ledger: LedgerSnapshot,
    handled: list[HandledCall],
    deliveries: list[Delivery],
    found: dict[str, list[str]],
) -> None:
    sheet_ids = {s.id: attempt for attempt, s in ledger.sheets.items()}
    # visit requests (issue 22) are alerts without a sheet: only the sheets' alerts count here
    alerted = {sheet_ids.get(a.sheet_id) for a in ledger.alerts if a.sheet_id is not None}
    found["alerts raised by submitted answers missing from the ledger"] = [
        f"{c.attempt_id}: {c.expected_alerts} expected"
        for c in handled
        if c.submitted and c.expected_alerts and c.attempt_id not in alerted
    ]
    raised = defaultdict(set)
    for d in deliveries:
        if d.event in ("alert.raised", "visit.requested") and d.alert_id is not None:
            raised[d.alert_id].add(d.delivery_id)
    found["alerts never delivered to the webhook"] = [
        f"alert {a.id} (sheet {a.sheet_id}, person {a.person_id})"
        for a in ledger.alerts
        if a.team_id is not None and a.id not in raised
    ]
    found["alerts delivered twice (distinct deliveries)"] = [
        f"alert {alert}: deliveries {sorted(ids)}" for alert, ids in raised.items() if len(ids) > 1
    ]
    found["deliveries with a bad signature"] = [d.delivery_id for d in deliveries if not d.signed]


def _figures(fault: Injected, observer: ChannelObserver) -> FaultFigures:
    resumed = observer.first_new_after(fault.lifted_at)
    survived = {
        uid
        for uid in fault.in_progress
        if (s := observer.seen.get(uid)) is not None
        and s.last >= fault.lifted_at + SURVIVED_AFTER_S
    }
    return FaultFigures(
        kind=fault.kind.value,
        at=datetime.fromtimestamp(fault.hit_at, UTC),
        detail=fault.detail,
        in_progress=len(fault.in_progress),
        survived=len(survived),
        recovery_s=None if resumed is None else resumed - fault.lifted_at,
    )
