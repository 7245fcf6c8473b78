# ruff: noqa: E501 - CDR records are copied as Asterisk writes them, one a line
"""The chaos run's reading of Asterisk's CDR (``dialer.rig.chaos.witnesses``), on records as the
rig's Asterisk 22 writes them (``cdr-csv/Master.csv``)."""

from __future__ import annotations

from pathlib import Path

from dialer.rig.chaos.witnesses import read_cdr

ROWS = """\
"","","s","from-carrier",""\"\"\" <>","PJSIP/agent-1001-00000001","","Wait","3600","2026-12-06 10:00:00","2026-12-06 10:00:00","2026-12-06 10:09:00",540,540,"ANSWERED","DOCUMENTATION","agentleg-1",""
"","","agent-1001","dialer-join",""\"\"\" <>","PJSIP/carrier-00000005","PJSIP/agent-1001-00000001","Bridge","agentleg-1,F(dialer-agent^s^back)","2026-12-06 10:54:18","2026-12-06 10:54:19","2026-12-06 10:54:21",3,2,"ANSWERED","DOCUMENTATION","joined",""
"","","s","dialer-answered",""\"\"\" <>","PJSIP/carrier-0000000b","","Hangup","16","2026-12-06 11:22:17","2026-12-06 11:22:18","2026-12-06 11:22:50",33,32,"ANSWERED","DOCUMENTATION","abandoned",""
"","","s","dialer-answered",""\"\"\" <>","PJSIP/carrier-0000000c","","Playback","dialer/information","2026-12-06 11:22:17","2026-12-06 11:22:18","2026-12-06 11:22:20",3,2,"ANSWERED","DOCUMENTATION","abandoned-cut-short",""
"","","s","from-carrier",""\"\"\" <>","PJSIP/carrier-00000110","","AppDial2","(Outgoing Line)","2026-12-06 12:10:09",,"2026-12-06 12:10:09",0,0,"NO ANSWER","DOCUMENTATION","busy",""
"""


def test_the_cdr_tells_joined_abandoned_and_unanswered_calls_apart(tmp_path: Path) -> None:
    path = tmp_path / "Master.csv"
    path.write_text('"old","row"\n' + ROWS, encoding="utf-8")
    calls = read_cdr(path, offset=len('"old","row"\n'))
    assert set(calls) == {"joined", "abandoned", "abandoned-cut-short", "busy"}  # no agent leg
    assert calls["joined"].bridged_to == {"PJSIP/agent-1001-00000001"}
    assert calls["joined"].reached_join
    assert not calls["joined"].information
    assert calls["abandoned"].information
    assert calls["abandoned-cut-short"].information
    assert not calls["abandoned"].bridged_to
    assert not calls["busy"].answered
    assert not calls["busy"].information
