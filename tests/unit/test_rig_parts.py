"""The rig's pure parts: the callee number plan, apt-source parsing, generated secrets."""

from __future__ import annotations

import re
from pathlib import Path

import phonenumbers
import pytest

from dialer.errors import ProvisioningError, RigError
from dialer.rig import secrets as rig_secrets
from dialer.rig.callees import SCENARIO, CalleeBehaviour, SimulatedCallee
from dialer.rig.chroot import debian_mirror


def test_callee_numbers_encode_behaviour_ring_and_talk() -> None:
    callee = SimulatedCallee(CalleeBehaviour.BUSY, ring_s=5, talk_s=120, serial=7)
    assert callee.number == "+33910512007"


def test_callee_numbers_are_valid_french_numbers() -> None:
    for behaviour in CalleeBehaviour:
        number = phonenumbers.parse(SimulatedCallee(behaviour, 12, 300, 99).number)
        assert phonenumbers.is_valid_number(number)
        assert phonenumbers.region_code_for_number(number) == "FR"


def test_the_sipp_scenario_knows_every_behaviour_digit() -> None:
    scenario = SCENARIO.read_text(encoding="latin-1")
    digits = set(re.findall(r"INVITE sip:\\\+339(\d)\"", scenario))
    # every behaviour but "invalid number" (the fall-through) has its own branch
    assert digits == {str(int(b)) for b in CalleeBehaviour} - {"5"}


@pytest.mark.parametrize("field", ["ring_s", "talk_s", "serial"])
def test_out_of_range_callee_parameters_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        SimulatedCallee(CalleeBehaviour.ANSWERS, **{field: 1000})


def test_mirror_from_deb822_sources(tmp_path: Path) -> None:
    sources = tmp_path / "debian.sources"
    sources.write_text(
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm\n",
        encoding="utf-8",
    )
    assert debian_mirror((sources,)) == "http://mirror.example/debian"


def test_mirror_from_one_line_sources(tmp_path: Path) -> None:
    sources = tmp_path / "sources.list"
    sources.write_text(
        "deb [arch=amd64] http://mirror.example/debian bookworm main\n", encoding="utf-8"
    )
    assert debian_mirror((tmp_path / "missing", sources)) == "http://mirror.example/debian"


def test_no_mirror_is_a_loud_error(tmp_path: Path) -> None:
    with pytest.raises(ProvisioningError, match=r"rig\.mirror"):
        debian_mirror((tmp_path / "none",))


def test_rig_secrets_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = rig_secrets.load_or_create(path)
    password = first.agent_password("agent-1001")
    rig_secrets.save(path, first)
    again = rig_secrets.load_or_create(path)
    assert again.ami_secret == first.ami_secret
    assert again.agent_password("agent-1001") == password
    assert len(password) >= 32
    assert path.stat().st_mode & 0o077 == 0
    assert first.ami_secret not in repr(first)


def test_corrupt_rig_secrets_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(RigError, match=str(path)):
        rig_secrets.load_or_create(path)
