"""Why the pacer dials what it dials, as codes: a :class:`PacingDecision` carries the
:class:`Fact` s of its decision (each a :class:`Clause` and its numbers). The screens render
them in French (:func:`dialer.core.labels.pacing_text`); :func:`english` gives the one-line
English reason the engine's log and statistics keep. Pure data and formatting."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class Clause(StrEnum):
    """One part of a pacing decision's explanation; its :class:`Fact`'s ``values`` are,
    in order, the numbers named in the comment."""

    WINDOW_CLOSED = "window_closed"  #: ()
    WINDOW_CLOSING = "window_closing"  #: (ring timeout s, margin s); text: closing time
    PREVIEW = "preview"  #: (free agents, free lines, people offered)
    FREE_AGENTS = "free_agents"  #: (agents ready,)
    ANSWERED_WAITING = "answered_waiting"  #: (answered people waiting for an agent,)
    RINGING = "ringing"  #: (calls dialing or ringing,)
    ANSWER_RATE = "answer_rate"  #: (rate,)
    START_UP = "start_up"  #: (outcomes known, outcomes needed)
    DAY_BUDGET = "day_budget"  #: (abandons today, live answers today, spare, cap)
    AT_TARGET = "at_target"  #: (abandons today, live answers today, target rate)
    EXPECTED_FREE = "expected_free"  #: (agents expected free, horizon s)
    ABANDONS_TODAY = "abandons_today"  #: (abandons today, live answers today)
    LINE_CAP = "line_cap"  #: (lines per agent, lines in use, lines allowed)
    ALL_LINES_USED = "all_lines_used"  #: (free lines,)
    LINE_RISK = "line_risk"  #: (1 if a lower bound else 0, risk, risk allowed)
    BURST = "burst"  #: (abandons, probability, probability allowed)
    DIAL = "dial"  #: (dials,)
    SPLIT = "split"  #: (progressive dials, predictive dials)
    ONLY_FREE_LINES = "only_free_lines"  #: (free lines,)
    RESERVED_HELD = "reserved_held"  #: (reserved calls waiting, automatic dials held back)
    NOT_STARTED = "not_started"  #: ()
    DIALING_PAUSED = "dialing_paused"  #: ()
    NO_CAMPAIGN = "no_campaign"  #: ()
    FIRST_TICK_FAILED = "first_tick_failed"  #: (); text: the error
    LEDGER_DOWN = "ledger_down"  #: (): the database refuses the ledger's writes
    #: (); text: the nodes' names: no connected node has the information message
    NO_INFORMATION_MESSAGE = "no_information_message"
    INBOUND_WAITING = "inbound_waiting"  #: (incoming calls waiting for an agent,)


@dataclass(frozen=True, slots=True)
class Fact:
    clause: Clause
    values: tuple[float, ...] = ()
    text: str = ""


def fact(clause: Clause, *values: float, text: str = "") -> Fact:
    return Fact(clause, tuple(values), text)


#: how a clause joins the text before it (the default: ", ")
SEPARATORS: dict[Clause, str] = {
    Clause.DIAL: " → ",
    Clause.SPLIT: " ",
    Clause.ONLY_FREE_LINES: " ",
    Clause.RESERVED_HELD: "; ",
}


def joined(parts: Iterable[tuple[Clause, str]]) -> str:
    """The fragments joined by their clause's separator."""
    text = ""
    for clause, part in parts:
        text += (SEPARATORS.get(clause, ", ") if text else "") + part
    return text


def english(facts: Iterable[Fact]) -> str:
    """The decision's one-line English reason (the engine's log)."""
    return joined((f.clause, ENGLISH[f.clause](f.values, f.text)) for f in facts)


def _count(n: float, noun: str, plural: str | None = None) -> str:
    return f"{n:.0f} {noun if n == 1 else plural or noun + 's'}"


#: each clause in English (the engine's log)
ENGLISH: dict[Clause, Callable[[tuple[float, ...], str], str]] = {
    Clause.WINDOW_CLOSED: lambda v, t: "calling window closed",
    Clause.WINDOW_CLOSING: lambda v, t: (
        f"calling window closes at {t}, within ring timeout {v[0]:g} s + {v[1]:g} s"
    ),
    Clause.PREVIEW: lambda v, t: (
        f"preview: {_count(v[0], 'free agent')}, {_count(v[1], 'free line')} → "
        f"offer {v[2]:.0f} next {'person' if v[2] == 1 else 'people'}, dial 0"
    ),
    Clause.FREE_AGENTS: lambda v, t: _count(v[0], "free agent"),
    Clause.ANSWERED_WAITING: lambda v, t: f"{v[0]:.0f} answered waiting",
    Clause.RINGING: lambda v, t: f"{v[0]:.0f} ringing",
    Clause.ANSWER_RATE: lambda v, t: f"answer rate {v[0]:.2f}",
    Clause.START_UP: lambda v, t: (
        f"start-up ({v[0]:.0f} outcomes known, {v[1]:.0f} needed): progressive"
    ),
    Clause.DAY_BUDGET: lambda v, t: (
        f"abandons today {v[0]:.0f}/{v[1]:.0f}: {v[2]:.0f} more would pass the {v[3]:.0%} "
        "cap, progressive"
    ),
    Clause.AT_TARGET: lambda v, t: (
        f"abandons today {v[0]:.0f}/{v[1]:.0f}: projected rate at the {v[2]:.2%} target, "
        "progressive (abandons only from races)"
    ),
    Clause.EXPECTED_FREE: lambda v, t: f"{v[0]:.1f} more expected free within {v[1]:.0f} s",
    Clause.ABANDONS_TODAY: lambda v, t: f"abandons today {v[0]:.0f}/{v[1]:.0f}",
    Clause.LINE_CAP: lambda v, t: (
        f"lines per agent cap {v[0]!r} ({v[1]:.0f} of {v[2]:.0f} lines in use)"
    ),
    Clause.ALL_LINES_USED: lambda v, t: f"all {v[0]:.0f} free lines used",
    Clause.LINE_RISK: lambda v, t: (
        f"next line's abandon risk {'≥ ' if v[0] else ''}{v[1]:.2%} > {v[2]:.2%} allowed"
    ),
    Clause.BURST: lambda v, t: (
        f"P({v[0]:.0f}+ abandons from the calls in flight) {v[1]:.1%} > {v[2]:.0%}"
    ),
    Clause.DIAL: lambda v, t: f"dial {v[0]:.0f}",
    Clause.SPLIT: lambda v, t: f"({v[0]:.0f} progressive + {v[1]:.0f} predictive)",
    Clause.ONLY_FREE_LINES: lambda v, t: f"(only {v[0]:.0f} free lines)",
    Clause.RESERVED_HELD: lambda v, t: (
        f"{v[0]:.0f} reserved call(s) wait for an agent: {v[1]:.0f} held back"
    ),
    Clause.NOT_STARTED: lambda v, t: "not started",
    Clause.DIALING_PAUSED: lambda v, t: "dialing paused",
    Clause.INBOUND_WAITING: lambda v, t: f"{v[0]:.0f} incoming call(s) wait for an agent: no dial",
    Clause.NO_CAMPAIGN: lambda v, t: "aucune campagne en cours → dial 0",
    Clause.LEDGER_DOWN: lambda v, t: "database unreachable: no call until the ledger is written",
    Clause.NO_INFORMATION_MESSAGE: lambda v, t: (
        f"no information message on {t}: no call (a person no agent takes would hear silence)"
    ),
    Clause.FIRST_TICK_FAILED: lambda v, t: f"first tick failed: {t}",
}
