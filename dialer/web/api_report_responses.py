"""The reports' answers (``/api/v1/reports/...``), typed: the shapes of
:func:`dialer.web.reports.figures_json` and :func:`dialer.web.reports.billing_json`, which
every answer is checked against and the OpenAPI document shows."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from dialer.web.api_responses import Answer


class CampaignShort(Answer):
    id: int
    name: str


class HourFigures(Answer):
    hour: int
    attempts: int
    answered: int


class AgentHandling(Answer):
    agent: str
    calls: int
    mean_s: float
    p50_s: float
    p90_s: float
    histogram: list[int] = Field(description="appels par tranche de durée")


class HandlingFigures(Answer):
    """La durée moyenne de traitement (DMT : conversation et fiche)."""

    calls: int
    mean_s: float
    p50_s: float
    p90_s: float
    histogram: list[int] = Field(description="appels par tranche de durée")
    by_agent: list[AgentHandling]


class ReportTable(Answer):
    title: str
    headers: list[str]
    rows: list[list[bool | int | float | str | None]]


class ReportFigures(Answer):
    """Le rapport d'une campagne (d'un cycle, ou de tous)."""

    campaign: CampaignShort
    cycle: int | None = Field(description="le cycle ; null : tous")
    generated_at: datetime
    register_people: int = Field(alias="register", description="personnes du registre")
    dialled: int
    answered: int
    reached: int
    useful_contacts: int
    outcomes: dict[str, int] = Field(description="tentatives par issue")
    attempts_per_person: dict[str, int] = Field(description="personnes par nombre d'essais")
    by_hour: list[HourFigures]
    dmt: HandlingFigures
    funnel: dict[str, int] = Field(description="personnes à chaque étape de l'entonnoir")
    never_reached: int = Field(description="personnes jamais jointes")
    seat_hours: float = Field(description="heures-siège : temps de connexion des agents")
    people_called: int = Field(description="personnes appelées (par cycle)")
    conversion_rate: float = Field(description="contacts utiles ÷ personnes appelées (0 à 1)")
    tables: dict[str, ReportTable] = Field(description="les tableaux du rapport, par clé")


class BillingLine(Answer):
    label: str
    quantity: str = Field(description="nombre décimal, en texte")
    unit_price: str
    amount: str


class ReconciliationIssue(Answer):
    kind: str
    label: str
    sheet_id: int
    attempt_id: str


class Reconciliation(Answer):
    """Le rapprochement des contacts facturés avec le registre des appels."""

    balanced: bool
    billed: int
    ledger_completed_attempts: int
    issues: list[ReconciliationIssue]


class BilledContact(Answer):
    attempt_id: str
    sheet_id: int
    person_id: int
    cycle_id: int
    agent: str
    submitted_at: datetime


class ReportBilling(Answer):
    """La facturation d'une campagne ; les montants sont des nombres décimaux en texte."""

    currency: str
    contacts: int
    lines: list[BillingLine]
    contacts_amount: str
    mean_handling_s: float | None
    dmt_percent: str
    dmt_amount: str
    setup_amount: str
    total_excluding_vat: str
    vat_amount: str
    total_including_vat: str
    reconciliation: Reconciliation
    billed_contacts: list[BilledContact]


class ResultAnswer(Answer):
    question_id: str
    question: str = Field(description="le libellé de la question (version utilisée)")
    answer: str = Field(description="la réponse, en clair")


class ResultAlertLine(Answer):
    id: int
    priority: int
    need: str
    team: str | None
    raised_at: datetime
    escalation_level: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    note: str = Field(description="la note d'acquittement")


class PersonResultItem(Answer):
    """Le résultat d'une personne dans un cycle."""

    cycle: int
    external_id: str
    last_name: str
    first_name: str
    district: str | None
    dialled: int = Field(description="appels passés dans le cycle")
    result: str | None = Field(description="résultat du cycle ; null : pas encore")
    disposition: str | None = Field(description="qualification de la fiche qui compte")
    agent: str | None
    submitted_at: datetime | None
    questionnaire: str | None = Field(description="« id vN » de la fiche")
    complete: bool | None
    score: float | None
    risk_level: str | None
    answers: list[ResultAnswer]
    other_answers: list[str] = Field(description="réponses d'une version inconnue")
    alerts: list[ResultAlertLine]


class PersonResultsPage(Answer):
    """Une page des résultats par personne (d'un cycle, ou de tous)."""

    campaign: CampaignShort
    cycle: int | None = Field(description="le cycle ; null : tous")
    total: int = Field(description="lignes de l'export entier (personnes × cycles)")
    items: list[PersonResultItem]
    limit: int
    offset: int
    next_offset: int | None


class EpisodeCycleFigures(Answer):
    """Un cycle de l'épisode, ou l'épisode entier (``cycle`` null)."""

    cycle: int | None
    started_at: datetime | None
    closed_at: datetime | None
    register_people: int = Field(alias="register", description="personnes du registre")
    attempted: int = Field(description="personnes appelées")
    reached: int
    useful_contacts: int
    never_reached: int
    billed: int
    contacts_amount: str = Field(description="montant HT des contacts utiles, en texte")
    seat_hours: float = Field(description="heures-siège : temps de connexion des agents")
    dmt_mean_s: float = Field(description="durée moyenne de traitement (s)")
    conversion_rate: float = Field(description="contacts utiles ÷ personnes appelées (0 à 1)")


class EpisodeFigures(Answer):
    """Le rapport d'un épisode d'alerte : chaque cycle et l'épisode entier."""

    episode: int
    campaign: CampaignShort
    generated_at: datetime
    cycles: list[EpisodeCycleFigures]
    whole: EpisodeCycleFigures
