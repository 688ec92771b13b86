"""One layout family for every document kind, rendered with reportlab from the printed view
(tui_factu.printed): figures come as stored, formatted the French way, never recomputed."""
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table,
                                TableStyle)

from tui_factu import fr, printed
from tui_factu.charset import printable
from tui_factu.printed import Printed

from . import epc, fonts, pdfa

INK = colors.Color(0.13, 0.13, 0.18)
ACCENT = colors.Color(0.12, 0.30, 0.55)
RULE = colors.Color(0.75, 0.78, 0.82)
SHADE = colors.Color(0.93, 0.95, 0.97)
WATERMARK = colors.Color(0.85, 0.85, 0.85)


def _styles():
    f = fonts.register()
    base = ParagraphStyle("base", fontName=f, fontSize=8.5, leading=10.5, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=8.5),
        "bold": ParagraphStyle("bold", parent=base, fontName=fonts.BOLD),
        "seller": ParagraphStyle("seller", parent=base, fontName=fonts.BOLD, fontSize=13, leading=16,
                                 textColor=ACCENT),
        "title": ParagraphStyle("title", parent=base, fontName=fonts.BOLD, fontSize=15, leading=18,
                                alignment=TA_RIGHT, textColor=ACCENT),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.5),
        "section": ParagraphStyle("section", parent=base, fontName=fonts.BOLD, fontSize=8.5),
        "note": ParagraphStyle("note", parent=base, fontSize=7.5, leading=9, textColor=colors.Color(0.3, 0.3, 0.35)),
    }


def _p(text, style) -> Flowable:
    """A paragraph of stored text: any control or invisible character, or one the font cannot
    draw, written as its code (the second line of defence after the input rule); escaped for
    reportlab's markup when it needs a Paragraph."""
    lines = [" ".join(x.split()) for x in fonts.drawable(printable(text or "")).split("\n")]
    if lines == [""]:
        lines = []                   # as a Paragraph: no text, no height
    elif not all(lines):
        return Paragraph(escape("\n".join(lines)).replace("\n", "<br/>"), style)
    return _Lines(lines, style)


class _Lines(Flowable):
    """Lines of text in one style, what most cells and blocks hold, drawn as a Paragraph would
    draw them (spaces collapsed, first baseline a font size below the top, then one leading
    apart). A Paragraph parses markup and breaks lines for every piece of text (~40 a page, a
    third of a page's time); this one becomes a Paragraph only when a line is wider than its
    room."""

    def __init__(self, lines: list[str], style: ParagraphStyle):
        super().__init__()
        self.lines, self.style, self._para = lines, style, None

    def wrap(self, avail_width, avail_height):
        st = self.style
        room = avail_width - st.leftIndent - st.rightIndent
        if self._para is None and any(stringWidth(x, st.fontName, st.fontSize) > room for x in self.lines):
            self._para = Paragraph("<br/>".join(escape(x) for x in self.lines), st)
        if self._para is not None:
            return self._para.wrap(avail_width, avail_height)
        self.width, self.height = avail_width, st.leading * len(self.lines)
        return self.width, self.height

    def split(self, avail_width, avail_height):
        return self._para.split(avail_width, avail_height) if self._para is not None else []

    def draw(self):
        if self._para is not None:
            self._para.drawOn(self.canv, 0, 0)
            return
        st, c = self.style, self.canv
        c.setFont(st.fontName, st.fontSize)
        c.setFillColor(st.textColor)
        y = self.height - st.fontSize
        for line in self.lines:
            if st.alignment == TA_RIGHT:
                c.drawRightString(self.width - st.rightIndent, y, line)
            else:
                c.drawString(st.leftIndent, y, line)
            y -= st.leading


def _address(block: dict | None) -> list[str]:
    if not block:
        return []
    lines = [block.get("line1"), block.get("line2"),
             " ".join(x for x in (block.get("postcode"), block.get("city")) if x)]
    if block.get("country") and block.get("country") != "FR":
        lines.append(fr.country(block["country"]).upper())      # the last line of an address abroad
    return [x for x in lines if x]


