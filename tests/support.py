"""Helpers shared by the tests."""
import os

import pytest


def need(condition: bool, reason: str) -> None:
    """Skip with the reason, or fail when CI forbids skipping."""
    if condition:
        return
    if os.environ.get("TUI_FACTU_NO_SKIP"):
        pytest.fail(f"requis en CI : {reason}")
    pytest.skip(reason)


def make_shop():
    from tui_factu import catalog
    catalog.update_company({"name": "Atelier Test", "legal_form": "SARL", "capital": "10000",
                            "siren": "732829320", "vat_number": "FR44732829320",
                            "line1": "1 rue du Test", "postcode": "75001", "city": "Paris",
                            "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"})
    catalog.save_customer({"code": "C1", "name": "Client Un SARL", "kind": "company",
                           "siren": "552100554", "vat_number": "FR96552100554",
                           "address": {"line1": "2 rue A", "postcode": "69001", "city": "Lyon"}})
    catalog.save_customer({"code": "P1", "name": "Jeanne Particulier", "kind": "person",
                           "address": {"line1": "3 rue B", "postcode": "33000", "city": "Bordeaux"}})
    catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "12.50", "cost": "7.00",
                          "vat_rate": "20", "stock_managed": True, "stock": "100",
                          "barcode": "3760123456784"})
    catalog.save_product({"code": "LIVRE", "name": "Livre", "price": "19.90", "cost": "12.00",
                          "vat_rate": "5.5", "stock_managed": True, "stock": "10"})
    catalog.save_product({"code": "MO", "name": "Main d'œuvre", "kind": "labour", "unit": "HUR",
                          "price": "45.00", "cost": "30.00", "vat_rate": "10"})
    catalog.save_product({"code": "DEPL", "name": "Déplacement", "kind": "service",
                          "price": "35.00", "vat_rate": "20"})
    return {"customer": "C1", "person": "P1"}
