"""The document chain as a counter clerk runs it: quote → order → partial deliveries →
invoice → credit note, with remaining quantities, backorders, stock and status."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import catalog, documents, stock
from tui_factu.errors import Conflict, InvalidValue, StateError
from tui_factu.models import Document


def _order(shop, qty_vis="10", qty_livre="4"):
    quote = documents.create("quote", "C1", "2026-11-02", [
        {"product": "VIS", "quantity": qty_vis, "discount_percent": "10"},
        {"text": "Livraison au dépôt"},
        {"product": "LIVRE", "quantity": qty_livre},
        {"product": "MO", "quantity": "2.5"}], reference="BC-77")
    documents.validate(quote.id, "2026-11-02")
    order = documents.transform([quote.id], "order")
    return quote, documents.validate(order.id, "2026-11-03")


@pytest.mark.backends
def test_whole_chain_with_partial_deliveries_backorders_and_credit(shop):
    quote, order = _order(shop)
    assert documents.get(quote.id).status == "accepted"
    assert order.number == "CO2026-00001"
    assert order.reference == "BC-77"          # the customer's PO follows the chain
    assert order.grand_total == D("342.73")     # 304.60 HT + 22.50 + 4.38 + 11.25

    d1 = documents.validate(documents.transform([order.id], "delivery", {1: D("6"), 3: D("4")}).id,
                            "2026-11-04")
    assert d1.number == "BL2026-00001"
    assert documents.get(order.id).status == "partial"
    rest = documents.remaining(documents.get(order.id), "delivery", validated_only=True)
    assert rest == {1: D("4"), 3: D("0"), 4: D("2.5")}
    back = documents.backorders()
    assert [(b["product"], b["remaining"]) for b in back] == [("VIS", D("4")), ("MO", D("2.5"))]
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("94")

    d2 = documents.validate(documents.transform([order.id], "delivery").id, "2026-11-05")
    assert documents.get(order.id).status == "delivered"
    assert documents.backorders() == []
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("90")

    inv = documents.validate(documents.transform([d1.id, d2.id], "invoice").id, "2026-11-06")
    assert inv.number == "FA2026-00001"
    assert inv.grand_total == order.grand_total         # two deliveries, one invoice, same cents
    assert documents.get(d1.id).status == "invoiced"
    assert documents.remaining(documents.get(order.id), "invoice") == {1: 0, 3: 0, 4: 0}
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("90")   # not taken twice
    assert inv.due_date == dt.date(2026, 12, 6)                           # company's 30 days

    # credit 2 boxes of screws: they come back into stock
    pos = next(ln.position for ln in documents.lines_of(inv.id) if ln.code == "VIS")
    cn = documents.validate(documents.credit(inv.id, {pos: D("2")}).id, "2026-11-07")
    assert cn.number == "AV2026-00001"
    assert cn.preceding_id == inv.id
    assert cn.grand_total == D("27.00")                 # 2 × 12.50 − 10 % + 20 % VAT
    assert stock.on_hand(catalog.product_by_code("VIS").id) == D("92")
    view = documents.show(cn)
    assert view["preceding"] == {"number": "FA2026-00001", "date": "2026-11-06"}


def test_a_credit_note_never_credits_more_than_was_invoiced(shop):
    inv = documents.create("invoice", "C1", "2026-11-10", [{"product": "VIS", "quantity": "3"}])
    inv = documents.validate(inv.id)
    documents.validate(documents.credit(inv.id, {1: D("2")}).id)
    with pytest.raises(InvalidValue, match=r"quantité supérieure au reste \(1\)"):
        documents.credit(inv.id, {1: D("2")})
    draft = documents.credit(inv.id)              # what remains: 1
    assert [ln.quantity for ln in documents.lines_of(draft.id)] == [D("1")]
    # a second draft for the same remainder cannot be validated once the first is
    documents.validate(draft.id)
    with pytest.raises(StateError, match="rien à créditer"):
        documents.credit(inv.id)


def test_raising_a_credit_note_price_above_the_invoice_is_refused(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-10",
                                              [{"product": "VIS", "quantity": "1"}]).id)
    cn = documents.credit(inv.id)
    lines = [{"product": "VIS", "quantity": "1", "unit_price": "99.00", "origin": documents.lines_of(cn.id)[0].origin_id}]
    documents.update_draft(cn.id, cn.version, lines=lines)
    with pytest.raises(InvalidValue, match="montant supérieur à la ligne facturée"):
        documents.validate(cn.id)


def test_over_delivery_is_refused_with_the_line_named(shop):
    _, order = _order(shop)
    with pytest.raises(InvalidValue, match=r"ligne 1 : quantité supérieure au reste \(10\)"):
        documents.transform([order.id], "delivery", {1: D("11")})
    with pytest.raises(InvalidValue, match="n'a pas de ligne n° 9"):
        documents.transform([order.id], "delivery", {9: D("1")})
    with pytest.raises(StateError, match="ne peut pas devenir"):
        documents.transform([order.id], "credit_note")


def test_validation_freezes_the_customer_legal_data(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-10",
                                              [{"product": "DEPL", "quantity": "1"}]).id)
    catalog.save_customer({"code": "C1", "name": "Nouveau Nom SAS",
                           "address": {"line1": "9 rue Neuve", "postcode": "13001", "city": "Marseille"}})
    view = documents.show(documents.get(inv.id))
    assert view["customer"]["name"] == "Client Un SARL"


def test_a_validated_document_cannot_be_edited_or_deleted(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-10",
                                              [{"product": "DEPL", "quantity": "1"}]).id)
    with pytest.raises(StateError, match="ne peut plus être modifié"):
        documents.update_draft(inv.id, inv.version, {"reference": "X"})
    with pytest.raises(StateError, match="ne peut pas être supprimé"):
        documents.delete_draft(inv.id, inv.version)
    with pytest.raises(StateError, match="déjà validé"):
        documents.validate(inv.id)


@pytest.mark.backends
def test_two_terminals_editing_one_draft_get_a_clear_conflict(shop):
    draft = documents.create("quote", "C1", "2026-11-10", [{"product": "VIS", "quantity": "1"}])
    first = documents.update_draft(draft.id, draft.version, lines=[{"product": "VIS", "quantity": "2"}])
    with pytest.raises(Conflict, match="modifié par un autre poste.*rien n'a été écrasé"):
        documents.update_draft(draft.id, draft.version, lines=[{"product": "VIS", "quantity": "5"}])
    kept = documents.lines_of(draft.id)
    assert [ln.quantity for ln in kept] == [D("2")]
    assert first.version == draft.version + 1


def test_draft_edits_are_in_the_audit_trail(shop):
    from tui_factu import audit
    draft = documents.create("quote", "C1", "2026-11-10", [{"product": "VIS", "quantity": "1"}])
    documents.update_draft(draft.id, draft.version, {"reference": "PO-9"},
                           lines=[{"product": "VIS", "quantity": "4"}])
    rows = {r["field"]: r for r in audit.history("document", draft.id)}
    assert rows["reference"]["old"] == "" and rows["reference"]["new"] == "PO-9"
    assert "× 1" in rows["lignes"]["old"] and "× 4" in rows["lignes"]["new"]


def test_a_counter_invoice_delivers_directly_and_moves_stock(shop):
    vis = catalog.product_by_code("VIS")
    documents.validate(documents.create("invoice", "P1", "2026-11-10",
                                        [{"product": "VIS", "quantity": "3"}]).id)
    assert stock.on_hand(vis.id) == D("97")


def test_order_invoiced_directly_counts_as_delivered(shop):
    _, order = _order(shop)
    documents.validate(documents.transform([order.id], "invoice").id)
    assert documents.get(order.id).status == "delivered"
    with pytest.raises(StateError, match="rien à livrer"):
        documents.transform([order.id], "delivery")


def test_regrouping_deliveries_of_two_customers_is_refused(shop):
    d1 = documents.validate(documents.create("delivery", "C1", "2026-11-10", [{"product": "VIS", "quantity": "1"}]).id)
    d2 = documents.validate(documents.create("delivery", "P1", "2026-11-10", [{"product": "VIS", "quantity": "1"}]).id)
    with pytest.raises(InvalidValue, match="même client"):
        documents.transform([d1.id, d2.id], "invoice")


def test_bad_lines_are_refused_with_field_and_value(shop):
    with pytest.raises(InvalidValue, match=r"lines\[0\].product : produit inconnu « NOPE »"):
        documents.create("invoice", "C1", None, [{"product": "NOPE"}])
    with pytest.raises(InvalidValue, match=r"lines\[0\].quantity : doit être positive"):
        documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "-1"}])
    with pytest.raises(InvalidValue, match=r"lines\[0\].discount_percent : entre 0 et 100"):
        documents.create("invoice", "C1", None, [{"product": "VIS", "discount_percent": "120"}])
    with pytest.raises(InvalidValue, match="date invalide"):
        documents.create("invoice", "C1", "31/02/2026", [{"product": "VIS"}])
    with pytest.raises(InvalidValue, match="aucune ligne chiffrée"):
        documents.validate(documents.create("invoice", "C1", None, [{"text": "rien"}]).id)
    assert Document.select().where(Document.number.is_null(False)).count() == 0


def test_invoicing_a_french_company_without_siren_is_refused(shop):
    catalog.save_customer({"code": "NOSIREN", "name": "Sans Siren SARL", "kind": "company",
                           "address": {"city": "Paris", "postcode": "75001"}})
    draft = documents.create("invoice", "NOSIREN", None, [{"product": "VIS"}])
    with pytest.raises(InvalidValue, match="SIREN obligatoire"):
        documents.validate(draft.id)
    assert documents.get(draft.id).number is None


def test_quote_gets_a_validity_date_and_can_be_refused(shop):
    q = documents.validate(documents.create("quote", "C1", "2026-11-10", [{"product": "VIS"}]).id)
    assert q.validity_date == dt.date(2026, 12, 10)
    assert documents.set_status(q.id, "refused").status == "refused"
    with pytest.raises(StateError, match="est refusé"):
        documents.transform([q.id], "order")


def test_available_stock_counts_what_open_orders_reserve(shop):
    _, order = _order(shop)                          # 10 VIS ordered, 100 on hand
    assert documents.availability("VIS") == {"on_hand": D("100"), "reserved": D("10"), "available": D("90")}
    documents.validate(documents.transform([order.id], "delivery", {1: D("6")}).id)
    assert documents.availability("VIS") == {"on_hand": D("94"), "reserved": D("4"), "available": D("90")}
    assert documents.availability("MO") is None      # a service has no stock


def test_the_chain_around_any_document(shop):
    quote, order = _order(shop)
    d1 = documents.validate(documents.transform([order.id], "delivery", {1: D("6")}).id)
    inv = documents.validate(documents.transform([d1.id], "invoice").id)
    cn = documents.validate(documents.credit(inv.id, {1: D("1")}).id)
    for start in (quote, d1, cn):
        chain = documents.genealogy(start.id)
        assert [c["kind"] for c in chain] == ["quote", "order", "delivery", "invoice", "credit_note"]
        assert [c["current"] for c in chain].index(True) == [c["id"] for c in chain].index(start.id)
    by_kind = {c["kind"]: c for c in documents.genealogy(inv.id)}
    assert (by_kind["order"]["remaining_to_deliver"], by_kind["order"]["remaining_to_invoice"]) == ("10.5", "10.5")


def test_listing_pages_by_key_by_date_with_filters(shop):
    days = ["2026-11-03", "2026-11-01", "2026-11-02", "2026-11-01", "2026-11-05"]
    ids = [documents.create("quote", "C1" if i % 2 else "P1", d, [{"product": "VIS"}]).id for i, d in enumerate(days)]
    seen, after = [], None
    while True:
        page = documents.listing("quote", by_date=True, descending=True, limit=2,
                                 after_id=after[0] if after else None, after_date=after[1] if after else None)
        if not page:
            break
        seen += [(r["date"], r["id"]) for r in page]
        after = (page[-1]["id"], dt.date.fromisoformat(page[-1]["date"]))
    assert seen == sorted(((d, i) for d, i in zip(days, ids)), reverse=True)
    c1 = documents.listing("quote", customer_id=catalog.customer_by_code("C1").id,
                           date_from=dt.date(2026, 11, 2), date_to=dt.date(2026, 11, 5))
    assert [r["date"] for r in c1] == []                     # C1's quotes are on 11-01 and 11-01
    p1 = documents.listing("quote", customer_id=catalog.customer_by_code("P1").id, date_from=dt.date(2026, 11, 2))
    assert sorted(r["date"] for r in p1) == ["2026-11-02", "2026-11-03", "2026-11-05"]
