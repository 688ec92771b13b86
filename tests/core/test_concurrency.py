"""Several terminals at once, as real processes, on SQLite and on PostgreSQL: no lost update,
no payment allocated twice, conflicts reported in French."""
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import pytest

from tui_factu import documents, payments, verify
from tui_factu.models import Document, Payment, PaymentAllocation

# Each terminal waits at a barrier file so that they all hit the base at the same moment.
WORKER = textwrap.dedent("""
    import os, sys, time
    from tui_factu import db, documents, payments, session
    from tui_factu.errors import FactuError
    db.connect(sys.argv[1]); session.set_user("testeur")
    op, args = sys.argv[3], sys.argv[4:]
    while not os.path.exists(sys.argv[1].split("?")[0] + ".go") and not os.path.exists(args[-1]):
        time.sleep(0.005)
    try:
        if op == "pay":
            done = payments.pay([int(args[0])], args[1], "transfer")
            print("ok", sum(a for _, a in done["allocations"]))
        elif op == "save":
            documents.update_draft(int(args[0]), int(args[1]), {"reference": "poste" + sys.argv[2]},
                                   [{"product": "VIS", "quantity": sys.argv[2]}])
            print("ok")
        elif op == "validate":
            print("ok", documents.validate(int(args[0])).number)
        elif op == "apply":
            print("ok", payments.apply_credit(int(args[0]), int(args[1]))["amount"])
    except FactuError as e:
        print("refusé", e)
""")


def _terminals(db, tmp_path, op, *args, n=6):
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db, str(i + 1), op, *map(str, args), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(n)]
    go.write_text("")
    out = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in out]
    return [o.strip() for o, _ in out]


def _invoice(qty="2"):
    return documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": qty}]).id)


@pytest.mark.backends
def test_terminals_paying_the_same_invoice_at_once_allocate_its_balance_once(shop, db, tmp_path):
    inv = _invoice()                                         # 30.00 due
    results = _terminals(db, tmp_path, "pay", inv.id, "30.00")
    paid = [r for r in results if r.startswith("ok")]
    assert len(paid) == 1 and paid[0] == "ok 30.00"
    assert all("déjà réglées" in r for r in results if not r.startswith("ok"))
    assert PaymentAllocation.select(payments.sum_of(PaymentAllocation.amount)).scalar() == D("30.00")
    assert Payment.select().count() == 1 and documents.get(inv.id).status == "paid"
    assert verify.run().ok


@pytest.mark.backends
def test_two_terminals_saving_the_same_draft_one_is_told_in_french(shop, db, tmp_path):
    draft = documents.create("quote", "C1", None, [{"product": "VIS"}])
    results = _terminals(db, tmp_path, "save", draft.id, draft.version, n=4)
    assert results.count("ok") == 1
    refused = [r for r in results if r != "ok"]
    assert all("a été modifié par un autre poste depuis son ouverture" in r and "rien n'a été écrasé" in r
               for r in refused)
    saved = documents.get(draft.id)
    winner = saved.reference[len("poste"):]
    assert [ln.quantity for ln in documents.lines_of(draft.id)] == [D(winner)]     # one whole save, no mix


@pytest.mark.backends
def test_terminals_validating_the_same_draft_take_one_number(shop, db, tmp_path):
    draft = documents.create("invoice", "C1", None, [{"product": "VIS"}])
    results = _terminals(db, tmp_path, "validate", draft.id)
    assert [r for r in results if r.startswith("ok")] == ["ok FA2026-00001"]
    assert all("déjà validé" in r for r in results if not r.startswith("ok"))
    assert Document.select().where(Document.number.is_null(False)).count() == 1
    assert _invoice().number.endswith("00002")                # no number lost


@pytest.mark.backends
def test_one_credit_note_applied_from_several_terminals_is_never_spent_twice(shop, db, tmp_path):
    first = _invoice("4")                                    # 60.00
    cn = documents.validate(documents.credit(first.id, {1: D("2")}).id)        # 30.00 of credit
    targets = [_invoice() for _ in range(3)]                 # 30.00 each
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db, str(i), "apply", str(cn.id), str(t.id), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i, t in enumerate(targets)]
    go.write_text("")
    results = [p.communicate(timeout=120)[0].strip() for p in procs]
    assert [r for r in results if r.startswith("ok")] == ["ok 30.00"]
    assert all("entièrement utilisé" in r for r in results if not r.startswith("ok"))
    assert payments.credit_note_left(documents.get(cn.id)) == D("0.00")
