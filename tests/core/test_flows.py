"""Every route to an invoice adds up: each case the flows issue reproduced, named after what the
user saw, then a stateful fuzzer mixing the routes on one order."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import closings, deposits, documents, margins, payments, plans, reports, situations, stock
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Document, Setting


def _order(lines=None, allowances=(), charges=()):
    return documents.validate(documents.create("order", "C1", None, lines or [
        {"product": "VIS", "quantity": "40"},                       # 500.00 HT at 20 %, goods
        {"product": "MO", "quantity": "10"},                        # 450.00 HT at 10 %, labour
        {"product": "LIVRE", "quantity": "5"}],                     # 99.50 HT at 5.5 %, goods
        allowances=allowances, charges=charges).id)


def _deliver(order, **quantities):
    return documents.validate(documents.transform([order.id], "delivery", quantities or None).id)


def _invoice(*sources, quantities=None):
    return documents.validate(documents.transform([s.id for s in sources], "invoice", quantities).id)


def _deposits_of(order) -> tuple[D, D]:
    """(HT of the order's deposits less their credit notes, HT its invoices deducted less what
    their credit notes gave back)."""
    from tui_factu.models import DocumentLine, DocumentLink
    deposit_ids = [i for (i,) in DocumentLink.select(DocumentLink.document).join(
        Document, on=(DocumentLink.document == Document.id)).where(
        (DocumentLink.target == order.id) & (DocumentLink.role == "deposit_of") & (Document.status != "draft")).tuples()]
    left = D(0)
    for dep in Document.select().where(Document.id.in_(deposit_ids or [0])):
        left += dep.tax_basis_total - sum((cn.tax_basis_total for cn in Document.select().where(
            (Document.preceding == dep.id) & (Document.kind == "credit_note") & (Document.status != "draft"))), D(0))
    deposit_lines = [i for (i,) in DocumentLine.select(DocumentLine.id).where(
        DocumentLine.document.in_(deposit_ids or [0])).tuples()]

    def standing(origins, kind):
        return list(DocumentLine.select(DocumentLine.id, DocumentLine.net_amount).join(
            Document, on=(DocumentLine.document == Document.id)).where(
            DocumentLine.origin.in_(origins or [0]) & (Document.status != "draft") & (Document.kind == kind)).tuples())
    deductions = standing(deposit_lines, "invoice")
    given_back = standing([i for i, _ in deductions], "credit_note")
    return left, -sum((n for _, n in deductions), D(0)) + sum((n for _, n in given_back), D(0))


def _billed(order) -> D:
    """Σ invoices − Σ credit notes of everything billed on an order, deposits included."""
    from tui_factu.models import DocumentLink
    targets = [order.id]
    invoices = {i for (i,) in DocumentLink.select(DocumentLink.document).where(
        DocumentLink.target.in_(targets) & DocumentLink.role.in_(("bills", "situation_of", "deposit_of"))).tuples()}
    total = D(0)
    for doc in Document.select().where(Document.id.in_(list(invoices) or [0]) & (Document.status != "draft")):
        total += doc.grand_total
        for cn in Document.select().where((Document.preceding == doc.id) & (Document.kind == "credit_note")
                                          & (Document.status != "draft")):
            total -= cn.grand_total
    return total


def test_a_deposit_is_deducted_when_the_order_is_invoiced_through_its_deliveries(shop):
    order = _order()
    dep = documents.validate(deposits.request(order.id, percent="30").id)
    first = documents.validate(documents.transform([order.id], "delivery", {1: D("20"), 2: D("5"), 3: D("2")}).id)
    second = documents.validate(documents.transform([order.id], "delivery").id)
    inv1, inv2 = _invoice(first), _invoice(second)
    assert inv1.type == inv2.type == "final"                              # each deducts its share
    assert dep.grand_total + inv1.grand_total + inv2.grand_total == order.grand_total   # not 1.3 × the order
    assert _billed(order) == order.grand_total
    with pytest.raises(StateError, match="avant de facturer"):
        deposits.request(order.id, percent="10")                          # a deposit comes before the invoices


def test_an_order_under_a_billing_plan_is_not_invoiced_again_through_its_deliveries(shop):
    order = _order()
    plans.set_plan(order.id, "30%@0,70%@+30")
    plans.run(validate=documents.created_and_validated)
    delivery = _deliver(order)                                            # goods still go out
    with pytest.raises(StateError, match="plan de facturation"):
        _invoice(delivery)
    with pytest.raises(StateError, match="plan de facturation"):
        _invoice(order)
    assert _billed(order) < order.grand_total


def test_deposit_plan_and_situation_invoices_move_no_stock(shop):
    vis = documents.lines_of(_order().id)[0].product_id
    before = stock.on_hand(vis)
    order = _order()
    documents.validate(deposits.request(order.id, percent="20").id)
    situations.create(order.id, percent="50")
    documents.validate(Document.get((Document.type == "progress") & (Document.status == "draft")).id)
    assert stock.on_hand(vis) == before                                   # only deliveries move goods
    _deliver(order)
    assert stock.on_hand(vis) == before - 40


def test_an_order_allowance_and_charge_reach_its_delivery_invoices(shop):
    order = _order(allowances=[{"amount": "20.00", "vat_rate": "20", "reason": "Remise fidélité"}],
                   charges=[{"amount": "15.00", "vat_rate": "20", "reason": "Port"}])
    first = documents.validate(documents.transform([order.id], "delivery", {1: D("10")}).id)
    rest = documents.validate(documents.transform([order.id], "delivery").id)
    inv1, inv2 = _invoice(first), _invoice(rest)
    assert inv1.allowance_total > 0 and inv2.allowance_total > 0          # each its share
    assert inv1.allowance_total + inv2.allowance_total == D("20.00")
    assert inv1.charge_total + inv2.charge_total == D("15.00")
    assert inv1.grand_total + inv2.grand_total == order.grand_total       # never lost, never twice


def test_a_ticket_paid_then_invoiced_keeps_its_status_when_its_payment_is_cancelled(shop):
    from tui_factu import counter
    done = counter.sale([{"product": "VIS"}], [("card", D("15.00"))])
    ticket = done["document"]
    invoice = documents.validate(documents.transform([ticket.id], "invoice").id)
    seq = payments.of_invoice(ticket.id)[0]["payment"]
    with pytest.raises(StateError, match="facturé depuis"):
        payments.cancel(seq)
    assert documents.get(ticket.id).status == "invoiced" and invoice.prepaid == ticket.grand_total


def test_the_statement_counts_customer_credit_once_and_the_z_only_money(shop):
    a = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "10"}]).id)
    b = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "2"}]).id)
    payments.pay([a.id], str(a.due + D("10.00")), "transfer")             # 10.00 too much: customer credit
    payments.pay([b.id], "10.00", "credit")                               # used later on b
    cn = documents.validate(documents.credit(a.id, {1: D("1")}).id)
    payments.apply_credit(cn.id, b.id)
    rows = reports.statement("C1")
    owed = a.grand_total + b.grand_total - cn.grand_total - (a.due + D("10.00"))
    assert D(rows[-1]["balance"]) == owed                                 # credit counted once
    z = closings.totals(dt.date(2026, 12, 1), dt.date(2026, 12, 1))
    assert set(z["payments"]) == {"transfer"}                             # moves between documents are no money
    assert {r["method"] for r in reports.payments_journal()} == {"transfer"}


@pytest.mark.backends
def test_overdue_and_due_show_what_is_left_and_follow_instalments(shop):
    from tui_factu import clock, schedules
    clock.freeze(dt.date(2026, 10, 1))
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "8"}]).id)
    schedules.set_schedule(inv.id, "50%@0,50%@90")                        # 60.00 now, 60.00 on 30/12
    payments.pay([inv.id], "20.00", "cheque")
    clock.freeze(dt.date(2026, 12, 1))
    late = {r["number"]: r for r in reports.follow_up("overdue")}[inv.number]
    assert (late["late"], late["balance"]) == ("40.00", "100.00")         # what is left, not the TTC
    soon = {r["number"]: r for r in reports.due_soon(30)}[inv.number]
    assert (soon["due_date"], soon["due"]) == ("2026-12-30", "60.00")
    plain = documents.validate(documents.create("invoice", "C1", "2026-10-20", [{"product": "VIS"}]).id)
    aging = {r["customer"]: r for r in reports.aging()}["C1"]
    assert plain.due_date == dt.date(2026, 11, 19)                        # 30 days: 12 days late
    assert (aging["61-90"], aging["1-30"], aging["not_due"], aging["total"]) == ("40.00", "15.00", "60.00", "115.00")


def test_vat_on_receipts_is_the_stored_vat_of_what_was_paid(shop):
    inv = documents.validate(documents.create("invoice", "C1", None, [
        {"description": "Étude", "kind": "service", "quantity": "1", "unit_price": "300.00", "vat_rate": "20"}],
        allowances=[{"amount": "30.00", "vat_rate": "20"}]).id)
    payments.pay([inv.id], str(inv.due), "transfer")
    rows = reports.vat_on_receipts()
    assert (rows[0]["basis"], rows[0]["vat"]) == ("270.00", "54.00")     # not 300 × 20 %
    half = documents.validate(documents.create("invoice", "C1", None, [
        {"description": "Étude", "kind": "service", "quantity": "1", "unit_price": "100.00", "vat_rate": "20"},
        {"product": "VIS", "quantity": "8"}]).id)                        # half services, half goods
    payments.pay([half.id], str(half.due), "transfer")
    assert reports.vat_on_receipts()[0]["vat"] == "74.00"                 # 54.00 + the services' 20.00


def test_a_partly_delivered_order_is_closed_and_its_backorders_drop(shop):
    order = _order()
    documents.validate(documents.transform([order.id], "delivery", {1: D("10")}).id)
    assert documents.backorders() and documents.get(order.id).status == "partial"
    closed = documents.set_status(order.id, "closed")
    assert closed.status == "closed" and documents.backorders() == []
    assert documents.availability("VIS")["reserved"] == 0
    with pytest.raises(StateError, match="soldée"):
        documents.transform([order.id], "delivery")


def test_an_expired_quote_reads_expired_and_turns_into_an_order_only_when_forced(shop):
    quote = documents.validate(documents.create("quote", "C1", "2026-10-01", [{"product": "VIS"}]).id)
    fresh = documents.validate(documents.create("quote", "C1", None, [{"product": "VIS"}]).id)
    assert documents.show(documents.get(quote.id))["status"] == "expired"   # nobody ran a command
    assert [r["status"] for r in documents.listing("quote")] == ["expired", "validated"]
    assert [r["id"] for r in documents.listing("quote", "expired")] == [quote.id]
    assert [r["id"] for r in documents.listing("quote", "validated")] == [fresh.id]
    with pytest.raises(StateError, match="a expiré le 31/10/2026"):
        documents.transform([quote.id], "order")
    assert documents.transform([quote.id], "order", force=True).kind == "order"


def test_cash_over_the_legal_limit_is_refused(shop):
    big = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "120"}]).id)
    with pytest.raises(InvalidValue, match="L112-6"):
        payments.pay([big.id], "1800.00", "cash")
    payments.pay([big.id], "1000.00", "cash")
    with pytest.raises(InvalidValue, match="1000.00"):
        payments.pay([big.id], "1.00", "cash")                            # 1 000 € in all, not per payment
    payments.pay([big.id], str(payments.balance(documents.get(big.id))), "card")


def test_a_thirty_percent_situation_on_a_fifteen_thousand_contract_bills_four_thousand_five_hundred(shop):
    order = documents.validate(documents.create("order", "C1", None, [
        {"description": "Travaux", "quantity": "1", "unit_price": "15000.00", "vat_rate": "20"}]).id)
    s = documents.validate(situations.create(order.id, percent="30", retention="5").id)
    assert (s.tax_basis_total, s.tax_total, s.grand_total) == (D("4500.00"), D("900.00"), D("5400.00"))
    assert documents.show(s)["retention"]["amount"] == "270.00"           # 5 % of the TTC, below it


def test_an_order_invoiced_whole_after_a_partial_delivery_bills_its_note_with_it(shop):
    order = _order()
    vis_on_hand = stock.on_hand(documents.lines_of(order.id)[0].product_id)
    note = documents.validate(documents.transform([order.id], "delivery", {1: D(10)}).id)
    invoice = _invoice(order)                                             # the whole order, at once
    assert invoice.grand_total == order.grand_total
    assert documents.get(note.id).status == "invoiced"                    # its goods were billed with it
    with pytest.raises(StateError, match="rien à facturer"):
        _invoice(note)
    # the counter handed over what the note had not delivered: 40 screws left the stock, not 50
    assert stock.on_hand(documents.lines_of(order.id)[0].product_id) == vis_on_hand - 40


def test_a_direct_invoice_corrected_and_billed_again_hands_nothing_over_twice(shop):
    order = _order()
    product = documents.lines_of(order.id)[0].product_id
    before = stock.on_hand(product)
    invoice = _invoice(order)
    documents.validate(documents.credit(invoice.id, returns_goods=False).id)     # a correction
    again = _invoice(order)
    assert again.grand_total == order.grand_total
    assert stock.on_hand(product) == before - 40                          # the screws left once


def test_the_margin_floor_compares_the_exact_rate(shop):
    Setting.create(key="margin.floor_percent", value="10")
    lines = [{"kind": "goods", "description": "x", "quantity": "1", "unit_price": "100.00", "vat_rate": "20",
              "cost_price": "90.05", "position": 1, "net_amount": D("100.00")}]
    flags = margins.of_lines([{**lines[0], "quantity": D(1), "cost_price": D("90.05")}])
    assert flags["lines"][0]["rate"] == "10.0" and flags["flags"]            # 9.95 % shows 10.0 but is under


# ---- the flow fuzzer --------------------------------------------------------------------------

import os  # noqa: E402

from hypothesis import settings, strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule  # noqa: E402

LONG = os.environ.get("TUI_FACTU_FUZZ") == "long"
PRODUCTS = ("VIS", "MO", "LIVRE", "DEPL")


class OneOrder(RuleBasedStateMachine):
    """Random routes on one order: deposits, partial deliveries, their invoices alone or grouped,
    direct invoices of what remains, corrections by credit note, payments, closing the rest.
    After every step: never billed past the order's TTC, exactly its TTC once all is billed,
    stock moved only by what delivered goods, every balance the one rule."""

    def __init__(self):
        super().__init__()
        from tui_factu import db as database
        self.order = None
        self.deliveries = []
        self.tx = database.db.atomic()          # each example on the same base as it was: rolled back after
        self.tx.__enter__()

    def teardown(self):
        self.tx.__exit__(RuntimeError, RuntimeError("fin de l'exemple"), None)

    @rule(data=st.data())
    @precondition(lambda self: self.order is None)
    def make_order(self, data):
        lines = [{"product": p, "quantity": str(data.draw(st.integers(1, 30)))}
                 for p in data.draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=4, unique=True))]
        allowance = data.draw(st.sampled_from(["", "7.35", "20.00"]))
        charge = data.draw(st.sampled_from(["", "4.99", "15.00"]))
        try:
            self.order = documents.validate(documents.create(
                "order", "C1", None, lines,
                allowances=[{"amount": allowance, "vat_rate": "20"}] if allowance else [],
                charges=[{"amount": charge, "vat_rate": "10"}] if charge else []).id)
        except InvalidValue as e:
            assert "négatif" in str(e) or "dépassent" in str(e)     # an allowance larger than its lines: refused
            return
        self.stock_start = {ln.product_id: stock.on_hand(ln.product_id) for ln in documents.lines_of(self.order.id)}

    @rule(percent=st.sampled_from(["10", "25", "33.33"]))
    @precondition(lambda self: self.order is not None)
    def deposit(self, percent):
        try:
            documents.validate(deposits.request(self.order.id, percent=percent).id)
        except (InvalidValue, StateError):
            pass                                 # more deposits than the order: refused

    @rule(data=st.data())
    @precondition(lambda self: self.order is not None)
    def deliver_part(self, data):
        order = documents.get(self.order.id)
        rest = documents.remaining(order, "delivery", validated_only=True)
        open_lines = {pos: q for pos, q in rest.items() if q > 0}
        if not open_lines or order.status == "closed":
            return
        pos = data.draw(st.sampled_from(sorted(open_lines)))
        qty = D(data.draw(st.integers(1, int(open_lines[pos]))))
        self.deliveries.append(documents.validate(documents.transform([self.order.id], "delivery", {pos: qty}).id))

    @rule(data=st.data())
    @precondition(lambda self: self.deliveries)
    def invoice_deliveries(self, data):
        todo = [d for d in self.deliveries if any(q > 0 for q in documents.remaining(
            documents.get(d.id), "invoice", validated_only=True).values())]
        if not todo:
            return
        chosen = data.draw(st.lists(st.sampled_from(todo), min_size=1, max_size=len(todo), unique_by=lambda d: d.id))
        try:
            _invoice(*chosen)
        except StateError:
            pass

    @rule()
    @precondition(lambda self: self.order is not None)
    def invoice_the_rest_directly(self):
        try:
            _invoice(self.order)
        except StateError:
            pass                                 # nothing left to invoice

    @rule(data=st.data())
    @precondition(lambda self: self.order is not None)
    def correct_an_invoice(self, data):
        from tui_factu.models import DocumentLink
        ids = [i for (i,) in DocumentLink.select(DocumentLink.document).where(
            (DocumentLink.target == self.order.id) & (DocumentLink.role == "bills")).tuples()]
        invoices = [d for d in Document.select().where(Document.id.in_(ids or [0]) & (Document.status != "draft"))
                    .order_by(Document.id)
                    if not Document.select().where(Document.preceding == d.id).exists()]
        if invoices:
            inv = data.draw(st.sampled_from(invoices))
            documents.validate(documents.credit(inv.id, returns_goods=False).id)    # a correction: bill it again

    @rule(data=st.data())
    @precondition(lambda self: self.order is not None)
    def pay_something(self, data):
        open_docs = [d for d in Document.select().where((Document.kind == "invoice") & (Document.status != "draft"))
                     .order_by(Document.id)
                     if payments.balance(d) > 0]
        if open_docs:
            doc = data.draw(st.sampled_from(open_docs))
            payments.pay([doc.id], str(min(payments.balance(doc), D("50.00"))), "transfer")

    @rule(data=st.data())
    @precondition(lambda self: self.order is not None)
    def cancel_a_payment(self, data):
        from tui_factu.models import Payment
        cancelled = {c for (c,) in Payment.select(Payment.cancels).where(Payment.cancels.is_null(False)).tuples()}
        standing = [p.seq for p in Payment.select().where(Payment.cancels.is_null()).order_by(Payment.seq)
                    if p.id not in cancelled]
        if standing:
            payments.cancel(data.draw(st.sampled_from(standing)), "erreur de saisie")

    @rule()
    @precondition(lambda self: self.order is not None)
    def close_the_rest(self):
        order = documents.get(self.order.id)
        if order.status == "partial":
            documents.set_status(order.id, "closed")       # the rest will not be delivered

    @invariant()
    def deposits_deducted_once_all_is_billed(self):
        if self.order is None:
            return
        order = documents.get(self.order.id)
        if any(q > 0 for q in documents.remaining(order, "invoice", validated_only=True).values()):
            return
        deposits_left, deducted = _deposits_of(order)
        assert deducted == deposits_left, (deducted, deposits_left)

    @invariant()
    def adds_up(self):
        if self.order is None:
            return
        order = documents.get(self.order.id)
        billed = _billed(order)
        assert billed <= order.grand_total
        invoice_left = documents.remaining(order, "invoice", validated_only=True)
        if all(q <= 0 for q in invoice_left.values()):
            assert billed == order.grand_total, (billed, order.grand_total)
        delivered = {}
        for ln in documents.lines_of(order.id):
            rest = documents.remaining(order, "delivery", validated_only=True).get(ln.position, D(0))
            delivered[ln.product_id] = delivered.get(ln.product_id, D(0)) + ln.quantity - rest
        for product, start in self.stock_start.items():
            if start is not None and stock.managed_among({product}):
                assert stock.on_hand(product) == start - delivered.get(product, D(0))
        for d in Document.select().where((Document.kind == "invoice") & (Document.status != "draft")):
            assert payments.balance(d) == d.due - payments.paid(d.id)


@pytest.mark.backends
def test_every_route_to_an_invoice_adds_up(shop):
    from tui_factu import verify
    OneOrder.TestCase.settings = settings(max_examples=40 if LONG else 6, stateful_step_count=25 if LONG else 10,
                                          deadline=None, report_multiple_bugs=False)
    run = OneOrder.TestCase()
    run.runTest()
    assert verify.run().ok
