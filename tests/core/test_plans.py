"""An order's billing plan: milestones invoiced when due, each with its share of every line."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import clock, deposits, documents, plans
from tui_factu.errors import InvalidValue, StateError


def _order():
    return documents.validate(documents.create("order", "C1", None, [
        {"product": "VIS", "quantity": "7"},           # 87.50 at 20 %
        {"product": "LIVRE", "quantity": "3"},         # 59.70 at 5.5 %
        {"product": "MO", "quantity": "1.5"}]).id)     # 67.50 at 10 %


def test_milestones_fall_due_and_close_exactly_on_the_order(shop):
    order = _order()
    today = clock.today()
    rows = plans.set_plan(order.id, "33.33%@0:Commande,33.33%@+30,33.34%@+60:Réception")
    assert [(r["percent"], r["cumulative"], r["label"]) for r in rows] == \
        [("33.33", "33.33", "Commande"), ("33.33", "66.66", ""), ("33.34", "100", "Réception")]
    first = plans.run(validate=documents.created_and_validated)                              # only the first is due today
    assert len(first) == 1 and plans.of_order(order.id)[0]["invoice"] == first[0].number
    assert "Échéance 1/3 du plan de facturation (Commande)" in first[0].notes
    # each line billed its share: 33.33 % of 87.50 = 29.16 (cumulative rounding)
    assert [ln.net_amount for ln in documents.lines_of(first[0].id)] == [D("29.16"), D("19.90"), D("22.50")]
    rest = plans.run(today + dt.timedelta(days=60), validate=documents.created_and_validated)
    assert len(rest) == 2
    invoices = first + rest
    assert sum((d.grand_total for d in invoices), D(0)) == order.grand_total
    assert sum((d.tax_total for d in invoices), D(0)) == order.tax_total
    assert plans.due(today + dt.timedelta(days=365)) == []


def test_drafts_wait_their_turn_and_a_deleted_draft_frees_its_milestone(shop):
    order = _order()
    plans.set_plan(order.id, "50%@0,50%@0")
    drafts = plans.run()
    assert len(drafts) == 1                                      # one draft per contract at a time
    second = plans.due(order_id=order.id)
    assert [m.position for m in second] == [2]
    with pytest.raises(StateError, match="brouillon .* existe déjà"):
        plans.invoice(second[0])                                 # the first draft is not validated yet
    documents.delete_draft(drafts[0].id, drafts[0].version)
    assert plans.of_order(order.id)[0]["invoice"] is None
    with pytest.raises(StateError, match="facturez d'abord l'échéance 1"):
        plans.invoice(second[0])


def test_deposits_are_deducted_along_the_plan(shop):
    order = _order()
    dep = documents.validate(deposits.request(order.id, percent="20").id)
    plans.set_plan(order.id, "40%@0,60%@0")
    made = plans.run(validate=documents.created_and_validated)
    assert sum((d.grand_total for d in made), D(0)) + dep.grand_total == order.grand_total


def test_a_plan_is_refused_when_it_does_not_add_up_or_is_already_billed(shop):
    order = _order()
    with pytest.raises(InvalidValue, match="100 %"):
        plans.set_plan(order.id, "30%@0,30%@+30")
    with pytest.raises(InvalidValue, match="se suivre"):
        plans.set_plan(order.id, "50%@+30,50%@+10")
    with pytest.raises(InvalidValue, match="format"):
        plans.set_plan(order.id, "50@0,50@30")
    plans.set_plan(order.id, "50%@0,50%@+30")
    plans.run(validate=documents.created_and_validated)
    with pytest.raises(StateError, match="déjà des échéances facturées"):
        plans.set_plan(order.id, "100%@0")
