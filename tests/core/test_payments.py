"""Collecting payments: amounts to the cent, statuses, credit, change, counter-entries, seals."""
import sqlite3
from decimal import Decimal as D

import pytest

from tui_factu import db as database, documents, payments, verify
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Payment


def _invoice(qty="4", customer="C1"):        # 4 × 12.50 = 50.00 HT, 60.00 TTC
    return documents.validate(documents.create("invoice", customer, "2026-11-20",
                                               [{"product": "VIS", "quantity": qty}]).id)


@pytest.mark.backends
def test_partial_then_full_payment_moves_the_status(shop):
    inv = _invoice()
    done = payments.pay([inv.id], "20.00", "cheque", "2026-11-21", reference="CHQ 1234", bank="LCL")
    assert done["allocations"] == [("FA2026-00001", D("20.00"))]
    assert documents.get(inv.id).status == "partly_paid"
    assert payments.balance(documents.get(inv.id)) == D("40.00")
    payments.pay([inv.id], "40.00", "transfer", "2026-11-25")
    assert documents.get(inv.id).status == "paid"
    view = documents.show(documents.get(inv.id))
    assert (view["paid"], view["balance"]) == ("60.00", "0.00")
    assert verify.run().ok


def test_one_payment_spread_over_invoices_and_the_rest_as_credit(shop):
    a, b = _invoice("4"), _invoice("2")          # 60.00 and 30.00
    done = payments.pay([a.id, b.id], "100.00", "transfer")
    assert done["allocations"] == [(a.number, D("60.00")), (b.number, D("30.00"))]
    assert done["credit"] == D("10.00") and done["change"] == D("0")
    c = _invoice("1")                            # 15.00, settled partly from the credit
    used = payments.pay([c.id], "10.00", "credit")
    assert used["credit"] == D("0.00")
    assert payments.balance(documents.get(c.id)) == D("5.00")
    with pytest.raises(InvalidValue, match="dépasse le crédit du client"):
        payments.pay([c.id], "1.00", "credit")


def test_cash_shows_the_change_and_keeps_only_what_is_due(shop):
    inv = _invoice("1")                          # 15.00
    done = payments.pay([inv.id], "20.00", "cash")
    assert done["change"] == D("5.00") and done["amount"] == D("15.00") and done["credit"] == D("0")
    p = Payment.get(Payment.seq == done["payment"])
    assert (p.amount, p.tendered) == (D("15.00"), D("20.00"))


def test_cancelling_is_a_sealed_counter_entry(shop):
    inv = _invoice()
    done = payments.pay([inv.id], "60.00", "card")
    assert documents.get(inv.id).status == "paid"
    back = payments.cancel(done["payment"], "carte refusée")
    assert documents.get(inv.id).status == "validated"
    assert Payment.select().count() == 2          # nothing deleted
    assert Payment.get(Payment.seq == back["payment"]).amount == D("-60.00")
    with pytest.raises(StateError, match="déjà"):
        payments.cancel(done["payment"])
    assert verify.run().ok


def test_refusals(shop):
    inv = _invoice()
    draft = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}])
    other = _invoice("1", "P1")
    with pytest.raises(StateError, match="n'est pas une facture validée"):
        payments.pay([draft.id], "1", "cash")
    with pytest.raises(InvalidValue, match="même client"):
        payments.pay([inv.id, other.id], "10", "cash")
    with pytest.raises(InvalidValue, match="modes"):
        payments.pay([inv.id], "10", "bitcoin")
    with pytest.raises(InvalidValue, match="montant : doit être positif"):
        payments.pay([inv.id], "-5", "cash")
    payments.pay([inv.id], "60", "cash")
    with pytest.raises(StateError, match="déjà réglées"):
        payments.pay([inv.id], "1", "cash")


def test_an_edited_payment_is_caught_by_verify(shop, db):
    inv = _invoice()
    payments.pay([inv.id], "60.00", "cheque")
    database.db.close()
    con = sqlite3.connect(db)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    con.execute("UPDATE payment SET amount = 1000")
    con.commit()
    con.close()
    database.connect(db)
    failure = verify.run().as_dict()["first_failure"]
    assert failure["chain"] == "payment" and "REG-000001" in failure["error"] and "montant" in failure["error"]


def test_payments_cannot_be_edited_through_the_database(shop):
    import peewee as pw
    inv = _invoice()
    payments.pay([inv.id], "60.00", "cheque")
    with pytest.raises(pw.DatabaseError, match="paiement scellé"):
        with database.db.atomic():
            Payment.update(amount=1).execute()


def _credit(inv, qty):
    return documents.validate(documents.credit(inv.id, {1: D(qty)}).id)


def test_a_credit_note_settles_invoices_and_the_rest_is_refunded(shop):
    first = _invoice("4")                                  # 60.00
    cn = _credit(first, "2")                               # 30.00 credit
    second = _invoice("1")                                 # 15.00
    done = payments.apply_credit(cn.id, second.id)
    assert (done["amount"], done["left"], done["balance"]) == (D("15.00"), D("15.00"), D("0.00"))
    assert documents.get(second.id).status == "paid"
    third = _invoice("4")                                  # 60.00, settled 10.00 from the credit note
    payments.apply_credit(cn.id, third.id, "10.00")
    assert payments.balance(documents.get(third.id)) == D("50.00")
    with pytest.raises(InvalidValue, match="reste de l'avoir 5.00"):
        payments.apply_credit(cn.id, third.id, "6.00")
    out = payments.refund(cn.id, None, "transfer")         # the rest goes back to the customer
    assert (out["amount"], out["left"]) == (D("5.00"), D("0.00"))
    with pytest.raises(StateError, match="entièrement utilisé"):
        payments.apply_credit(cn.id, third.id)
    assert payments.credit(documents.get(first.id).customer_id) == D("0")   # not confused with cash credit
    assert documents.show(documents.get(cn.id))["left"] == "0.00"
    assert verify.run().ok


def test_cancelling_an_applied_credit_note_gives_it_back(shop):
    cn = _credit(_invoice("4"), "2")
    other = _invoice("1")
    done = payments.apply_credit(cn.id, other.id)
    payments.cancel(done["payment"])
    assert payments.credit_note_left(documents.get(cn.id)) == D("30.00")
    assert documents.get(other.id).status == "validated"
