"""What a customer pays: one pricing function, each rule tested, and which wins when several
apply (the customer's list over its group's; a product's price over its family's discount; the
largest quantity break reached; nothing outside its dates)."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import audit, catalog, counter, documents, pricing
from tui_factu.errors import FactuError, InvalidValue

d = dt.date


def _price(customer="C1", code="VIS", qty="1", on=d(2026, 12, 1)):
    p = pricing.price_for(catalog.customer_by_code(customer), catalog.product_by_code(code), D(qty), on)
    return p.unit_price, p.discount_percent, p.rule


def test_catalogue_then_default_discount(shop):
    assert _price() == (D("12.50"), D("0"), "prix catalogue")
    catalog.update_customer("C1", {"discount_percent": "5"})
    assert _price() == (D("12.50"), D("5"), "remise client 5 %")


def test_quantity_breaks_and_dates(shop):
    pricing.set_item("PRO", "VIS", "11.00")
    pricing.set_item("PRO", "VIS", "10.00", min_qty="10")
    pricing.set_item("PRO", "VIS", "9.00", min_qty="10", valid_from="2026-01-01", valid_to="2026-06-30")
    catalog.update_customer("C1", {"pricelist": "PRO"})
    assert _price(qty="9") == (D("11.00"), D("0"), "prix liste PRO")
    assert _price(qty="10") == (D("10.00"), D("0"), "prix liste PRO, dès 10")
    assert _price(qty="10", on=d(2026, 3, 1))[0] == D("9.00")          # the spring offer, in its dates
    assert _price(qty="50", on=d(2026, 7, 1))[0] == D("10.00")         # expired: the break without dates


def test_the_customers_list_wins_over_its_groups_and_a_product_over_its_family(shop):
    catalog.save_product({"code": "PERC", "name": "Perceuse", "price": "89.00", "family": "Outillage", "vat_rate": "20"})
    pricing.set_item("ARTISANS", "family:Outillage", discount="10", group="artisans")
    pricing.set_item("ARTISANS", "PERC", "80.00")
    catalog.update_customer("C1", {"price_group": "artisans"})
    assert _price(code="PERC") == (D("80.00"), D("0"), "prix liste ARTISANS (groupe artisans)")
    catalog.save_product({"code": "SCIE", "name": "Scie", "price": "30.00", "family": "Outillage", "vat_rate": "20"})
    assert _price(code="SCIE") == (D("30.00"), D("10"), "remise 10 % liste ARTISANS (groupe artisans), famille Outillage")
    pricing.set_item("DURAND", "PERC", "75.00")
    catalog.update_customer("C1", {"pricelist": "DURAND"})
    assert _price(code="PERC")[:2] == (D("75.00"), D("0"))              # its own list first
    assert _price(code="SCIE")[1] == D("10")                          # nothing there: the group's list


def test_documents_and_the_counter_use_it_and_a_typed_price_stays(shop):
    pricing.set_item("PRO", "VIS", "10.00", min_qty="5")
    catalog.update_customer("C1", {"pricelist": "PRO"})
    doc = documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "6"},
                                                  {"product": "VIS", "quantity": "6", "unit_price": "12.00"}])
    assert [ln["unit_price"] for ln in documents.show(doc)["lines"]] == ["10.00", "12.00"]
    sale = counter.sale(counter.parse_items(["VIS:5"]), counter.parse_payments(["cash:100"]), customer="C1")
    assert documents.show(sale["document"])["lines"][0]["unit_price"] == "10.00"


def test_changes_are_audited_and_imports_all_or_nothing(shop, tmp_path):
    pricing.set_item("PRO", "VIS", "11.00")
    pricing.set_item("PRO", "VIS", "10.50")
    assert any("10.50" in str(e) for e in audit.history("pricelist"))
    bad = tmp_path / "prix.csv"
    bad.write_text("liste;code;prix;min;du;au\nPRO;LIVRE;18.00;;;\nPRO;NOPE;1;;;\n", encoding="utf-8")
    with pytest.raises(FactuError, match="ligne 3 : produit inconnu « NOPE »"):
        pricing.import_csv(str(bad))
    assert [r["product"] for r in pricing.items("PRO")] == ["VIS"]
    good = tmp_path / "ok.csv"
    good.write_text("PRO;LIVRE;18.00;;;\nPRO;family:Livres;5%;;;\n", encoding="utf-8")
    assert pricing.import_csv(str(good)) == 2
    with pytest.raises(InvalidValue, match="liste de prix inconnue"):
        catalog.update_customer("C1", {"pricelist": "NOPE"})
