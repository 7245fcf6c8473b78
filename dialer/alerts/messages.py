"""What an alert, or a cycle's never-reached list, says to an intervention team: the
e-mail (French) and the webhook body."""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

from dialer.core.labels import NEED_LABELS, OUTCOME_LABELS, PHONE_KIND_LABELS, never_reached_text
from dialer.core.questionnaire import Need
from dialer.core.windows import PARIS
from dialer.storage.alert_rows import Alert, DeliveryReason
from dialer.storage.alerts import DeliveryJob
from dialer.storage.models import Person
from dialer.storage.never_reached import ListDeliveryJob, ListLine, TeamList, trace_steps
from dialer.storage.visits import VISIT_KEY_PREFIX

#: what the outbox sends: an alert's message, or a never-reached list's
OutboxJob: TypeAlias = DeliveryJob | ListDeliveryJob


def need_label(need: str) -> str:
    """An alert's need in French (a need no longer known is shown as stored)."""
    try:
        return NEED_LABELS[Need(need)]
    except ValueError:
        return need


def local_time(moment: datetime, zone: ZoneInfo = PARIS) -> str:
    """``13/07/2026 à 11:02`` in the city's time zone."""
    return moment.astimezone(zone).strftime("%d/%m/%Y à %H:%M")


def age_on(birth: date | None, today: date) -> int | None:
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def person_name(person: Person) -> str:
    return " ".join(part for part in (person.first_name, person.last_name.upper()) if part)


def person_address(person: Person) -> str:
    parts = [person.address or "", " ".join(p for p in (person.postcode, person.city) if p)]
    return ", ".join(part for part in parts if part)


def is_visit(alert: Alert) -> bool:
    """A field visit request (:mod:`dialer.alerts.visits`), not a questionnaire's alert."""
    return alert.sheet_id is None and alert.key.startswith(VISIT_KEY_PREFIX)


def email_subject(job: DeliveryJob) -> str:
    alert, person = job.alert, job.person
    kind = "Demande de visite" if is_visit(alert) else "Alerte"
    head = f"[{kind} P{alert.priority}] {need_label(alert.need)} — {person_name(person)}"
    if person.district:
        head += f" ({person.district})"
    if job.delivery.reason is DeliveryReason.ESCALATED:
        head = f"[Escalade, niveau {job.delivery.escalation_level}] {head}"
    return head


def email_body(job: DeliveryJob, *, inbox_url: str, zone: ZoneInfo = PARIS) -> str:
    alert, person = job.alert, job.person
    lines = [f"Alerte P{alert.priority} — {need_label(alert.need)}"]
    if job.team is not None:
        lines.append(f"Équipe : {job.team.name}")
    if alert.routed_to_default:
        lines.append(
            "Transmise à l'équipe par défaut : aucune équipe ne couvre ce quartier et ce besoin."
        )
    lines.append(f"Levée le {local_time(alert.raised_at, zone)} par l'agent {alert.raised_by}.")
    if job.delivery.reason is DeliveryReason.ESCALATED:
        lines.append(
            f"ESCALADE : cette alerte n'a pas été prise en charge à temps par l'équipe "
            f"(niveau d'escalade {job.delivery.escalation_level})."
        )
    lines += ["", alert.message, ""]
    lines.append(f"Personne : {person_name(person)}")
    age = age_on(person.birth_date, alert.raised_at.astimezone(zone).date())
    if age is not None:
        lines.append(f"Âge : {age} ans")
    address = person_address(person)
    if address:
        lines.append(f"Adresse : {address}")
    if person.district:
        lines.append(f"Quartier : {person.district}")
    for phone in person.phones:
        lines.append(f"Téléphone ({PHONE_KIND_LABELS[phone.kind]}) : {phone.e164}")
    if person.contact_name or person.contact_phone:
        contact = " ".join(p for p in (person.contact_name, person.contact_phone) if p)
        lines.append(f"Proche ou aidant : {contact}")
    if alert.because:
        lines += ["", "Réponses à l'origine de l'alerte :"]
        lines += [f"- {r['question_text']} — {r['answer_label']}" for r in alert.because]
    if alert.agent_instructions:
        lines += ["", "Consignes affichées à l'agent pendant l'appel :", alert.agent_instructions]
    lines += ["", f"Prendre en charge l'alerte dans la boîte d'alertes : {inbox_url}"]
    return "\n".join(lines) + "\n"


