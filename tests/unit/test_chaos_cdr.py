# ruff: noqa: E501 - CDR records are copied as Asterisk writes them, one a line
"""The chaos run's reading of Asterisk's CDR (``dialer.rig.chaos.witnesses``), on records as the
rig's Asterisk 22 writes them (``cdr-csv/Master.csv``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.rig.chaos.witnesses import read_callee_log, read_cdr

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


CALLEE_LOG = """\
2026-12-06\t17:40:34.016515\t1796578834.016515\tR\t1-15120@127.0.0.1\tCSeq:1 INVITE\tINVITE sip:+339001002001@127.0.0.1:47060 SIP/2.0
2026-12-06\t17:40:34.016839\t1796578834.016839\tS\t1-15120@127.0.0.1\tCSeq:1 INVITE\tSIP/2.0 100 Trying
2026-12-06\t17:40:34.025773\t1796578834.025773\tS\t1-15120@127.0.0.1\tCSeq:1 INVITE\tSIP/2.0 200 OK
2026-12-06\t17:40:34.029121\t1796578834.029121\tR\t1-15120@127.0.0.1\tCSeq:2 BYE\tBYE sip:+339001002001@127.0.0.1:47060 SIP/2.0
2026-12-06\t17:40:35.000000\t1796578835.000000\tR\t2-15120@127.0.0.1\tCSeq:1 INVITE\tINVITE sip:+339102002002@127.0.0.1:47060 SIP/2.0
2026-12-06\t17:40:35.001000\t1796578835.001000\tS\t2-15120@127.0.0.1\tCSeq:1 INVITE\tSIP/2.0 486 Busy Here
2026-12-06\t17:40:36.000000\t1796578836.000000\tS\t3-15120@127.0.0.1\tCSeq:1 OPTIONS\tSIP/2.0 200 OK
"""


def test_the_callees_log_tells_calls_received_and_answered(tmp_path: Path) -> None:
    """sipp's ``-trace_shortmsg`` lines as the rig's sipp 3.6 writes them."""
    path = tmp_path / "sipp-callee-messages.tsv"
    path.write_text("old line\n" + CALLEE_LOG, encoding="utf-8")
    calls = read_callee_log(path, offset=len("old line\n"))
    assert set(calls) == {"1-15120@127.0.0.1", "2-15120@127.0.0.1"}  # no INVITE, no call
    answered, busy = calls["1-15120@127.0.0.1"], calls["2-15120@127.0.0.1"]
    assert (answered.number, answered.answered) == ("+339001002001", True)
    assert (busy.number, busy.answered) == ("+339102002002", False)
    assert answered.last - answered.first == pytest.approx(0.012606, abs=1e-5)
