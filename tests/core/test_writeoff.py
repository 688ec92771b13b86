"""Writing off a small balance (passage en pertes): a manager's, under a ceiling, sealed in the
payment chain, in the FEC against the bad-debts account; FEC lettering of the customer account."""
from decimal import Decimal as D

import pytest

from tui_factu import documents, fec, payments, session, settings, users, verify
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Payment
from tui_factu.permissions import PermissionDenied


@pytest.mark.backends
def test_write_off_of_a_small_balance_by_a_manager_sealed_and_in_the_fec(invoices, tmp_path):
    users.create("chef", "manager", "secret")
    users.create("caisse", "sales", "secret")
    e, d = invoices["e"], invoices["d"]
    payments.pay([e.id], "57.00", "transfer", "2026-11-20", "VIR PARTIEL")         # 3.00 left
    session.set_user("caisse")
    with pytest.raises(PermissionDenied, match="caisse \\(rôle vendeur\\) ne peut pas passer en pertes"):
        payments.writeoff(e.id)
    session.set_user("chef")
    with pytest.raises(InvalidValue, match="au-delà du plafond de passage en pertes \\(15.00 €"):
        payments.writeoff(d.id)                                                    # 20.99 > 15.00
    done = payments.writeoff(e.id, "reliquat")
    assert (done["invoice"], done["amount"]) == (e.number, D("3.00"))
    assert documents.get(e.id).status == "paid" and payments.balance(documents.get(e.id)) == 0
    p = Payment.get(Payment.seq == done["payment"])
    assert (p.method, p.reference, p.amount) == ("writeoff", "reliquat", D("3.00"))
    with pytest.raises(StateError, match="déjà réglée"):
        payments.writeoff(e.id)
    with pytest.raises(InvalidValue, match="--method"):
        payments.pay([d.id], "1.00", "writeoff")
    assert verify.run().ok
    session.set_user("testeur")
    settings.set_value("writeoff.max_amount", "25")
    session.set_user("chef")
    payments.writeoff(d.id)
    out = fec.export(2026, str(tmp_path))
    assert out["writeoffs"] == 2
    rows = [ln.split("\t") for ln in (tmp_path / "732829320FEC20261231.txt").read_text(encoding="utf-8").splitlines()[1:]]
    od = [r for r in rows if r[0] == "OD"]
    assert [(r[4], r[11], r[12]) for r in od[:2]] == [("654000", "3,00", "0,00"), ("411000", "0,00", "3,00")]
    assert od[0][5] == "Pertes sur créances irrécouvrables"
    # e's sale, its transfer and its write-off are lettered together; d's sale and write-off too
    letters = {(r[0], r[8], r[4]): (r[13], r[14]) for r in rows if r[4] == "411000"}
    e_let = letters[("VT", e.number, "411000")]
    assert e_let[0] and e_let[1] == "20261201"
    assert [v for k, v in letters.items() if v == e_let and k[0] in ("BQ", "OD")] == [e_let, e_let]
    assert letters[("VT", d.number, "411000")][0] not in ("", e_let[0])
    assert letters[("VT", invoices["a"].number, "411000")] == ("", "")           # not paid: not lettered


def test_fec_letters_a_payment_over_two_invoices_with_both(invoices, tmp_path):
    b, c = invoices["b"], invoices["c"]
    payments.pay([b.id, c.id], "91.50", "transfer", "2026-11-25")
    payments.pay([invoices["a"].id], "10.00", "cheque", "2026-11-26")               # partial: no letters
    fec.export(2026, str(tmp_path))
    rows = [ln.split("\t") for ln in (tmp_path / "732829320FEC20261231.txt").read_text(encoding="utf-8").splitlines()[1:]]
    customer = [r for r in rows if r[4] == "411000"]
    lettered = {(r[0], r[8]): (r[13], r[14]) for r in customer if r[13]}
    assert sorted(k[1] for k in lettered if k[0] == "VT") == sorted([b.number, c.number])
    assert len(lettered) == 3 and len(set(lettered.values())) == 1
    assert next(iter(lettered.values()))[1] == "20261125"
    # balanced per letter: what is lettered sums to nothing
    total = sum(D(r[11].replace(",", ".")) - D(r[12].replace(",", ".")) for r in customer if r[13])
    assert total == 0


def test_a_write_off_is_cancelled_like_any_payment_and_is_no_way_to_pay(invoices):
    from tui_factu import counter
    e = invoices["e"]
    payments.pay([e.id], "50.00", "card", "2026-11-20")
    done = payments.writeoff(e.id)                                   # the administrator may too
    assert documents.get(e.id).status == "paid"
    payments.cancel(done["payment"], "écrit par erreur")
    assert documents.get(e.id).status == "partly_paid" and payments.balance(documents.get(e.id)) == D("10.00")
    with pytest.raises(InvalidValue, match="--pay"):
        counter.parse_payments(["writeoff:5"])
    assert verify.run().ok
