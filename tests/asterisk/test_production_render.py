"""The production configuration, with a carrier trunk, checked against a fresh Asterisk of
the rig through the CLI entry points: ``dialer asterisk render`` and ``dialer asterisk
prompts`` write into the rig's chroot, ``dialer rig check-render`` starts a new Asterisk on
it and checks modules, dialplan contexts and applications, the carrier's PJSIP endpoint and
its authentication, and the messages (the readiness probe's question). Without the
messages the check fails and names them. The rig's own configuration is back afterwards."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dialer.cli import cli
from dialer.rig.asterisk import Rig
from dialer.rig.chaos.faults import phones_back
from dialer.rig.world import SimulatedWorld
from dialer.telephony import prompts

PRODUCTION = """\
[trunk]
name = "operateur"
host = "127.0.0.1"
port = 5070
username = "ville-veille"
password = "mot-de-passe-operateur"
from_domain = "sip.operateur.example"

[dialing]
service_name = "service des solidarités de Testville"
callback_number = "0123456789"

[rig]
agents = 5
"""


@pytest.fixture
def stopped_rig(rig: Rig, world: SimulatedWorld) -> Iterator[Rig]:
    """The session's rig Asterisk stopped for the test, then started again on the rig's own
    configuration with its softphones registered."""
    asyncio.run(rig.stop())
    yield rig
    asyncio.run(rig.start())
    asyncio.run(phones_back(world, rig.ami_credentials()))


def dialer(args: list[str], config: Path, rig: Rig) -> Result:
    env = {"DIALER_CONFIG": str(config), "DIALER_AMI__SECRET": rig.ami_secret}
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False)


def test_the_production_render_loads_in_a_fresh_asterisk(stopped_rig: Rig, tmp_path: Path) -> None:
    rig = stopped_rig
    config = tmp_path / "dialer.toml"
    config.write_text(PRODUCTION, encoding="utf-8")
    etc, sounds = rig.chroot.etc, rig.chroot.sounds
    messages = [
        prompts.information_prompt(sounds),
        prompts.own_line_prompt(sounds),
        prompts.transfer_hold_prompt(sounds),
    ]

    rendered = dialer(["asterisk", "render", "--out", str(etc)], config, rig)
    assert rendered.exit_code == 0, rendered.output
    assert "[operateur]" in (etc / "pjsip.conf").read_text(encoding="utf-8")
    assert "[agent-1001]" not in (etc / "pjsip.conf").read_text(encoding="utf-8")
    for message in messages:  # a production Asterisk has none until they are installed
        message.unlink(missing_ok=True)
    refused = dialer(["rig", "check-render"], config, rig)
    assert refused.exit_code == 1, refused.output
    assert "ÉCHEC message d'information (sonde de disponibilité)" in refused.output
    assert "ÉCHEC message d'attente des transferts" in refused.output
    assert "ok contexte [dialer-transfer]" in refused.output

    # the check put the rig's configuration back: render and install again, then check
    assert "[agent-1001]" in (etc / "pjsip.conf").read_text(encoding="utf-8")
    rendered = dialer(["asterisk", "render", "--out", str(etc)], config, rig)
    assert rendered.exit_code == 0, rendered.output
    for message in messages:
        message.unlink(missing_ok=True)
    installed = dialer(["asterisk", "prompts", "--sounds", str(sounds)], config, rig)
    assert installed.exit_code == 0, installed.output
    assert "Testville" in installed.output
    assert all(message.is_file() for message in messages)
    checked = dialer(["rig", "check-render"], config, rig)
    print(checked.output)
    assert checked.exit_code == 0, checked.output
    assert "ÉCHEC" not in checked.output
    for line in (
        "ok module res_pjsip.so",
        "ok contexte [dialer-answered]",
        "ok contexte [dialer-join]",
        "ok contexte [dialer-spy]",
        "ok contexte [dialer-transfer]",
        "ok contexte [from-carrier]",
        "ok application ConfBridge()",
        "ok application ChanSpy()",
        "ok application AMD()",
        "ok endpoint PJSIP de l'opérateur « operateur »",
        "ok authentification sortante « operateur-auth »",
        "ok message d'information (sonde de disponibilité) : présent",
        "ok message d'attente des transferts",
    ):
        assert line in checked.output, line
    assert "Configuration du banc remise." in checked.output
    assert "[agent-1001]" in (etc / "pjsip.conf").read_text(encoding="utf-8")
