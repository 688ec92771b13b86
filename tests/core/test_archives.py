"""Signed archives: what they hold, and every way of altering one named by the offline check."""
import json
import zipfile

import pytest

from tui_factu import archives, documents, journal, payments
from tui_factu.errors import FactuError


def _rewrite(src, dst, change):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = change(item.filename, zin.read(item.filename))
            if data is not None:
                zout.writestr(item, data)


@pytest.fixture
def archived(shop, tmp_path):
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "2"}]).id)
    payments.pay([inv.id], "30", "card")
    path = str(tmp_path / "a.zip")
    done = archives.write(str(inv.date.year), path, lambda doc_id: b"%PDF-1.7 " + str(doc_id).encode())
    return inv, path, done


def test_an_archive_holds_what_was_sealed_and_verifies(archived):
    inv, path, done = archived
    assert (done["documents"], done["payments"]) == (1, 1)
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        assert {f"documents/{inv.number}.json", f"documents/{inv.number}.pdf", "payments.json", "closings.json",
                "journal.jsonl", "public_key.pem", "manifest.json", "manifest.sig"} <= names
        sealed = journal.JournalRecord.get(journal.JournalRecord.ref == inv.number).payload
        assert z.read(f"documents/{inv.number}.json").decode() == sealed
        assert json.loads(z.read("payments.json"))[0]["amount"] == "30.00"
    company_key = journal.public_key_pem()
    result = archives.verify_archive(path, company_key)
    assert result["ok"] and result["problems"] == [] and result["trusted"] == "donnée (--key)"
    alone = archives.verify_archive(path)                 # no trusted key: the key inside proves nothing
    assert not alone["ok"] and "aucune clé de confiance" in alone["problems"][0]
    assert archives.verify_archive(path, trust_embedded=True)["ok"]


def test_each_alteration_is_named(archived, tmp_path):
    inv, path, _ = archived
    bad = str(tmp_path / "bad.zip")
    _rewrite(path, bad, lambda n, d: d.replace(b'"25.00"', b'"2.50"') if n.endswith(".json") and "documents/" in n
             else (None if n == "payments.json" else d))
    problems = archives.verify_archive(bad, trust_embedded=True)["problems"]
    assert f"fichier altéré : documents/{inv.number}.json" in problems
    assert "fichier manquant : payments.json" in problems
    assert any("ne correspond plus à son scellement" in p for p in problems)
    # a record altered in journal.jsonl, and the manifest re-written by someone without the key
    _rewrite(path, bad, lambda n, d: d.replace(b'"validate"', b'"validat3"', 1) if n == "journal.jsonl" else d)
    assert "fichier altéré : journal.jsonl" in archives.verify_archive(bad, trust_embedded=True)["problems"]
    _rewrite(path, bad, lambda n, d: d.replace(b'"format"', b'"Format"') if n == "manifest.json" else d)
    assert any("signature invalide" in p for p in archives.verify_archive(bad, trust_embedded=True)["problems"])
    other_key = b"-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA" + b"A" * 43 + b"=\n-----END PUBLIC KEY-----\n"
    assert any("ce n'est pas la clé de confiance donnée (--key)" in p
               for p in archives.verify_archive(path, other_key)["problems"])


def test_no_archive_from_a_broken_journal_and_periods_parse(shop, db, tmp_path):
    from tui_factu import models
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    models.db.execute_sql("DROP TRIGGER document_line_sealed_update")
    models.DocumentLine.update(unit_price=1).where(models.DocumentLine.document == inv.id).execute()
    with pytest.raises(FactuError, match="le journal n'est pas intact"):
        archives.write("2026", str(tmp_path / "x.zip"), lambda i: b"")
    assert not (tmp_path / "x.zip").exists() and not (tmp_path / "x.zip.part").exists()
    assert archives.parse_period("2026-02")[1].day == 28
    assert [d.isoformat() for d in archives.parse_period("2026-01-01..2026-06-30")] == ["2026-01-01", "2026-06-30"]
    with pytest.raises(FactuError, match="mois invalide"):
        archives.parse_period("2026-13")
