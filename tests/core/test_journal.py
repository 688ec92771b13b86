"""Seals and verify: any edit made behind the app's back is found and the document named."""
import json
import sqlite3

import pytest
from support import raw_base

from tui_factu import db as database, documents, journal, verify
from tui_factu.errors import InvalidValue
from tui_factu.models import Document, JournalRecord


def _three_invoices():
    out = []
    for i in range(3):
        d = documents.create("invoice", "C1", "2026-11-20",
                             [{"product": "VIS", "quantity": str(i + 1)}, {"product": "MO"}])
        out.append(documents.validate(d.id))
    return out


_raw = raw_base


def _failure(db):
    database.connect(db)
    report = verify.run()
    assert not report.ok
    return report.as_dict()["first_failure"]


@pytest.mark.backends
def test_an_intact_journal_verifies_with_one_line_per_chain(shop):
    _three_invoices()
    report = verify.run()
    assert report.ok
    chains = {c.chain: c.records for c in report.chains}
    assert chains["invoice"] == 3


@pytest.mark.backends
def test_triggers_refuse_changes_to_sealed_rows(shop):
    import peewee as pw
    inv = _three_invoices()[0]
    with pytest.raises(pw.DatabaseError, match="scellé"):
        with database.db.atomic():
            Document.update(grand_total=1).where(Document.id == inv.id).execute()
    with pytest.raises(pw.DatabaseError, match="scellé"):
        with database.db.atomic():
            Document.delete().where(Document.id == inv.id).execute()
    with pytest.raises(pw.DatabaseError, match="journal"):
        with database.db.atomic():
            JournalRecord.update(payload="{}").where(JournalRecord.id == 1).execute()
    # a sealed document never goes back to draft; another status written by hand is seen
    with pytest.raises(pw.DatabaseError, match="scellé"):
        with database.db.atomic():
            Document.update(status="draft").where(Document.id == inv.id).execute()
    with database.db.atomic():
        Document.update(status="paid").where(Document.id == inv.id).execute()
    failure = verify.run().as_dict()["first_failure"]
    assert failure["ref"] == inv.number and "statut « paid » écrit hors du journal" in failure["error"]


def test_edited_price_is_caught_and_named(shop, db):
    inv = _three_invoices()[1]
    con = _raw(db)
    con.execute("UPDATE document_line SET unit_price = unit_price - 10000 WHERE document_id = ? AND position = 1",
                (inv.id,))
    con.commit()
    failure = _failure(db)
    assert failure["ref"] == inv.number
    assert "lignes" in failure["error"]


@pytest.mark.parametrize("sql,what", [
    ("UPDATE document_line SET quantity = quantity + 1000 WHERE document_id = {id}", "lignes"),
    ("UPDATE document_line SET vat_rate = 550 WHERE document_id = {id}", "lignes"),
    ("UPDATE document SET date = '2026-01-01' WHERE id = {id}", "date"),
    ("UPDATE document SET customer_id = (SELECT id FROM customer WHERE code = 'P1') WHERE id = {id}", "client lié"),
    ("UPDATE document SET customer_snapshot = replace(customer_snapshot, 'Client Un', 'Autre') WHERE id = {id}", "client"),
    ("UPDATE document SET grand_total = 1 WHERE id = {id}", "totaux"),
    ("UPDATE document_vat SET amount = amount + 1 WHERE document_id = {id}", "TVA"),
    ("DELETE FROM document_line WHERE document_id = {id} AND position = 2", "lignes"),
])
def test_every_kind_of_edit_names_the_document(shop, db, sql, what):
    inv = _three_invoices()[1]
    con = _raw(db)
    con.execute(sql.format(id=inv.id))
    con.commit()
    failure = _failure(db)
    assert failure["ref"] == inv.number
    assert what in failure["error"]


def test_deleted_invoice_is_caught(shop, db):
    inv = _three_invoices()[2]
    con = _raw(db)
    con.execute("DELETE FROM document_line WHERE document_id = ?", (inv.id,))
    con.execute("DELETE FROM document_vat WHERE document_id = ?", (inv.id,))
    con.execute("DELETE FROM document WHERE id = ?", (inv.id,))
    con.commit()
    failure = _failure(db)
    assert failure["ref"] == inv.number and "supprimé" in failure["error"]


def test_replaced_journal_record_is_caught(shop, db):
    inv = _three_invoices()[0]
    con = _raw(db)
    payload = json.loads(con.execute("SELECT payload FROM journal_record WHERE ref = ?", (inv.number,)).fetchone()[0])
    payload["totals"]["grand_total"] = "0.01"
    con.execute("UPDATE journal_record SET payload = ? WHERE ref = ?", (json.dumps(payload), inv.number))
    con.commit()
    failure = _failure(db)
    assert failure["ref"] == inv.number


def test_truncated_tail_is_caught_by_the_anchor(shop, db):
    invoices = _three_invoices()
    con = _raw(db)
    last = invoices[-1]
    con.execute("DELETE FROM journal_record WHERE ref = ?", (last.number,))
    for t in ("document_line", "document_vat"):
        con.execute(f"DELETE FROM {t} WHERE document_id = ?", (last.id,))
    con.execute("DELETE FROM document WHERE id = ?", (last.id,))
    con.commit()
    failure = _failure(db)
    assert "tronquée" in failure["error"]


