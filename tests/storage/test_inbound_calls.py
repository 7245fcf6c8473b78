"""Calls coming in, in storage: the calling number finds the cycle's member (a shared line:
the person waiting to be called first), the call is written answered with its agent and
the member leaves the dial queue; the call back of a caller nobody took is an
agent-reserved call; an unknown number finds nobody. Through the campaign's desk, the
carrier's number formats are normalised as the importer does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dialer.campaigns.attempt_log import StoredAttemptLog
from dialer.campaigns.inbound import UNKNOWN_CALL_TAKEN, CycleInboundDesk, caller_e164
from dialer.campaigns.rules import windows_from_json
from dialer.core.attempts import AttemptKind, AttemptState
from dialer.core.campaigns import CampaignKind
from dialer.core.consent import AgreedBy, ConsentChannel
from dialer.core.inbound_match import Engagement, LineUse
from dialer.core.inbound_search import read_search
from dialer.core.outcomes import CallOutcome
from dialer.core.phones import PhoneKind
from dialer.errors import ConflictError, NotFoundError
from dialer.storage import CampaignRepository, CycleRepository, PacingMode, SessionFactory
from dialer.storage.audit import AuditFilter, AuditLog
from dialer.storage.consents import ConsentRegistry, WithdrawalRequest
from dialer.storage.database import transaction
from dialer.storage.inbound_calls import WITHDRAWN_FOR_INBOUND, InboundCallClaims
from dialer.storage.inbound_notes import InboundNotes
from dialer.storage.ledger import AttemptLedger
from dialer.storage.models import Person, PhoneNumber
from dialer.storage.schedule import CycleMember, CycleSchedule, MemberStatus
from tests.needs_scene import JULY, needs_scene
from tests.stored import enrol, oppose, paper_consent, person_by_external_id

from .conftest import NOW, Scene

#: 09:00-19:00 Monday to Saturday (the scene's campaign)
WINDOWS = windows_from_json({"week": [["09:00-19:00"]] * 6 + [[]], "holiday": []})


async def desk_of(sessions: SessionFactory, scene: Scene) -> CycleInboundDesk:
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33612345678", NOW)],
    )
    return CycleInboundDesk(sessions, cycle_id=scene.cycle_id, windows=WINDOWS)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("0612345678", "+33612345678"),
        ("+33612345678", "+33612345678"),
        ("33612345678", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("", None),
        ("anonymous", None),
        ("12", None),
    ],
)
def test_the_carriers_number_formats_are_read_as_the_register_stores_them(
    sent: str, stored: str | None
) -> None:
    assert caller_e164(sent) == stored


@pytest.mark.asyncio
async def test_a_registered_caller_is_written_in_the_ledger_and_leaves_the_queue(
    sessions: SessionFactory, scene: Scene
) -> None:
    desk = await desk_of(sessions, scene)
    dial = await desk.take(
        "1790000000.1", "0612345678", agent="agent-1", node="rig", arrived_at=NOW
    )
    assert dial is not None
    assert (dial.person_id, dial.cycle_id, dial.number) == (
        scene.bob_id,
        scene.cycle_id,
        "+33612345678",
    )
    attempt = await AttemptLedger(sessions).get("1790000000.1")
    assert attempt.kind is AttemptKind.INBOUND
    assert attempt.state is AttemptState.ANSWERED
    assert (attempt.agent, attempt.node, attempt.answered_at) == ("agent-1", "rig", NOW)
    member = await CycleSchedule(sessions).member_of_attempt("1790000000.1")
    assert member is not None
    assert member.status is MemberStatus.IN_CALL
    # a restarted controller finds it in flight, as a call coming in
    (in_flight,) = await StoredAttemptLog(sessions).in_flight("rig")
    assert (in_flight.attempt_id, in_flight.inbound, in_flight.agent) == (
        "1790000000.1",
        True,
        "agent-1",
    )
    # in call: the automatic queue does not take them meanwhile
    taken = await CycleSchedule(sessions).take_due(
        scene.cycle_id, 5, now=NOW + timedelta(hours=1), planned_ids=["a", "b", "c"]
    )
    assert [a.person_id for a in taken] == [scene.alice_id]


@pytest.mark.asyncio
async def test_an_unknown_number_finds_nobody(sessions: SessionFactory, scene: Scene) -> None:
    desk = await desk_of(sessions, scene)
    assert (
        await desk.take("1790000000.2", "0699999999", agent="a", node="rig", arrived_at=NOW) is None
    )
    assert await desk.take("1790000000.3", "", agent="a", node="rig", arrived_at=NOW) is None
    assert not await desk.call_back("0699999999", now=NOW)
    assert not await desk.knows("0699999999")
    assert not await desk.knows("anonymous")
    assert await desk.knows("33612345678")  # a member's number, as a carrier sends it
    # an agent took it all the same: the audit log keeps who, which number, when
    await desk.unknown_taken("1790000000.2", "0699999999", agent="a", node="rig", at=NOW)
    (entry,) = await AuditLog(sessions).search(AuditFilter(action=UNKNOWN_CALL_TAKEN))
    assert (entry.actor, entry.target, entry.person_id) == ("a", "attempt:1790000000.2", None)
    assert entry.details == {"caller": "0699999999", "node": "rig", "cycle_id": scene.cycle_id}
    with pytest.raises(NotFoundError):  # an attempt needs a person
        await AttemptLedger(sessions).get("1790000000.2")


@pytest.mark.asyncio
async def test_the_call_back_is_agent_reserved_at_the_next_opening(
    sessions: SessionFactory, scene: Scene
) -> None:
    later = NOW + timedelta(days=3)
    await enrol(sessions, scene.cycle_id, [(scene.alice_id, "+33145678910", later)])
    desk = CycleInboundDesk(sessions, cycle_id=scene.cycle_id, windows=WINDOWS)
    evening = datetime(2025, 7, 1, 20, 0, tzinfo=UTC)  # 22:00 in Paris: closed
    assert await desk.call_back("01 45 67 89 10", now=evening)
    async with transaction(sessions) as session:
        member = await session.scalar(
            select(CycleMember).where(CycleMember.person_id == scene.alice_id)
        )
    assert member is not None
    assert member.status is MemberStatus.WAITING
    assert member.next_kind is AttemptKind.CALLBACK
    assert member.next_number == "+33145678910"
    assert member.next_due_at == datetime(2025, 7, 2, 7, 0, tzinfo=UTC)  # 09:00 in Paris
    # a person on the register but not in the cycle is not called back in it
    assert not await desk.call_back("+33612345678", now=evening)


@pytest.mark.asyncio
async def test_a_person_calling_in_while_dialled_has_that_attempt_withdrawn(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Never two calls at once: the outbound attempt still ringing is withdrawn (no dial,
    no attempt spent), the member waits again and the call coming in takes them."""
    desk = await desk_of(sessions, scene)
    taken = await CycleSchedule(sessions).take_due(
        scene.cycle_id, 5, now=NOW, planned_ids=["out-a", "out-b"]
    )
    outbound = next(a.id for a in taken if a.person_id == scene.bob_id)
    ringing = {scene.bob_id: Engagement(LineUse.DIALLING, outbound)}
    assert await desk.free_line("0612345678", engaged=ringing, at=NOW) == outbound
    withdrawn = await AttemptLedger(sessions).get(outbound)
    assert withdrawn.state is AttemptState.FAILED
    assert withdrawn.placed_at is None  # counts in no figure nor cap
    assert withdrawn.skip_reason == WITHDRAWN_FOR_INBOUND
    dial = await desk.take("1790000000.4", "0612345678", agent="a", node="rig", arrived_at=NOW)
    assert dial is not None
    assert dial.person_id == scene.bob_id
    member = await CycleSchedule(sessions).member_of_attempt("1790000000.4")
    assert member is not None
    assert member.status is MemberStatus.IN_CALL
    # nothing left to free, and nobody (Alice) freed who holds another number
    assert await desk.free_line("0612345678", engaged=ringing, at=NOW) is None


