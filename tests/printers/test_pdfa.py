"""Every PDF the product writes is PDF/A-3b, checked here by reading the bytes as an
independent reader would (pypdf for the objects, the raw file for the syntax veraPDF checks):
quotes, orders, delivery notes, tickets, drafts and payment receipts as well as the Factur-X
invoices; and text the font cannot draw is refused at input, never printed as .notdef."""
import io
import re
from decimal import Decimal as D

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject, StreamObject

from printers import dispatch, fonts, pdf
from tui_factu import catalog, charset, counter, documents, payments, printed
from tui_factu.errors import InvalidValue


def pdfa_problems(data: bytes) -> list[str]:
    """The PDF/A-3b rules on file structure, fonts and metadata that can be read from the bytes."""
    out = []
    first, second = data.split(b"\n")[:2]
    if not re.fullmatch(rb"%PDF-1\.[4-7]\r?", first):
        out.append(f"6.1.2 header {first!r}")
    if not (second.startswith(b"%") and sum(b > 127 for b in second[1:5]) == 4):
        out.append("6.1.2 no binary comment after the header")
    if not data.rstrip(b"\r\n").endswith(b"%%EOF"):
        out.append("6.1.3 no %%EOF at the end")
    reader = PdfReader(io.BytesIO(data), strict=True)
    if "/ID" not in reader.trailer:
        out.append("6.1.3 no /ID in the trailer")
    if "/Encrypt" in reader.trailer:
        out.append("6.1.3 encrypted")
    for gen, table in reader.xref.items():
        for num, offset in table.items():
            obj = reader.get_object(IndirectObject(num, gen, reader))
            if not isinstance(obj, StreamObject):
                continue
            start = data.index(b"stream", offset) + len(b"stream")
            if data[start:start + 2] != b"\r\n" and data[start:start + 1] != b"\n":
                out.append(f"6.1.7.1-1 object {num}: no end of line after stream")
            body = start + (2 if data[start:start + 2] == b"\r\n" else 1)
            m = re.search(rb"/Length (\d+)( (\d+) R)?", data[offset:start])
            length = int(m.group(1))
            if m.group(2):
                length = reader.get_object(IndirectObject(length, int(m.group(3)), reader))
            tail = data[body + length:body + length + 11]
            if not re.match(rb"(\r\n|\r|\n)endstream", tail):
                out.append(f"6.1.7.1-2 object {num}: {tail!r} (no end of line before endstream, or /Length wrong)")
    root = reader.trailer["/Root"]
    intents = root.get("/OutputIntents") or []
    if not any(i.get_object().get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i.get_object() for i in intents):
        out.append("6.2.3 no PDF/A output intent with an ICC profile")
    xmp = root["/Metadata"].get_object().get_data().decode() if "/Metadata" in root else ""
    if "<pdfaid:part>3</pdfaid:part>" not in xmp or "<pdfaid:conformance>B</pdfaid:conformance>" not in xmp:
        out.append("6.6.4 XMP does not say PDF/A-3B")
    for n, page in enumerate(reader.pages, 1):
        for name, font in (page["/Resources"].get("/Font") or {}).items():
            f = font.get_object()
            descriptor = f.get("/FontDescriptor")
            if f.get("/Subtype") == "/Type0":
                descriptor = f["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                out.append(f"6.3.4 page {n}: font {name} {f.get('/BaseFont')} not embedded")
    return out


def _every_kind(tmp_path):
    """(what, PDF bytes) for every kind of document the product prints, drafts included."""
    lines = [{"product": "VIS", "quantity": "3"}, {"product": "MO", "quantity": "1"}]
    quote = documents.validate(documents.create("quote", "C1", "2026-11-20", lines).id)
    order = documents.validate(documents.transform([quote.id], "order").id)
    bl = documents.validate(documents.transform([order.id], "delivery", {1: D("2")}).id)
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", lines).id)
    cn = documents.validate(documents.credit(inv.id, {1: D("1")}).id)
    ticket = counter.sale([{"product": "VIS"}], [("cash", D("20"))])["document"]
    draft = documents.create("invoice", "C1", "2026-11-20", lines)
    seq = payments.pay([inv.id], "10", "cheque", reference="CHQ 42")["payment"]
    out = [(d.number or "brouillon", dispatch.document_pdf(d.number or f"#{d.id}")[0])
           for d in (quote, order, bl, inv, cn, ticket, draft)]
    out.append(("reçu", pdf.payment_receipt(printed.payment_view(seq))))
    return out


def test_every_pdf_the_product_writes_is_pdf_a_3b(shop, tmp_path):
    for what, data in _every_kind(tmp_path):
        assert pdfa_problems(data) == [], what


def test_the_checker_sees_what_reportlab_alone_wrote(shop, monkeypatch):
    """The check is not empty: reportlab's own stream writer (before printers.pdfa) is caught."""
    from printers import pdfa
    from reportlab.pdfbase import pdfdoc
    ours = pdfdoc.PDFStream.format
    monkeypatch.setattr(pdfdoc.PDFStream, "format", ours.__wrapped__)
    q = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    problems = pdfa_problems(dispatch.document_pdf(q.number)[0])
    assert problems and all(p.startswith("6.1.7.1-2") for p in problems)
    assert pdfa.srgb_profile()


def test_the_input_rule_knows_exactly_what_the_font_draws():
    drawn = {c for c in fonts.glyphs() if c >= 0x20}
    listed = {c for lo, hi in charset._RANGES for c in range(lo, hi + 1)}
    assert listed == drawn


@pytest.mark.parametrize("text", ["株式会社タナカ", "สมชาย", "김철수"])
def test_text_the_font_cannot_draw_is_refused_at_input_in_french(shop, text):
    with pytest.raises(InvalidValue, match=r"name : caractère que les documents imprimés ne savent pas afficher "
                                           r"\(« .* », U\+[0-9A-F]{4}\) : écrivez-le en lettres latines"):
        catalog.save_customer({"code": "JP1", "name": text, "kind": "company"})
    with pytest.raises(InvalidValue, match="ne savent pas afficher"):
        documents.create("invoice", "C1", "2026-11-20", [{"description": f"Article {text}", "quantity": "1",
                                                           "unit_price": "10", "vat_rate": "20"}])
    catalog.save_customer({"code": "GR1", "name": "Ελληνική Εταιρεία — Œuvre ☺", "kind": "company"})


def test_text_stored_before_the_rule_prints_as_its_code_not_as_empty_boxes(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    view = printed.view(inv.id)
    view.customer["name"] = "株式会社 Tanaka"
    view.lines[0].description = "Vis 🙂 ok"
    data = pdf.render(view)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "\\u682a\\u5f0f\\u4f1a\\u793e Tanaka" in text
    assert all(ord(ch) in fonts.glyphs() or ch in "\n\t " for ch in text)      # nothing drawn as .notdef
    assert pdfa_problems(data) == []
