"""The production configuration checked against a fresh Asterisk of the rig (``dialer rig
check-render``): what ``dialer asterisk render`` and ``dialer asterisk prompts`` wrote into
the rig's chroot is loaded by a new Asterisk, which must then have

- every dialplan context of ``extensions.conf`` (AMI ``ShowDialPlan``) and every dialplan
  application it uses registered (``core show application``: its module loaded);
- the PJSIP modules, the carrier trunk's endpoint (AMI ``PJSIPShowEndpoint``), with its
  outbound authentication when the trunk has a user name;
- the recorded messages: the information message as the readiness probe asks for it
  (:meth:`AsteriskNode.check_prompts`, the question the controller asks before dialling),
  and the own-line and transfer-hold messages' files.

Each check is a :class:`Finding`; the command prints them and fails if any is not met.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

from dialer.errors import AmiActionError, RigError, TelephonyError
from dialer.rig.asterisk import Rig
from dialer.telephony import prompts
from dialer.telephony.ami import AmiClient
from dialer.telephony.node import AsteriskNode

#: the modules the dialer's PJSIP configuration needs
PJSIP_MODULES = ("res_pjsip.so", "chan_pjsip.so", "res_pjsip_session.so")

_CONTEXT = re.compile(r"^\[([^\]]+)\]", re.MULTILINE)
#: ``exten => X,1,App(`` or ``same => n(label),App(``
_APPLICATION = re.compile(
    r"^\s*(?:exten\s*=>\s*[^,]+,|same\s*=>)\s*(?:\d+|n)(?:\([\w-]+\))?,\s*(\w+)\(",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Finding:
    what: str
    ok: bool
    detail: str = ""


def dialplan_contexts(extensions_conf: str) -> list[str]:
    return [name for name in _CONTEXT.findall(extensions_conf) if name != "general"]


def dialplan_applications(extensions_conf: str) -> list[str]:
    return sorted(set(_APPLICATION.findall(extensions_conf)))


async def check_loaded_configuration(rig: Rig) -> list[Finding]:
    """Start a fresh Asterisk on the configuration the rig's chroot holds (not the rig's
    own), check it, and stop it. :class:`RigError` when Asterisk does not start or AMI
    does not answer with the settings' credentials."""
    extensions = (rig.chroot.etc / "extensions.conf").read_text(encoding="utf-8")
    await rig.start_as_configured()
    try:
        async with AmiClient(rig.ami_credentials()) as ami:
            findings = [
                *await _modules(ami),
                *await _contexts(ami, dialplan_contexts(extensions)),
                *await _applications(rig, dialplan_applications(extensions)),
                *await _trunk(ami, rig),
            ]
        findings += await _prompts(rig)
    finally:
        await rig.stop()
    return findings


async def _modules(ami: AmiClient) -> list[Finding]:
    findings = []
    for module in PJSIP_MODULES:
        try:
            await ami.action("ModuleCheck", {"Module": module})
            findings.append(Finding(f"module {module}", True))
        except AmiActionError as exc:
            findings.append(Finding(f"module {module}", False, f"non chargé ({exc})"))
    return findings


async def _contexts(ami: AmiClient, contexts: list[str]) -> list[Finding]:
    findings = []
    for context in contexts:
        try:
            await ami.action("ShowDialPlan", {"Context": context}, expect_list=True)
            findings.append(Finding(f"contexte [{context}]", True))
        except AmiActionError as exc:
            findings.append(Finding(f"contexte [{context}]", False, f"absent du plan ({exc})"))
    return findings


async def _applications(rig: Rig, applications: list[str]) -> list[Finding]:
    findings = []
    for application in applications:
        shown = await asyncio.to_thread(rig.cli, f"core show application {application}")
        known = "Info about Application" in shown
        detail = "" if known else "application inconnue : son module n'est pas chargé"
        findings.append(Finding(f"application {application}()", known, detail))
    return findings


async def _trunk(ami: AmiClient, rig: Rig) -> list[Finding]:
    trunk = rig.settings.trunk
    what = f"endpoint PJSIP de l'opérateur « {trunk.name} »"
    try:
        replies = await ami.action("PJSIPShowEndpoint", {"Endpoint": trunk.name}, expect_list=True)
    except AmiActionError as exc:
        return [Finding(what, False, f"absent ({exc})")]
    detail = next((r for r in replies if r.name == "EndpointDetail"), None)
    if detail is None:
        return [Finding(what, False, "PJSIP ne le décrit pas")]
    findings = [Finding(what, True, f"contexte {detail.get('Context')}")]
    if trunk.username:
        auth = detail.get("OutboundAuth")
        findings.append(
            Finding(
                f"authentification sortante « {trunk.name}-auth »",
                auth == f"{trunk.name}-auth",
                f"outbound_auth = {auth or '(aucune)'}",
            )
        )
    return findings


async def _prompts(rig: Rig) -> list[Finding]:
    node = AsteriskNode("controle", rig.ami_credentials(), trunk=rig.settings.trunk.name)
    try:
        await node.start()
        present = await node.check_prompts()
    except TelephonyError as exc:
        raise RigError(f"la sonde de disponibilité n'a pas pu interroger Asterisk : {exc}") from exc
    finally:
        await node.stop()
    sounds = rig.chroot.sounds
    findings = [
        Finding(
            "message d'information (sonde de disponibilité)",
            present is True,
            "présent" if present else "absent : lancez « dialer asterisk prompts »",
        )
    ]
    for what, path in (
        ("message du téléphone personnel", prompts.own_line_prompt(sounds)),
        ("message d'attente des transferts", prompts.transfer_hold_prompt(sounds)),
    ):
        findings.append(Finding(what, path.is_file(), str(path.relative_to(rig.chroot.path))))
    return findings


def missing(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if not finding.ok]