@pytest.mark.asyncio
async def test_a_person_on_the_line_with_us_is_not_taken_by_a_call_coming_in(
    sessions: SessionFactory, scene: Scene
) -> None:
    desk = await desk_of(sessions, scene)
    answered = {scene.bob_id: Engagement(LineUse.ON_CALL, "out-b")}
    assert await desk.free_line("0612345678", engaged=answered, at=NOW) is None
    assert (
        await desk.take(
            "1790000000.5",
            "0612345678",
            agent="a",
            node="rig",
            arrived_at=NOW,
            engaged=answered,
        )
        is None
    )


@pytest.mark.asyncio
async def test_a_call_coming_in_whose_join_failed_is_called_back_by_an_agent(
    sessions: SessionFactory, scene: Scene
) -> None:
    """The engine closes the call whose join failed as no call (the dialplan says we will
    call back) and asks the call back: the person waits again, agent-reserved."""
    desk = await desk_of(sessions, scene)
    await desk.take("1790000000.6", "0612345678", agent="a", node="rig", arrived_at=NOW)
    await desk.release("1790000000.6", at=NOW)
    released = await AttemptLedger(sessions).get("1790000000.6")
    assert (released.state, released.outcome, released.placed_at) == (
        AttemptState.FAILED,
        CallOutcome.ABANDONED,
        None,  # no attempt spent
    )
    assert await desk.call_back("0612345678", now=NOW)
    async with transaction(sessions) as session:
        member = await session.scalar(
            select(CycleMember).where(CycleMember.person_id == scene.bob_id)
        )
    assert member is not None
    assert member.status is MemberStatus.WAITING
    assert member.next_kind is AttemptKind.CALLBACK
    assert member.next_due_at == NOW  # due already: the reserved call is offered at once
    assert member.attempt_id is None


