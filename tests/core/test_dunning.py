"""Reminders as the person who chases payments sees them: each level once, on its day, none in
dispute; the penalty invoice the law allows."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import catalog, documents, dunning, payments, settings
from tui_factu.errors import InvalidValue, StateError

d = dt.date


def _late_invoice(shop, issued="2026-10-02"):
    catalog.update_company({"late_penalty_rate": "12.15"})
    inv = documents.validate(documents.create("invoice", "C1", issued, [{"product": "VIS", "quantity": "8"}]).id)
    assert inv.due_date == d(2026, 11, 1)                       # 30 days
    return inv


def test_each_level_once_on_its_day(shop):
    inv = _late_invoice(shop)
    assert dunning.due(d(2026, 11, 7)) == []                     # 6 days late: nothing yet
    first = dunning.due(d(2026, 11, 8))
    assert [(p["invoice"], p["level"], p["days_late"], p["balance"]) for p in first] == [(inv.number, 1, 7, "120.00")]
    assert dunning.record(first, d(2026, 11, 8), "paper") == first
    assert dunning.due(d(2026, 11, 8)) == []                     # the same day again: nothing new
    assert dunning.record(first, d(2026, 11, 8), "paper") == []  # and never twice
    payments.pay([inv.id], "20.00", "cheque", "2026-11-10", "CHQ-1")
    second = dunning.due(d(2026, 11, 16))
    assert [(p["level"], p["balance"]) for p in second] == [(2, "100.00")]
    dunning.record(second, d(2026, 11, 16), "mail")
    third = dunning.due(d(2026, 12, 1))
    assert [p["level"] for p in third] == [3] and "mise en demeure" in dunning.letter_text(third[0], d(2026, 12, 1)).lower()
    dunning.record(third, d(2026, 12, 1), "paper")
    assert dunning.due(d(2026, 12, 31)) == []                    # after the last level, nothing more
    assert [(h["level"], h["channel"]) for h in dunning.history(inv.id)] == [(1, "paper"), (2, "mail"), (3, "paper")]


def test_a_dispute_suspends_reminders_and_its_end_resumes_them(shop):
    inv = _late_invoice(shop)
    dunning.open_dispute(inv.number, "Livraison incomplète")
    assert dunning.due(d(2026, 11, 20)) == []
    dunning.close_dispute(inv.number)
    assert [p["level"] for p in dunning.due(d(2026, 11, 20))] == [2]


def test_a_late_first_reminder_starts_at_the_level_reached(shop):
    _late_invoice(shop)
    assert [p["level"] for p in dunning.due(d(2026, 12, 15))] == [3]


def test_the_penalty_invoice_bills_interest_and_the_indemnity_outside_vat(shop):
    inv = _late_invoice(shop)
    draft = dunning.penalty(inv.number, d(2026, 12, 1))         # 30 days late on 120.00 at 12.15 %
    lines = documents.show(draft)["lines"]
    assert [ln["net_amount"] for ln in lines] == ["1.20", "40.00"]   # 120 × 12.15 % × 30 / 365 = 1.198…
    assert {ln["vat_category"] for ln in lines} == {"O"}
    issued = documents.validate(draft.id)
    assert issued.grand_total == D("41.20") and issued.tax_total == 0
    payments.pay([inv.id], "120.00", "transfer", "2026-12-01", "VIR")
    with pytest.raises(StateError, match="n'est pas en retard"):
        dunning.penalty(inv.number, d(2026, 12, 2))


def test_levels_are_a_checked_setting(shop):
    settings.set_value("dunning.levels", "10, 20")
    assert [lv[:2] for lv in dunning.levels()] == [(1, 10), (2, 20)]
    with pytest.raises(InvalidValue, match="croissants"):
        settings.set_value("dunning.levels", "30,15")


def test_the_board_lists_due_then_reminded_then_disputed_and_a_stale_proposal_is_skipped(shop):
    first = _late_invoice(shop)
    second, third = (documents.validate(documents.create("invoice", "C1", day, [{"product": "VIS", "quantity": "8"}]).id)
                     for day in ("2026-10-03", "2026-10-04"))     # 29 and 28 days late: a letter is due
    dunning.record([p for p in dunning.due() if p["invoice"] == second.number], d(2026, 12, 1), "paper")
    dunning.open_dispute(third.number, "Prix contesté")
    assert [(r["invoice"], r["level"], r["sent"], r["dispute"]) for r in dunning.board()] == \
        [(first.number, 3, 0, False), (second.number, None, 2, False), (third.number, None, 0, True)]
    stale = dunning.due()
    payments.pay([first.id], "120.00", "transfer", "2026-12-01", "VIR")
    assert dunning.record(stale, d(2026, 12, 1), "mail") == []          # paid meanwhile: nothing recorded
    assert dunning.history(first.id) == []
