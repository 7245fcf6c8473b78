"""Billing: hand-computed amounts, the reconciliation with the ledger, the price grid file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from dialer.core.billing import (
    CompletedSheet,
    DmtBand,
    IssueKind,
    LedgerCall,
    PriceGrid,
    SetupTier,
    VolumeBand,
    compute_bill,
    contact_lines,
    grid_problems,
    reconcile,
    setup_tier,
    skip_rule_count,
    to_cents,
)
from dialer.errors import ConfigurationError
from dialer.questionnaire_files import SHIPPED_QUESTIONNAIRES, load_questionnaires
from dialer.reports.price_grid import DEFAULT_PRICE_GRID, load_price_grid, parse_price_grid
from tests.web.support import catalog_in

D = Decimal
T0 = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)

GRID = PriceGrid(
    contacts=(VolumeBand(100, D("2.40")), VolumeBand(300, D("2.10")), VolumeBand(None, D("1.80"))),
    dmt=(DmtBand(240, D("-5")), DmtBand(420, D("0")), DmtBand(None, D("5"))),
    setup=(
        SetupTier("simple", 6, 0, D("450.00")),
        SetupTier("moyen", 20, 4, D("900.00")),
        SetupTier("complexe", None, None, D("1600.00")),
    ),
    vat_percent=D("20"),
)


def test_bill_by_hand() -> None:
    # 100 x 2.40 = 240.00 ; 200 x 2.10 = 420.00 ; 50 x 1.80 = 90.00 -> 750.00
    # DMT 500 s: band > 420 s, +5 % of 750.00 = 37.50 ; set-up "moyen" 900.00
    # HT 1687.50 ; TVA 20 % 337.50 ; TTC 2025.00
    bill = compute_bill(GRID, contacts=350, mean_handling_s=500.0, setup=GRID.setup[1])
    assert [(line.quantity, line.unit_price, line.amount) for line in bill.contact_lines] == [
        (D(100), D("2.40"), D("240.00")),
        (D(200), D("2.10"), D("420.00")),
        (D(50), D("1.80"), D("90.00")),
    ]
    assert bill.contacts_amount == D("750.00")
    assert bill.dmt_percent == D(5)
    assert bill.dmt_amount == D("37.50")
    assert bill.setup_amount == D("900.00")
    assert bill.total_excluding_vat == D("1687.50")
    assert bill.vat_amount == D("337.50")
    assert bill.total_including_vat == D("2025.00")
    assert bill.contact_lines[0].label == "Contacts utiles, tranche 1 à 100"
    assert bill.contact_lines[2].label == "Contacts utiles, tranche 301 et au-delà"


def test_a_cycle_continues_the_campaigns_bands() -> None:
    # contacts 61..140: 40 in the first band (61..100), 40 in the second (101..140)
    lines = contact_lines(GRID, 80, earlier_contacts=60)
    assert [(line.quantity, line.amount) for line in lines] == [
        (D(40), D("96.00")),
        (D(40), D("84.00")),
    ]


def test_bonus_band_and_cent_rounding() -> None:
    grid = PriceGrid(
        contacts=(VolumeBand(None, D("0.335")),),
        dmt=(DmtBand(240, D("-5")), DmtBand(None, D("0"))),
        setup=(SetupTier("unique", None, None, D("0")),),
        vat_percent=D("5.5"),
    )
    # 3 x 0.335 = 1.005 -> 1.01 (half up); -5 % of 1.01 = -0.0505 -> -0.05
    # HT 0.96 ; TVA 5.5 % = 0.0528 -> 0.05 ; TTC 1.01
    bill = compute_bill(grid, contacts=3, mean_handling_s=240.0, setup=None)
    assert bill.contacts_amount == D("1.01")
    assert bill.dmt_amount == D("-0.05")
    assert bill.setup_line is None
    assert bill.total_excluding_vat == D("0.96")
    assert bill.vat_amount == D("0.05")
    assert bill.total_including_vat == D("1.01")
    assert to_cents(D("2.675")) == D("2.68")


def test_no_dmt_part_without_handled_calls_and_no_contacts() -> None:
    bill = compute_bill(GRID, contacts=0, mean_handling_s=None, setup=None)
    assert bill.contact_lines == ()
    assert bill.dmt_amount == D("0")
    assert bill.total_including_vat == D("0.00")


def test_setup_tier_by_questions_and_skip_rules() -> None:
    assert setup_tier(GRID, 5, 0).name == "simple"
    assert setup_tier(GRID, 5, 1).name == "moyen"  # skip logic alone makes it medium
    assert setup_tier(GRID, 21, 0).name == "complexe"
    assert setup_tier(GRID, 12, 5).name == "complexe"


def test_questionnaire_complexity(tmp_path: Path) -> None:
    test_questionnaire = catalog_in(tmp_path).get("veille_test", 2)
    assert len(test_questionnaire.questions) == 5
    assert skip_rule_count(test_questionnaire) == 1
    for questionnaire in load_questionnaires(SHIPPED_QUESTIONNAIRES):
        shown_if = sum(1 for q in questionnaire.questions if q.show_if is not None)
        assert skip_rule_count(questionnaire) >= shown_if


def sheet(
    sheet_id: int, attempt: str, person: int, cycle: int = 1, minute: int = 0
) -> CompletedSheet:
    return CompletedSheet(
        sheet_id, attempt, person, cycle, "agent1", T0 + timedelta(minutes=minute)
    )


def test_reconciliation_ties_every_contact_to_its_call() -> None:
    calls = [
        LedgerCall("a1", 1, 1, True),
        LedgerCall("a2", 2, 1, True),
        LedgerCall("a3", 3, 1, False),  # nobody talked
        LedgerCall("a4", 2, 1, True),  # person 2 again, same cycle
        LedgerCall("a5", 4, 2, True),
        LedgerCall("a6", 5, 1, True),
    ]
    sheets = [
        sheet(1, "a1", 1, minute=1),
        sheet(2, "a2", 2, minute=2),
        sheet(3, "a3", 3, minute=3),
        sheet(4, "a4", 2, minute=4),
        sheet(5, "zz", 6, minute=5),  # no such call
        sheet(6, "a5", 4, cycle=1, minute=6),  # the call is of cycle 2
        sheet(7, "a1", 1, minute=7),  # a second sheet on one call
        sheet(8, "a6", 5, minute=8),
    ]
    result = reconcile(sheets, calls)
    assert [c.attempt_id for c in result.billed] == ["a1", "a2", "a6"]
    assert {(i.kind, i.sheet_id) for i in result.issues} == {
        (IssueKind.NOT_BRIDGED, 3),
        (IssueKind.DUPLICATE_PERSON, 4),
        (IssueKind.NO_CALL, 5),
        (IssueKind.MISMATCH, 6),
        (IssueKind.DUPLICATE_ATTEMPT, 7),
    }
    assert result.billed_count == 3
    assert result.ledger_completed_attempts == 4  # a1, a2, a4, a6
    assert not result.balanced


def test_a_clean_ledger_balances() -> None:
    calls = [LedgerCall("a1", 1, 1, True), LedgerCall("a2", 1, 2, True)]
    result = reconcile([sheet(1, "a1", 1), sheet(2, "a2", 1, cycle=2)], calls)
    assert result.balanced
    assert result.billed_count == result.ledger_completed_attempts == 2


def test_the_shipped_grid_loads() -> None:
    grid = load_price_grid()
    assert grid.contacts[0] == VolumeBand(5000, D("2.40"))
    assert grid.contacts[-1].up_to is None
    assert grid.dmt[-1].up_to_s is None
    assert [tier.name for tier in grid.setup] == ["simple", "moyen", "complexe"]
    assert grid_problems(grid) == []
    assert load_price_grid(DEFAULT_PRICE_GRID) == grid


GOOD = """
currency = "EUR"
vat_percent = "20"
[[contacts]]
up_to = 10
unit_price = "2.00"
[[contacts]]
unit_price = "1.50"
[[dmt]]
percent = "0"
[[setup]]
name = "unique"
price = "100"
"""


def test_a_custom_grid(tmp_path: Path) -> None:
    path = tmp_path / "grille.toml"
    path.write_text(GOOD, encoding="utf-8")
    grid = load_price_grid(path)
    assert grid.contacts == (VolumeBand(10, D("2.00")), VolumeBand(None, D("1.50")))
    bill = compute_bill(grid, contacts=12, mean_handling_s=100.0, setup=grid.setup[0])
    assert bill.total_excluding_vat == D("123.00")  # 20.00 + 3.00 + 100


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (('unit_price = "2.00"', 'unit_price = "deux"'), "contacts[0].unit_price"),
        (("up_to = 10", "up_to = -3"), "contacts[0].up_to"),
        (('unit_price = "1.50"', 'unit_price = "1.50"\nup_to = 5'), "contacts[1].up_to"),
        (('percent = "0"', 'percent = "0"\nbonus = 1'), "dmt[0].bonus"),
        (('name = "unique"', "name = 3"), "setup[0].name"),
        (('name = "unique"', 'name = "unique"\nmax_questions = 4'), "setup[0]"),
        (('vat_percent = "20"', 'vat_percent = "-1"'), "vat_percent"),
        (("[[dmt]]\npercent", "[[dmtx]]\npercent"), "dmtx"),
    ],
)
def test_a_bad_grid_names_the_file_and_the_field(
    tmp_path: Path, change: tuple[str, str], field: str
) -> None:
    path = tmp_path / "grille.toml"
    path.write_text(GOOD.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_price_grid(path)
    assert str(path) in str(caught.value)
    assert f"{field}:" in str(caught.value)


def test_an_unreadable_grid() -> None:
    with pytest.raises(ConfigurationError, match="grille tarifaire illisible"):
        load_price_grid(Path("/nonexistent/grille.toml"))
    with pytest.raises(ConfigurationError, match=r"g\.toml : TOML invalide"):
        parse_price_grid("[[contacts]\n", source="g.toml")
