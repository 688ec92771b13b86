"""Company profile, customers and products: identifiers checked, changes audited."""
import pytest

from tui_factu import audit, catalog, stock
from tui_factu.errors import InvalidValue


def test_company_identifiers_are_checked_with_their_check_digits(db):
    c = catalog.update_company({"name": "Ma Boîte", "siren": "732 829 320", "vat_number": "FR44732829320",
                                "iban": "FR76 3000 6000 0112 3456 7890 189"})
    assert c.siren == "732829320"
    assert c.iban == "FR7630006000011234567890189"
    with pytest.raises(InvalidValue, match="siren : numéro SIREN invalide « 732829321 »"):
        catalog.update_company({"siren": "732829321"})
    with pytest.raises(InvalidValue, match="IBAN invalide"):
        catalog.update_company({"iban": "FR7630006000011234567890188"})
    with pytest.raises(InvalidValue, match="champ inconnu"):
        catalog.update_company({"colour": "bleu"})


def test_customer_lookup_by_code_or_a_few_letters_of_the_name(shop):
    assert [c.code for c in catalog.find_customers("c1")] == ["C1"]
    assert [c.code for c in catalog.find_customers("jea")] == ["P1"]
    assert [c.code for c in catalog.find_customers("CLIENT")] == ["C1"]


def test_a_search_finds_a_word_inside_a_name_or_a_code_after_what_starts_with_it(shop):
    catalog.save_customer({"code": "GAR1", "name": "Garage Dupont"})
    catalog.save_customer({"code": "DUP", "name": "Dupuis SA"})
    assert [c.code for c in catalog.find_customers("dup")] == ["DUP", "GAR1"]
    assert [c.code for c in catalog.find_customers("ar1")] == ["GAR1"]
    assert [c.code for c in catalog.find_customers("100%_")] == []        # no LIKE wildcard
    assert catalog.find_products("nexistepas") == []


def test_customer_refusals_name_the_field(db):
    with pytest.raises(InvalidValue, match=r"client.vat_number : numéro de TVA intracommunautaire invalide"):
        catalog.save_customer({"code": "X", "name": "X", "vat_number": "FR00123456789"})
    with pytest.raises(InvalidValue, match=r"client.code : obligatoire"):
        catalog.save_customer({"name": "Sans code"})
    with pytest.raises(InvalidValue, match="délai de paiement|payment_terms_days"):
        catalog.save_customer({"code": "X", "name": "X", "payment_terms_days": 90})


def test_customer_changes_are_audited_field_by_field(shop):
    catalog.save_customer({"code": "C1", "name": "Client Un SAS", "email": "a@b.fr"})
    rows = audit.history("customer", catalog.customer_by_code("C1").id)
    fields = {r["field"]: (r["old"], r["new"]) for r in rows}
    assert fields["name"] == ("Client Un SARL", "Client Un SAS")
    assert fields["email"] == ("", "a@b.fr")
    assert rows[0]["user"] == "testeur"


def test_products_scan_by_barcode_and_refuse_wrong_ean(shop):
    assert catalog.product_by_scan("3760123456784").code == "VIS"
    assert catalog.product_by_scan("VIS").code == "VIS"
    with pytest.raises(InvalidValue, match="code EAN invalide"):
        catalog.save_product({"code": "Z", "name": "Z", "price": "1", "barcode": "3760123456785"})
    with pytest.raises(InvalidValue, match="taux autorisés"):
        catalog.save_product({"code": "Z", "name": "Z", "price": "1", "vat_rate": "19.6"})
    with pytest.raises(InvalidValue, match="incompatible avec le taux"):
        catalog.save_product({"code": "Z", "name": "Z", "price": "1", "vat_rate": "20", "vat_category": "AE"})


def test_initial_stock_is_an_inventory_move(shop):
    p = catalog.product_by_code("VIS")
    assert stock.on_hand(p.id) == 100
    catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "stock": "80"})
    assert stock.on_hand(p.id) == 80
