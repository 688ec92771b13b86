"""Roles hold everywhere a clerk could get around them: costs, prices, dates, printers."""
import datetime as dt

import pytest

from tui_factu import audit, catalog, clock, documents, exchange, printing, session, users
from tui_factu.permissions import PermissionDenied


@pytest.fixture
def clerk(shop):
    users.create("chef", "manager", "x")
    users.create("caisse", "sales", "x")
    catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "cost": "7.50"})    # audited change
    session.set_user("caisse")
    return shop


def test_costs_leave_only_with_a_role_that_sees_them(clerk):
    assert all("cost" not in p for p in exchange.export_bundle()["products"])
    changes = [r for r in audit.history("product") if r["field"] == "cost"]
    assert changes and all(r["old"] in ("(masqué)", None) and r["new"] == "(masqué)" for r in changes)
    session.set_user("chef")
    assert any(p.get("cost") == "7.5000" or p.get("cost") for p in exchange.export_bundle()["products"])
    assert any(r["new"] == "7.5" for r in audit.history("product") if r["field"] == "cost")


def test_a_clerk_cannot_zero_a_cost_then_sell_at_a_loss(clerk):
    with pytest.raises(PermissionDenied, match="voir les coûts"):
        catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "cost": "0"})
    doc = documents.create("invoice", "C1", None, [{"product": "VIS", "unit_price": "5.00", "cost_price": "0"}])
    assert documents.lines_of(doc.id)[0].cost_price == catalog.product_by_code("VIS").cost   # not the typed 0
    with pytest.raises(PermissionDenied, match="responsable"):
        documents.validate(doc.id)


def test_a_price_typed_past_the_discount_ceiling_needs_a_manager(clerk):
    doc = documents.create("invoice", "C1", None, [{"product": "VIS", "unit_price": "10.00"}])   # 12.50 listed: −20 %
    with pytest.raises(PermissionDenied, match="plafond de remise"):
        documents.validate(doc.id)
    ok = documents.create("invoice", "C1", None, [{"product": "VIS", "unit_price": "11.00"}])    # −12 %
    assert documents.validate(ok.id).number
    session.set_user("chef")
    assert documents.validate(doc.id).number


def test_a_date_ahead_needs_a_manager(clerk):
    tomorrow = clock.today() + dt.timedelta(days=1)
    doc = documents.create("invoice", "C1", tomorrow, [{"product": "VIS"}])
    with pytest.raises(PermissionDenied, match="à faire valider par un responsable"):
        documents.validate(doc.id)
    session.set_user("chef")
    assert documents.validate(doc.id).date == tomorrow


def test_only_configured_printers_for_a_clerk(clerk):
    with pytest.raises(PermissionDenied, match="paramètres"):
        printing.resolve("tcp://10.0.0.1:9100")
    session.set_user("testeur")
    printing.set_printer("comptoir", "tcp://127.0.0.1:9100")
    session.set_user("caisse")
    assert printing.resolve("comptoir")["url"] == "tcp://127.0.0.1:9100"


def test_a_clerk_cannot_cut_a_catalogue_price_even_a_step_at_a_time(clerk):
    """Four cuts of 15 % each took 60 € down to 36,85 € without a manager."""
    with pytest.raises(PermissionDenied, match="baisser un prix du catalogue"):
        catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "6.00"})   # 12.50 → 6.00
    with pytest.raises(PermissionDenied, match="baisser un prix du catalogue"):
        catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "11.50"})  # within 15 %
    assert catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "13.00"}).price == 13
    session.set_user("chef")
    assert catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "6.00"}).price == 6


def test_a_closing_to_a_printer_refused_is_not_recorded(clerk):
    """`close day --printer file://…` by the accountant recorded the closing, then refused the print."""
    from types import SimpleNamespace
    from tui_factu import closings
    from tui_factu.cli.records import cmd_close
    session.set_user("testeur")                        # the admin of the test base
    users.create("compta", "accountant", "x")
    session.set_user("compta")
    with pytest.raises(PermissionDenied, match="paramètres"):
        cmd_close(SimpleNamespace(kind="day", date=None, list=False, json=False, printer="file:///tmp/z"))
    assert closings.listing() == []
