"""The French words the screens, reports and messages show for the domain's values: one
map per enumeration, each with every member (a test checks it). Pure data.

Labels are lower case where they sit inside a sentence or a table (outcomes, results,
reasons) and capitalised where they stand alone on a screen (states, roles, choices).
"""

from __future__ import annotations

from collections.abc import Callable

from dialer.core.agent_states import AgentState
from dialer.core.attempts import AttemptKind, CycleResult, Disposition
from dialer.core.billing import IssueKind
from dialer.core.call_help import SpyMode
from dialer.core.campaign_pacing import CampaignFigures
from dialer.core.campaigns import CampaignState
from dialer.core.consent import AgreedBy, ConsentChannel, ConsentGap
from dialer.core.cycles import NeverReachedReason
from dialer.core.episodes import AlertKind
from dialer.core.holds import HoldKind, OnBehalfOf
from dialer.core.inbound_match import AttachRefusal
from dialer.core.orientations import OrientationMode
from dialer.core.outcomes import CallOutcome
from dialer.core.own_line import OwnLineCall, OwnLineRefusal
from dialer.core.pacing import PacingDecision
from dialer.core.pacing_reasons import Clause, joined
from dialer.core.pacing_settings import PacingMode
from dialer.core.phones import PhoneKind
from dialer.core.planning import DoneReason
from dialer.core.questionnaire import Need
from dialer.core.relatives import RelativeOutcome, VisitOutcome, VisitReason
from dialer.core.resources import NeedKind
from dialer.core.retention import DataKind
from dialer.core.roles import Role
from dialer.core.transfers import TransferKind, TransferState
from dialer.core.wallboard import Alarm, AlarmKind, Level

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
    Disposition.OPPOSED: "Ne plus appeler (opposition de la personne ou d'un proche)",
}

CYCLE_RESULT_LABELS: dict[CycleResult, str] = {
    CycleResult.REACHED: "questionnaire complet",
    CycleResult.REFUSED: "refus",
    CycleResult.WRONG_NUMBER: "mauvais numéro",
    CycleResult.HOSPITALISED: "hospitalisé",
    CycleResult.MOVED: "a déménagé",
    CycleResult.DECEASED: "décédé",
    CycleResult.NEVER_REACHED: "jamais joint (suivi terrain)",
    CycleResult.REACHED_VIA_RELATIVE: "nouvelles données par un proche",
    CycleResult.AWAY: "absent de son domicile (selon un proche)",
    CycleResult.OPPOSED: "ne plus appeler (opposition)",
    CycleResult.WITHDRAWN: "accord retiré (plus appelé)",
    CycleResult.TAKEN_OVER: "suivi par le coordinateur",
}

#: what keeps a person out of calls (``core.holds``), as the register's owner reads it
HOLD_KIND_LABELS: dict[HoldKind, str] = {
    HoldKind.OPPOSITION: "opposition (ne plus appeler)",
    HoldKind.DECEASED: "décédé(e)",
    HoldKind.MOVED: "a déménagé",
    HoldKind.HOSPITALISED: "hospitalisé(e)",
}

#: who asked for an opposition
ON_BEHALF_LABELS: dict[OnBehalfOf, str] = {
    OnBehalfOf.PERSON: "la personne elle-même",
    OnBehalfOf.RELATIVE: "un proche, pour la personne",
}

#: why the planner stopped calling someone (a field follow-up line's detail)
DONE_REASON_LABELS: dict[DoneReason, str] = {
    DoneReason.FINAL_OUTCOME_REACHED: "issue définitive",
    DoneReason.ATTEMPTS_EXHAUSTED: "tentatives épuisées",
    DoneReason.NO_VALID_NUMBER: "aucun numéro valide",
    DoneReason.DEADLINE_REACHED: "échéance du cycle atteinte",
}

#: why a person is on a cycle's never-reached list (``core.cycles``; see
#: :func:`never_reached_text`)
NEVER_REACHED_REASON_LABELS: dict[NeverReachedReason, str] = {
    NeverReachedReason.ATTEMPTS_EXHAUSTED: "tentatives épuisées",
    NeverReachedReason.DEADLINE_REACHED: "échéance du cycle atteinte",
    NeverReachedReason.NEVER_ATTEMPTED: "jamais appelé faute de capacité",
    NeverReachedReason.RELATIVE_NO_NEWS: "le proche est sans nouvelles",
}

