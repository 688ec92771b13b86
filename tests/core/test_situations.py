"""Progress billing (situations): amounts to the cent over a whole building-site cycle."""
from decimal import Decimal as D

import pytest

from tui_factu import deposits, documents, models, payments, situations, verify
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Document, Progress

CONTRACT = [{"kind": "section", "description": "Lot 1 — Gros œuvre"},
            {"description": "Maçonnerie", "quantity": "1", "unit_price": "12000.00", "vat_rate": "20"},   # 2
            {"description": "Dalle béton", "quantity": "85", "unit": "MTK", "unit_price": "45.50",
             "vat_rate": "20"},                                                                          # 3
            {"kind": "section", "description": "Lot 2 — Rénovation énergétique"},
            {"description": "Isolation", "quantity": "120", "unit": "MTK", "unit_price": "33.33",
             "vat_rate": "5.5"},                                                                         # 5
            {"description": "Menuiseries", "quantity": "6", "unit_price": "850", "vat_rate": "10"}]     # 6
NETS = {2: D("12000.00"), 3: D("3867.50"), 5: D("3999.60"), 6: D("5100.00")}


def _order(lines=CONTRACT):
    return documents.validate(documents.create("order", "C1", None, lines, reference="Marché 17").id)


def _situation(order, **kw):
    return documents.validate(situations.create(order.id, **kw).id)


def _cycle_invoices(order):
    return list(Document.select().where((Document.preceding == order.id) & (Document.kind == "invoice")
                                        & (Document.status != "draft")))


def _work(doc) -> dict:
    """contract line position -> amount this situation bills on it."""
    return {p["contract_position"]: D(p["amount"]) for p in documents.show(doc)["progress"]}


@pytest.mark.backends
def test_a_cycle_bills_each_line_exactly_and_the_whole_contract_to_the_cent(shop):
    order = _order()
    assert order.tax_basis_total == D("24967.10") and order.grand_total == D("28870.58")
    dep = documents.validate(deposits.request(order.id, percent="10").id)
    s1 = _situation(order, percent="30", retention="5")
    assert (s1.type, s1.situation_no, s1.kind) == ("progress", 1, "invoice")
    assert _work(s1) == {2: D("3600.00"), 3: D("1160.25"), 5: D("1199.88"), 6: D("1530.00")}
    s2 = _situation(order, sections={1: D("60")}, lines={5: D("50")})
    assert _work(s2) == {2: D("3600.00"), 3: D("1160.25"), 5: D("799.92"), 6: D("0.00")}
    view = documents.show(s2)
    line2 = next(p for p in view["progress"] if p["contract_position"] == 2)
    assert (line2["previous_percent"], line2["percent"], line2["previous_amount"], line2["cumulative_amount"]) == \
        ("30", "60", "3600.00", "7200.00")
    s3 = _situation(order, percent="100")
    assert s3.situation_no == 3 and s3.retention_percent == D("5")          # the contract's retention goes on
    # each line billed exactly its contract amount over the cycle
    total = {pos: sum((_work(s)[pos] for s in (s1, s2, s3)), D(0)) for pos in NETS}
    assert total == NETS
    cycle = _cycle_invoices(order)
    assert {d.id for d in cycle} == {dep.id, s1.id, s2.id, s3.id}            # the retention is no invoice
    assert sum((d.grand_total for d in cycle), D(0)) == order.grand_total      # TTC, to the cent
    assert sum((d.tax_basis_total for d in cycle), D(0)) == order.tax_basis_total
    # the deposit is deducted in full by 100 %, rate by rate
    deducted = {}
    for s in (s1, s2, s3):
        for p in Progress.select().where((Progress.document == s.id) & (Progress.role == "deposit")):
            deducted[p.line.vat_rate] = deducted.get(p.line.vat_rate, D(0)) - p.line.net_amount
    assert deducted == {v.rate: v.basis for v in documents.vat_of(dep.id)}
    assert verify.run().ok


def test_the_retention_is_held_below_the_ttc_and_released_by_payment(shop):
    """The situation bills its works in full, HT and VAT; 5 % of its TTC is held back from what
    is to pay now, due at its release date; releasing it makes it due, the customer pays it."""
    import datetime as dt
    order = _order()
    s1 = _situation(order, percent="40", retention="5", release_date="2027-12-31")
    works = sum((ln.net_amount for ln in documents.lines_of(s1.id) if ln.net_amount), D(0))
    assert s1.tax_basis_total == works == (order.tax_basis_total * D("0.4")).quantize(D("0.01"))   # nothing less
    r = documents.show(s1)["retention"]
    assert D(r["amount"]) == (s1.grand_total * D("0.05")).quantize(D("0.01"))
    assert (r["percent"], r["release_date"], r["held"]) == ("5", "2027-12-31", r["amount"])
    assert D(r["to_pay_now"]) == s1.grand_total - D(r["amount"])
    today = dt.date(2026, 12, 1)
    assert payments.due_by(s1, dt.date(2027, 1, 31)) == D(r["to_pay_now"])     # the retention waits
    assert payments.due_by(s1, dt.date(2027, 12, 31)) == s1.grand_total
    payments.pay([s1.id], r["to_pay_now"], "transfer")
    assert documents.show(s1)["retention"]["held"] == r["amount"] and payments.due_by(s1, today) == 0
    s2 = _situation(order, percent="100")                  # the contract's retention goes on
    r2 = documents.show(s2)["retention"]
    assert D(r2["amount"]) > 0
    done = situations.release(order.id)
    assert done["amount"] == D(r["amount"]) + D(r2["amount"]) and payments.due_by(s1, today) == D(r["amount"])
    with pytest.raises(StateError, match="aucune retenue"):
        situations.release(order.id)
    payments.pay([s1.id], r["amount"], "transfer")         # released by payment
    assert documents.show(s1)["retention"]["held"] == "0.00"
    assert s1.grand_total + s2.grand_total == order.grand_total


