"""Someone with write access to the base file: what they change by hand, `verify` names — every
change, not only the first of each chain."""
import datetime as dt
import sqlite3

import pytest
from support import erase_last_invoice, raw_base

from tui_factu import clock, closings, db as database, documents, journal, payments, verify
from tui_factu.models import Document


def _invoices(n=3, customer="C1"):
    return [documents.validate(documents.create("invoice", customer, None, [{"product": "VIS", "quantity": str(i + 1)}]).id)
            for i in range(n)]


_raw = raw_base


def _failures(db, reinstall=True):
    database.connect(db)
    if reinstall:
        database.install_triggers()            # the attacker puts the guards back to look clean
    report = verify.run()
    assert not report.ok
    return [m for _, m, _ in report.failures]


def test_the_last_invoice_replaced_without_the_key_is_seen(shop, db):
    """Delete it and its record, roll the counter back, validate another under its number."""
    first, second, last = _invoices()
    erase_last_invoice(db, last)
    other = documents.validate(documents.create("invoice", "P1", None, [{"product": "LIVRE", "quantity": "9"}]).id)
    assert other.number == last.number and other.grand_total != last.grand_total
    failures = [m for _, m, _ in verify.run().failures]
    assert any("réécrit" in m for m in failures), failures


def test_a_sealed_invoice_set_back_to_draft_is_refused_then_seen(shop, db):
    inv, *_ = _invoices()
    import peewee as pw
    with pytest.raises(pw.DatabaseError, match="scellé"):
        Document.update(status="draft").where(Document.id == inv.id).execute()
    closings.close("day")                       # a Z that counted it
    con = _raw(db)
    con.execute("UPDATE document SET status = 'draft', sealed = 0 WHERE id = ?", (inv.id,))
    con.commit()
    con.close()
    failures = _failures(db)
    assert any(f"{inv.number} : statut « draft » écrit hors du journal" in m for m in failures), failures
    assert any("clôture" in m and "sales" in m for m in failures), failures      # the Z no longer adds up


def test_a_closed_period_reopened_by_hand_is_seen(shop, db):
    _invoices(1)
    c = closings.close("day")
    con = _raw(db)
    con.execute("UPDATE closing SET period_end = '2000-01-01' WHERE seq = ?", (c.seq,))
    con.execute("UPDATE sequence SET last_date = '2000-01-01'")
    con.commit()
    con.close()
    failures = _failures(db)
    assert any("clôture" in m and "end" in m for m in failures), failures
    assert any("date du compteur" in m for m in failures), failures


def test_a_counter_date_moved_forward_is_seen(shop, db):
    """Set to the end of the month, it refused every validation until then, and verify said nothing."""
    _invoices(1)
    con = _raw(db)
    con.execute("UPDATE sequence SET last_date = '2026-12-30' WHERE series = 'invoice'")
    con.commit()
    con.close()
    assert any("date du compteur invoice" in m and "avancée au 2026-12-30" in m for m in _failures(db))


def test_a_numbering_gap_injected_in_the_counter_is_seen(shop, db):
    _invoices(2)
    con = _raw(db)
    con.execute("UPDATE sequence SET next_value = next_value + 5 WHERE series = 'invoice'")
    con.commit()
    con.close()
    con = _raw(db)
    con.execute("UPDATE sequence SET last_date = '2000-01-01' WHERE series = 'invoice'")
    con.commit()
    con.close()
    failures = _failures(db)
    assert any("compteur invoice" in m and "modifié hors du logiciel" in m for m in failures), failures
    assert any("date du compteur" in m for m in failures), failures        # both changes, not the first
    database.connect(db)
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)   # FA…-00008
    failures = [m for _, m, _ in verify.run().failures]
    assert any("un numéro manque" in m for m in failures), failures


def test_every_failure_is_named_not_the_first_of_each_chain(shop, db):
    a, b, c = _invoices()
    con = _raw(db)
    con.execute("UPDATE document_line SET quantity = 9000 WHERE document_id IN (?, ?)", (a.id, c.id))
    con.commit()
    con.close()
    failures = _failures(db)
    assert any(a.number in m for m in failures) and any(c.number in m for m in failures)


def test_a_guard_replaced_by_a_no_op_of_the_same_name_is_seen(shop, db):
    inv, *_ = _invoices(1)
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER document_sealed_update")
    con.execute("CREATE TRIGGER document_sealed_update BEFORE UPDATE ON document WHEN 0 "
                "BEGIN SELECT RAISE(ABORT, 'document scellé'); END")
    con.commit()
    con.close()
    database.connect(db)
    failures = [m for _, m, _ in verify.run().failures]
    assert any("modifié" in m and "document_sealed_update" in m for m in failures), failures


@pytest.mark.backends
def test_a_disabled_or_rewritten_guard_is_seen_on_both_backends(shop, db):
    _invoices(1)
    if "postgres" in db:
        database.db.execute_sql("ALTER TABLE document DISABLE TRIGGER document_sealed_delete")
        database.db.execute_sql("CREATE OR REPLACE FUNCTION tf_child_guard() RETURNS trigger AS $$ "
                                "BEGIN RETURN NEW; END $$ LANGUAGE plpgsql")
        failures = [m for _, m, _ in verify.run().failures]
        assert any("désactivé : document_sealed_delete" in m for m in failures), failures
        assert any("modifié" in m and "document_line_sealed" in m for m in failures), failures
    else:
        database.db.execute_sql("DROP TRIGGER payment_no_delete")
        failures = [m for _, m, _ in verify.run().failures]
        assert any("supprimé : payment_no_delete" in m for m in failures), failures
    database.install_triggers()
    assert verify.run().ok


@pytest.mark.backends
def test_a_validation_racing_a_closing_is_either_counted_or_refused(shop, db):
    """Processes validate while another closes the day: the Z always equals what its period holds."""
    import os
    import subprocess
    import sys
    import textwrap
    worker = textwrap.dedent("""
        import sys
        from tui_factu import db, documents, session
        from tui_factu.errors import FactuError
        db.connect(sys.argv[1]); session.set_user("testeur")
        for i in range(12):
            try:
                documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
            except FactuError:
                pass
    """)
    procs = [subprocess.Popen([sys.executable, "-c", worker, db], cwd=os.getcwd()) for _ in range(3)]
    import time
    time.sleep(0.5)
    closings.close("day")
    for p in procs:
        assert p.wait(timeout=120) == 0
    database.db.close()
    database.connect(db)
    assert verify.run().ok                      # verify recounts every closing against its period
    counted = closings.listing()[0]["documents"].get("invoice", 0)
    dated_today = Document.select().where((Document.kind == "invoice") & Document.sealed
                                          & (Document.date == clock.today())).count()
    assert counted == dated_today               # none landed in the closed day after the Z


def test_no_invoice_nor_payment_dated_far_ahead(shop):
    inv, *_ = _invoices(1)
    from tui_factu.errors import StateError
    with pytest.raises(StateError, match="plus de 31 jours"):
        documents.validate(documents.create("invoice", "C1", "2099-12-31", [{"product": "VIS"}]).id)
    with pytest.raises(StateError, match="plus de 31 jours"):
        payments.pay([inv.id], "1", "cash", date="2099-12-31")
    assert journal.read_anchor()["invoice"]["seq"] == 1     # nothing refused reached the journal
