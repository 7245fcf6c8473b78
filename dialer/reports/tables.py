"""Every table of a report, in one shape (title, headers, rows of typed cells) that the web
page, the CSV and XLSX exports and the PDF all read. French titles and headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from dialer.core.billing import Bill
from dialer.core.labels import DMT_BUCKET_NAMES, ISSUE_LABELS
from dialer.core.phones import spreadsheet_number
from dialer.core.seat_time import seat_hours
from dialer.reports.service import Report

Cell = str | int | float | Decimal | datetime | None


@dataclass(frozen=True)
class Table:
    key: str  # file name and URL part: ascii, no space
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def percent(share: float) -> float:
    return round(share * 100, 1)


def seconds(value: float) -> float:
    return round(value, 1)


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M") if moment else ""


def key_figures(report: Report) -> Table:
    f = report.figures
    billing = report.billing
    rows: list[tuple[Cell, ...]] = [
        ("Personnes au registre (par cycle)", f.register),
        ("Appels passés", f.dialled),
        ("Appels décrochés par une personne", f.answered),
        ("Taux de réponse (%)", percent(f.answer_rate)),
        ("Personnes jointes (mises en relation avec un agent)", f.reached),
        ("Contacts utiles (questionnaire complet)", f.useful_contacts),
        ("Taux de contacts utiles sur le registre (%)", percent(f.useful_contact_rate)),
        ("Appels traités par un agent", f.dmt_overall.calls),
        ("Appels reçus pris par un agent (la personne a appelé)", f.inbound[0]),
        ("DMT moyenne (s)", seconds(f.dmt_overall.mean_handling_s)),
        ("Heures-siège (agents connectés)", seat_hours(f.seat_seconds)),
        ("Personnes appelées", f.people_called),
        ("Taux de conversion : contacts utiles ÷ appelées (%)", percent(f.conversion_rate)),
        ("Personnes à suivre sur le terrain", len(f.follow_up)),
        ("Alertes levées", len(f.alerts)),
        ("Alertes acquittées", sum(1 for a in f.alerts if a.acknowledged_at is not None)),
        ("Contacts facturés", billing.billed_contacts),
        ("Total HT (€)", billing.bill.total_excluding_vat),
        ("Rapprochement avec le registre des appels", reconciliation_status(report)),
    ]
    return Table("chiffres_cles", "Chiffres clés", ("Indicateur", "Valeur"), tuple(rows))


def reconciliation_status(report: Report) -> str:
    rec = report.billing.reconciliation
    if rec.balanced:
        status = f"conforme : {rec.billed_count} contact(s), chacun relié à son appel"
    else:
        status = (
            f"{len(rec.issues)} écart(s) : {rec.billed_count} facturé(s) pour "
            f"{rec.ledger_completed_attempts} appel(s) avec questionnaire complet"
        )
    kept = report.billing.kept
    if kept:
        numbers = report.rows.cycle_numbers
        cycles = ", ".join(str(numbers.get(p.cycle_id, "?")) for p in kept)
        status += (
            f" ; cycle(s) {cycles} purgé(s) (durée de conservation) : "
            f"{sum(p.billed_contacts for p in kept)} contact(s) d'après les totaux conservés"
        )
    return status


def outcomes(report: Report) -> Table:
    rows = tuple((line.label, line.count, percent(line.share)) for line in report.figures.outcomes)
    total: tuple[Cell, ...] = ("Total", report.figures.dialled, 100.0 if rows else 0.0)
    return Table("issues", "Issues des appels", ("Issue", "Appels", "Part (%)"), (*rows, total))


def attempts_per_person(report: Report) -> Table:
    return Table(
        "tentatives_par_personne",
        "Tentatives par personne",
        ("Tentatives", "Personnes", "Part (%)"),
        tuple((b.label, b.people, percent(b.share)) for b in report.figures.attempts_per_person),
    )


def by_hour(report: Report) -> Table:
    return Table(
        "reponse_par_heure",
        "Taux de réponse par heure",
        ("Heure", "Appels", "Décrochés", "Taux de réponse (%)"),
        tuple(
            (f"{h.hour:02d}h", h.attempts, h.answered, percent(h.rate))
            for h in report.figures.by_hour
        ),
    )


def dmt_by_agent(report: Report) -> Table:
    headers = (
        "Agent",
        "Appels traités",
        "DMT moyenne (s)",
        "Médiane (s)",
        "90e centile (s)",
        "Conversation moyenne (s)",
        "Post-appel moyen (s)",
        *DMT_BUCKET_NAMES,
    )
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (
            a.agent,
            a.calls,
            seconds(a.mean_s),
            seconds(a.p50_s),
            seconds(a.p90_s),
            seconds(a.mean_talk_s),
            seconds(a.mean_wrap_up_s),
            *a.histogram,
        )
        for a in report.figures.dmt_by_agent
    )
    overall = report.figures.dmt_overall
    total: tuple[Cell, ...] = (
        "Tous les agents",
        overall.calls,
        seconds(overall.mean_handling_s),
        seconds(overall.median_handling_s),
        seconds(overall.p90_handling_s),
        seconds(overall.mean_talk_s),
        seconds(overall.mean_wrap_up_s),
        *report.figures.dmt_histogram,
    )
    return Table("dmt_par_agent", "DMT par agent", headers, (*rows, total))


def follow_up(report: Report) -> Table:
    zone = report.zone
    rows = tuple(
        (
            line.person.last_name,
            line.person.first_name,
            line.person.external_id,
            line.person.full_address,
            line.person.district or "",
            " / ".join(spreadsheet_number(number) for number in line.person.phones),
            line.cycle,
            line.reason,
            len(line.attempts),
            " | ".join(
                f"{local_time(t.at, zone)} {spreadsheet_number(t.number)} : {t.outcome}"
                for t in line.attempts
            ),
        )
        for line in report.figures.follow_up
    )
    return Table(
        "jamais_joints",
        "Personnes jamais jointes (suivi terrain)",
        (
            "Nom",
            "Prénom",
            "Identifiant",
            "Adresse",
            "Quartier",
            "Téléphones",
            "Cycle",
            "Motif",
            "Tentatives",
            "Détail des tentatives (heure, numéro : issue)",
        ),
        rows,
    )


def alert_log(report: Report) -> Table:
    rows = tuple(
        (
            a.id,
            a.cycle,
            a.raised_at,
            a.raised_by,
            a.person.full_name if a.person else "",
            (a.person.district or "") if a.person else "",
            a.team,
            a.priority,
            a.need,
            a.message,
            a.escalation_level,
            a.acknowledged_at,
            a.acknowledged_by or "",
        )
        for a in report.figures.alerts
    )
    return Table(
        "alertes",
        "Journal des alertes",
        (
            "N°",
            "Cycle",
            "Levée le",
            "Levée par",
            "Personne",
            "Quartier",
            "Équipe",
            "Priorité",
            "Besoin",
            "Message",
            "Niveau d'escalade",
            "Acquittée le",
            "Acquittée par",
        ),
        rows,
    )


def funnel(report: Report) -> Table:
    return Table(
        "entonnoir",
        "Entonnoir",
        ("Étape", "Nombre"),
        tuple((step.label, step.count) for step in report.figures.funnel),
    )


def bill_rows(bill: Bill) -> list[tuple[Cell, ...]]:
    rows: list[tuple[Cell, ...]] = [
        (line.label, int(line.quantity), line.unit_price, line.amount)
        for line in bill.contact_lines
    ]
    rows.append(("Sous-total contacts utiles", None, None, bill.contacts_amount))
    dmt = "sans objet" if bill.mean_handling_s is None else f"{bill.mean_handling_s:.0f} s"
    rows.append(
        (
            f"Part variable DMT (DMT moyenne {dmt}, {bill.dmt_percent} %)",
            None,
            None,
            bill.dmt_amount,
        )
    )
    if bill.setup_line is not None:
        line = bill.setup_line
        rows.append((line.label, int(line.quantity), line.unit_price, line.amount))
    rows.append(("Total HT", None, None, bill.total_excluding_vat))
    rows.append((f"TVA {bill.vat_percent} %", None, None, bill.vat_amount))
    rows.append(("Total TTC", None, None, bill.total_including_vat))
    return rows


def billing(report: Report) -> Table:
    rows = bill_rows(report.billing.bill)
    complexity = report.billing.complexity
    if complexity is not None:
        note = (
            f"Questionnaire {complexity.questionnaire} : {complexity.questions} questions, "
            f"{complexity.skip_rules} règle(s) de saut, niveau {complexity.tier.name}"
            + ("" if report.billing.setup_billed else " (mise en place facturée avec la campagne)")
        )
        rows.append((note, None, None, None))
    rows.append((f"Rapprochement : {reconciliation_status(report)}", None, None, None))
    return Table(
        "facturation",
        f"Facturation ({report.billing.bill.currency})",
        ("Ligne", "Quantité", "Prix unitaire", "Montant"),
        tuple(rows),
    )


def billed_contacts(report: Report) -> Table:
    numbers = report.rows.cycle_numbers
    people = report.rows.people
    rows = tuple(
        (
            index,
            contact.attempt_id,
            contact.sheet_id,
            people[contact.person_id].full_name if contact.person_id in people else "",
            people[contact.person_id].external_id if contact.person_id in people else "",
            numbers.get(contact.cycle_id, 0),
            contact.agent,
            contact.submitted_at,
        )
        for index, contact in enumerate(report.billing.reconciliation.billed, start=1)
    )
    return Table(
        "contacts_factures",
        "Contacts facturés (chacun relié à son appel)",
        (
            "N°",
            "Appel (tentative)",
            "Fiche",
            "Personne",
            "Identifiant",
            "Cycle",
            "Agent",
            "Validé le",
        ),
        rows,
    )


def reconciliation_issues(report: Report) -> Table:
    numbers = report.rows.cycle_numbers
    rows = tuple(
        (
            ISSUE_LABELS[issue.kind],
            issue.sheet_id,
            issue.attempt_id,
            issue.person_id,
            numbers.get(issue.cycle_id),
        )
        for issue in report.billing.reconciliation.issues
    )
    return Table(
        "ecarts_facturation",
        "Écarts du rapprochement (non facturés)",
        ("Anomalie", "Fiche", "Appel (tentative)", "Personne (n° interne)", "Cycle"),
        rows,
    )


def all_tables(report: Report) -> list[Table]:
    return [
        key_figures(report),
        outcomes(report),
        attempts_per_person(report),
        by_hour(report),
        dmt_by_agent(report),
        funnel(report),
        follow_up(report),
        alert_log(report),
        billing(report),
        billed_contacts(report),
        reconciliation_issues(report),
    ]


def table(report: Report, key: str) -> Table | None:
    return next((t for t in all_tables(report) if t.key == key), None)


TABLE_KEYS = (
    "chiffres_cles",
    "issues",
    "tentatives_par_personne",
    "reponse_par_heure",
    "dmt_par_agent",
    "entonnoir",
    "jamais_joints",
    "alertes",
    "facturation",
    "contacts_factures",
    "ecarts_facturation",
)