async def found_by_agent(
    claims: InboundCallClaims,
    cycle_id: int,
    person_id: int,
    attempt_id: str,
    at: datetime,
    engaged: dict[int, Engagement] | None = None,
) -> None:
    """The agent on a call from a number on no register attaches it to ``person_id``."""
    await claims.attach_found(
        cycle_id,
        person_id,
        attempt_id=attempt_id,
        number="+33699999999",
        agent="a",
        node="rig",
        answered_at=at,
        bridged_at=at,
        engaged=engaged or {},
    )


async def share_alices_line(sessions: SessionFactory, scene: Scene) -> None:
    """Alice and Bob in the cycle, Bob sharing Alice's landline."""
    await enrol(
        sessions,
        scene.cycle_id,
        [(scene.alice_id, "+33145678910", NOW), (scene.bob_id, "+33145678910", NOW)],
    )
    async with transaction(sessions) as session:  # Bob shares Alice's line
        session.add(
            PhoneNumber(
                person_id=scene.bob_id, position=2, e164="+33145678910", kind=PhoneKind.LANDLINE
            )
        )


@pytest.mark.asyncio
async def test_a_shared_line_call_is_reattached_to_the_person_the_agent_chose(
    sessions: SessionFactory, scene: Scene
) -> None:
    await share_alices_line(sessions, scene)
    claims = InboundCallClaims(sessions)
    desk = CycleInboundDesk(sessions, cycle_id=scene.cycle_id, windows=WINDOWS)
    dial = await desk.take("1790000000.7", "0145678910", agent="a", node="rig", arrived_at=NOW)
    assert dial is not None
    assert dial.person_id == scene.alice_id
    holders = await claims.line_holders(scene.cycle_id, "+33145678910", at=NOW)
    assert [p.id for p in holders] == [scene.alice_id, scene.bob_id]
    on_call = {scene.bob_id: Engagement(LineUse.ON_CALL, "out-b")}
    with pytest.raises(ConflictError, match="déjà en ligne"):
        await desk.reattach("1790000000.7", scene.bob_id, engaged=on_call)
    await desk.reattach("1790000000.7", scene.bob_id, engaged={})
    assert (await AttemptLedger(sessions).get("1790000000.7")).person_id == scene.bob_id
    async with transaction(sessions) as session:
        members = {m.person_id: m for m in await session.scalars(select(CycleMember))}
    assert members[scene.bob_id].status is MemberStatus.IN_CALL
    assert members[scene.bob_id].attempt_id == "1790000000.7"
    assert members[scene.alice_id].status is MemberStatus.WAITING
    assert members[scene.alice_id].attempt_id is None