def _table(rows, widths, style, **kwargs) -> Table:
    """Every table starts in the embedded font (a cell's default is Helvetica, never embedded)."""
    rows = [[fonts.drawable(printable(c, multiline=False)) if isinstance(c, str) else c for c in row] for row in rows]
    t = Table(rows, colWidths=widths, **kwargs)
    t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), fonts.REGULAR)] + list(style)))
    return t


class _Canvas(Canvas):
    """Defers pages so that each can say "page n/N"; starts in the embedded font."""

    def __init__(self, *args, **kwargs):
        # platypus passes initialFontName=None: override it, or every page selects Helvetica
        kwargs["initialFontName"] = kwargs.get("initialFontName") or fonts.register()
        kwargs["initialFontSize"] = kwargs.get("initialFontSize") or 9
        super().__init__(*args, **kwargs)
        self._pages = []

    def showPage(self):
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._footer(total)
            super().showPage()
        pdfa.add_to(self, getattr(self, "tf_facturx", None))
        super().save()

    def _footer(self, total):
        info = getattr(self, "tf_footer", None)
        if not info:
            return
        legal, mark, head = (tuple(info) + ("",))[:3]
        legal = fonts.drawable(printable(legal, multiline=False))
        if mark:
            _watermark(self, mark)
        self.saveState()
        if head and self._pageNumber > 1:
            # a continuation page says whose document it is, in the top margin (above the frame)
            self.setFont(fonts.BOLD, 7.5)
            self.setFillColor(ACCENT)
            self.drawString(15 * mm, A4[1] - 9 * mm, fonts.drawable(printable(head, multiline=False))[:110])
            self.setFont(fonts.REGULAR, 7.5)
            self.drawRightString(A4[0] - 15 * mm, A4[1] - 9 * mm, f"page {self._pageNumber} sur {total}")
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(15 * mm, A4[1] - 10.5 * mm, A4[0] - 15 * mm, A4[1] - 10.5 * mm)
        self.setFont(fonts.REGULAR, 6.5)
        self.setFillColor(INK)
        self.drawCentredString(A4[0] / 2, 10 * mm, legal)
        self.drawRightString(A4[0] - 15 * mm, 6 * mm, f"page {self._pageNumber}/{total}")
        self.restoreState()


def _watermark(canvas, mark: str) -> None:
    """DUPLICATA or BROUILLON up the left margin (15 mm, outside the frame of the content),
    never over a figure: glyphs rotated a quarter turn, from 5 to 12 mm off the edge."""
    canvas.saveState()
    canvas.setFont(fonts.BOLD, 26)
    canvas.setFillColor(WATERMARK)
    canvas.translate(12 * mm, A4[1] / 2)
    canvas.rotate(90)
    canvas.drawCentredString(0, 0, mark)
    canvas.restoreState()


def _logo(path: str):
    """The company logo, 40 × 18 mm at most, or nothing when unset or unreadable."""
    if not path:
        return None
    try:
        from reportlab.lib.utils import ImageReader
        w, h = ImageReader(path).getSize()
    except (OSError, ValueError):
        return None
    scale = min(40 * mm / w, 18 * mm / h)
    return Image(path, width=w * scale, height=h * scale, hAlign="LEFT")


