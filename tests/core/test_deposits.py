"""Deposits and the final invoice, to the cent, including the cases that trip other systems."""
from decimal import Decimal as D

import pytest

from tui_factu import deposits, documents, payments
from tui_factu.errors import InvalidValue, StateError


def _order(lines=None):
    quote = documents.validate(documents.create("quote", "C1", "2026-11-02", lines or [
        {"product": "VIS", "quantity": "10"},          # 125.00 at 20 %
        {"product": "LIVRE", "quantity": "3"},         # 59.70 at 5.5 %
        {"product": "MO", "quantity": "2"}]).id)       # 90.00 at 10 %
    return quote, documents.validate(documents.transform([quote.id], "order").id)


def _final(order):
    return documents.validate(documents.transform([order.id], "invoice").id)


@pytest.mark.backends
def test_deposit_splits_vat_in_proportion_and_the_final_invoice_deducts_it(shop):
    _, order = _order()
    assert order.grand_total == D("311.98")           # 274.70 HT + 25.00 + 3.28 + 9.00
    dep = documents.validate(deposits.request(order.id, percent="30").id)
    assert (dep.type, dep.number) == ("deposit", "FA2026-00001")
    bases = {v.rate: (v.basis, v.amount) for v in documents.vat_of(dep.id)}
    assert bases == {D("20"): (D("37.50"), D("7.50")), D("5.5"): (D("17.91"), D("0.99")),
                     D("10"): (D("27.00"), D("2.70"))}
    assert dep.grand_total == D("93.60")
    payments.pay([dep.id], "93.60", "transfer")
    final = _final(order)
    assert final.type == "final"
    view = documents.show(final)
    assert view["deposits"] == [{"number": "FA2026-00001", "date": dep.date.isoformat(), "amount": "93.60"}]
    # full supply, then the deposit deducted per rate: VAT is charged once in all, to the cent
    assert final.grand_total == D("218.38") == order.grand_total - dep.grand_total
    vat = {v.rate: v.amount for v in documents.vat_of(final.id)}
    assert vat == {D("20"): D("17.50"), D("5.5"): D("2.29"), D("10"): D("6.30")}    # 3.28 − 0.99 at 5.5 %


def test_a_hundred_percent_deposit_leaves_exactly_zero(shop):
    _, order = _order()
    dep = documents.validate(deposits.request(order.id, percent="100").id)
    assert dep.grand_total == order.grand_total
    final = _final(order)
    assert (final.tax_basis_total, final.tax_total, final.due) == (D("0.00"), D("0.00"), D("0.00"))


def test_an_odd_percentage_on_mixed_rates_stays_exact_on_the_final(shop):
    _, order = _order()
    d1 = documents.validate(deposits.request(order.id, percent="33.33").id)
    d2 = documents.validate(deposits.request(order.id, percent="33.33").id)
    final = _final(order)
    assert d1.grand_total + d2.grand_total + final.grand_total == order.grand_total


def test_a_deposit_by_amount_is_due_to_the_cent(shop):
    _, order = _order()
    dep = documents.validate(deposits.request(order.id, amount="100.00").id)
    assert dep.due == D("100.00")
    assert dep.tax_basis_total + dep.tax_total + dep.rounding == D("100.00")


def test_deposits_on_the_quote_are_deducted_on_the_order_invoice(shop):
    quote, order = _order()
    dep = documents.validate(deposits.request(quote.id, percent="50").id)
    final = _final(order)
    assert final.grand_total == order.grand_total - dep.grand_total


def test_refusals(shop):
    quote, order = _order()
    with pytest.raises(InvalidValue, match="entre 0 et le total"):
        deposits.request(order.id, percent="120")
    documents.validate(deposits.request(order.id, percent="80").id)
    with pytest.raises(InvalidValue, match="dépasseraient le total"):
        deposits.request(order.id, percent="30")
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    with pytest.raises(StateError, match="devis ou une commande"):
        deposits.request(inv.id, percent="10")


def test_final_invoice_pdf_and_factur_x_cite_the_deposit(shop):
    from lxml import etree
    from printers import dispatch, facturx
    _, order = _order()
    dep = documents.validate(deposits.request(order.id, percent="30").id)
    dep_xml = etree.fromstring(facturx.read_back(dispatch.document_pdf(dep.number)[0]))
    ns = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert dep_xml.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=ns)[0].text == "386"
    final = _final(order)
    data = dispatch.document_pdf(final.number)[0]
    xml = facturx.read_back(data)
    assert facturx.check_xsd(xml)
    root = etree.fromstring(xml)
    assert root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=ns)[0].text == dep.number
    assert root.xpath("//ram:DuePayableAmount", namespaces=ns)[0].text == str(final.due)
    import io
    from pypdf import PdfReader
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "FACTURE DE SOLDE" in text and f"Déduction de l'acompte {dep.number}" in text


def test_a_partial_invoice_deducts_its_share_of_the_deposit_and_the_last_one_the_rest(shop):
    _, order = _order()
    dep = documents.validate(deposits.request(order.id, percent="80").id)
    base20 = {v.rate: v.basis for v in documents.vat_of(dep.id)}[D("20")]          # 100.00 (80 % of 125.00)
    part = documents.validate(documents.transform([order.id], "invoice", {1: D("1")}).id)   # one box out of ten
    deducted = -sum(ln.net_amount for ln in documents.lines_of(part.id) if (ln.net_amount or 0) < 0)
    assert deducted == base20 / 10 and part.grand_total > 0                         # its share: 10.00
    rest = documents.validate(documents.transform([order.id], "invoice").id)
    assert dep.grand_total + part.grand_total + rest.grand_total == order.grand_total


def test_a_final_invoice_replaced_keeps_its_deposits_cited_and_deducted(shop):
    _, order = _order()
    dep = documents.validate(deposits.request(order.id, percent="30").id)
    final = _final(order)
    cn, copy = documents.replace(final.id)
    assert cn.grand_total == final.grand_total                     # credited whole, deductions included
    new = documents.validate(copy.id)
    assert new.grand_total == final.grand_total and new.type == "final"
    assert documents.show(new)["deposits"] == [{"number": dep.number, "date": dep.date.isoformat(),
                                                "amount": str(dep.grand_total)}]