def test_reordered_records_are_caught(shop, db):
    _three_invoices()
    con = _raw(db)
    con.execute("UPDATE journal_record SET seq = seq + 100 WHERE chain = 'invoice' AND seq = 2")
    con.execute("UPDATE journal_record SET seq = 2 WHERE chain = 'invoice' AND seq = 3")
    con.execute("UPDATE journal_record SET seq = 3 WHERE chain = 'invoice' AND seq = 102")
    con.commit()
    assert _failure(db)["chain"] == "invoice"


def test_a_database_copied_without_its_key_cannot_seal_and_verifies_only_against_a_key_given(shop, db, tmp_path):
    from tui_factu.errors import FactuError
    from tui_factu.models import Company
    _three_invoices()
    public = (database.state_dir() / "signing.pub").read_bytes()
    key = database.state_dir() / "signing.key"
    key.rename(tmp_path / "elsewhere.key")
    (database.state_dir() / "signing.pub").unlink()
    journal.forget_signers()
    failures = [m for _, m, _ in verify.run().failures]       # the key pinned in the base proves nothing
    assert any("aucune clé publique hors de la base" in m for m in failures)
    assert verify.run(trusted_key=public).ok                  # verify --key signing.pub
    with pytest.raises(FactuError, match="clé de signature de la société absente"):
        documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from tui_factu import signer
    other = signer.public_pem_of(Ed25519PrivateKey.generate().public_key())
    Company.update(signing_public_key=other.decode(), signing_key_id="0" * 16).execute()
    assert "clé inconnue" in verify.run(trusted_key=other).as_dict()["first_failure"]["error"]


def test_events_have_their_own_chain(shop):
    journal.event("print", {"document": "FA2026-00001"}, "FA2026-00001")
    chains = {c.chain for c in verify.run().chains}
    assert "event" in chains
    with pytest.raises(InvalidValue, match="aucun changement à la main"):
        documents.set_status(_three_invoices()[0].id, "accepted")


def test_records_sealed_in_an_older_payload_format_still_verify(shop, db):
    """Upgrades must never break old seals (anchors.md §8): a format-1 record is rebuilt as
    format 1. Here a format-1 seal is made the way the first release made it."""
    import base64
    from tui_factu import sealing
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    old = journal.canonical(sealing.payload_for(inv.id, fmt=1))
    assert '"customer_code"' not in old and '"format":1' in old
    database.db.close()
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER journal_no_update")
    row = con.execute("SELECT chain, seq, prev_signature FROM journal_record WHERE ref = ?", (inv.number,)).fetchone()
    digest = journal.record_hash(row[0], row[1], row[2], old)
    key = journal._signer().key
    sig = base64.urlsafe_b64encode(key.sign(digest)).decode()
    con.execute("UPDATE journal_record SET payload = ?, hash = ?, signature = ? WHERE ref = ?",
                (old, digest.hex(), sig, inv.number))
    con.commit()
    con.close()
    (database.state_dir() / "anchor.log").write_text(f"{row[0]} {row[1]} {digest.hex()}\n")   # as it anchored it
    database.connect(db)
    database.install_triggers()             # the first release's base had its guard in place
    assert verify.run().ok


@pytest.mark.backends
def test_a_dropped_trigger_alone_is_caught_and_init_puts_it_back(shop, db):
    _three_invoices()
    if "postgres" in db.split("?")[0]:
        database.db.execute_sql("DROP TRIGGER document_sealed_update ON document")
    else:
        database.db.execute_sql("DROP TRIGGER document_sealed_update")
    report = verify.run()
    assert not report.ok
    failure = report.as_dict()["first_failure"]
    assert (failure["chain"], failure["ref"]) == ("guards", "document_sealed_update")
    assert "déclencheur de protection supprimé" in failure["error"]
    database.install_triggers()
    assert verify.run().ok


def test_a_dropped_trigger_does_not_hide_what_was_altered(shop, db):
    inv = _three_invoices()[0]
    con = _raw(db)
    con.execute("UPDATE document_line SET quantity = 9000 WHERE document_id = ?", (inv.id,))
    con.commit()
    database.connect(db)
    report = verify.run().as_dict()
    assert report["first_failure"]["ref"] == inv.number
    assert any(c["chain"] == "guards" and not c["ok"] for c in report["chains"])


def test_a_seal_rolled_back_inside_a_larger_transaction_never_reaches_the_anchor(shop):
    """A refused step caught by its caller: its record is rolled back with its savepoint, and
    the tail anchor must not claim it (else verify would see a truncated chain that is not)."""
    from tui_factu import counter
    from tui_factu.errors import InvalidValue
    with database.write():
        try:
            counter.sale(counter.parse_items(["VIS"]), counter.parse_payments(["cash:1"]))   # sealed, then refused
        except InvalidValue:
            pass
        documents.validate(documents.create("quote", "C1", None, [{"product": "VIS"}]).id)
    report = verify.run()
    assert report.ok, report.as_dict()["first_failure"]
    assert journal.read_anchor().get("receipt") is None