@pytest.mark.asyncio
async def test_an_unknown_numbers_call_is_searched_noted_and_attached(
    sessions: SessionFactory, scene: Scene
) -> None:
    """The register search finds the cycle's members only, by name, postcode or number end;
    the note is kept with the call; the call attached is the person's call coming in."""
    await enrol(sessions, scene.cycle_id, [(scene.bob_id, "+33612345678", NOW)])
    notes = InboundNotes(sessions)
    found = await notes.search(scene.cycle_id, read_search("lefèvre"), at=NOW)
    assert [p.id for p in found] == [scene.bob_id]
    assert [
        p.id for p in await notes.search(scene.cycle_id, read_search("06 12 34 56 78"), at=NOW)
    ] == [scene.bob_id]
    assert (
        await notes.search(scene.cycle_id, read_search("dupont"), at=NOW) == []
    )  # not in the cycle
    assert await notes.search(scene.cycle_id, read_search("le_vre"), at=NOW) == []  # no wildcard
    await notes.write(
        "1790000000.8",
        caller="+33699999999",
        cycle_id=scene.cycle_id,
        agent="a",
        note="Son fils",
        at=NOW,
    )
    await notes.write(
        "1790000000.8",
        caller="+33699999999",
        cycle_id=scene.cycle_id,
        agent="a",
        note="Son fils, inquiet",
        at=NOW + timedelta(minutes=1),
    )
    claims = InboundCallClaims(sessions)
    attempt = await claims.attach_found(
        scene.cycle_id,
        scene.bob_id,
        attempt_id="1790000000.8",
        number="+33699999999",
        agent="a",
        node="rig",
        answered_at=NOW,
        bridged_at=NOW,
        engaged={},
    )
    assert (attempt.kind, attempt.state) == (AttemptKind.INBOUND, AttemptState.BRIDGED)
    await notes.attached("1790000000.8", scene.bob_id)
    (note,) = await notes.recent()
    assert (note.note, note.person_id, note.caller) == (
        "Son fils, inquiet",
        scene.bob_id,
        "+33699999999",
    )
    member = await CycleSchedule(sessions).member_of_attempt("1790000000.8")
    assert member is not None
    assert member.status is MemberStatus.IN_CALL
    with pytest.raises(NotFoundError):  # a person of no member of the cycle
        await claims.attach_found(
            scene.cycle_id,
            scene.alice_id,
            attempt_id="1790000000.9",
            number="x",
            agent="a",
            node="rig",
            answered_at=NOW,
            bridged_at=None,
            engaged={},
        )


