"""``dialer demo --mode veille-sociale`` on the real rig, small and short: its scene
(:func:`dialer.cli.demo_veille.veille_scene`, what the command runs once the rig is up)
with two robot volunteers on the session's softphones and twelve households.

The incomplete consent file is refused naming its line and field, the untrained volunteer's
desk is refused, the withdrawn household is never called; the volunteers book follow-up
calls half a minute ahead and the service offers each one at its time to the volunteer
who booked it, who calls the household again: the ledger holds a follow-up call (kind
``CALLBACK``) placed and bridged, by that volunteer, and Asterisk's CDR its answered call
(its uniqueid is the attempt's id). The funnel it prints is the
database's (counted here with SQL of its own), the coordinator answered every help request,
and the needs analysis is printed with suppressed cells « secret » and written as CSV, XLSX and
PDF."""

from __future__ import annotations

import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dialer.cli.demo_veille import UNTRAINED, veille_scene
from dialer.core.attempts import AttemptKind
from dialer.rig.asterisk import Rig
from dialer.rig.demo_rig import demo_settings
from dialer.rig.world import SimulatedWorld
from dialer.storage.call_help import HelpRequest
from dialer.storage.database import create_engine, create_session_factory, transaction
from dialer.storage.household_rows import Debrief
from dialer.storage.models import Attempt, Cycle, Person
from dialer.storage.orientation_rows import FollowUpRow, OrientationRow
from dialer.storage.schedule import CycleMember
from dialer.telephony.ami import AmiClient
from tests.asterisk.test_campaign import read_cdr

pytestmark = pytest.mark.asyncio
HOUSEHOLDS = 12
FOLLOW_UP_AFTER = timedelta(seconds=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_the_veille_sociale_demo_runs_on_the_rig(
    rig: Rig, world: SimulatedWorld, ami: AmiClient, tmp_path: Path
) -> None:
    settings = demo_settings(rig.settings, rig.settings.rig.agents, _free_port(), tmp_path / "v.db")
    phones = [softphone.account.username for softphone in world.softphones[:2]]
    said: list[str] = []
    out = tmp_path / "veille"
    funnel = await veille_scene(
        settings, said.append, phones=phones, households=HOUSEHOLDS, minutes=3.5,
        ami=rig.ami_credentials(), out=out, follow_up_after=FOLLOW_UP_AFTER,
    )  # fmt: skip
    text = "\n".join(said)

    assert "consentements-incomplet.csv:4" in text  # the line without its date, named
    assert "date_accord" in text
    assert "VS-0000 : 0 consentement en base" in text  # nothing of that file written
    refusal = next(line for line in said if UNTRAINED in line and "ouvre son poste" in line)
    assert "« »" not in refusal  # refused, with its French message
    assert "\n".join(funnel.lines()) in text
    assert not [line for line in said if "incident du robot" in line], text

    database = create_engine(settings.database_address())
    try:
        async with transaction(create_session_factory(database)) as session:
            cycles = select(Cycle.id).scalar_subquery()
            members = await session.scalar(
                select(func.count())
                .select_from(CycleMember)
                .where(CycleMember.cycle_id.in_(cycles))
            )
            placed = (
                await session.execute(
                    select(Attempt.person_id, Attempt.bridged_at).where(
                        Attempt.placed_at.is_not(None)
                    )
                )
            ).all()
            withdrawn_calls = await session.scalar(
                select(func.count())
                .select_from(Attempt)
                .join(Person, Person.id == Attempt.person_id)
                .where(Person.external_id == funnel.withdrawn, Attempt.placed_at.is_not(None))
            )
            modes = (await session.execute(select(OrientationRow.mode))).scalars().all()
            booked = (await session.execute(select(FollowUpRow))).scalars().all()
            attempts = (
                (await session.execute(select(Attempt).order_by(Attempt.placed_at))).scalars().all()
            )
            flagged = await session.scalar(
                select(func.count()).select_from(Debrief).where(Debrief.flagged)
            )
            helps = (await session.execute(select(HelpRequest.answer))).scalars().all()
    finally:
        await database.dispose()

    assert members == funnel.households == HOUSEHOLDS - 2  # two never agreed
    assert funnel.called == len({person for person, _ in placed}) > 0
    assert funnel.reached == len({p for p, bridged in placed if bridged is not None}) > 0
    assert funnel.withdrawn_calls == withdrawn_calls == 0
    by_mode: dict[str, int] = {}
    for mode in modes:
        by_mode[str(mode)] = by_mode.get(str(mode), 0) + 1
    assert funnel.orientations == by_mode
    assert funnel.follow_ups == len(booked) == funnel.follow_up_calls.planned > 0
    # each follow-up call: placed by the service (kind CALLBACK) after its booking, to the
    # volunteer who booked it, who had talked to the household (continuity)
    cdr = read_cdr(rig)
    placed_follow_ups, reached_follow_ups = [], []
    for follow_up in booked:
        booked_ahead = follow_up.due_at - follow_up.created_at  # within the run
        assert abs(booked_ahead - FOLLOW_UP_AFTER) < timedelta(seconds=2), booked_ahead
        first = next(a for a in attempts if a.id == follow_up.attempt_id)
        assert first.agent == follow_up.caller
        assert first.bridged_at is not None
        again = [
            a
            for a in attempts
            if a.person_id == follow_up.person_id and a.kind is AttemptKind.CALLBACK
        ]
        assert len(again) <= 1
        call = again[0] if again else None
        if call is None or call.placed_at is None:
            continue
        assert call.placed_at >= follow_up.due_at
        assert call.agent == follow_up.caller  # the same volunteer
        placed_follow_ups.append(call)
        if call.bridged_at is not None:
            reached_follow_ups.append(call)
            assert cdr[call.id]["disposition"] == "ANSWERED", cdr[call.id]
    assert funnel.follow_up_calls.placed == len(placed_follow_ups)
    assert funnel.follow_up_calls.reached == len(reached_follow_ups) > 0
    assert funnel.follow_up_calls.same_volunteer == len(reached_follow_ups)
    assert "rappels de suivi : " in text
    assert funnel.flagged == flagged
    assert funnel.help_asked == len(helps)
    assert funnel.help_answered == sum(1 for answer in helps if answer) == len(helps)

    assert "secret" in text  # small cells suppressed in the printed analysis
    written = sorted(path.suffix for path in out.glob("besoins-*"))
    assert written == [".csv", ".pdf", ".xlsx"]
    assert next(out.glob("besoins-*.pdf")).read_bytes().startswith(b"%PDF")
    assert "secret" in next(out.glob("besoins-*.csv")).read_text(encoding="utf-8-sig")