def email_message(job: OutboxJob, *, sender: str, inbox_url: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = job.delivery.target
    if isinstance(job, ListDeliveryJob):
        message["Subject"] = list_subject(job.team_list)
        message["X-Dialer-Never-Reached-List"] = str(job.team_list.list.id)
        message.set_content(list_body(job.team_list, inbox_url=inbox_url))
    else:
        message["Subject"] = email_subject(job)
        message["X-Dialer-Alert"] = str(job.alert.id)
        message.set_content(email_body(job, inbox_url=inbox_url))
    return message


def alert_document(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "priority": alert.priority,
        "need": alert.need,
        "need_label": need_label(alert.need),
        "message": alert.message,
        "raised_at": alert.raised_at.isoformat(),
        "raised_by": alert.raised_by,
        "routed_to_default": alert.routed_to_default,
        "escalation_level": alert.escalation_level,
        "risk_level": alert.risk_level,
        "because": alert.because,
        "agent_instructions": alert.agent_instructions,
    }


def webhook_body(job: OutboxJob, *, inbox_url: str) -> dict[str, Any]:
    """The webhook's JSON document: the alert and the person (or the never-reached list),
    or, for a team whose webhook is set to carry a link only, ids and a link (no personal
    data: the team reads the rest in its inbox, logged in)."""
    if isinstance(job, ListDeliveryJob):
        return list_webhook_body(job, inbox_url=inbox_url)
    person = job.person
    visit = is_visit(job.alert)
    if job.delivery.reason is DeliveryReason.ESCALATED:
        event = "visit.escalated" if visit else "alert.escalated"
    else:
        event = "visit.requested" if visit else "alert.raised"
    if job.team is not None and job.team.webhook_link_only:
        alert = job.alert
        return {
            "event": event,
            "delivery_id": job.delivery.id,
            "team": job.team.name,
            "alert": {
                "id": alert.id,
                "priority": alert.priority,
                "need": alert.need,
                "need_label": need_label(alert.need),
                "raised_at": alert.raised_at.isoformat(),
                "escalation_level": alert.escalation_level,
            },
            "link": f"{inbox_url}#alerte-{alert.id}",
        }
    return {
        "event": event,
        "delivery_id": job.delivery.id,
        "team": job.team.name if job.team is not None else None,
        "alert": alert_document(job.alert),
        "person": person_document(person),
        "inbox_url": inbox_url,
    }


def person_document(person: Person) -> dict[str, Any]:
    return {
        "id": person.id,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_date": person.birth_date.isoformat() if person.birth_date else None,
        "address": person.address,
        "postcode": person.postcode,
        "city": person.city,
        "district": person.district,
        "phones": [phone.e164 for phone in person.phones],
        "contact_name": person.contact_name,
        "contact_phone": person.contact_phone,
    }


# ---- a cycle's never-reached list -----------------------------------------------------
def list_subject(team_list: TeamList) -> str:
    cycle = team_list.cycle
    count = len(team_list.lines)
    return (
        f"[Jamais joints] {cycle.campaign_name} — cycle {cycle.number} : "
        f"{count} personne{'s' if count > 1 else ''} à visiter"
    )


def line_reason(line: ListLine) -> str:
    return never_reached_text(line.entry.reason, line.entry.attempts)


def trace_text(line: ListLine, zone: ZoneInfo = PARIS) -> list[str]:
    """``13/07/2026 à 11:02 — +33145678910 : pas de réponse``, one per attempt."""
    return [
        f"{local_time(step.at, zone)} — {step.number} : "
        + (OUTCOME_LABELS[step.outcome] if step.outcome else "sans issue enregistrée")
        for step in trace_steps(line.entry)
    ]


def list_body(team_list: TeamList, *, inbox_url: str, zone: ZoneInfo = PARIS) -> str:
    cycle = team_list.cycle
    closed = cycle.closed_at or team_list.list.published_at
    lines = [
        f"Personnes jamais jointes — {cycle.campaign_name}, cycle {cycle.number}",
        f"Cycle du {local_time(cycle.started_at, zone)} au {local_time(closed, zone)}.",
        "Le téléphone n'a pas permis de les joindre : une visite est à organiser.",
        "",
    ]
    for index, line in enumerate(team_list.lines, start=1):
        person = line.person
        lines.append(f"{index}. {person_name(person)} — {line_reason(line)}")
        address = person_address(person)
        if address:
            lines.append(f"   Adresse : {address}")
        if person.district:
            lines.append(f"   Quartier : {person.district}")
        for phone in person.phones:
            lines.append(f"   Téléphone ({PHONE_KIND_LABELS[phone.kind]}) : {phone.e164}")
        if person.contact_name or person.contact_phone:
            contact = " ".join(p for p in (person.contact_name, person.contact_phone) if p)
            lines.append(f"   Proche ou aidant : {contact}")
        lines += [f"   Tentative : {text}" for text in trace_text(line, zone)]
        lines.append("")
    lines.append(f"La liste est aussi dans la boîte d'alertes de l'équipe : {inbox_url}")
    return "\n".join(lines) + "\n"


def list_webhook_body(job: ListDeliveryJob, *, inbox_url: str) -> dict[str, Any]:
    team_list, cycle = job.team_list, job.team_list.cycle
    if job.team is not None and job.team.webhook_link_only:
        return {
            "event": "never_reached.published",
            "delivery_id": job.delivery.id,
            "team": job.team.name,
            "list_id": team_list.list.id,
            "cycle": {"campaign_id": cycle.campaign_id, "number": cycle.number},
            "people": len(team_list.lines),
            "link": f"{inbox_url}#jamais-joints-{team_list.list.id}",
        }
    return {
        "event": "never_reached.published",
        "delivery_id": job.delivery.id,
        "team": job.team.name if job.team is not None else None,
        "list_id": team_list.list.id,
        "cycle": {
            "campaign_id": cycle.campaign_id,
            "campaign": cycle.campaign_name,
            "number": cycle.number,
            "started_at": cycle.started_at.isoformat(),
            "deadline": cycle.deadline.isoformat(),
            "closed_at": cycle.closed_at.isoformat() if cycle.closed_at else None,
        },
        "people": [
            {
                "person": person_document(line.person),
                "result": line.entry.result.value,
                "reason": line.entry.reason.value if line.entry.reason else "no_valid_number",
                "reason_label": line_reason(line),
                "attempts": [step.document() for step in trace_steps(line.entry)],
            }
            for line in team_list.lines
        ],
        "inbox_url": inbox_url,
    }
