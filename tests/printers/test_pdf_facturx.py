"""PDFs read back as a user and an accountant would: the text on the page, the embedded
Factur-X XML and its amounts, the PDF/A-3 parts, the signature."""
import io
import re
from decimal import Decimal as D

import pytest
from lxml import etree
from pypdf import PdfReader

from printers import dispatch, facturx, pdf
from tui_factu import catalog, documents, printed

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _invoice(lines=None, **kw):
    # the fidelity allowance goes with the default lines: at 20 % it reduces the screws
    allowances = [] if lines else [{"amount": "5.00", "vat_rate": "20", "reason": "Remise fidélité"}]
    d = documents.create("invoice", "C1", "2026-11-20", lines or [
        {"product": "VIS", "quantity": "3", "discount_percent": "10"},
        {"product": "LIVRE", "quantity": "2"}, {"text": "Merci de votre confiance"},
        {"product": "MO", "quantity": "1.5"}], reference="BC-4512", allowances=allowances, **kw)
    return documents.validate(d.id)


def test_invoice_pdf_shows_figures_and_every_legal_mention(shop):
    inv = _invoice()
    data, name = dispatch.document_pdf(inv.number)
    text = _text(data)
    assert name == "FA2026-00001.pdf"
    for expected in ["FACTURE", "FA2026-00001", "Atelier Test", "SARL au capital de 10 000,00 €",
                     "732 829 320", "FR44732829320", "Client Un SARL", "SIREN 552100554",
                     "Votre référence (bon de commande) : BC-4512", "Vis 4×40 (boîte)",
                     "Main d'œuvre", "Merci de votre confiance", "Remise : Remise fidélité",
                     "Net à payer", "IBAN FR7630006000011234567890189",
                     "Nature des opérations : Livraison de biens et prestation de services",
                     "pénalités au taux annuel", "40 €", "Pas d'escompte", "page 1/1"]:
        assert expected in text, expected
    assert inv.grand_total == D("150.74")    # 136.05 HT + 5.75 + 2.19 + 6.75
    assert "150,74 €" in text
    assert "DUPLICATA" not in text


def test_second_print_is_a_duplicata_and_logged(shop):
    from tui_factu import journal
    inv = _invoice()
    dispatch.document_pdf(inv.number)
    again, _ = dispatch.document_pdf(inv.number)
    assert "DUPLICATA" in _text(again)
    actions = [r.action for r in journal.JournalRecord.select().where(journal.JournalRecord.ref == inv.number)
               .where(journal.JournalRecord.chain == "event")]
    assert actions == ["print", "reprint"]


