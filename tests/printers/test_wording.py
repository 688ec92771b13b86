"""What a printed document says, read from the PDF as the customer reads it, and its e-invoice
read as a platform would: wording chosen by case (a credit note owes, a paid invoice is paid)."""
import io
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

from lxml import etree
from pypdf import PdfReader

from printers import dispatch, facturx
from tui_factu import counter, documents, payments

CHECK = Path(__file__).resolve().parents[2].parent / "shared" / "facturx" / "fr-ctc" / "check.py"

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


def _amounts(root):
    def one(name):
        return root.xpath(f"//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:{name}/text()", namespaces=NS)[0]
    return one("GrandTotalAmount"), one("TotalPrepaidAmount"), one("DuePayableAmount")


def test_an_invoice_of_a_paid_ticket_says_paid_how_and_when_and_its_xml_agrees(shop, tmp_path):
    ticket = counter.sale([{"product": "VIS", "quantity": "2"}], [("card", D("30"))])["document"]
    inv = documents.validate(documents.transform([ticket.id], "invoice").id)
    data, _ = dispatch.document_pdf(inv.number)
    text = _text(data)
    assert "Payé\n30,00 €" in text
    assert f"Payé le 01/12/2026 (Carte, ticket {ticket.number}) : 30,00 €" in text
    assert f"Ticket de caisse n° {ticket.number} du 01/12/2026" in text
    for absent in PAYMENT_TERMS + ["Déjà versé", "Reste à payer"]:
        assert absent not in text, absent
    root = _xml(data)
    assert _amounts(root) == ("30.00", "30.00", "0.00")                  # BT-112, BT-113, BT-115
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    assert root.xpath(f"{settlement}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()",
                      namespaces=NS) == ["48"]                           # bank card, not a transfer
    assert not root.xpath("//ram:IBANID", namespaces=NS)
    assert root.xpath(f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:Description/text()", namespaces=NS) == \
        [f"Payé le 01/12/2026 (Carte, ticket {ticket.number}) : 30,00 €"]
    codes = root.xpath("//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode/text()", namespaces=NS)
    assert {"PMD", "PMT", "AAB"} <= set(codes)                            # BR-FR-05 still met
    if CHECK.exists():                                                    # the official French rules, when beside
        (tmp_path / "fa.pdf").write_bytes(data)
        done = subprocess.run([sys.executable, str(CHECK), str(tmp_path / "fa.pdf")], capture_output=True, text=True)
        assert done.stdout.strip().splitlines()[-1].startswith("1 files, 0 with errors"), done.stdout[-2000:]


def test_an_invoice_paid_in_part_then_in_full_shows_what_is_left(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    assert inv.grand_total == D("60.00")
    payments.pay([inv.id], "25", "cheque", date="2026-11-25")
    data, _ = dispatch.document_pdf(inv.number)
    text = _text(data)
    for expected in ("Net à payer\n60,00 €", "Déjà réglé\n−25,00 €", "Reste à payer\n35,00 €",
                     "Payé le 25/11/2026 (Chèque) : 25,00 €", "IBAN FR7630006000011234567890189",
                     "Échéance : 20/12/2026", "pénalités", "40 €"):
        assert expected in text, expected
    # the e-invoice is the invoice as issued: what was due then, by transfer
    root = _xml(data)
    assert _amounts(root) == ("60.00", "0.00", "60.00")
    assert root.xpath("//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode/text()", namespaces=NS) == ["58"]
    payments.pay([inv.id], "35", "transfer", date="2026-11-30")
    text = _text(dispatch.document_pdf(inv.number)[0])
    assert "Payé\n60,00 €" in text and "Payé le 30/11/2026 (Virement) : 35,00 €" in text
    assert "Reste à payer" not in text and "IBAN" not in text                 # nothing left to transfer
    assert _amounts(_xml(dispatch.document_pdf(inv.number)[0])) == ("60.00", "0.00", "60.00")


def test_a_cancelled_payment_is_not_shown_as_paid(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    seq = payments.pay([inv.id], "60", "cheque", date="2026-11-25")["payment"]
    payments.cancel(seq, "chèque sans provision")
    text = _text(dispatch.document_pdf(inv.number)[0])
    assert "Payé" not in text and "Déjà réglé" not in text and "Net à payer\n60,00 €" in text


def test_continuation_pages_say_whose_document_they_are(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": str(i % 7 + 1)} for i in range(120)]).id)
    data, _ = dispatch.document_pdf(inv.number)
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]
    assert len(pages) >= 3
    assert "FACTURE FA2026-00001 · Client Un SARL · C1" not in pages[0]       # page 1 has the full header
    for n, text in enumerate(pages[1:], 2):
        assert "FACTURE FA2026-00001 · Client Un SARL · C1" in text, n
        assert f"page {n} sur {len(pages)}" in text and f"page {n}/{len(pages)}" in text
    again, _ = dispatch.document_pdf(inv.number)
    assert "FACTURE FA2026-00001 — DUPLICATA · Client Un SARL" in _text(again)


def test_countries_are_written_in_full(shop, tmp_path):
    from printers import escpos
    from support import escpos_paper
    from tui_factu import catalog, printed
    catalog.save_customer({"code": "BE1", "name": "Janssens BV", "kind": "company", "vat_number": "BE0403170701",
                           "address": {"line1": "Kerkstraat 12", "postcode": "2000", "city": "Antwerpen",
                                       "country": "BE"}})
    order = documents.validate(documents.create("order", "BE1", "2026-11-20", [{"product": "VIS", "quantity": "2"}]).id)
    bl = documents.validate(documents.transform([order.id], "delivery").id)
    text = _text(dispatch.document_pdf(bl.number)[0])
    assert "2000 Antwerpen\nBELGIQUE" in text and "\nBE\n" not in text
    paper = [t.strip() for t, _ in escpos_paper(escpos.slip(printed.view(bl.id)))]
    assert paper[paper.index("2000 Antwerpen") + 1] == "BELGIQUE"


def test_a_delivery_note_lists_the_order_lines_it_does_not_deliver(shop):
    from printers import escpos
    from support import escpos_paper
    from tui_factu import printed
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": "10"}, {"product": "LIVRE", "quantity": "3"}]).id)
    bl = documents.validate(documents.transform([order.id], "delivery", {1: D("6"), 2: D("0")}).id)
    text = _text(dispatch.document_pdf(bl.number)[0])
    assert "Non livré sur ce bon — reste à livrer sur la commande" in text
    assert "LIVRE\nLivre\n0\nunité\n3" in text                          # nothing delivered, 3 to come
    assert "VIS\nVis 4×40 (boîte)\n6\nunité\n4" in text
    paper = " ".join(" ".join(t.split()) for t, _ in escpos_paper(escpos.slip(printed.view(bl.id))))
    assert "Non livré, reste à livrer : Livre LIVRE livré 0 · reste 3 unité" in paper
    assert "1 article(s)" in paper
    rest = documents.validate(documents.transform([order.id], "delivery").id)        # the rest delivered
    assert "Non livré" not in _text(dispatch.document_pdf(rest.number)[0])
    assert "Non livré" not in _text(dispatch.document_pdf(bl.number)[0])          # nothing left to deliver


def test_a_consumer_ticket_shows_ttc_prices_the_time_of_sale_and_the_cashier(shop, monkeypatch):
    """A French till receipt (legal-fr.md §1, B2C): prices all taxes included, the VAT they
    include per rate, the date and time of the sale, who served — on paper and on the PDF."""
    from printers import escpos
    from support import escpos_paper
    import datetime as dt
    from tui_factu import clock, printed
    from tui_factu.models import User
    User.update(full_name="Marie Caisse").where(User.name == "testeur").execute()
    monkeypatch.setattr(clock, "now", lambda: dt.datetime(2026, 12, 1, 13, 5, tzinfo=dt.timezone.utc))
    ticket = counter.sale([{"product": "VIS", "quantity": "2"}], [("cash", D("40"))])["document"]
    view = printed.view(ticket.id)
    paper = "\n".join(t for t, _ in escpos_paper(escpos.receipt(view, 42)))
    # 2 × 12,50 HT at 20 %: 15,00 TTC each, 30,00 the line, 5,00 of VAT included
    for expected in ["Vente du 01/12/2026 à 14:05", "Servi par : Marie Caisse", "2 x 15,00", "30,00",
                     "TVA incluse 20 % sur 25,00 HT", "TOTAL TTC"]:
        assert expected in paper, expected
    assert "12,50" not in paper and "25,00\n" not in paper         # no HT price for the consumer
    text = _text(dispatch.document_pdf(ticket.number)[0])
    for expected in ["TICKET DE CAISSE", "Vente du 01/12/2026 à 14:05", "Servi par : Marie Caisse", "P.U. TTC",
                     "Montant TTC", "15,00", "TVA incluse"]:
        assert expected in text, expected
    assert "P.U. HT" not in text and "12,50" not in text