#: what a relative said of the person (``core.relatives``)
RELATIVE_OUTCOME_LABELS: dict[RelativeOutcome, str] = {
    RelativeOutcome.NEWS_GIVEN: "nouvelles données par le proche",
    RelativeOutcome.AWAY: "absent de son domicile",
    RelativeOutcome.HOSPITALISED: "hospitalisé",
    RelativeOutcome.MOVED: "a déménagé",
    RelativeOutcome.NEW_NUMBER: "nouveau numéro donné",
    RelativeOutcome.NO_NEWS: "pas de nouvelles",
}

#: why a field team is asked to visit someone
VISIT_REASON_LABELS: dict[VisitReason, str] = {
    VisitReason.CYCLE_END_UNREACHED: "jamais joint à la fin du cycle",
    VisitReason.RELATIVE_NO_NEWS: "son proche est sans nouvelles",
}

#: what the field team found, as its inbox offers it
VISIT_OUTCOME_LABELS: dict[VisitOutcome, str] = {
    VisitOutcome.SEEN_WELL: "Vu(e), va bien",
    VisitOutcome.HELPED: "Aidé(e) sur place",
    VisitOutcome.TAKEN_TO_HOSPITAL: "Conduit(e) à l'hôpital",
    VisitOutcome.ABSENT: "Absent(e)",
    VisitOutcome.DECEASED: "Décédé(e)",
    VisitOutcome.REFUSED: "A refusé la visite",
}

#: a person on the never-reached list because no number of the register reaches them
NO_VALID_NUMBER_TEXT = "aucun numéro valide"


def never_reached_text(reason: NeverReachedReason | None, attempts: int) -> str:
    """``échéance du cycle atteinte après 2 tentatives``: why a person is on the list, with
    the count of the cycle's attempts; ``reason`` None: no valid number (a wrong number)."""
    label = NO_VALID_NUMBER_TEXT if reason is None else NEVER_REACHED_REASON_LABELS[reason]
    if attempts == 0:
        return label
    plural = "s" if attempts > 1 else ""
    return f"{label} après {attempts} tentative{plural}"


