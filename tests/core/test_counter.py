"""Counter sales: a ticket or an invoice in one go, stock moved, payment sealed, change given."""
from decimal import Decimal as D

import pytest

from tui_factu import catalog, counter, documents, payments, stock, verify
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Document, Payment


@pytest.mark.backends
def test_walk_in_sale_is_a_ticket_in_its_own_series_paid_with_change(shop):
    lines = counter.parse_items(["VIS", "3760123456784", "LIVRE:2"])       # the barcode is VIS again
    done = counter.sale(lines, counter.parse_payments(["cash:100"]))
    doc = done["document"]
    assert (doc.kind, doc.number, doc.status) == ("receipt", "TK2026-000001", "paid")
    assert done["total"] == D("71.99")          # 25.00 HT + 5.00 at 20 % ; 39.80 HT + 2.19 at 5.5 %
    assert done["change"] == D("28.01")
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("98")
    assert verify.run().ok
    second = counter.sale(counter.parse_items(["DEPL"]), counter.parse_payments(["card:42"]))["document"]
    assert second.number == "TK2026-000002"


def test_several_methods_and_a_business_customer_gets_an_invoice(shop):
    done = counter.sale(counter.parse_items(["VIS:4"]), counter.parse_payments(["card:40", "cash:50"]), "C1")
    doc = done["document"]
    assert (doc.kind, doc.status) == ("invoice", "paid") and doc.number.startswith("FA")
    assert (done["total"], done["change"]) == (D("60.00"), D("30.00"))
    assert [p.method for p in Payment.select().order_by(Payment.seq)] == ["card", "cash"]


def test_an_insufficient_payment_writes_nothing(shop):
    with pytest.raises(InvalidValue, match="insuffisant"):
        counter.sale(counter.parse_items(["VIS"]), counter.parse_payments(["cash:5"]))
    assert Document.select().count() == 0 and Payment.select().count() == 0
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("100")
    with pytest.raises(InvalidValue, match="code ou code-barres inconnu"):
        counter.parse_items(["NOPE"])


def test_an_invoice_made_from_a_ticket_is_already_paid(shop):
    ticket = counter.sale(counter.parse_items(["VIS:2"]), counter.parse_payments(["cash:30"]))["document"]
    inv = documents.validate(documents.transform([ticket.id], "invoice").id)
    assert (inv.grand_total, inv.prepaid, inv.due) == (D("30.00"), D("30.00"), D("0.00"))
    assert documents.get(ticket.id).status == "invoiced"
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("98")     # not taken twice
    assert payments.balance(documents.get(inv.id)) == D("0.00")


def test_a_return_at_the_counter_is_a_credit_note_then_a_refund(shop):
    ticket = counter.sale(counter.parse_items(["VIS:3"]), counter.parse_payments(["cash:50"]))["document"]  # 45.00
    back = documents.validate(documents.credit(ticket.id, {1: D("1")}).id)          # one box returned
    assert (back.kind, back.grand_total, back.preceding_id) == ("credit_note", D("15.00"), ticket.id)
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("98")              # 100 − 3 + 1
    out = payments.refund(back.id, None, "cash")
    assert out["amount"] == D("15.00") and out["left"] == D("0.00")
    assert documents.get(ticket.id).status == "paid"                                 # the ticket itself is untouched
    assert verify.run().ok


def test_a_whole_ticket_voided_and_a_line_returned_in_one_step_each(shop):
    from tui_factu.models import Payment
    ticket = counter.sale(counter.parse_items(["VIS:2", "LIVRE"]), counter.parse_payments(["card:50.99"]))["document"]
    done = counter.return_sale(ticket.number, {2: D("1")})        # the book comes back
    assert (done["refunded"], done["method"]) == (D("20.99"), "card")     # 19.90 + 1.09, paid back by card
    assert stock.on_hand(catalog.product_by_code("LIVRE").id) == D("10")
    void = counter.return_sale(ticket.number)                      # then the rest of the sale is voided
    assert void["refunded"] == D("30.00") and stock.on_hand(catalog.product_by_code("VIS").id) == D("100")
    with pytest.raises(StateError, match="rien à créditer"):
        counter.return_sale(ticket.number)
    refunds = [p.amount for p in Payment.select().where(Payment.amount < 0).order_by(Payment.seq)]
    assert refunds == [D("-20.99"), D("-30.00")]
    assert verify.run().ok


def test_a_quantity_goes_before_or_after_the_code_or_the_barcode(shop):
    vis = catalog.product_by_code("VIS")
    for typed in ("3*VIS", "VIS*3", " 3 * VIS ", "3*3760123456784", "3760123456784*3"):   # a barcode is digits too
        assert counter.read_scan(typed)[:2] == (vis, D(3)), typed
    assert counter.read_scan("2,5*VIS")[1] == D("2.5")
    assert counter.read_scan("VIS") == (vis, None, "VIS")
    assert counter.read_scan("4*NOPE") == (None, D(4), "NOPE")             # unknown: the caller says so
    for bad in ("0*VIS", "-2*VIS", "VIS*", "*VIS", "A*B", "1,2345*VIS"):
        with pytest.raises(InvalidValue, match="quantité"):
            counter.read_scan(bad)
    assert counter.parse_items(["3*VIS", "LIVRE:2"]) == [{"product": "VIS", "quantity": "3"},
                                                         {"product": "LIVRE", "quantity": "2"}]


def test_payment_modes_are_typed_in_french_or_as_codes(shop):
    assert [payments.method_of(t) for t in ("espèces", "Especes", "CB", "carte", "Chèque", "virement", "cash")] == \
        ["cash", "cash", "card", "card", "cheque", "transfer", "cash"]
    assert counter.parse_payments(["espèces:20", "carte:12,40"]) == [("cash", D("20")), ("card", D("12.40"))]
    with pytest.raises(InvalidValue, match="espèces, carte, chèque ou virement"):
        counter.parse_payments(["bitcoin:5"])
