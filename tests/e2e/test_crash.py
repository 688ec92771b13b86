"""Processes killed (SIGKILL) at random points while validating, importing, paying and printing:
afterwards no half-written document, no consumed number, no broken chain."""
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time

from tui_factu import db as database, verify
from tui_factu.models import Document, DocumentLine, Payment, PrintJob, Sequence
from tui_factu.totals import LineIn, compute

WORKER = textwrap.dedent("""
    import json, random, sys
    from tui_factu import db, documents, exchange, payments, printing, session
    from printers import dispatch
    db.connect(sys.argv[1]); session.set_user("testeur")
    rng = random.Random(int(sys.argv[2]))
    bundle = json.loads(sys.argv[3])
    print("ready", flush=True)
    while True:
        op = rng.choice(["validate", "import", "pay", "print"])
        if op == "validate":
            lines = [{"product": "VIS", "quantity": str(rng.randint(1, 5))} for _ in range(rng.randint(1, 30))]
            documents.validate(documents.create("invoice", "C1", None, lines).id)
        elif op == "import":
            exchange.import_bundle(bundle)
        elif op == "pay":
            open_ = documents.listing("invoice", statuses=("validated",), limit=1)
            if open_:
                payments.pay([open_[0]["id"]], "5", "cash")
        else:
            done = documents.listing("delivery", statuses=("validated", "invoiced"), limit=1)
            if done:
                dispatch.slip(done[0]["number"], "file")
""")


def test_random_kills_leave_the_base_whole(shop, db, tmp_path):
    from tui_factu import documents, printing
    order = documents.validate(documents.create("order", "C1", None, [{"product": "VIS", "quantity": "50"}]).id)
    documents.validate(documents.transform([order.id], "delivery", {1: 1}).id)
    printing.set_printer("file", f"file://{tmp_path / 'lp'}")
    bundle = {"format": "tui-factu/1", "documents": [
        {"kind": "invoice", "customer": "C1", "validate": True,
         "lines": [{"product": "VIS", "quantity": "1"}, {"product": "LIVRE", "quantity": "2"}]},
        {"kind": "quote", "customer": "C1", "validate": True, "lines": [{"product": "MO", "quantity": "1"}]}]}
    database.db.close()
    rng = random.Random(2026)
    kills = 0
    for round_ in range(10):
        p = subprocess.Popen([sys.executable, "-c", WORKER, db, str(round_), json.dumps(bundle)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=os.getcwd())
        assert p.stdout.readline().strip() == "ready", p.stderr.read()
        time.sleep(rng.uniform(0.05, 0.8))
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        kills += p.returncode == -signal.SIGKILL
        database.connect(db)
        _whole()
        database.db.close()
    assert kills == 10
    database.connect(db)


def _whole():
    report = verify.run(workers=1)
    assert report.ok, report.as_dict()["first_failure"]
    for kind, prefix in (("invoice", "FA"), ("quote", "DE")):
        numbers = sorted(n for (n,) in Document.select(Document.number).where(
            (Document.kind == kind) & Document.number.is_null(False)).tuples())
        expected = [f"{prefix}{n[2:6]}-{i:05d}" for i, n in enumerate(numbers, start=1)]
        assert numbers == expected                                      # no gap, no double
        taken = sum(s.next_value - 1 for s in Sequence.select().where(Sequence.series == kind))
        assert taken == len(numbers)                                    # no number consumed for nothing
    for doc in Document.select():                                      # every document whole
        lines = list(DocumentLine.select().where(DocumentLine.document == doc.id).order_by(DocumentLine.position))
        assert lines, doc.id
        t = compute([LineIn(ln.kind, ln.quantity, ln.unit_price, ln.discount_percent, ln.vat_rate, ln.vat_category)
                     for ln in lines])
        assert (t.grand_total, t.tax_total) == (doc.grand_total, doc.tax_total), doc.id
    assert Payment.select().count() == len({p.seq for p in Payment.select()})
    assert all(j.state in ("pending", "printed", "failed") for j in PrintJob.select())
