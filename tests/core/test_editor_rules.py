"""Core parts of the editor's actions (#16): the backorders opened down to their lines, the
gender of kind labels, a new document validated at once leaving nothing when refused."""
from decimal import Decimal as D

import pytest

from tui_factu import documents
from tui_factu.documents.kinds import agreed
from tui_factu.errors import FactuError
from tui_factu.models import Document
from tui_factu.report_registry import REPORTS, Params, run


def test_a_grouped_backorder_opens_down_to_its_lines_and_each_line_names_its_order(shop):
    order = documents.validate(documents.create("order", "C1", None, [{"product": "VIS", "quantity": "3"},
                                                                      {"product": "LIVRE", "quantity": "2"}]).id)
    documents.validate(documents.transform([order.id], "delivery", {1: D(1)}).id)
    report, key = REPORTS["backorders"].drills
    by_product = {r["key"]: r for r in run("backorders", Params(by="product"))}
    lines = run(report, Params(customer=by_product["VIS"][key]))
    assert [(r["order"], r["product"], r["remaining"]) for r in lines] == [(order.number, "VIS", "2.000")]
    by_customer = run("backorders", Params(by="customer"))
    assert [r["product"] for r in run(report, Params(customer=by_customer[0][key]))] == ["VIS", "LIVRE"]
    assert REPORTS[report].opens == "order"
    with pytest.raises(FactuError, match="--customer CODE"):
        run(report, Params())


def test_words_agree_with_the_kind_and_a_refused_validation_leaves_no_draft(shop):
    assert [agreed(k, "créé") for k in ("quote", "order", "delivery", "invoice", "credit_note")] == \
        ["créé", "créée", "créé", "créée", "créé"]
    with pytest.raises(FactuError):
        documents.created_and_validated(lambda: documents.create("invoice", "C1", None, [{"text": "rien"}]))
    assert not Document.select().exists()


def test_a_clerk_cannot_give_through_an_allowance_what_a_line_discount_would_exceed(shop):
    """Ctrl+F puts an allowance on the whole document within a clerk's reach: the ceiling on
    discounts holds for it too, in the core."""
    from tui_factu import session, users
    users.create("vendeur", "sales", "secret")
    session.set_user("vendeur")
    lines = [{"product": "VIS", "quantity": "4"}]                                  # 50.00 HT
    big = documents.create("order", "C1", None, lines, allowances=[{"amount": "20", "vat_rate": "20"}])
    with pytest.raises(FactuError, match="remise de pied de 20.00 € au-delà du plafond de 15 %"):
        documents.validate(big.id)
    small = documents.create("order", "C1", None, lines, allowances=[{"amount": "5", "vat_rate": "20"}])
    assert documents.validate(small.id).tax_basis_total == D("45.00")