@pytest.mark.asyncio
async def test_an_offered_person_found_for_an_unknown_number_has_the_offer_withdrawn(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Bob offered to an agent (claimed, not dialled) is found by another agent for a
    number on no register: the offer's attempt is withdrawn (none spent) and the call
    coming in becomes Bob's attempt, whose disposition plans his cycle."""
    await desk_of(sessions, scene)
    taken = await CycleSchedule(sessions).take_due(
        scene.cycle_id, 5, now=NOW, planned_ids=["offer-a", "offer-b"]
    )
    offered = next(a.id for a in taken if a.person_id == scene.bob_id)
    engaged = {scene.bob_id: Engagement(LineUse.DIALLING, offered)}
    claims = InboundCallClaims(sessions)
    await found_by_agent(claims, scene.cycle_id, scene.bob_id, "1790000000.11", NOW, engaged)
    withdrawn = await AttemptLedger(sessions).get(offered)
    assert (withdrawn.state, withdrawn.placed_at) == (AttemptState.FAILED, None)
    member = await CycleSchedule(sessions).member_of_attempt("1790000000.11")
    assert member is not None
    assert (member.person_id, member.status) == (scene.bob_id, MemberStatus.IN_CALL)
    assert await CycleSchedule(sessions).member_of_attempt(offered) is None


@pytest.mark.asyncio
async def test_a_held_or_removed_person_is_never_named_for_a_call_coming_in(
    sessions: SessionFactory, scene: Scene
) -> None:
    """An opposition (or a death) and a person taken off the register: out of the register
    search, out of the shared line's holders, and refused for an attach; a call from
    their number finds nobody else to take it."""
    await share_alices_line(sessions, scene)
    claims = InboundCallClaims(sessions)
    notes = InboundNotes(sessions)
    line = "+33145678910"
    assert [p.id for p in await claims.line_holders(scene.cycle_id, line, at=NOW)] == [
        scene.alice_id,
        scene.bob_id,
    ]
    await oppose(sessions, scene.bob_id, NOW)
    async with transaction(sessions) as session:
        alice = await session.get(Person, scene.alice_id)
        assert alice is not None
        alice.removed_at = NOW
    assert await claims.line_holders(scene.cycle_id, line, at=NOW) == []
    assert await notes.search(scene.cycle_id, read_search("lefèvre"), at=NOW) == []
    assert await notes.search(scene.cycle_id, read_search("01 45 67 89 10"), at=NOW) == []
    for person_id in (scene.alice_id, scene.bob_id):
        with pytest.raises(ConflictError, match="ne peut pas être appelée"):
            await found_by_agent(claims, scene.cycle_id, person_id, f"1790000000.2{person_id}", NOW)
    desk = CycleInboundDesk(sessions, cycle_id=scene.cycle_id, windows=WINDOWS)
    assert await desk.take("1790000000.30", line, agent="a", node="rig", arrived_at=NOW) is None


@pytest.mark.asyncio
async def test_a_household_whose_consent_is_withdrawn_is_never_named_for_a_call_coming_in(
    sessions: SessionFactory,
) -> None:
    """A veille-sociale cycle calls the households who agreed only: V07 agreed, then
    withdrew; from then on out of the search, of the holders, and refused for an attach."""
    scene = await needs_scene(sessions)
    registry = ConsentRegistry(sessions)
    consent = paper_consent("V07", JULY - timedelta(days=60))
    await registry.record([consent], actor="superviseur", now=JULY)
    claims = InboundCallClaims(sessions)
    notes = InboundNotes(sessions)
    line = "+33145670007"
    household = await person_by_external_id(sessions, "V07")
    assert household is not None
    later = JULY + timedelta(days=2)
    assert [p.id for p in await claims.line_holders(scene.cycle_id, line, at=later)] == [
        household.id
    ]
    assert [p.id for p in await notes.search(scene.cycle_id, read_search("foyer7"), at=later)] == [
        household.id
    ]
    assert await claims.line_holders(scene.cycle_id, "+33145670008", at=later) == []  # none
    await registry.withdraw(
        [WithdrawalRequest("V07", AgreedBy.PERSON, ConsentChannel.PHONE)],
        actor="superviseur",
        now=JULY + timedelta(days=1),
    )
    assert await claims.line_holders(scene.cycle_id, line, at=later) == []
    assert await notes.search(scene.cycle_id, read_search("foyer7"), at=later) == []
    with pytest.raises(ConflictError, match="consentement retiré"):
        await found_by_agent(claims, scene.cycle_id, household.id, "1790000000.40", later)


@pytest.mark.asyncio
async def test_a_person_dialled_in_another_campaign_who_calls_in_waits_there_again(
    sessions: SessionFactory, scene: Scene
) -> None:
    """Bob is being dialled by a flood campaign when he calls the heatwave's number: the
    flood's ringing attempt is withdrawn and his flood member waits again (before, it was
    left in a call, never dialled nor offered again)."""
    desk = await desk_of(sessions, scene)
    flood = await CampaignRepository(sessions).create(
        name="Crue Nord", kind=CampaignKind.OTHER, questionnaire_id="canicule",
        questionnaire_version="1", caller_id="+33140000001",
        pacing_mode=PacingMode.PROGRESSIVE, calling_windows={}, retry_policy={}, now=NOW,
    )  # fmt: skip
    flood_cycle = await CycleRepository(sessions).open(
        flood.id, started_at=NOW, deadline=NOW + timedelta(days=1)
    )
    await enrol(sessions, flood_cycle.id, [(scene.bob_id, "+33612345678", NOW)])
    (dialled,) = await CycleSchedule(sessions).take_due(
        flood_cycle.id, 1, now=NOW, planned_ids=["out-flood"]
    )
    ringing = {scene.bob_id: Engagement(LineUse.DIALLING, dialled.id)}
    assert await desk.free_line("0612345678", engaged=ringing, at=NOW) == dialled.id
    async with transaction(sessions) as session:
        member = await session.scalar(
            select(CycleMember).where(CycleMember.cycle_id == flood_cycle.id)
        )
    assert member is not None
    assert (member.status, member.attempt_id) == (MemberStatus.WAITING, None)