def test_factur_x_xml_is_valid_and_carries_the_stored_amounts(shop):
    inv = _invoice()
    data, _ = dispatch.document_pdf(inv.number)
    xml = facturx.read_back(data)
    assert facturx.check_xsd(xml)
    root = etree.fromstring(xml)

    def one(path):
        return root.xpath(path, namespaces=NS)[0].text
    assert one("//rsm:ExchangedDocument/ram:ID") == "FA2026-00001"
    assert one("//rsm:ExchangedDocument/ram:TypeCode") == "380"
    assert one("//ram:GrandTotalAmount") == str(inv.grand_total)
    assert one("//ram:TaxBasisTotalAmount") == str(inv.tax_basis_total)
    assert one("//ram:DuePayableAmount") == str(inv.due)
    assert one("//ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "732829320"
    assert one("//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID") == "552100554"
    assert one("//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "BC-4512"
    assert one("//ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == "FR7630006000011234567890189"
    rates = {r.xpath("ram:RateApplicablePercent", namespaces=NS)[0].text:
             r.xpath("ram:CalculatedAmount", namespaces=NS)[0].text
             for r in root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", namespaces=NS)}
    stored = {str(v.rate): str(v.amount) for v in documents.vat_of(inv.id)}
    assert {D(k): v for k, v in rates.items()} == {D(k): v for k, v in stored.items()}


def test_credit_note_is_381_and_cites_the_invoice(shop):
    inv = _invoice()
    cn = documents.validate(documents.credit(inv.id, {1: D("1")}).id)
    data, _ = dispatch.document_pdf(cn.number)
    assert "Avoir sur facture n° FA2026-00001 du 20/11/2026" in _text(data)
    root = etree.fromstring(facturx.read_back(data))
    assert root.xpath("//rsm:ExchangedDocument/ram:TypeCode", namespaces=NS)[0].text == "381"
    assert root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)[0].text == "FA2026-00001"


def test_reverse_charge_prints_autoliquidation(shop):
    catalog.save_product({"code": "ST", "name": "Sous-traitance plomberie", "kind": "labour",
                          "price": "400", "vat_rate": "0", "vat_category": "AE"})
    inv = _invoice([{"product": "ST", "quantity": "2"}])
    data, _ = dispatch.document_pdf(inv.number)
    assert "Autoliquidation" in _text(data)
    root = etree.fromstring(facturx.read_back(data))
    assert root.xpath("//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode",
                      namespaces=NS)[0].text == "VATEX-EU-AE"


def test_pdf_a_parts_fonts_embedded_output_intent_xmp(shop):
    inv = _invoice()
    data, _ = dispatch.document_pdf(inv.number)
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    intent = root["/OutputIntents"][0].get_object()
    assert intent["/S"] == "/GTS_PDFA1"
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp and "factur-x" in xmp.lower()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            f = font.get_object()
            assert "Helvetica" not in str(f["/BaseFont"])
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")



def test_factur_x_is_written_with_the_pdf_an_associated_file_with_its_xmp(shop):
    """printers.pdfa embeds factur-x.xml while reportlab writes the file (no pypdf rewrite): the
    file specification, its /AF link, MIME type, size and MD5, the fx: XMP a reader checks; a
    quote carries none of it."""
    import hashlib
    inv = _invoice()
    data, _ = dispatch.document_pdf(inv.number)
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    spec = root["/AF"][0].get_object()
    assert root["/Names"]["/EmbeddedFiles"]["/Names"] == ["factur-x.xml", spec.indirect_reference]
    assert (spec["/F"], spec["/UF"], spec["/AFRelationship"]) == ("factur-x.xml", "factur-x.xml", "/Data")
    stream = spec["/EF"]["/F"].get_object()
    xml = stream.get_data()
    assert xml == facturx.read_back(data) and facturx.check_xsd(xml)
    assert stream["/Subtype"] == "/text/xml"
    checksum = stream["/Params"]["/CheckSum"]
    assert stream["/Params"]["/Size"] == len(xml)
    assert getattr(checksum, "original_bytes", checksum) == hashlib.md5(xml).digest()
    xmp = root["/Metadata"].get_object().get_data().decode()
    for expected in ["<fx:DocumentType>INVOICE</fx:DocumentType>", "<fx:DocumentFileName>factur-x.xml<",
                     "<fx:Version>1.0</fx:Version>", "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>",
                     "<pdfaSchema:prefix>fx</pdfaSchema:prefix>"]:
        assert expected in xmp, expected
    etree.fromstring(xmp.split("?>", 1)[1].rsplit("<?xpacket", 1)[0].encode())          # well-formed
    q = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    quote = PdfReader(io.BytesIO(dispatch.document_pdf(q.number)[0])).trailer["/Root"]
    assert "/AF" not in quote and "/Names" not in quote and "fx:" not in quote["/Metadata"].get_object().get_data().decode()


def test_the_cii_is_still_held_against_the_xsd(shop, monkeypatch):
    """The XSD check moved from the library's call (which parses the XSD every time) to ours."""
    inv = _invoice()
    view = printed.view(inv.id)
    good = facturx.xml_bytes(view)
    monkeypatch.setattr(facturx, "generate_xml", lambda *a, **k: good.replace(b"<ram:TypeCode>380<", b"<ram:Bad>380<")
                        .replace(b"</ram:TypeCode>", b"</ram:Bad>", 1))
    with pytest.raises(etree.DocumentInvalid):
        facturx.xml_bytes(view)


def test_text_wider_than_its_column_wraps_instead_of_running_over(shop):
    """Lines are drawn as strings (printers.pdf._Lines); one wider than its cell becomes
    a Paragraph again and wraps."""
    words = " ".join(f"mot{i}" for i in range(40))
    inv = _invoice([{"description": words, "quantity": "1", "unit_price": "10", "vat_rate": "20"}])
    lines = _text(dispatch.document_pdf(inv.number)[0]).splitlines()
    holding = [ln for ln in lines if "mot" in ln]
    assert len(holding) >= 3 and [w for w in " ".join(holding).split() if w.startswith("mot")] == words.split()

def test_long_document_flows_onto_pages_with_header_repeated(shop):
    many = [{"product": "VIS", "quantity": str(i % 7 + 1)} for i in range(120)]
    inv = _invoice(many)
    text = _text(dispatch.document_pdf(inv.number)[0])
    pages = re.findall(r"page (\d+)/(\d+)", text)
    assert len(pages) >= 3 and all(total == str(len(pages)) for _, total in pages)
    assert text.count("Désignation") == len(pages)


def test_quote_and_delivery_note_have_their_own_mentions(shop):
    q = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    text = _text(dispatch.document_pdf(q.number)[0])
    assert "DEVIS" in text and "Devis valable jusqu'au 20/12/2026" in text and "Bon pour accord" in text
    order = documents.validate(documents.transform([q.id], "order").id)
    bl = documents.validate(documents.transform([order.id], "delivery").id)
    text = _text(dispatch.document_pdf(bl.number)[0])
    assert "BON DE LIVRAISON" in text and "Reste à" in text and "Reçu conforme" in text
    draft = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}])
    assert "BROUILLON" in _text(dispatch.document_pdf(f"#{draft.id}")[0])


