"""``make demo``: what the product can do today, run for real on the local rig.

It provisions and starts the rig's Asterisk, starts the simulated world (sipp callees,
baresip agents), checks every agent's registration over AMI, then dials one simulated
person of each behaviour through the carrier trunk and reports the outcome that the
dialer classified from AMI events. Later milestones replace this with a full campaign.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from dialer.core.outcomes import OUTCOME_LABELS_FR
from dialer.rig.asterisk import Rig
from dialer.rig.callees import CalleeBehaviour, SimulatedCallee
from dialer.rig.world import SimulatedWorld
from dialer.telephony.ami import AmiClient
from dialer.telephony.probe import DialResult, dial_and_classify

BEHAVIOUR_LABELS_FR = {
    CalleeBehaviour.ANSWERS: "décroche après 2 s, parle 3 s",
    CalleeBehaviour.BUSY: "occupé (486)",
    CalleeBehaviour.RINGS_FOREVER: "sonne sans réponse",
    CalleeBehaviour.UNREACHABLE: "injoignable (480)",
    CalleeBehaviour.UNAVAILABLE: "indisponible (503)",
    CalleeBehaviour.INVALID_NUMBER: "numéro inexistant (404)",
    CalleeBehaviour.HANGS_UP_AT_ONCE: "décroche et raccroche aussitôt",
    CalleeBehaviour.REJECTS: "refuse l'appel (603)",
}


async def run_demo(rig: Rig, say: Callable[[str], None]) -> list[DialResult]:
    report = await asyncio.to_thread(rig.provision)
    say(
        f"Asterisk prêt : {report.asterisk_version} "
        f"({'installé' if report.built_chroot else 'réutilisé'}, {report.seconds:.1f} s)"
    )
    started_now = await rig.start()
    say("Asterisk démarré, AMI répond (Login + Ping)." if started_now else "Asterisk déjà lancé.")
    world = SimulatedWorld(rig)
    results: list[DialResult] = []
    try:
        world.start()
        async with AmiClient(rig.ami_credentials()) as ami:
            statuses = await world.wait_registered(ami)
            say(f"{len(statuses)} postes d'agents enregistrés (vu par AMI) : {sorted(statuses)}")
            say("Appels de test à travers le trunk, un par comportement d'appelé :")
            callees = [
                SimulatedCallee(b, ring_s=2, talk_s=3, serial=i)
                for i, b in enumerate(CalleeBehaviour)
            ]
            calls = [
                dial_and_classify(
                    ami, callee.number, trunk=rig.settings.trunk.name, ring_timeout_s=15, hold_s=5
                )
                for callee in callees
            ]
            for callee, result in zip(callees, await asyncio.gather(*calls), strict=True):
                results.append(result)
                say(
                    f"  {result.number}  {BEHAVIOUR_LABELS_FR[callee.behaviour]:<32} "
                    f"→ {OUTCOME_LABELS_FR[result.outcome]:<16} (raison {result.originate_reason}, "
                    f"cause {result.cause}, SIP {result.tech_cause}, {result.seconds:.1f} s)"
                )
    finally:
        world.stop()
        if started_now:
            await rig.stop()
            say("Asterisk arrêté proprement.")
    return results
