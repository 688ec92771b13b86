"""The JSON exchange format, all-or-nothing import, and in-place schema upgrades."""
import json
import sqlite3
from pathlib import Path

import pytest

from tui_factu import db as database, exchange, users
from tui_factu.errors import InvalidValue
from tui_factu.models import Customer, Document, DocumentLine, JournalRecord, Product, Sequence

BUNDLE = {"format": "tui-factu/1",
          "company": {"name": "Quincaillerie Martin", "legal_form": "SARL", "siren": "404833048",
                      "vat_number": "FR83404833048", "line1": "12 rue des Artisans", "postcode": "95310",
                      "city": "Saint-Ouen-l'Aumône", "email": "contact@quincaillerie-martin.fr"},
          "customers": [{"code": "C001", "name": "Bâtiments Durand", "kind": "company",
                         "siren": "732829320", "vat_number": "FR44732829320",
                         "address": {"line1": "2 rue de la Paix", "postcode": "75002", "city": "Paris"}}],
          "products": [{"code": "P001", "name": "Vis", "kind": "goods", "unit": "C62", "price": "12.50",
                        "cost": "8.00", "vat_rate": "20", "stock_managed": True, "stock": "25"}],
          "documents": [{"kind": "invoice", "customer": "C001", "date": "2026-11-27", "reference": "PO-1",
                         "validate": True,
                         "lines": [{"product": "P001", "quantity": "3", "unit_price": "12.50",
                                    "discount_percent": "10", "vat_rate": "20"},
                                   {"description": "Déplacement", "quantity": "1", "unit": "C62",
                                    "unit_price": "45.00", "vat_rate": "20", "vat_category": "S"},
                                   {"text": "Un commentaire"}],
                         "allowances": [{"amount": "10.00", "vat_rate": "20", "reason": "Remise"}],
                         "charges": [{"amount": "5.00", "vat_rate": "20", "reason": "Port"}]},
                        {"kind": "quote", "customer": "C001", "date": "2026-11-27",
                         "lines": [{"product": "P001"}]}]}


@pytest.mark.backends
def test_import_creates_and_validates_with_the_readme_example(db):
    created = exchange.import_bundle(BUNDLE)
    assert created[0]["number"] == "FA2026-00001" and created[1]["number"] is None
    from tui_factu import documents
    view = documents.show(documents.get(created[0]["id"]))
    assert view["totals"] == {"line_total": "78.75", "allowance_total": "10.00", "charge_total": "5.00",
                              "tax_basis_total": "73.75", "tax_total": "14.75", "grand_total": "88.50",
                              "prepaid": "0.00", "rounding": "0.00", "due": "88.50"}
    assert [ln.get("net_amount") for ln in view["lines"]] == ["33.75", "45.00", None]


@pytest.mark.backends
def test_import_is_all_or_nothing(db):
    bad = json.loads(json.dumps(BUNDLE))
    bad["documents"][1]["lines"] = [{"product": "NOPE"}]
    with pytest.raises(InvalidValue, match=r"documents\[1\] : lines\[0\].product : produit inconnu « NOPE »"):
        exchange.import_bundle(bad)
    assert Customer.select().count() == 0 and Product.select().count() == 0
    assert Document.select().count() == 0 and JournalRecord.select().count() == 0
    assert Sequence.select().count() == 0        # no number consumed


@pytest.mark.parametrize("mutate,message", [
    (lambda b: b.update(format="autre/2"), "format"),
    (lambda b: b["documents"][0].update(customer="NOPE"), r"documents\[0\].customer : client inconnu"),
    (lambda b: b["documents"][0].update(lines=[]), "au moins une ligne"),
    (lambda b: b["documents"][0].update(date="2026-13-01"), "date invalide"),
    (lambda b: b["products"][0].update(price="abc"), r"products\[0\].price : nombre invalide"),
    (lambda b: b["customers"][0].update(siren="123"), "SIREN invalide"),
    (lambda b: b["documents"][0]["lines"][0].update(quantity="1e400"), "nombre"),
])
def test_each_bad_field_is_named(db, mutate, message):
    bad = json.loads(json.dumps(BUNDLE))
    mutate(bad)
    with pytest.raises(InvalidValue, match=message):
        exchange.import_bundle(bad)
    assert Document.select().count() == 0


def test_unreadable_files_are_refused_in_french(tmp_path, db):
    f = tmp_path / "x.json"
    f.write_bytes(b"\xff\xfe{not json")
    with pytest.raises(InvalidValue, match="UTF-8"):
        exchange.read_bundle(str(f))
    f.write_text("{\"format\": ")
    with pytest.raises(InvalidValue, match="JSON invalide ligne 1"):
        exchange.read_bundle(str(f))


def test_export_then_import_into_an_empty_base_gives_the_same_documents(db, tmp_path):
    exchange.import_bundle(BUNDLE)
    bundle = exchange.export_bundle()
    before = [(d["kind"], d["totals"]) for d in bundle["documents"]]
    database.db.close()
    database.connect(str(tmp_path / "other.db"))
    database.ensure_schema()
    users.bootstrap_admin("testeur", None, None)
    exchange.import_bundle(bundle)
    after = [(d["kind"], d["totals"]) for d in exchange.export_bundle()["documents"]]
    assert after == before
    from tui_factu import catalog, stock
    assert exchange.export_bundle()["products"][0]["stock"] == "25"   # before the documents
    assert stock.on_hand(catalog.product_by_code("P001").id) == 22    # 25 − 3 sold at the counter


def test_a_version_1_database_is_upgraded_without_losing_a_row(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript((Path(__file__).parent / "data" / "schema_v1.sql").read_text())
    counts = {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("customer", "product", "document", "document_line", "journal_record", "stock_move")}
    assert con.execute("SELECT version FROM schema_info").fetchone()[0] == 1
    con.close()
    database.connect(str(path))
    assert database.ensure_schema() == database.SCHEMA_VERSION == 1 + len(database.MIGRATIONS)
    users.bootstrap_admin("testeur", None, None)
    for table, n in counts.items():
        assert database.db.execute_sql(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == n, table
    p = Product.get(Product.code == "V1P")
    assert p.reorder_level is None and p.price == 10
    assert Document.get(Document.number == "FA2026-00001").grand_total == 24
    assert DocumentLine.select().count() == counts["document_line"]
    # the rebuilt trigger guards the columns added since (v7: retention of a situation)
    with pytest.raises(Exception, match="scellé"):
        database.db.execute_sql("UPDATE document SET retention_percent = 500 WHERE number = 'FA2026-00001'")
    # and the upgraded base works: a new product with the new column
    from tui_factu import catalog
    assert catalog.save_product({"code": "NEW", "name": "Nouveau", "price": "1", "reorder_level": "5"}).reorder_level == 5


def test_a_newer_database_is_refused(db):
    from tui_factu.errors import FactuError
    from tui_factu.models import SchemaInfo
    SchemaInfo.update(version=99).execute()
    with pytest.raises(FactuError, match="plus récente"):
        database.ensure_schema()