#: the kinds of alert episode
ALERT_KIND_LABELS: dict[AlertKind, str] = {
    AlertKind.HEATWAVE: "Canicule",
    AlertKind.COLD_SPELL: "Grand froid",
    AlertKind.EPIDEMIC: "Épidémie",
    AlertKind.FLOOD: "Inondation",
    AlertKind.OTHER: "Autre",
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

#: why a number may not be an agent's own line (« mon téléphone »)
OWN_LINE_REFUSAL_LABELS: dict[OwnLineRefusal, str] = {
    OwnLineRefusal.ABROAD: "seuls les numéros français de métropole (+33) sont acceptés",
    OwnLineRefusal.NOT_PERSONAL: "numéro surtaxé, spécial ou court : donnez un portable ou un fixe",
}

#: what the agent's screen says when the call to their own phone ends
OWN_LINE_CALL_LABELS: dict[OwnLineCall, str] = {
    OwnLineCall.CONFIRMED: "Votre téléphone est votre ligne. Vous êtes en pause.",
    OwnLineCall.NOT_CONFIRMED: (
        "vous n'avez pas appuyé sur 1 : votre téléphone n'est pas votre ligne et vous ne "
        "recevez pas d'appels. Cliquez « M'appeler » pour un nouvel appel"
    ),
    OwnLineCall.NOT_ANSWERED: (
        "votre téléphone n'a pas répondu. Vérifiez le numéro dans « Mon téléphone », puis "
        "cliquez « M'appeler » pour un nouvel appel"
    ),
}
OWN_LINE_CALLING = "un appel vers votre téléphone est déjà en cours : décrochez et appuyez sur 1"
OWN_LINE_TOO_MANY = "trop d'appels vers votre téléphone : réessayez dans quelques minutes"

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
    Role.VOLUNTEER: "Bénévole (veille sociale)",
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

CONSENT_CHANNEL_LABELS: dict[ConsentChannel, str] = {
    ConsentChannel.PHONE: "par téléphone",
    ConsentChannel.PAPER: "sur papier",
    ConsentChannel.ONLINE_FORM: "par formulaire en ligne",
    ConsentChannel.IN_PERSON: "en personne",
}

NEED_KIND_LABELS: dict[NeedKind, str] = {
    NeedKind.FOOD: "alimentation",
    NeedKind.MONEY_AND_RIGHTS: "argent et droits",
    NeedKind.HEALTH: "santé",
    NeedKind.HOUSING: "logement",
    NeedKind.LONELINESS: "solitude",
    NeedKind.DIGITAL: "aide numérique",
    NeedKind.OTHER: "autre",
}

ORIENTATION_MODE_LABELS: dict[OrientationMode, str] = {
    OrientationMode.INFORMATION: "Information donnée",
    OrientationMode.HANDOVER: "Mise en relation",
    OrientationMode.APPOINTMENT: "Rendez-vous pris",
}

#: the months as the reports name them (« juillet 2026 »)
MONTH_NAMES: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

AGREED_BY_LABELS: dict[AgreedBy, str] = {
    AgreedBy.PERSON: "la personne",
    AgreedBy.RELATIVE: "un proche",
}

CONSENT_GAP_LABELS: dict[ConsentGap, str] = {
    ConsentGap.NONE: "aucun accord enregistré",
    ConsentGap.WITHDRAWN: "accord retiré",
    ConsentGap.EMERGENCY_ONLY: "accord aux campagnes d'urgence seulement",
}

DATA_KIND_LABELS: dict[DataKind, str] = {
    DataKind.ANSWERS: "réponses et notes",
    DataKind.ALERTS: "alertes traitées",
    DataKind.NEVER_REACHED: "listes des jamais joints",
    DataKind.LEDGER: "journal des appels (cycles clos)",
    DataKind.AUDIT: "journal d'audit",
    DataKind.WEB_SESSIONS: "sessions web",
    DataKind.WITHDRAWN_CONSENT: "veille sociale : foyers ayant retiré leur accord",
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
    AttemptKind.RELATIVE: "Appel au proche (personne non jointe)",
    AttemptKind.INBOUND: "Appel reçu (la personne a appelé le numéro de la campagne)",
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

#: the dashboard's funnel: each stage's key in the figures, in order, with its label
FUNNEL_STAGES: tuple[tuple[str, str], ...] = (
    ("register", "Inscrits au registre"),
    ("attempted", "Appelés au moins une fois"),
    ("reached", "Joints (mis en relation avec un agent)"),
    ("complete", "Questionnaire complet"),
    ("alerts_raised", "Alertes levées"),
    ("alerts_acknowledged", "Alertes prises en charge"),
)

#: the dashboard's and episode report's escalation funnel: when the phone does not reach
#: someone (``core.relatives``)
ESCALATION_STAGES: tuple[tuple[str, str], ...] = (
    ("never_reached", "Jamais joints"),
    ("relative_called", "Proche appelé"),
    ("visit_requested", "Visite demandée"),
    ("visit_done", "Visite faite"),
)

#: the report's DMT histogram, one label per bucket of ``reports.figures.DMT_BUCKET_EDGES_S``
DMT_BUCKET_NAMES: tuple[str, ...] = (
    "< 2 min",
    "2–4 min",
    "4–6 min",
    "6–8 min",
    "8–10 min",
    "10–15 min",
    "≥ 15 min",
)
#: an attempt placed that has no outcome yet
PENDING_OUTCOME_LABEL = "en cours (sans issue)"
#: logging in: refusals that say when to come back (never whether the account exists)
SERVER_BUSY = "Le serveur vérifie déjà beaucoup de mots de passe. Réessayez dans un instant."


def too_many_attempts(seconds: int) -> str:
    """Too many login attempts (from this address, or for this account from it)."""
    wait = "une seconde" if seconds <= 1 else f"{seconds} secondes"
    return f"Trop de tentatives de connexion. Réessayez dans {wait}."


#: what erasing a person keeps, without anything that identifies them (the law or the
#: bills require it; ``storage.person_data`` and ``docs/security.md``)
KEPT_AFTER_ERASURE = (
    "le numéro interne de la personne (référencé par le registre des appels et la facturation)",
    "les tentatives d'appel : heures, issue, agent (sans le numéro composé)",
    "les fiches d'appel : issue, contact utile, score et niveau de risque (sans réponses ni note)",
    "les résultats de cycle (sans note)",
    "les alertes : équipe, priorité, heures, prise en charge (sans message ni réponses)",
    "ses accords aux appels des bénévoles et leurs retraits : dates, canal, pour quoi "
    "(la preuve que la loi demande ; sans le nom du proche qui a donné l'accord)",
    "le journal d'audit des consultations et actions la concernant, dont l'effacement",
)

#: the register fields a correction may set, as the correction form names them
PERSON_FIELD_NAMES: dict[str, str] = {
    "last_name": "Nom",
    "first_name": "Prénom",
    "birth_date": "Date de naissance (JJ/MM/AAAA)",
    "address": "Adresse",
    "postcode": "Code postal",
    "city": "Ville",
    "district": "Quartier",
    "contact_name": "Personne à prévenir",
    "contact_phone": "Téléphone de la personne à prévenir",
    "phones": "Numéros (dans l'ordre, séparés par des virgules)",
}


# ---- wallboard and French throughout (issue 23) --------------------------------------------


def _fr(value: float, digits: int = 0) -> str:
    """A number the French way: ``0,75``, ``1 000``."""
    return f"{value:,.{digits}f}".replace(",", " ").replace(".", ",")


def _pct(value: float, digits: int = 0) -> str:
    return f"{_fr(value * 100, digits)} %"


def _nb(n: float, singular: str, plural: str) -> str:
    return f"{_fr(n)} {singular if abs(n) < 2 else plural}"


#: each clause of a pacing decision in French (``v``: its values, ``t``: its text)
PACING_CLAUSE_TEXTS: dict[Clause, Callable[[tuple[float, ...], str], str]] = {
    Clause.WINDOW_CLOSED: lambda v, t: "plage d'appel fermée",
    Clause.WINDOW_CLOSING: lambda v, t: (
        f"la plage d'appel se termine à {t}, dans moins que la sonnerie "
        f"({_fr(v[0])} s) et la marge ({_fr(v[1])} s)"
    ),
    Clause.PREVIEW: lambda v, t: (
        f"aperçu : {_nb(v[0], 'agent disponible', 'agents disponibles')}, "
        f"{_nb(v[1], 'ligne libre', 'lignes libres')} → "
        f"{_nb(v[2], 'personne proposée', 'personnes proposées')}, aucun appel composé"
    ),
    Clause.FREE_AGENTS: lambda v, t: _nb(v[0], "agent disponible", "agents disponibles"),
    Clause.ANSWERED_WAITING: lambda v, t: _nb(
        v[0], "décroché en attente d'un agent", "décrochés en attente d'un agent"
    ),
    Clause.RINGING: lambda v, t: _nb(v[0], "appel qui sonne", "appels qui sonnent"),
    Clause.ANSWER_RATE: lambda v, t: f"taux de décroché {_pct(v[0])}",
    Clause.START_UP: lambda v, t: (
        f"démarrage ({_fr(v[0])} issues connues sur {_fr(v[1])} nécessaires) : "
        "un appel par agent disponible"
    ),
    Clause.DAY_BUDGET: lambda v, t: (
        f"abandons du jour {_fr(v[0])} sur {_fr(v[1])} décrochés : {_fr(v[2])} de plus "
        f"dépasseraient le plafond de {_pct(v[3])}, un appel par agent disponible"
    ),
    Clause.AT_TARGET: lambda v, t: (
        f"abandons du jour {_fr(v[0])} sur {_fr(v[1])} décrochés : taux projeté à "
        f"l'objectif de {_pct(v[2], 2)}, un appel par agent disponible"
    ),
    Clause.EXPECTED_FREE: lambda v, t: (
        f"{_fr(v[0], 1)} agent(s) de plus attendu(s) libres d'ici {_fr(v[1])} s"
    ),
    Clause.ABANDONS_TODAY: lambda v, t: f"abandons du jour {_fr(v[0])} sur {_fr(v[1])} décrochés",
    Clause.LINE_CAP: lambda v, t: (
        f"plafond de {_fr(v[0], 1)} ligne(s) par agent "
        f"({_fr(v[1])} lignes utilisées sur {_fr(v[2])})"
    ),
    Clause.ALL_LINES_USED: lambda v, t: f"les {_fr(v[0])} lignes libres sont prises",
    Clause.LINE_RISK: lambda v, t: (
        f"risque d'abandon de la ligne suivante {'au moins ' if v[0] else ''}{_pct(v[1], 2)}, "
        f"au-delà des {_pct(v[2], 2)} admis"
    ),
    Clause.BURST: lambda v, t: (
        f"probabilité de {_fr(v[0])} abandons ou plus parmi les appels en cours "
        f"{_pct(v[1], 1)}, au-delà des {_pct(v[2])} admis"
    ),
    Clause.DIAL: lambda v, t: _nb(v[0], "appel à composer", "appels à composer"),
    Clause.SPLIT: lambda v, t: (
        f"({_fr(v[0])} pour les agents disponibles + {_fr(v[1])} par anticipation)"
    ),
    Clause.ONLY_FREE_LINES: lambda v, t: f"(seulement {_nb(v[0], 'ligne libre', 'lignes libres')})",
    Clause.RESERVED_HELD: lambda v, t: (
        f"{_fr(v[0])} appel(s) réservé(s) attendent un agent : "
        f"{_fr(v[1])} appel(s) automatique(s) retenu(s)"
    ),
    Clause.NOT_STARTED: lambda v, t: "moteur d'appels pas encore démarré",
    Clause.DIALING_PAUSED: lambda v, t: "numérotation en pause",
    Clause.INBOUND_WAITING: lambda v, t: (
        f"{_nb(v[0], 'appel reçu attend', 'appels reçus attendent')} un agent : aucun appel "
        "composé avant"
    ),
    Clause.NO_CAMPAIGN: lambda v, t: "aucune campagne en cours",
    Clause.LEDGER_DOWN: lambda v, t: (
        "base de données injoignable : aucun appel tant que le journal ne s'écrit pas"
    ),
    Clause.FIRST_TICK_FAILED: lambda v, t: f"le premier calcul du rythme a échoué : {t}",
    Clause.NO_INFORMATION_MESSAGE: lambda v, t: (
        f"message d'information ou d'attente absent sur {t} : aucun appel (une personne "
        "qu'aucun agent ne prend n'entendrait que le silence) ; installez-les avec "
        "« dialer asterisk prompts »"
    ),
}


def pacing_text(decision: PacingDecision) -> str:
    """The pacer's decision explained in French (the screens), from its facts; a decision
    without facts (a test's or the rig's pacer) says only how many calls it places."""
    if not decision.facts:
        return _nb(decision.dials, "appel à composer", "appels à composer")
    return joined(
        (f.clause, PACING_CLAUSE_TEXTS[f.clause](f.values, f.text)) for f in decision.facts
    )


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate * 100:.1f}".replace(".", ",") + " %"


def campaign_figures_text(seen: CampaignFigures) -> str:
    """The figures a campaign is paced on, in French, each said to be the campaign's own
    or the whole engine's (too few calls of its own yet)."""

    def whose(group: str) -> str:
        return "propre" if group in seen.own else "ensemble"

    figures = seen.figures
    parts = [
        f"décroché {_percent(figures.answer_rate)} ({whose('answer_rate')})",
        f"abandons {_percent(figures.abandon_rate)} ({whose('abandons')})",
    ]
    if figures.talk is not None:
        parts.append(f"conversation {figures.talk.mean:.0f} s ({whose('talk')})")
    return ", ".join(parts)


#: the wallboard's alarms (:mod:`dialer.core.wallboard`)
ALARM_KIND_LABELS: dict[AlarmKind, str] = {
    AlarmKind.ABANDON_RATE: "Taux d'abandon du jour",
    AlarmKind.LONG_PAUSE: "Pause longue",
    AlarmKind.PEOPLE_WAITING: "Personnes en attente d'un agent",
    AlarmKind.CALLBACKS_OVERDUE: "Rappels en retard",
}


def _minutes(seconds: float) -> str:
    return f"{_fr(seconds // 60)} min"


def alarm_text(alarm: Alarm) -> str:
    """One alarm in a sentence, in French."""
    match alarm.kind:
        case AlarmKind.ABANDON_RATE:
            where = "atteint" if alarm.level is Level.ALARM else "approche"
            return (
                f"Taux d'abandon du jour {_pct(alarm.value, 1)} : {where} le plafond de "
                f"{_pct(alarm.limit, 1)}"
            )
        case AlarmKind.LONG_PAUSE:
            return (
                f"{alarm.agent} en pause depuis {_minutes(alarm.value)} "
                f"(seuil : {_minutes(alarm.limit)})"
            )
        case AlarmKind.PEOPLE_WAITING:
            who = _nb(alarm.value, "personne a décroché", "personnes ont décroché")
            return f"{who} : en attente d'un agent"
        case AlarmKind.CALLBACKS_OVERDUE:
            return f"{_nb(alarm.value, 'rappel en retard', 'rappels en retard')} (voir Supervision)"


#: what a supervisor does on an agent's call (:class:`dialer.core.call_help.SpyMode`)
SPY_MODE_LABELS: dict[SpyMode, str] = {
    SpyMode.LISTEN: "Écouter",
    SpyMode.WHISPER: "Parler à l'agent",
    SpyMode.BARGE: "Rejoindre l'appel",
}
#: why an agent may not attach their call coming in to the person chosen (HTTP 409)
ATTACH_REFUSAL_LABELS: dict[AttachRefusal, str] = {
    AttachRefusal.NOT_INBOUND: "ce n'est pas un appel reçu en cours",
    AttachRefusal.ON_CALL: "cette personne est déjà en ligne avec un autre agent",
    AttachRefusal.NOT_ON_LINE: "cette personne n'a pas le numéro qui appelle",
    AttachRefusal.DISPOSED: "la fiche de cet appel est déjà validée",
    AttachRefusal.OUT_OF_CALLS: (
        "cette personne ne peut pas être appelée (opposition, décès, déménagement, "
        "consentement retiré ou retirée du registre) : l'appel ne peut pas lui être rattaché"
    ),
}

HELP_RAISED_TEXT = "Demande d'aide envoyée aux superviseurs."
HELP_ACKNOWLEDGED_TEXT = "Un superviseur a pris en charge votre demande d'aide."


#: the audit journal's actions (``storage.audit``), as the journal page shows them
AUDIT_ACTION_NAMES: dict[str, str] = {
    "account.create": "Compte créé",
    "account.role": "Rôle d'un compte changé",
    "account.password_reset": "Mot de passe d'un compte réinitialisé",
    "account.password_change": "Mot de passe changé par son titulaire",
    "account.reactivate": "Compte réactivé",
    "agent.serve": "Agent affecté à une campagne",
    "agent.stop_serving": "Agent retiré d'une campagne",
    "person.add": "Personne ajoutée au registre",
    "person.update": "Fiche d'une personne modifiée",
    "person.withdraw": "Personne retirée du registre",
    "person.restore": "Personne rétablie dans le registre",
    "person.relative_objection": "Opposition d'un proche aux appels",
    "opposition.recorded": "Opposition aux appels enregistrée",
    "opposition.lifted": "Opposition aux appels levée",
    "visit.outcome": "Résultat d'une visite",
    "visit.requested": "Visite demandée à une équipe",
    "visit.escalated": "Demande de visite escaladée",
    "read.register_search": "Recherche dans le registre (appel d'un numéro inconnu)",
    "export.register_changes": "Export des changements du registre",
    "consent.recorded": "Accord aux appels de la veille sociale enregistré",
    "consent.withdrawn": "Accord aux appels de la veille sociale retiré",
    "volunteer.trained": "Formation d'un bénévole enregistrée",
    "volunteer.coordinator": "Coordinateur d'un bénévole choisi",
    "volunteer.slots": "Disponibilités d'un bénévole",
    "volunteer.household_assigned": "Foyer confié",
    "volunteer.debrief": "Bilan d'appel d'un bénévole",
    "volunteer.debrief_answered": "Réponse à un bilan de bénévole",
    "call.help_answered": "Réponse à une demande d'aide d'un bénévole",
    "resources.imported": "Annuaire des ressources importé",
    "resource.added": "Ressource ajoutée à l'annuaire",
    "resource.edited": "Ressource de l'annuaire modifiée",
    "campaign.plan": "Campagne planifiée",
    "campaign.plan_open": "Campagne planifiée ouverte",
    "campaign.plan_not_opened": "Campagne planifiée non ouverte (arrêtée avant son début)",
    "campaign.plan_close": "Campagne planifiée close",
    "account.deactivate": "Compte désactivé",
    "agent.create": "Agent créé",
    "agent.logout": "Agent déconnecté",
    "agent.sip_reset": "Compte téléphonique de l'agent renouvelé",
    "call.help_raised": "Demande d'aide pendant un appel",
    "call.help_acknowledged": "Demande d'aide prise en charge",
    "call.spy_start": "Écoute d'un appel par un superviseur",
    "call.spy_end": "Fin de l'écoute d'un appel",
    "call.transfer_start": "Transfert d'un appel",
    "call.transfer_step": "Étape d'un transfert d'appel",
    "call.transfer_end": "Fin d'un transfert d'appel",
    "inbound.unknown_taken": "Appel reçu d'un numéro inconnu, pris par un agent",
    "alert.escalated": "Alerte escaladée",
    "alert.raised": "Alerte levée",
    "api_token.create": "Jeton d'accès créé",
    "api_token.revoke": "Jeton d'accès révoqué",
    "campaign.create": "Campagne créée",
    "campaign.finish": "Campagne terminée",
    "campaign.pacing": "Rythme de la campagne modifié",
    "campaign.settings": "Réglages de la campagne modifiés",
    "campaign.pause": "Campagne mise en pause",
    "campaign.reattach": "Campagne reprise au redémarrage",
    "campaign.resume": "Campagne reprise",
    "campaign.start": "Campagne démarrée",
    "campaign.start_from_alert": "Campagne démarrée depuis l'alerte",
    "campaign.stop": "Campagne arrêtée",
    "cycle.close": "Cycle clos",
    "cycle.open": "Cycle ouvert",
    "episode.end": "Épisode d'alerte terminé",
    "episode.start": "Épisode d'alerte commencé",
    "export.csv": "Export CSV",
    "export.json": "Export JSON",
    "export.pdf": "Export PDF",
    "export.xlsx": "Export tableur",
    "household.oriented": "Ménage orienté vers une ressource",
    "household.follow_up": "Appel de suivi programmé",
    "person.correct": "Fiche de la personne corrigée",
    "person.erase": "Personne effacée",
    "person.export": "Données de la personne exportées",
    "read.alerts": "Consultation des alertes",
    "read.billing": "Consultation de la facturation",
    "read.call": "Consultation d'un appel",
    "read.caller_notes": "Consultation des notes d'appels reçus",
    "read.consent_gaps": "Consultation des foyers sans accord à la veille sociale",
    "read.person": "Consultation d'une fiche",
    "read.person.search": "Recherche de personnes",
    "read.report": "Consultation d'un rapport",
    "read.sheets": "Consultation des fiches d'appel",
    "read.volunteer_calls": "Consultation des appels de bénévoles (foyers, bilans)",
    "register.import": "Import du registre",
    "consent.import": "Import du fichier des accords à la veille sociale",
    "retention.purge": "Purge des données anciennes",
    "team.create": "Équipe créée",
    "team.members": "Membres de l'équipe modifiés",
}
#: the audit details' keys
#: a campaign's settings (:mod:`dialer.core.campaign_settings`), as the pages name them
CAMPAIGN_SETTING_NAMES: dict[str, str] = {
    "week": "plages de la semaine",
    "holiday": "plages des jours fériés",
    "closed_dates": "dates fermées",
    "open_dates": "dates ouvertes",
    "max_attempts": "tentatives au plus",
    "cycle_length_h": "durée du cycle (h)",
    "busy_delay_min": "rappel après occupé (min)",
    "no_answer_delay_min": "rappel après non-réponse (min)",
    "machine_delay_min": "rappel après répondeur (min)",
    "answered_delay_min": "rappel après décroché sans fiche (min)",
    "failure_delay_min": "rappel après échec (min)",
    "min_gap_between_attempts_min": "écart minimal entre deux appels (min)",
    "answering_machine_detection": "détection des répondeurs",
    "caller_id": "numéro présenté",
    "ring_timeout_s": "durée de sonnerie (s)",
    "questionnaire_version": "version du questionnaire",
}

AUDIT_DETAIL_NAMES: dict[str, str] = {
    **CAMPAIGN_SETTING_NAMES,
    "name": "nom",
    "stopped": "arrêtés",
    "consents": "accords",
    "trained_on": "formé le",
    "trained_by": "formé par",
    "coordinator": "coordinateur",
    "slots": "créneaux",
    "debrief": "bilan",
    "flagged": "situation signalée",
    "volunteer": "bénévole",
    "help": "demande d'aide",
    "added": "ajoutées",
    "updated": "mises à jour",
    "active": "active",
    "list": "liste",
    "starts_on": "du",
    "ends_on": "au",
    "regular_calls": "appels réguliers",
    "emergency_campaigns": "campagnes d'urgence",
    "agreed_at": "accord du",
    "agreed_by": "accord de",
    "on_behalf_of": "pour le compte de",
    "withdrawn_consent": "accord retiré",
    "priority": "priorité",
    "campaign_id": "campagne",
    "person_id": "personne",
    "resource_id": "ressource",
    "area": "zone",
    "attempt": "appel",
    "caller": "appelant",
    "cycle_id": "cycle",
    "found": "trouvés",
    "lines": "lignes",
    "node": "serveur téléphonique",
    "objected": "opposé",
    "request": "demande",
    "shared_line_choice": "choix sur une ligne partagée",
    "people": "personnes",
    "persons": "personnes",
    "offline": "hors service",
    "remote": "à distance",
    "resumed": "reprise",
    "screen_pop": "ouverture de la fiche",
    "fields": "champs",
    "user": "utilisateur",
    "expires_at": "expire le",
    "cycle": "cycle",
    "before": "avant",
    "after": "après",
    "state": "état",
    "kind": "type",
    "template": "modèle",
    "never_reached": "jamais joints",
    "ids": "numéros",
    "count": "nombre",
    "format": "format",
    "role": "rôle",
    "team": "équipe",
    "level": "niveau",
    "mode": "mode",
    "transfer": "transfert",
    "number": "numéro",
    "outcome": "issue",
    "seconds": "secondes",
    "step": "étape",
    "agent": "agent",
    "channel": "canal",
    "reason": "motif",
    "version": "version",
    "rows": "lignes",
    "offset": "à partir du rang",
    "episode": "épisode",
    "table": "tableau",
    "resource": "ressource",
    "need": "besoin",
    "due_at": "le",
    "from": "du",
    "to": "au",
    "min_cell": "seuil des petites cases",
}


#: a published count hidden by the small-cell rule (primary or secondary: they look alike; a
#: secondary one may be any size, so it never claims « fewer than 5 »)
SUPPRESSED_CELL = "secret"

#: coded values of the audit's details, in French (the consent's purposes)
AUDIT_VALUE_NAMES: dict[str, str] = {
    "regular_calls": "appels réguliers",
    "emergency_campaigns": "campagnes d'urgence",
}


def campaign_state_label(state: str) -> str:
    """A campaign's state (its code or member) as the screens show it."""
    return CAMPAIGN_STATE_LABELS[CampaignState(state)]


def audit_action_name(code: str) -> str:
    """An audit action in French (an unknown code: its family, then the code)."""
    if code in AUDIT_ACTION_NAMES:
        return AUDIT_ACTION_NAMES[code]
    family = {"read": "Consultation", "export": "Export", "campaign": "Campagne"}.get(
        code.split(".", 1)[0], "Action"
    )
    return f"{family} ({code})"


def audit_value_text(value: object) -> str:
    """A detail's value in French: oui / non / —, lists and maps spelled out."""
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if value is None:
        return "—"
    if isinstance(value, dict):
        return ", ".join(
            f"{AUDIT_DETAIL_NAMES.get(str(k), str(k))} {audit_value_text(v)}"
            for k, v in value.items()
        )
    if isinstance(value, list | tuple):
        return ", ".join(audit_value_text(v) for v in value)
    if isinstance(value, str):
        return AUDIT_VALUE_NAMES.get(value, value)
    return str(value)


def audit_details_text(details: dict[str, object]) -> str:
    """``nom : Canicule ; à distance : non``."""
    return " ; ".join(
        f"{AUDIT_DETAIL_NAMES.get(key, key)} : {audit_value_text(value)}"
        for key, value in details.items()
    )


#: the per-person results of a cycle or an episode (``dialer.reports.person_results``):
#: the columns before the questions' (one per question, headed by its text), and after
RESULT_HEADERS: tuple[str, ...] = (
    "Cycle",
    "Identifiant",
    "Nom",
    "Prénom",
    "Quartier",
    "Appels passés",
    "Résultat du cycle",
    "Qualification de l'appel",
    "Agent",
    "Fiche validée le",
    "Questionnaire",
    "Questionnaire complet",
    "Score",
    "Niveau de risque",
)
RESULT_TRAILING_HEADERS: tuple[str, ...] = (
    "Autres réponses (version du questionnaire inconnue)",
    "Alertes levées",
    "Alertes et leur suivi",
)
NO_RESULT_YET = "pas encore de résultat"
ALERT_OPEN_TEXT = "ouverte"

# ---- transfers during a call (dialer.core.transfers) ------------------------------------
TRANSFER_KIND_LABELS: dict[TransferKind, str] = {
    TransferKind.WARM: "Transfert accompagné",
    TransferKind.CONFERENCE: "Conférence à trois",
}
TRANSFER_STATE_LABELS: dict[TransferState, str] = {
    TransferState.CALLING: "Appel du tiers en cours…",
    TransferState.CONSULTING: "Vous parlez au tiers ; la personne patiente",
    TransferState.CONFERENCE: "Conférence à trois",
    TransferState.HANDED_OVER: "Personne transférée : vous avez quitté l'appel",
    TransferState.ENDED: "Transfert terminé",
}


#: the register flags a campaign's selection may require (:mod:`dialer.core.selection`)
SELECTION_FLAG_NAMES: dict[str, str] = {
    "disability": "Handicap signalé",
    "medical": "Situation médicale signalée",
}
