"""What a printed document says, read from the PDF as the customer reads it, and its e-invoice
read as a platform would: wording chosen by case (a credit note owes, a paid invoice is paid)."""
import io
from decimal import Decimal as D

from lxml import etree
from pypdf import PdfReader

from printers import dispatch, facturx
from tui_factu import counter, documents

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
PAYMENT_TERMS = ["Échéance", "échéance", "pénalités", "40 €", "recouvrement", "Paiement 30 jours",
                 "Pas d'escompte", "Net à payer", "IBAN", "virement"]


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _xml(data: bytes):
    return etree.fromstring(facturx.read_back(data))


def test_a_credit_note_says_what_it_credits_and_nothing_of_payment_terms(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": "3"}, {"product": "MO", "quantity": "2"}]).id)
    invoice_text = _text(dispatch.document_pdf(inv.number)[0])
    for expected in ("Échéance : 20/12/2026", "pénalités", "40 €", "Net à payer", "IBAN"):
        assert expected in invoice_text, expected                   # the invoice keeps them
    cn = documents.validate(documents.credit(inv.id, {1: D("1")}).id)
    data, _ = dispatch.document_pdf(cn.number)
    text = _text(data)
    for expected in ("AVOIR", cn.number, "Avoir sur facture n° FA2026-00001 du 20/11/2026",
                     "Montant à rembourser ou à imputer", "15,00 €", "Nature des opérations : Livraison de biens."):
        assert expected in text, expected
    for absent in PAYMENT_TERMS:
        assert absent not in text, absent
    # the e-invoice keeps the three payment notes the French rules ask of every credit note (BR-FR-05)
    root = _xml(data)
    codes = root.xpath("//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode/text()", namespaces=NS)
    assert {"PMD", "PMT", "AAB"} <= set(codes)
    assert root.xpath("//rsm:ExchangedDocument/ram:TypeCode/text()", namespaces=NS) == ["381"]


def test_a_return_at_the_counter_credits_the_ticket_by_name(shop):
    sale = counter.sale([{"product": "VIS", "quantity": "2"}], [("card", D("30"))])
    ticket = sale["document"]
    cn = counter.return_sale(ticket.number)["credit_note"]
    text = _text(dispatch.document_pdf(cn.number)[0])
    assert f"Avoir sur ticket de caisse n° {ticket.number} du 01/12/2026" in text
    for absent in PAYMENT_TERMS:
        assert absent not in text, absent
