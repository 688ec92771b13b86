"""Billing schedules: instalments sum exactly to the amount due; payments fill them in order."""
import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from tui_factu import documents, payments, schedules
from tui_factu.errors import InvalidValue, StateError


def test_thirty_forty_thirty_with_dates_and_payments_in_order(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20",
                                              [{"product": "VIS", "quantity": "7"}]).id)   # 105.00 TTC
    rows = schedules.set_schedule(inv.id, "30%@0,40%@30,30%@60")
    assert [(r["due_date"], r["amount"]) for r in rows] == [
        ("2026-11-20", "31.50"), ("2026-12-20", "42.00"), ("2027-01-19", "31.50")]
    payments.pay([inv.id], "50.00", "transfer")
    assert [r["paid"] for r in schedules.of_invoice(inv.id)] == ["31.50", "18.50", "0.00"]
    assert documents.show(documents.get(inv.id))["schedule"][1]["paid"] == "18.50"
    # a new schedule on the partly paid invoice splits what remains; what was paid stands first
    rows = schedules.set_schedule(inv.id, "50%@30,50%@60")
    assert [(r["due_date"], r["amount"], r["paid"]) for r in rows] == [
        ("2026-11-20", "50.00", "50.00"), ("2026-12-20", "27.50", "0.00"), ("2027-01-19", "27.50", "0.00")]
    assert payments.due_by(documents.get(inv.id), dt.date(2026, 12, 20)) == D("27.50")
    payments.pay([inv.id], "55.00", "transfer")
    with pytest.raises(StateError, match="plus rien à échelonner"):
        schedules.set_schedule(inv.id, "50%@0,50%@30")


def test_thirds_of_a_hundred_sum_exactly(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20",
                                              [{"description": "Forfait", "quantity": "1", "unit_price": "83.33",
                                                "vat_rate": "20"}]).id)            # 100.00 TTC (99.996)
    rows = schedules.set_schedule(inv.id, "33.33%@0,33.33%@30,33.34%@60")
    assert sum(D(r["amount"]) for r in rows) == inv.due


def test_bad_splits_are_refused(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    with pytest.raises(InvalidValue, match="100 %"):
        schedules.set_schedule(inv.id, "30%@0,30%@30")
    with pytest.raises(InvalidValue, match="format"):
        schedules.set_schedule(inv.id, "trente@0")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
       st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=6))
def test_split_always_sums_to_the_total(total, weights):
    parts = [(D(w), True, i * 30) for i, w in enumerate(weights)]
    scale = D(100) / sum(D(w) for w in weights)
    parts = [(round(v * scale, 2), True, d) for v, _, d in parts]
    parts[-1] = (D(100) - sum(v for v, _, _ in parts[:-1]), True, parts[-1][2])
    if parts[-1][0] <= 0:
        return
    assert sum(schedules.split(total, parts)) == total