def test_a_credit_note_on_situation_n_credits_that_period_only(shop):
    order = _order()
    s1 = _situation(order, percent="20", retention="5")
    s2 = _situation(order, percent="40")
    cn = documents.validate(documents.credit(s2.id).id)
    assert cn.grand_total == s2.grand_total                 # the period, not 40 %
    s3 = _situation(order, percent="60")                    # bills 60 − 20: situation 2 no longer stands
    assert _work(s3)[2] == D("4800.00")
    line2 = next(p for p in documents.show(s3)["progress"] if p["contract_position"] == 2)
    assert (line2["previous_percent"], line2["previous_amount"]) == ("20", "2400.00")
    s4 = _situation(order, percent="100")
    assert s1.grand_total + s3.grand_total + s4.grand_total == order.grand_total
    assert s2.grand_total - cn.grand_total == 0


def test_odd_percentages_and_quantities_still_close_to_the_cent(shop):
    order = _order()
    _situation(order, percent="33.33")
    _situation(order, percent="66.67", quantities={3: D("57.5")})     # 57.5 of 85 m² of slab
    s3 = _situation(order, percent="100")
    cycle = _cycle_invoices(order)
    assert sum((d.grand_total for d in cycle), D(0)) == order.grand_total
    assert documents.show(cycle[1])["progress"][1]["percent"] == "67.65"      # 57.5 / 85
    assert s3.situation_no == 3


def test_refusals_name_what_is_wrong(shop):
    order = _order()
    with pytest.raises(InvalidValue, match="entre 0 et 100"):
        situations.create(order.id, percent="120")
    with pytest.raises(InvalidValue, match="5 %"):
        situations.create(order.id, percent="10", retention="7")
    with pytest.raises(InvalidValue, match="ligne chiffrée n° 4"):
        situations.create(order.id, lines={4: D("10")})
    _situation(order, percent="50")
    with pytest.raises(InvalidValue, match="ne peut pas baisser"):
        situations.create(order.id, percent="40")
    with pytest.raises(StateError, match="aucun avancement"):
        situations.create(order.id, percent="50")
    with pytest.raises(StateError, match="est facturée par situations"):
        documents.transform([order.id], "invoice")
    situations.create(order.id, percent="60")
    with pytest.raises(StateError, match="existe déjà"):
        situations.create(order.id, percent="70")
    other = _order()
    documents.validate(documents.transform([other.id], "invoice", {2: D("1")}).id)
    with pytest.raises(StateError, match="hors situations"):
        situations.create(other.id, percent="10")


def test_a_deposit_of_the_whole_contract_leaves_each_situation_at_zero(shop):
    order = _order()
    documents.validate(deposits.request(order.id, percent="100").id)
    s1 = _situation(order, percent="10", retention="5")   # its share of the deposit: nothing to pay, nothing held
    assert s1.due == D("0.00") and documents.show(s1)["retention"]["amount"] == "0.00"
    s = _situation(order, percent="100")
    assert s.due == D("0.00")


def test_a_draft_overtaken_by_another_validation_is_refused(shop):
    order = _order()
    s1 = _situation(order, percent="30")
    draft = situations.create(order.id, percent="50")
    documents.validate(documents.credit(s1.id).id)        # s1 no longer stands: the draft's "previous" is stale
    with pytest.raises(StateError, match="recréez la situation"):
        documents.validate(draft.id)
    documents.delete_draft(draft.id, draft.version)
    s2 = _situation(order, percent="50")
    assert _work(s2)[2] == D("6000.00")


def test_situation_lines_are_not_edited_by_hand(shop):
    order = _order()
    draft = situations.create(order.id, percent="10")
    with pytest.raises(StateError, match="avancement"):
        documents.update_draft(draft.id, draft.version, lines=[{"description": "x", "quantity": "1",
                                                                "unit_price": "1", "vat_rate": "20"}])


def test_tampering_with_a_situation_s_progress_is_seen(shop, db):
    order = _order()
    s1 = _situation(order, percent="30", retention="5")
    assert verify.run().ok
    models.db.execute_sql("DROP TRIGGER progress_sealed_update")      # an attacker with the file
    Progress.update(percent=D("90")).where((Progress.document == s1.id) & (Progress.role == "work")).execute()
    report = verify.run()
    assert not report.ok
    assert s1.number in report.as_dict()["first_failure"]["error"]


def test_payments_on_situations_show_in_the_statement(shop):
    order = _order()
    s1 = _situation(order, percent="50", retention="5")
    now = documents.show(s1)["retention"]["to_pay_now"]
    payments.pay([s1.id], now, "transfer", reference="VIR-1")
    st = situations.statement(order.id)
    assert st["situations"] == 1 and st["progress_percent"] == "50.00"
    assert st["invoices"][0]["paid"] == now and st["payments"][0]["amount"] == now
    assert st["retention"]["held"] == documents.show(s1)["retention"]["amount"] == st["invoices"][0]["balance"]
