"""Margin from the cost snapshot: per line and in total, shown only to roles that see costs."""

from tui_factu import catalog, documents, margins, session, users
from tui_factu.models import Setting


def test_margin_and_markup_per_line_and_flags(shop):
    users.create("chef", "manager")
    users.create("caisse", "sales")
    doc = documents.create("quote", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": "10"},                          # 125.00 sold, 70.00 cost
        {"product": "LIVRE", "quantity": "1", "unit_price": "10.00"}])  # 10.00 sold, 12.00 cost
    catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "cost": "9.00"})   # later cost change
    m = margins.of_lines(documents.lines_of(doc.id))
    assert m["lines"][0] == {"position": 1, "cost": "70.00", "margin": "55.00", "rate": "44.0", "markup": "78.6"}
    assert (m["cost"], m["margin"]) == ("82.00", "53.00")              # the snapshot, not today's cost
    assert m["flags"] == ["ligne 2 (Livre) vendue à perte (-2.00 €)"]
    Setting.create(key="margin.floor_percent", value="50")
    assert any("sous la marge plancher" in f for f in margins.of_lines(documents.lines_of(doc.id))["flags"])
    session.set_user("chef")
    assert documents.show(documents.get(doc.id))["margin"]["margin"] == "53.00"
    session.set_user("caisse")
    assert "margin" not in documents.show(documents.get(doc.id))
