"""The French words the screens, reports and messages show for the domain's values: one
map per enumeration, each with every member (a test checks it). Pure data.

Labels are lower case where they sit inside a sentence or a table (outcomes, results,
reasons) and capitalised where they stand alone on a screen (states, roles, choices).
"""

from __future__ import annotations

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, CycleResult, Disposition
from dialer.core.billing import IssueKind
from dialer.core.campaigns import CampaignState
from dialer.core.outcomes import CallOutcome
from dialer.core.pacing_settings import PacingMode
from dialer.core.phones import PhoneKind
from dialer.core.planning import DoneReason
from dialer.core.questionnaire import Need
from dialer.core.roles import Role

OUTCOME_LABELS: dict[CallOutcome, str] = {
    CallOutcome.ANSWERED: "décroché",
    CallOutcome.BUSY: "occupé",
    CallOutcome.NO_ANSWER: "pas de réponse",
    CallOutcome.UNREACHABLE: "injoignable",
    CallOutcome.INVALID_NUMBER: "numéro invalide",
    CallOutcome.REJECTED: "appel refusé",
    CallOutcome.CONGESTION: "réseau saturé",
    CallOutcome.FAILED: "échec",
    CallOutcome.ABANDONED: "abandonné",
    CallOutcome.HUNG_UP: "a raccroché aussitôt",
    CallOutcome.MACHINE: "répondeur",
}

#: how an agent closes a call sheet, as the screen offers it
DISPOSITION_LABELS: dict[Disposition, str] = {
    Disposition.COMPLETE: "Questionnaire complet (contact utile)",
    Disposition.INTERRUPTED: "Appel interrompu, questionnaire incomplet",
    Disposition.REFUSED: "Refus de répondre",
    Disposition.CALLBACK: "À rappeler",
    Disposition.ABSENT: "Personne absente (un tiers a répondu)",
    Disposition.WRONG_NUMBER: "Faux numéro",
    Disposition.HOSPITALISED: "Hospitalisé(e)",
    Disposition.MOVED: "A déménagé",
    Disposition.DECEASED: "Décédé(e)",
}

CYCLE_RESULT_LABELS: dict[CycleResult, str] = {
    CycleResult.REACHED: "questionnaire complet",
    CycleResult.REFUSED: "refus",
    CycleResult.WRONG_NUMBER: "mauvais numéro",
    CycleResult.HOSPITALISED: "hospitalisé",
    CycleResult.MOVED: "a déménagé",
    CycleResult.DECEASED: "décédé",
    CycleResult.NEVER_REACHED: "jamais joint (suivi terrain)",
}

#: why the planner stopped calling someone (a field follow-up line's detail)
DONE_REASON_LABELS: dict[DoneReason, str] = {
    DoneReason.FINAL_OUTCOME_REACHED: "issue définitive",
    DoneReason.ATTEMPTS_EXHAUSTED: "tentatives épuisées",
    DoneReason.NO_VALID_NUMBER: "aucun numéro valide",
    DoneReason.DEADLINE_REACHED: "échéance du cycle atteinte",
}

#: the agent's states, as the screens show them
AGENT_STATE_LABELS: dict[AgentState, str] = {
    AgentState.LOGGED_OUT: "Téléphone non connecté",
    AgentState.PAUSED: "En pause",
    AgentState.READY: "Disponible",
    AgentState.RESERVED: "Appel en cours de mise en relation",
    AgentState.ON_CALL: "En communication",
    AgentState.WRAP_UP: "Fin d'appel : complétez la fiche",
}

CAMPAIGN_STATE_LABELS: dict[CampaignState, str] = {
    CampaignState.DRAFT: "En préparation",
    CampaignState.RUNNING: "En cours",
    CampaignState.PAUSED: "En pause",
    CampaignState.STOPPED: "Arrêtée",
    CampaignState.FINISHED: "Terminée",
}

PACING_MODE_LABELS: dict[PacingMode, str] = {
    PacingMode.PREVIEW: "Aperçu (l'agent lance chaque appel)",
    PacingMode.PROGRESSIVE: "Progressif (un appel par agent libre)",
    PacingMode.PREDICTIVE: "Prédictif (anticipe les fins d'appel)",
}

ROLE_LABELS: dict[Role, str] = {
    Role.AGENT: "Agent d'appel",
    Role.SUPERVISOR: "Superviseur",
    Role.OPERATIONS: "Exploitation",
    Role.TEAM_MEMBER: "Membre d'une équipe d'intervention",
    Role.ADMINISTRATOR: "Administrateur",
}

#: what billing's reconciliation found wrong with a call sheet
ISSUE_LABELS: dict[IssueKind, str] = {
    IssueKind.NO_CALL: "aucun appel dans le registre des appels",
    IssueKind.NOT_BRIDGED: "appel jamais mis en relation avec un agent",
    IssueKind.MISMATCH: "l'appel concerne une autre personne ou un autre cycle",
    IssueKind.DUPLICATE_ATTEMPT: "plusieurs fiches pour le même appel",
    IssueKind.DUPLICATE_PERSON: "doublon : personne déjà comptée dans ce cycle",
}

NEED_LABELS: dict[Need, str] = {
    Need.MEDICAL_EMERGENCY: "Urgence médicale",
    Need.MEDICAL: "Suivi médical",
    Need.SOCIAL: "Lien social",
    Need.HOME_HELP: "Aide à domicile",
    Need.HOUSING: "Logement",
}

PHONE_KIND_LABELS: dict[PhoneKind, str] = {
    PhoneKind.MOBILE: "portable",
    PhoneKind.LANDLINE: "fixe",
    PhoneKind.VOIP: "internet",
    PhoneKind.OTHER: "autre",
}


#: the reasons an agent may pick when pausing (free text may be added)
PAUSE_REASONS: tuple[str, ...] = (
    "Pause",
    "Repas",
    "Formation",
    "Réunion",
    "Problème technique",
    "Autre",
)
#: who places an attempt (the supervisor's page lists reserved calls nobody took in time)
ATTEMPT_KIND_LABELS: dict[AttemptKind, str] = {
    AttemptKind.AUTOMATIC: "Appel automatique",
    AttemptKind.CALLBACK: "Rappel programmé par un agent",
    AttemptKind.PREVIEW: "Appel avec agent réservé (rappel après abandon, aperçu)",
}
#: why an agent passes a person offered in preview (« Passer »)
PASS_REASONS: tuple[str, ...] = (
    "Personne déjà jointe par ailleurs",
    "Informations à vérifier avant l'appel",
    "Appel à confier à un collègue",
    "Autre",
)
#: the pause reason of an agent whose wrap-up was closed for them (``core.wrap_up``)
EXPIRED_PAUSE_REASON = "fiche non terminée (clôturée automatiquement)"
