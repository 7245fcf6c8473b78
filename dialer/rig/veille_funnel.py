"""The funnel of a veille-sociale campaign, as the demo prints it, read from the database
through the product's own readers: the campaign report's funnel (households, called,
reached), the needs analysis' facts (orientations, follow-ups), the volunteers' activity
(flagged situations, help requests and their answers) and the ledger (the follow-up calls
placed and reached, and by whom; the household who withdrew: its calls)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dialer.core.attempts import AttemptKind
from dialer.core.labels import ORIENTATION_MODE_LABELS
from dialer.core.orientations import OrientationMode
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.reports.service import ReportBuilder
from dialer.rig.veille_files import VeilleFiles
from dialer.storage.database import SessionFactory
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Attempt
from dialer.storage.needs_rows import FollowUpFacts, load_needs_rows
from dialer.storage.volunteer_calls import VolunteerCalls


@dataclass(frozen=True)
class FollowUpCalls:
    """The follow-up calls booked in the campaign (« prévus »), placed by the service
    (« passés »: an attempt of kind ``CALLBACK`` to the household after the booking),
    reached (« joints »: bridged to a volunteer), and of those, by the volunteer who had
    talked to the household before (continuity)."""

    planned: int = 0
    placed: int = 0
    reached: int = 0
    same_volunteer: int = 0
    #: not placed yet and not late by more than :data:`LATE` (the demo waits for them)
    awaited: int = 0


#: a follow-up not placed this long after its time is no longer waited for: the planner
#: may have dropped it (a household reached on its last allowed attempt)
LATE = timedelta(minutes=1)


def follow_up_calls(
    follow_ups: Iterable[FollowUpFacts], attempts: list[Attempt], now: datetime
) -> FollowUpCalls:
    """Each booked follow-up and what became of it in the ledger ``attempts`` (oldest
    first) at ``now``."""
    planned = placed = reached = same = awaited = 0
    for follow_up in follow_ups:
        planned += 1
        theirs = [
            (a.placed_at, a)
            for a in attempts
            if a.person_id == follow_up.person_id and a.placed_at is not None
        ]
        after = [a for at, a in theirs if a.kind is AttemptKind.CALLBACK and at >= follow_up.at]
        before = [a for at, a in theirs if a.bridged_at is not None and at < follow_up.at]
        bridged = [a for a in after if a.bridged_at is not None]
        placed += bool(after)
        reached += bool(bridged)
        same += bool(bridged and before and before[-1].agent == bridged[0].agent)
        awaited += not after and follow_up.due_at > now - LATE
    return FollowUpCalls(planned, placed, reached, same, awaited)


async def follow_ups_of(sessions: SessionFactory, campaign_id: int) -> FollowUpCalls:
    """The campaign's follow-up calls, read as the demo's funnel reads them."""
    facts = await load_needs_rows(sessions, campaign_id)
    attempts = await AttemptLedger(sessions).every_attempt()
    return follow_up_calls(facts.follow_ups, attempts, datetime.now(UTC))


@dataclass(frozen=True)
class VeilleFunnel:
    households: int
    called: int
    reached: int
    #: orientations by way (information, mise_en_relation, rendez_vous)
    orientations: dict[str, int] = field(default_factory=dict)
    follow_ups: int = 0
    follow_up_calls: FollowUpCalls = field(default_factory=FollowUpCalls)
    flagged: int = 0
    help_asked: int = 0
    help_answered: int = 0
    withdrawn: str = ""
    withdrawn_calls: int = 0

    def lines(self) -> list[str]:
        ways = ", ".join(
            f"{ORIENTATION_MODE_LABELS[OrientationMode(mode)]} {count}"
            for mode, count in sorted(self.orientations.items())
        )
        return [
            "Entonnoir de la veille sociale :",
            f"  ménages dans le cycle (accord valide) : {self.households} → appelés : "
            f"{self.called} → joints : {self.reached}",
            f"  orientations : {sum(self.orientations.values())} ({ways or 'aucune'})",
            f"  suivis programmés : {self.follow_ups}",
            f"  rappels de suivi : {self.follow_up_calls.planned} prévus, "
            f"{self.follow_up_calls.placed} passés, {self.follow_up_calls.reached} joints "
            f"(par le même bénévole : {self.follow_up_calls.same_volunteer})",
            f"  situations signalées : {self.flagged} ; demandes d'aide : {self.help_asked}, "
            f"répondues par le coordinateur : {self.help_answered}",
            f"  accord retiré : {self.withdrawn}, appels passés depuis : {self.withdrawn_calls}",
        ]


async def veille_funnel(
    sessions: SessionFactory, campaign_id: int, files: VeilleFiles, withdrawn: str
) -> VeilleFunnel:
    catalog = load_questionnaires(SHIPPED_QUESTIONNAIRES)
    report = await ReportBuilder(sessions, catalog=catalog).build(
        campaign_id, None, now=datetime.now(UTC)
    )
    steps = {step.key: step.count for step in report.figures.funnel}
    facts = await load_needs_rows(sessions, campaign_id)
    calls = [
        call
        for call in await VolunteerCalls(sessions).calls()
        if call.campaign == facts.campaign_name
    ]
    helps = [help_request for call in calls for help_request in call.helps]
    number = files.numbers[withdrawn]
    attempts = await AttemptLedger(sessions).every_attempt()
    withdrawn_calls = [a for a in attempts if a.number == number and a.placed_at is not None]
    return VeilleFunnel(
        households=steps["register"],
        called=steps["attempted"],
        reached=steps["reached"],
        orientations=dict(Counter(f.mode for f in facts.orientations)),
        follow_ups=len(facts.follow_ups),
        follow_up_calls=follow_up_calls(facts.follow_ups, attempts, datetime.now(UTC)),
        flagged=sum(1 for c in calls if c.debrief is not None and c.debrief.flagged),
        help_asked=len(helps),
        help_answered=sum(1 for h in helps if h.answer is not None),
        withdrawn=withdrawn,
        withdrawn_calls=len(withdrawn_calls),
    )