def test_sign_keeps_pdfa_and_the_xml_untouched(shop, tmp_path, monkeypatch):
    import datetime as dt
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Atelier Test"),
                      x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), True)
            .sign(key, hashes.SHA256()))
    p12 = tmp_path / "societe.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"atelier", key, cert, None,
                                                          serialization.BestAvailableEncryption(b"secret")))
    monkeypatch.setenv("TUI_FACTU_P12", str(p12))
    monkeypatch.setenv("TUI_FACTU_P12_PASSWORD", "secret")
    inv = _invoice()
    plain, _ = dispatch.document_pdf(inv.number)
    signed, _ = dispatch.document_pdf(inv.number, sign=True)
    assert facturx.read_back(signed) == facturx.read_back(plain).replace(b"", b"")
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from asn1crypto import x509 as asn1_x509
    root = asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    r = PdfFileReader(io.BytesIO(signed))
    status = validate_pdf_signature(r.embedded_signatures[0], ValidationContext(trust_roots=[root]))
    assert status.intact and status.valid
    reader = PdfReader(io.BytesIO(signed))
    assert reader.trailer["/Root"]["/OutputIntents"][0].get_object()["/S"] == "/GTS_PDFA1"


def test_amounts_come_from_the_stored_totals(shop):
    """A printed document never recomputes: the view hands out what validation stored."""
    inv = _invoice()
    view = printed.view(inv.id)
    assert view.totals["grand_total"] == inv.grand_total
    assert [ln.net_amount for ln in view.lines if ln.net_amount is not None] == \
        [ln.net_amount for ln in documents.lines_of(inv.id) if ln.net_amount is not None]
    assert pdf.render(view)[:5] == b"%PDF-"


def test_round_quantities_are_plain_decimals_in_the_xml(shop):
    """10 once came out as 1E+1, which the XSD refuses."""
    inv = _invoice([{"product": "VIS", "quantity": "10"}, {"product": "MO", "quantity": "100"}])
    xml = facturx.read_back(dispatch.document_pdf(inv.number)[0])
    assert facturx.check_xsd(xml)
    quantities = [q.text for q in etree.fromstring(xml).xpath("//ram:BilledQuantity", namespaces=NS)]
    assert quantities == ["10", "100"]


def test_the_company_logo_is_drawn_when_configured(shop, tmp_path):
    from PIL import Image
    logo = tmp_path / "logo.png"
    Image.new("RGB", (400, 120), (30, 80, 140)).save(logo)
    inv = _invoice()
    plain = dispatch.document_pdf(inv.number)[0]
    catalog.update_company({"logo_path": str(logo)})
    with_logo = dispatch.document_pdf(inv.number)[0]
    page = PdfReader(io.BytesIO(with_logo)).pages[0]
    assert any(x.get_object().get("/Subtype") == "/Image" for x in page["/Resources"]["/XObject"].values())
    assert "/XObject" not in PdfReader(io.BytesIO(plain)).pages[0]["/Resources"]
    catalog.update_company({"logo_path": str(tmp_path / "missing.png")})
    assert dispatch.document_pdf(inv.number)[0][:5] == b"%PDF-"      # a missing logo is skipped


