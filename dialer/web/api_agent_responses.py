"""The agent's screen's answers (``/api/v1/agent/...``), typed: the shapes of
:func:`dialer.web.screens.state_json`, :meth:`dialer.desk.call_view.CallViews.view` and
:func:`dialer.desk.questionnaire_json.progress_json`, which every answer is checked against
(:func:`dialer.web.api_responses.checked`) and the OpenAPI document shows."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from dialer.web.api_responses import Answer


class AgentScreenState(Answer):
    """L'état de l'agent dans le moteur d'appels."""

    state: str = Field(description="ready, paused, on_call, wrap_up, logged_out...")
    label: str = Field(description="l'état en français")
    seconds: int = Field(description="secondes dans cet état")
    pause_reason: str | None
    attempt_id: str | None = Field(description="l'appel en cours")
    since_ms: int = Field(description="entrée dans l'état (ms depuis 1970)")


class OfferCalled(Answer):
    attempt_id: str = Field(description="l'appel lancé vers la personne proposée")
    state: AgentScreenState


class Emergency(Answer):
    agent_instructions: str
    message: str


class SheetProgress(Answer):
    """Où en est la fiche après ses réponses."""

    visible: list[str] = Field(description="les questions affichées")
    missing: list[str] = Field(description="les questions obligatoires sans réponse")
    complete: bool
    emergency: Emergency | None = Field(description="la consigne d'urgence médicale")


class NoteSaved(Answer):
    ok: bool


class SheetSubmitted(Answer):
    score: float | None = Field(description="absent pour un bénévole")
    risk_level: str | None = Field(description="absent pour un bénévole")
    complete: bool
    alerts: int = Field(description="alertes levées")
    wrap_up: str = Field(description="done, after_call ou none")
    state: AgentScreenState


class PersonPhone(Answer):
    e164: str
    display: str
    kind: str
    shared: bool = Field(description="numéro partagé avec une autre personne")


class PersonContact(Answer):
    name: str | None
    phone: str | None


class PersonRecord(Answer):
    """La fiche de registre de la personne."""

    id: int
    first_name: str
    last_name: str
    name: str
    birth_date: str | None = Field(description="JJ/MM/AAAA")
    age: int | None
    address: str | None
    postcode: str | None
    city: str | None
    district: str | None
    phones: list[PersonPhone]
    contact: PersonContact | None
    flags: list[str]


class Choice(Answer):
    id: str
    label: str
    exclusive: bool = Field(
        description="la réponse « aucun » propre à la question : cochée seule, jamais avec "
        "une autre"
    )


class Question(Answer):
    id: str
    text: str
    type: str
    hint: str
    required: bool
    choices: list[Choice]
    none_box: bool = Field(
        description="l'écran ajoute sa case « Aucun de ceux-ci » (choix multiple sans réponse "
        "« aucun » propre)"
    )


class QuestionnaireView(Answer):
    id: str
    version: int
    title: str
    guidance: str
    questions: list[Question]


class EarlierAttempt(Answer):
    when: str = Field(description="JJ/MM/AAAA à HH:MM, heure locale")
    outcome: str
    agent: str | None


class LabelledAnswer(Answer):
    question: str
    answer: str


class EarlierSheet(Answer):
    when: str
    cycle_id: int
    agent: str
    disposition: str
    risk_level: str | None
    score: float | None
    note: str
    questionnaire: str
    answers: list[LabelledAnswer]


class CallHistory(Answer):
    attempts: list[EarlierAttempt]
    sheets: list[EarlierSheet]


class CurrentSheet(SheetProgress):
    answers: dict[str, Any] = Field(description="réponses données, par question")
    note: str
    submitted: bool


class CampaignName(Answer):
    name: str


class DebriefSeen(Answer):
    """Un bilan d'un appel précédent au foyer (écran du bénévole)."""

    when: str
    volunteer: str
    text: str
    flagged: bool = Field(description="situation à signaler")
    answer: str | None = Field(description="la réponse du coordinateur")
    answered_by: str | None


class LineHolder(Answer):
    """Une personne du registre sur le numéro qui appelle (ligne partagée)."""

    id: int
    name: str
    age: int | None


class CallView(Answer):
    """Tout ce que l'écran de l'agent montre de l'appel."""

    attempt_id: str
    number: str
    number_display: str
    cycle_id: int
    person: PersonRecord
    relative_call: bool = Field(description="un appel au proche de la personne")
    inbound_call: bool = Field(
        default=False, description="la personne a appelé le numéro de la campagne"
    )
    veille_sociale: bool = Field(
        default=False,
        description="ménage de la liste de veille sociale appelé dans une campagne d'urgence "
        "avec son accord (badge « veille sociale »)",
    )
    line_holders: list[LineHolder] = Field(
        default_factory=list,
        description="ligne partagée : les personnes du registre sur ce numéro (l'agent "
        "choisit qui est au téléphone)",
    )
    campaign: CampaignName
    questionnaire: QuestionnaireView
    history: CallHistory
    sheet: CurrentSheet
    debriefs: list[DebriefSeen] = Field(
        default_factory=list,
        description="bénévole : les bilans des appels précédents au foyer (seulement eux)",
    )
