"""What the service and its commands tell the server's operator (log lines, command-line
errors, start-up), in French or in English: one table, the language chosen once (the
``language`` setting, read by the ``dialer`` command before anything else) and used
everywhere. The screens' French labels are :mod:`dialer.core.labels`'; codes (``campaign.
start``, ``ready``) stay as they are in both languages, for ``grep``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Language(StrEnum):
    FRENCH = "fr"
    ENGLISH = "en"


#: key -> (French, English); ``str.format`` fields named alike in both
MESSAGES: Mapping[str, tuple[str, str]] = {
    "cli.error": ("erreur : {error}", "error: {error}"),
    "cli.interrupted": ("interrompu", "interrupted"),
    "service.ready": (
        "Service prêt : {url} (Ctrl-C pour arrêter)",
        "Service ready: {url} (Ctrl-C to stop)",
    ),
    "service.stopping": (
        "Arrêt demandé : plus aucun appel lancé, les appels en cours se terminent "
        "(au plus {seconds} s)…",
        "Stop requested: no new call, the calls in progress finish (at most {seconds} s)…",
    ),
    "service.stopped": (
        "Arrêté : {lines} ligne(s) d'agent libérée(s), {calls} appel(s) laissé(s) à "
        "Asterisk, {sheets} fiche(s) à finir à la prochaine connexion.",
        "Stopped: {lines} agent line(s) released, {calls} call(s) left to Asterisk, "
        "{sheets} sheet(s) to finish at the next log-in.",
    ),
    "stop.draining": (
        "arrêt : plus aucun appel lancé ; {calls} appel(s) et {sheets} fiche(s) en cours",
        "stopping: no new call; {calls} call(s) and {sheets} sheet(s) in progress",
    ),
    "stop.done": (
        "arrêt : {lines} ligne(s) d'agent libérée(s), {calls} appel(s) laissé(s) à "
        "Asterisk, {sheets} fiche(s) à finir à la prochaine connexion",
        "stopped: {lines} agent line(s) released, {calls} call(s) left to Asterisk, "
        "{sheets} sheet(s) to finish at the next log-in",
    ),
    "ledger.failing": (
        "journal des appels : écritures en échec, plus aucun appel tant qu'elles ne passent "
        "pas : {error}",
        "ledger: writes failing, dialling stops until they land: {error}",
    ),
    "ledger.back": (
        "journal des appels : les écritures passent de nouveau après {seconds:.1f} s",
        "ledger: writes land again after {seconds:.1f} s",
    ),
    "campaign.change": (
        "campagne {campaign} « {name} » : {action} par {actor}{details}",
        "campaign {campaign} “{name}”: {action} by {actor}{details}",
    ),
    "episode.change": (
        "épisode {episode} : {action} par {actor}{details}",
        "episode {episode}: {action} by {actor}{details}",
    ),
    "agent.state": (
        "agent {agent} : {before} → {after}",
        "agent {agent}: {before} → {after}",
    ),
    "ami.connected": (
        "AMI {node} : session ouverte ({host}:{port})",
        "AMI {node}: session open ({host}:{port})",
    ),
    "ami.disconnected": (
        "AMI {node} : session perdue, reconnexion",
        "AMI {node}: session lost, reconnecting",
    ),
    "ami.stopped": ("AMI {node} : session fermée", "AMI {node}: session closed"),
    "node.no_prompt": (
        "nœud {node} : le message d'information manque dans les sons d'Asterisk ; "
        "installez-le (dialer asterisk prompts) : les personnes sans agent entendraient "
        "un silence",
        "node {node}: the information message is missing from Asterisk's sounds; install "
        "it (dialer asterisk prompts): people no agent could take would hear silence",
    ),
    "node.no_session": (
        "nœud {node} : pas de session AMI en {seconds} s",
        "node {node}: no AMI session within {seconds} s",
    ),
}

_chosen = Language.FRENCH


def choose_language(language: Language | str) -> None:
    """The operator's language, from now on (once, at the edge: the ``dialer`` command)."""
    global _chosen  # noqa: PLW0603 - one choice for the whole process
    _chosen = Language(language)


def say(key: str, **values: object) -> str:
    """The message ``key`` in the chosen language, its fields filled with ``values``."""
    french, english = MESSAGES[key]
    return (french if _chosen is Language.FRENCH else english).format(**values)


def details_text(details: Mapping[str, object]) -> str:
    """`` (key=value, …)`` for a log line's details, or nothing."""
    if not details:
        return ""
    return " (" + ", ".join(f"{key}={value}" for key, value in details.items()) + ")"