def test_payment_receipt_pdf_and_thermal(shop, tmp_path):
    from printers import escpos
    from support import escpos_paper
    from tui_factu import payments
    inv = _invoice()
    done = payments.pay([inv.id], "200.00", "cash", reference="caisse 1")
    view = printed.payment_view(done["payment"])
    assert (view["amount"], view["change"]) == (inv.due, D("200.00") - inv.due)
    text = _text(pdf.payment_receipt(view))
    assert "REÇU DE PAIEMENT" in text and inv.number in text and "Rendu" in text and "150,74 €" in text
    paper = [t for t, _ in escpos_paper(escpos.payment_receipt(view, 32))]
    assert any(inv.number in t for t in paper) and any("Rendu" in t for t in paper)
    assert all(len(t) <= 32 for t in paper)


def test_a_situation_prints_the_progress_of_each_line_and_its_retention(shop):
    from tui_factu import deposits, situations
    order = documents.validate(documents.create("order", "C1", None, [
        {"kind": "section", "description": "Lot 1 — Gros œuvre"},
        {"description": "Maçonnerie", "quantity": "1", "unit_price": "12000.00", "vat_rate": "20"},
        {"description": "Isolation", "quantity": "120", "unit": "MTK", "unit_price": "33.33", "vat_rate": "5.5"}]).id)
    dep = documents.validate(deposits.request(order.id, percent="10").id)
    documents.validate(situations.create(order.id, percent="30", retention="5").id)
    s2 = documents.validate(situations.create(order.id, lines={2: D("60")}).id)
    data, _ = dispatch.document_pdf(s2.number)
    text = _text(data)
    for expected in ["FACTURE DE SITUATION", "Situation n° 2", "Marché HT", "Préc. %", "Cumul %",
                     "Déjà facturé", "Période HT", "12 000,00", "30 %", "60 %", "3 600,00",
                     f"Déduction de l'acompte {dep.number}", "Retenue de garantie 5 %", "Montant dû",
                     "loi n° 71-584 du 16 juillet 1971", f"Commande n° {order.number}"]:
        assert expected in text, expected
    xml = facturx.read_back(data)
    assert facturx.check_xsd(xml)
    root = etree.fromstring(xml)
    assert root.xpath("//ram:DuePayableAmount", namespaces=NS)[0].text == str(s2.due)
    cited = [e.text for e in root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)]
    assert dep.number in cited                                   # BG-3: the deducted deposit
    nets = [D(e.text) for e in root.xpath("//ram:SpecifiedLineTradeSettlement//ram:LineTotalAmount", namespaces=NS)]
    assert sum(nets, D(0)) == s2.line_total
    # the retention is held below the TTC of the situation: the amount due, then what to pay now
    first = next(d for d in situations.statement(order.id)["invoices"] if d["situation"] == 1)
    s1 = documents.resolve(first["number"])
    text = _text(dispatch.document_pdf(s1.number)[0])
    held = documents.show(s1)["retention"]
    from tui_factu import fr
    assert "Retenue de garantie 5 %" in text and fr.amount(D(held["to_pay_now"]), True) in text


def test_annule_et_remplace_cancels_by_credit_and_cites_the_replaced_invoice(shop):
    inv = _invoice()
    cn, draft = documents.replace(inv.id)
    assert (cn.kind, cn.grand_total, cn.preceding_id) == ("credit_note", inv.grand_total, inv.id)
    assert [ln.description for ln in documents.lines_of(draft.id)] == \
        [ln.description for ln in documents.lines_of(inv.id)]
    documents.update_draft(draft.id, draft.version, lines=[{"product": "VIS", "quantity": "2"}])
    new = documents.validate(draft.id)
    data, _ = dispatch.document_pdf(new.number)
    assert f"Annule et remplace la facture n° {inv.number} du 20/11/2026" in _text(data)
    root = etree.fromstring(facturx.read_back(data))
    cited = [e.text for e in root.xpath("//ram:InvoiceReferencedDocument/ram:IssuerAssignedID", namespaces=NS)]
    assert cited == [inv.number]
    from tui_factu.errors import StateError
    with pytest.raises(StateError, match="rien à créditer"):
        documents.replace(inv.id)                          # already cancelled: never twice