def _header(p: Printed, st) -> list:
    s = p.seller
    seller_block = [_p(printed.seller_name(s), st["seller"])]
    logo = _logo(p.logo)
    if logo is not None:
        seller_block.insert(0, logo)
    seller_block += [_p(x, st["base"]) for x in _address(s.get("address"))]
    contact = " · ".join(x for x in (s.get("phone"), s.get("email")) if x)
    if contact:
        seller_block.append(_p(contact, st["small"]))
    title = p.title + (" (BROUILLON)" if p.draft else "")
    style = st["title"] if len(title) <= 22 else ParagraphStyle("long", parent=st["title"], fontSize=12, leading=15)
    doc_block = [_p(title, style),
                 _p(f"N° {p.number}" if p.number else "Sans numéro (brouillon)", st["right"]),
                 _p(f"Date : {fr.date(p.date)}", st["right"])]
    if p.situation and p.situation.get("situation"):
        what = "Échéance" if p.situation.get("milestone") else "Situation"
        doc_block.append(_p(f"{what} n° {p.situation['situation']}", st["right"]))
    if p.kind == "invoice" and p.due_date and not p.paid_at_issue:   # a credit note falls due to nobody
        doc_block.append(_p(f"Échéance : {fr.date(p.due_date)}", st["right"]))
    if p.sold_at:
        doc_block.append(_p(f"Vente du {p.sold_at}", st["right"]))
    if p.cashier:
        doc_block.append(_p(f"Servi par : {p.cashier}", st["right"]))
    if p.kind == "quote" and p.validity_date:
        doc_block.append(_p(f"Valable jusqu'au : {fr.date(p.validity_date)}", st["right"]))
    if p.currency != "EUR":
        doc_block.append(_p(f"Devise : {p.currency} ({fr.symbol(p.currency)})", st["right"]))
    if p.duplicate:
        doc_block.append(_p("DUPLICATA", st["title"]))
    t = _table([[seller_block, doc_block]], [100 * mm, 80 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                           ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    return [t, Spacer(1, 6 * mm)]


def _parties(p: Printed, st) -> list:
    c = p.customer
    bill = [_p("Client", st["small"]), _p(c.get("name", ""), st["bold"])]
    bill += [_p(x, st["base"]) for x in _address(c.get("address"))]
    ids = []
    if c.get("siren"):
        ids.append(f"SIREN {c['siren']}")
    if c.get("vat_number"):
        ids.append(f"TVA {c['vat_number']}")
    if ids:
        bill.append(_p(" · ".join(ids), st["small"]))
    bill.append(_p(f"Code client {c.get('code', '')}", st["small"]))
    left = []
    d = p.delivery_address
    if d and _address(d) != _address(c.get("address")):
        left = [_p("Adresse de livraison", st["small"]), _p(d.get("name") or c.get("name"), st["bold"])]
        left += [_p(x, st["base"]) for x in _address(d)]
    refs = []
    if p.reference:
        refs.append(f"Votre référence (bon de commande) : {p.reference}")
    names = {"quote": "Devis", "order": "Commande", "delivery": "Bon de livraison", "invoice": "Facture",
             "receipt": "Ticket de caisse"}
    for r in p.source_refs:
        refs.append(f"{names.get(r['kind'], r['kind'])} n° {r['number']} du {fr.date(r['date'])}")
    left += [_p(x, st["small"]) for x in refs]
    t = _table([[left or "", bill]], [95 * mm, 85 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP"),
                           ("BOX", (1, 0), (1, 0), 0.5, RULE),
                           ("LEFTPADDING", (0, 0), (0, 0), 0),
                           ("LEFTPADDING", (1, 0), (1, 0), 6), ("TOPPADDING", (1, 0), (1, 0), 4),
                           ("BOTTOMPADDING", (1, 0), (1, 0), 6)])
    return [t, Spacer(1, 6 * mm)]


def _progress_table(p: Printed, st) -> Table:
    """A situation: for each contract line, the contract amount, previous and cumulative
    progress, what earlier situations billed and what this one bills; then the deductions."""
    from decimal import Decimal
    head = ["Désignation", "Marché HT", "Préc. %", "Cumul %", "Déjà facturé", "Période HT", "TVA"]
    widths = [54 * mm, 24 * mm, 18 * mm, 18 * mm, 24 * mm, 26 * mm, 16 * mm]
    rows = [head]                  # plain cells: a header that never wraps mid-word
    style = [("FONTNAME", (0, 0), (-1, 0), fonts.BOLD),
             ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("ALIGN", (1, 0), (-1, -1), "RIGHT"), ("FONTSIZE", (0, 0), (-1, -1), 8),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for ln in p.lines:
        r = len(rows)
        vat = fr.percent(ln.vat_rate) if ln.vat_category == "S" else (ln.vat_category or "")
        if ln.kind in ("section", "text", "subtotal"):
            rows.append([_p(ln.description, st["section"] if ln.kind == "section" else st["note"])] + [""] * 6)
            style.append(("SPAN", (0, r), (-1, r)))
            if ln.kind == "section":
                style.append(("BACKGROUND", (0, r), (-1, r), SHADE))
            continue
        g = ln.progress
        if g:
            rows.append([_p(ln.description, st["cell"]), fr.amount(Decimal(g["contract_amount"])),
                         fr.percent(Decimal(g["previous_percent"])), fr.percent(Decimal(g["percent"])),
                         fr.amount(Decimal(g["previous_amount"])), fr.amount(ln.net_amount), vat])
        else:                           # a deduction, or a released retention
            rows.append([_p(ln.description, st["cell"]), "", "", "", "", fr.amount(ln.net_amount), vat])
            style.append(("SPAN", (0, r), (4, r)))
        style.append(("LINEBELOW", (0, r), (-1, r), 0.25, RULE))
    return _table(rows, widths, style, repeatRows=1)


def _lines_table(p: Printed, st) -> Table:
    if p.type == "progress":
        return _progress_table(p, st)
    priced = p.kind != "delivery"
    ttc = p.kind == "receipt"                      # a consumer's ticket: prices all taxes included
    if priced:
        head = ["Désignation", "Qté", "Unité", "P.U. TTC" if ttc else "P.U. HT", "Rem.", "TVA",
                "Montant TTC" if ttc else "Montant HT"]
        widths = [74 * mm, 15 * mm, 16 * mm, 21 * mm, 15 * mm, 13 * mm, 26 * mm]
    else:
        head = ["Réf.", "Désignation", "Qté livrée", "Unité", "Reste à livrer"]
        widths = [24 * mm, 96 * mm, 20 * mm, 18 * mm, 22 * mm]
    rows = [[_p(h, st["bold"]) for h in head]]
    style = [("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT), ("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("ALIGN", (1 if priced else 2, 0), (-1, -1), "RIGHT"), ("FONTSIZE", (0, 0), (-1, -1), 8),
             ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]
    for ln in p.lines:
        r = len(rows)
        if ln.kind in ("section", "text"):
            rows.append([_p(ln.description, st["section"] if ln.kind == "section" else st["note"])]
                        + [""] * (len(head) - 1))
            style.append(("SPAN", (0, r), (-1, r)))
            if ln.kind == "section":
                style.append(("BACKGROUND", (0, r), (-1, r), SHADE))
            continue
        if ln.kind == "subtotal":
            if priced:
                rows.append([_p(ln.description or "Sous-total", st["bold"]), "", "", "", "", "",
                             fr.amount(ln.subtotal)])
                style.append(("SPAN", (0, r), (-2, r)))
                style.append(("LINEABOVE", (-1, r), (-1, r), 0.5, INK))
            continue
        desc = _p(ln.description + (f"\nRéf. {ln.code}" if ln.code and priced else ""), st["cell"])
        if priced:
            rows.append([desc, fr.number(ln.quantity), ln.unit_label,
                         fr.price(ln.gross_price if ttc else ln.unit_price),
                         fr.percent(ln.discount_percent) if ln.discount_percent else "",
                         fr.percent(ln.vat_rate) if ln.vat_category == "S" else ln.vat_category,
                         fr.amount(ln.gross_amount if ttc else ln.net_amount)])
        else:
            rows.append([ln.code, desc, fr.number(ln.quantity), ln.unit_label,
                         fr.number(ln.remaining) if ln.remaining is not None else ""])
        style.append(("LINEBELOW", (0, r), (-1, r), 0.25, RULE))
    if not priced and p.backorder:                 # what the order still owes, not on this note
        r = len(rows)
        rows.append([_p("Non livré sur ce bon — reste à livrer sur la commande", st["section"])] + [""] * 4)
        style += [("SPAN", (0, r), (-1, r)), ("BACKGROUND", (0, r), (-1, r), SHADE)]
        for ln in p.backorder:
            style.append(("LINEBELOW", (0, len(rows)), (-1, len(rows)), 0.25, RULE))
            rows.append([ln.code, _p(ln.description, st["cell"]), fr.number(ln.quantity), ln.unit_label,
                         fr.number(ln.remaining)])
    return _table(rows, widths, style, repeatRows=1)


def _totals(p: Printed, st) -> list:
    t = p.totals

    def _money(value, with_symbol=False):          # the document's currency (BT-5)
        return fr.amount(value, p.currency if with_symbol else False)
    rows = [["Total lignes HT", _money(t["line_total"], True)]]
    for a in p.allowances:
        rows.append([f"Remise : {a.reason} (TVA {fr.percent(a.vat_rate)})", "−" + _money(a.amount, True)])
    for c in p.charges:
        rows.append([f"{c.reason} (TVA {fr.percent(c.vat_rate)})", _money(c.amount, True)])
    if p.allowances or p.charges:
        rows.append(["Total HT", _money(t["tax_basis_total"], True)])
    rows.append(["Total TVA", _money(t["tax_total"], True)])
    if p.totals_eur:              # CGI art. 242 nonies A: the VAT stated in euros, and the rate used
        rows.append([f"Total TVA en euros (1 {p.currency} = {fr.number(p.exchange_rate, 6)} €)",
                     fr.amount(p.totals_eur["tax_total"], True)])
    rows.append(["Total TTC", _money(t["grand_total"], True)])
    if t["prepaid"] and not p.paid_at_issue:
        rows.append(["Déjà versé", "−" + _money(t["prepaid"], True)])
    if t["rounding"]:
        rows.append(["Arrondi", _money(t["rounding"], True)])
    label = "Net à payer" if p.kind != "credit_note" else "Montant à rembourser ou à imputer"
    if p.kind in ("quote", "order"):
        label = "Total TTC"
        rows.pop()
    retention = (p.situation or {}).get("retention") or {}
    if p.paid_at_issue:                                               # BT-113 = BT-112, BT-115 = 0
        rows.append(["Payé", _money(t["prepaid"], True)])
    elif retention.get("percent") and retention.get("to_pay_now"):   # held below the TTC, not off its base
        rows.append(["Montant dû", _money(t["due"], True)])
        rows.append([f"Retenue de garantie {retention['percent']} % (exigible le {fr.date(retention['release_date'])})",
                     "−" + _money(Decimal(retention["amount"]), True)])
        rows.append([label, _money(Decimal(retention["to_pay_now"]), True)])
    else:
        rows.append([label, _money(t["due"], True)])
    received = sum((s["amount"] for s in p.settled if not s["ticket"]), Decimal(0))
    if received and p.left is not None and not p.paid_at_issue:     # paid since it was issued (BT-115 stands)
        if p.left <= 0:
            rows.append(["Payé", _money(received, True)])
        else:
            rows += [["Déjà réglé", "−" + _money(received, True)], ["Reste à payer", _money(p.left, True)]]
    totals = _table(rows, [62 * mm, 28 * mm], [("FONTSIZE", (0, 0), (-1, -1), 8.5),
                                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                ("FONTNAME", (0, -1), (-1, -1), fonts.BOLD),
                                ("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT),
                                ("BACKGROUND", (0, -1), (-1, -1), SHADE)])
    vat_rows = [["TVA incluse" if p.kind == "receipt" else "TVA", "Base HT", "Montant"] + (["En euros"] if p.totals_eur else [])]
    for v in p.vat:
        name = f"{fr.percent(v['rate'])}" if v["category"] == "S" else f"{v['category']} ({v['label']})"
        vat_rows.append([name, fr.amount(v["basis"]), fr.amount(v["amount"])]
                        + ([fr.amount(v["amount_eur"])] if p.totals_eur else []))
    widths = [34 * mm, 19 * mm, 15 * mm, 18 * mm] if p.totals_eur else [34 * mm, 28 * mm, 24 * mm]
    vat = _table(vat_rows, widths, [("FONTSIZE", (0, 0), (-1, -1), 7.5),
                             ("FONTNAME", (0, 0), (-1, 0), fonts.BOLD), ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                             ("LINEBELOW", (0, 0), (-1, 0), 0.5, RULE)])
    both = _table([[vat, totals]], [90 * mm, 90 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("ALIGN", (1, 0), (1, 0), "RIGHT")])
    return [Spacer(1, 4 * mm), KeepTogether(both)]


def _footer_blocks(p: Printed, st) -> list:
    out = [Spacer(1, 5 * mm)]
    s = p.seller
    for line in printed.paid_text(p):
        out.append(_p(line, st["bold"]))
    if p.kind == "invoice" and s.get("iban") and not p.paid_in_full:     # nothing to transfer once paid
        out.append(_p(f"Règlement par virement — IBAN {s['iban']}" + (f" — BIC {s['bic']}" if s.get("bic") else ""),
                      st["bold"]))
    qr = epc.payload(p)
    if qr:
        out.append(_transfer_qr(qr, st))
    for m in p.mentions:
        out.append(_p(m, st["note"]))
    if p.notes:
        out += [Spacer(1, 2 * mm), _p(p.notes, st["base"])]
    if p.kind in ("quote", "delivery"):
        label = "Bon pour accord" if p.kind == "quote" else "Reçu conforme — nom, date et signature"
        box = _table([[_p(label, st["small"])], [""]], [74 * mm], [("BOX", (0, 0), (-1, -1), 0.5, RULE)], rowHeights=[5 * mm, 22 * mm])
        wrap = _table([["", box]], [100 * mm, 80 * mm], [])
        out += [Spacer(1, 4 * mm), KeepTogether(wrap)]
    return out


class _QR(Flowable):
    """A QR code drawn on the canvas as one path of its dark runs (no Drawing: a reportlab
    graphic selects Helvetica, a font never embedded, not PDF/A), with a 4-module quiet zone."""

    def __init__(self, rows: list[list[bool]], side: float):
        super().__init__()
        self.rows, self.width, self.height = rows, side, side

    def draw(self):
        n = len(self.rows) + 8
        unit = self.width / n
        path = self.canv.beginPath()
        for y, row in enumerate(self.rows):
            x = 0
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    path.rect((start + 4) * unit, (n - 5 - y) * unit, (x - start) * unit, unit)
                x += 1
        self.canv.setFillColor(colors.black)
        self.canv.drawPath(path, fill=1, stroke=0)


def _transfer_qr(payload: str, st) -> Table:
    """The SEPA transfer QR code (printers.epc), 26 mm square with its quiet zone, and what to
    do with it."""
    return _table([[_QR(epc.modules(payload), 26 * mm),
                    _p("Pour payer par virement, scannez ce code avec l'application de votre banque "
                       "(QR code SEPA) : bénéficiaire, IBAN, montant et référence sont remplis.", st["small"])]],
                  [30 * mm, 90 * mm], [("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)],
                  hAlign="LEFT")


def render(p: Printed, facturx: bytes | None = None) -> bytes:
    """The PDF/A-3b bytes of one document; with facturx (the CII XML), a Factur-X PDF."""
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=14 * mm, bottomMargin=18 * mm,
                            title=f"{p.title} {p.reference_label}", author=printable(p.seller.get("name", ""), False),
                            subject=f"{p.title} {p.reference_label}", creator="tui-factu")
    story = _header(p, st) + _parties(p, st) + [_lines_table(p, st)]
    if p.kind != "delivery":
        story += _totals(p, st)
    story += _footer_blocks(p, st)
    legal = " · ".join([printed.seller_name(p.seller)] + printed.seller_lines(p.seller))
    mark = "BROUILLON" if p.draft else ("DUPLICATA" if p.duplicate else "")
    head = " · ".join(x for x in (f"{p.title} {p.number or '(brouillon)'}" + (" — DUPLICATA" if p.duplicate else ""),
                                  p.customer.get("name", ""), p.customer.get("code", "")) if x)

    def canvas(*args, **kwargs):
        c = _Canvas(*args, **kwargs)
        c.tf_footer = (legal, mark, head)
        c.tf_facturx = facturx
        return c
    doc.build(story, canvasmaker=canvas)
    return buf.getvalue()


def payment_receipt(view: dict) -> bytes:
    """A payment receipt on A4, in the same family (PDF/A-3b)."""
    st = _styles()
    s, c = view["seller"], view["customer"]
    head = _page_head(s, "REÇU DE PAIEMENT", view["number"], view["date"], st)
    rows = [["Facture", "Montant"]] + [[n, fr.amount(a, True)] for n, a in view["allocations"]]
    if view["credit"] > 0:
        rows.append(["Crédit client", fr.amount(view["credit"], True)])
    rows.append([f"Reçu ({view['method']})", fr.amount(view["tendered"] or view["amount"], True)])
    if view["change"]:
        rows.append(["Rendu", fr.amount(view["change"], True)])
    table = _table(rows, [120 * mm, 40 * mm], [("FONTNAME", (0, 0), (-1, 0), fonts.BOLD),
                                              ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                                              ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT)])
    story = [head, Spacer(1, 6 * mm), _p(f"Reçu de {c.get('name', '')} ({c.get('code', '')})", st["bold"])]
    story += [_p(x, st["base"]) for x in _address(c.get("address"))]
    if view["cancels"]:
        story.append(_p(f"Annule le règlement {view['cancels']}", st["bold"]))
    if view["reference"]:
        story.append(_p(f"Référence : {view['reference']}" + (f" — {view['bank']}" if view["bank"] else ""), st["base"]))
    story += [Spacer(1, 5 * mm), table]
    return _a4(story, s, f"Reçu {view['number']}", f"Reçu de paiement {view['number']}")


def _page_head(seller: dict, title: str, number: str, date, st) -> Table:
    """The seller on the left; the title, the number and the date on the right."""
    return _table([[[_p(printed.seller_name(seller), st["seller"])]
                    + [_p(x, st["base"]) for x in _address(seller.get("address"))],
                    [_p(title, st["title"]), _p(f"N° {number}", st["right"]), _p(f"Date : {fr.date(date)}", st["right"])]]],
                  [100 * mm, 80 * mm], [("VALIGN", (0, 0), (-1, -1), "TOP")])


def _a4(story: list, seller: dict, title: str, subject: str) -> bytes:
    """A one-off A4 page family (receipts, slips): PDF/A-3b, the seller's legal line at the foot."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=18 * mm, title=title, author=printable(seller.get("name", ""), False),
                            subject=subject, creator="tui-factu")
    legal = " · ".join([printed.seller_name(seller)] + printed.seller_lines(seller))

    def canvas(*args, **kwargs):
        cv = _Canvas(*args, **kwargs)
        cv.tf_footer = (legal, "")
        return cv
    doc.build(story, canvasmaker=canvas)
    return buf.getvalue()


def remittance_slip(view: dict) -> bytes:
    """A cheque remittance slip (bordereau de remise) on A4, PDF/A-3b like the rest."""
    st = _styles()
    s = view["seller"]
    head = _page_head(s, "REMISE DE CHÈQUES", view["number"], view["date"], st)
    rows = [["Date", "Tireur", "Banque", "N° de chèque", "Montant"]]
    rows += [[fr.date(c["date"]), _p(c["customer"], st["base"]), c["drawer_bank"], c["number"],
              fr.amount(c["amount"], True)] for c in view["cheques"]]
    rows.append(["", "", "", f"{len(view['cheques'])} chèque(s)", fr.amount(view["total"], True)])
    table = _table(rows, [22 * mm, 62 * mm, 32 * mm, 32 * mm, 32 * mm],
                   [("FONTNAME", (0, 0), (-1, 0), fonts.BOLD), ("FONTNAME", (0, -1), (-1, -1), fonts.BOLD),
                    ("ALIGN", (4, 0), (4, -1), "RIGHT"), ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                    ("LINEABOVE", (0, -1), (-1, -1), 0.8, ACCENT)])
    story = [head, Spacer(1, 6 * mm)]
    if view["bank"] or view["account"]:
        story.append(_p(f"Remis à : {view['bank'] or ''}" + (f" — compte {view['account']}" if view["account"] else ""),
                        st["bold"]))
    story += [Spacer(1, 4 * mm), table]
    return _a4(story, s, f"Bordereau {view['number']}", f"Remise de chèques {view['number']}")
