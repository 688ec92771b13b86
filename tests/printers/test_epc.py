"""The SEPA transfer QR code (EPC069-12, « GiroCode ») on invoices payable by transfer: the
payee, IBAN, BIC, the amount still due and the structured reference; none on a paid invoice, a
credit note, a draft, or without an IBAN."""
import io
from decimal import Decimal as D

from pypdf import PdfReader

from printers import dispatch, epc
from tui_factu import bank, catalog, counter, documents, payments, printed

CAPTION = "scannez ce code avec l'application de votre banque"


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _invoice():
    return documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)


def test_an_open_invoice_carries_the_transfer_qr_with_the_amount_still_due(shop):
    catalog.update_company({"bic": "AGRIFRPP"})
    inv = _invoice()
    assert epc.payload(printed.view(inv.id)).split("\n") == [
        "BCD", "002", "1", "SCT", "AGRIFRPP", "Atelier Test", "FR7630006000011234567890189", f"EUR{inv.due}", "",
        bank.payment_reference(inv.number)]
    assert CAPTION in " ".join(_text(dispatch.document_pdf(inv.number)[0]).split())
    payments.pay([inv.id], "10", "cheque", reference="CHQ 7")
    fields = epc.payload(printed.view(inv.id)).split("\n")
    assert fields[7] == f"EUR{inv.due - D('10')}"                    # what is left, not the total


def test_no_qr_once_paid_on_a_credit_note_a_draft_or_without_an_iban(shop):
    inv = _invoice()
    cn = documents.validate(documents.credit(inv.id, {1: D("1")}).id)
    draft = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}])
    ticket = counter.sale([{"product": "VIS"}], [("cash", D("20"))])["document"]
    for doc in (cn, draft, ticket):
        assert epc.payload(printed.view(doc.id)) is None, doc.kind
    assert CAPTION not in " ".join(_text(dispatch.document_pdf(cn.number)[0]).split())
    payments.pay([inv.id], str(inv.due), "transfer", reference="VIR 1")
    assert epc.payload(printed.view(inv.id)) is None
    catalog.update_company({"iban": ""})
    assert epc.payload(printed.view(_invoice().id)) is None


def test_the_payee_name_cannot_add_a_field_to_the_qr(shop):
    """A line feed stored in the company name (behind the app's back) would shift every field
    after it: it is written as its code."""
    inv = _invoice()
    view = printed.view(inv.id)
    view.seller["name"] = "Atelier\nFR00 PIRATE"
    fields = epc.payload(view).split("\n")
    assert fields[5] == "Atelier\\nFR00 PIRATE" and fields[6] == "FR7630006000011234567890189"


def test_the_qr_drawn_is_the_code_module_for_module(tmp_path):
    """printers.pdf._QR draws each dark module where the code has it, the first row on top,
    inside a clear 4-module quiet zone (read back from the rendered page)."""
    import shutil
    import subprocess
    from PIL import Image
    from reportlab.pdfgen.canvas import Canvas
    from printers import pdf
    from support import need
    need(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) absent : rendu PDF → PNG")
    rows = epc.modules("BCD\n002\n1\nSCT\n\nAtelier Test\nFR7630006000011234567890189\nEUR12.30\n\nRF18539007547034")
    n = len(rows) + 8
    c = Canvas(str(tmp_path / "qr.pdf"), pagesize=(n * 10, n * 10))
    pdf._QR(rows, n * 10).drawOn(c, 0, 0)
    c.showPage()
    c.save()
    subprocess.run(["pdftoppm", "-png", "-r", "72", str(tmp_path / "qr.pdf"), str(tmp_path / "qr")], check=True)
    px = Image.open(next(tmp_path.glob("qr*.png"))).convert("L").load()
    seen = [[px[x * 10 + 5, y * 10 + 5] < 128 for x in range(n)] for y in range(n)]
    assert [row[4:-4] for row in seen[4:-4]] == rows
    assert not any(any(row) for row in seen[:4] + seen[-4:]) and not any(any(row[:4] + row[-4:]) for row in seen)
