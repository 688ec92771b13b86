"""One editor for every document kind: customer, lines by code or barcode, live totals, save,
validate, transform, print. A validated document opens read-only with its seal state.

Every write (save, validate, status, transform, credit, payment, schedule, deposit…) runs in a
worker thread through `_write` and reports back by message (`Written`, `Refused`); meanwhile a
line says what is being done and the keys typed wait for it (`widgets/busy.py`)."""
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static

from tui_factu import clock, catalog, counter, documents, fr, pricing, rates, totals
from tui_factu.errors import FactuError
from tui_factu.documents.kinds import KIND_LABELS, MANUAL, PRICED_LINE_KINDS, STATUS_LABELS, TRANSFORMS, agreed

from .commands import KeysProvider
from .pickers import Choice, Confirm, CustomerPicker, Form, ProductPicker
from .widgets.base import FactuScreen
from .widgets.busy import Busy
from .widgets.document_actions import DocumentActions
from .widgets.field import Field


def _r(text: str) -> Text:
    return Text(text, justify="right")


def _line_from_product(p, quantity="1") -> dict:
    return {"kind": p.kind, "product": p.code, "code": p.code, "description": p.name,
            "quantity": Decimal(quantity), "unit": p.unit, "unit_price": p.price,
            "discount_percent": Decimal(0), "vat_rate": p.vat_rate, "vat_category": p.vat_category,
            "cost_price": getattr(p, "cost", None)}


class EditorScreen(DocumentActions, FactuScreen):
    """The keys; the dialogs of the daily actions are in widgets/document_actions.py."""
    GUARDS = {"save": "document.edit", "validate": "document.validate", "pay": "payment.collect",
              "deposit": "document.edit", "situation": "document.edit", "schedule": "document.edit",
              "replace": "document.credit", "add_text": "document.edit", "delete_line": "document.edit",
              "free_line": "document.edit", "add_subtotal": "document.edit", "header": "document.edit",
              "adjust": "document.edit", "payments": "payment.collect"}
    COMMANDS = {KeysProvider}           # Ctrl+P finds these keys by their French name
    BINDINGS = [
        Binding("f2,ctrl+s", "save", "Enregistrer", id="editor.save"),
        Binding("f9", "validate", "Valider", id="editor.validate"),
        Binding("ctrl+t", "transform", "Transformer", id="editor.transform"),
        Binding("ctrl+k", "status", "Statut : accepté, refusé, soldé (reliquat)", show=False, id="editor.status"),
        Binding("ctrl+e", "pay", "Encaisser", id="editor.pay"),
        Binding("f10", "deposit", "Acompte", id="editor.deposit"),
        Binding("f11", "situation", "Situation", id="editor.situation"),
        Binding("ctrl+g", "schedule", "Échéancier", id="editor.schedule"),
        Binding("f3", "links", "Liens", id="editor.links"),
        Binding("ctrl+o", "einvoice", "Facture électronique", show=False, id="editor.einvoice"),
        Binding("ctrl+o", "history", "Historique", show=False, id="editor.history"),
        Binding("ctrl+y", "einvoice_send", "Transmettre (PA)", show=False, id="editor.einvoice_send"),
        Binding("f5", "pdf", "PDF", id="editor.pdf"),
        Binding("f6", "slip", "Bon thermique", id="editor.slip"),
        Binding("f4", "pick_customer", "Client", id="editor.customer"),
        Binding("f7", "add_text", "Texte", id="editor.text"),
        Binding("f8", "add_section", "Section", show=False, id="editor.section"),
        Binding("ctrl+l", "free_line", "Ligne libre (sans produit)", show=False, id="editor.free_line"),
        Binding("ctrl+b", "add_subtotal", "Sous-total", show=False, id="editor.subtotal"),
        Binding("ctrl+n", "header", "En-tête : échéance, validité, référence, notes", show=False,
                id="editor.header"),
        Binding("ctrl+f", "adjust", "Remise ou frais sur le document", show=False, id="editor.adjust"),
        Binding("ctrl+u", "payments", "Règlements : annuler, rembourser un avoir", show=False,
                id="editor.payments"),
        Binding("ctrl+d", "duplicate", "Dupliquer", show=False, id="editor.duplicate"),
        Binding("ctrl+r", "replace", "Annule et remplace", show=False, id="editor.replace"),
        Binding("ctrl+x", "delete_line", "Suppr. ligne", id="editor.delete_line"),
        Binding("escape", "leave", "Retour", id="editor.back"),
    ]

    def __init__(self, doc_id: int | None = None, kind: str = "quote", customer: str | None = None,
                 then: str | None = None):
        super().__init__()
        self.doc_id, self.kind = doc_id, kind
        self.then = then                # an action to run once the document is read (Ctrl+P « encaisser »)
        self.version, self.status, self.number, self.sealed = 1, "draft", None, False
        self.doc_type = "standard"
        self.customer_code = customer or ""
        self.customer_name = ""
        self.lines: list[dict] = []
        self.dirty = False
        self.loaded = doc_id is None

    # ---- layout ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        with Horizontal(id="header"):
            yield Label("Client F4 ", classes="label")
            yield Static("", id="customer")
            yield Label(" Date ", classes="label")
            yield Field(clock.today().isoformat(), id="date", classes="short")
            yield Label(" Réf. ", classes="label")
            yield Field("", id="reference", placeholder="bon de commande client", classes="ref")
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="entry"):
            yield Label("Code ", classes="label")
            yield Field("", id="code", placeholder="code, code-barres ou nom puis Entrée", clear_on_submit=True)
            yield Label(" Qté ", classes="label")
            yield Field("1", id="qty", classes="qty")
            yield Label(" Devise ", classes="label")         # of the whole document (BT-5)
            yield Field("EUR", id="currency", classes="qty")
        yield Static("", id="suggestion")
        yield Static("", id="totals")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("N°", 2), ("Code", 8), ("Désignation", 22), ("Qté", 5), ("P.U. HT", 8),
                             ("Rem.", 4), ("TVA", 3), ("Montant HT", 10)):
            table.add_column(title, width=width)
        if self.doc_id:
            self.load()
        else:
            self.refresh_view()
            self.query_one("#code").focus()
            if not self.customer_code:
                self.call_after_refresh(self.action_pick_customer)

    @work(thread=True, exclusive=True, group="editor-load")
    def load(self) -> None:
        try:
            read = self._read(self.doc_id)
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error")
            return
        self.app.call_from_thread(self._loaded, *read)

    @staticmethod
    def _read(doc_id: int) -> tuple:
        """(document, its lines, its customer, its allowances and charges) as stored (in a worker thread)."""
        doc = documents.get(doc_id)
        return doc, documents.lines_of(doc.id), catalog.customer_by_id(doc.customer_id), documents.adjustments_of(doc.id)

    def _loaded(self, doc, lines, cust, adjustments=()) -> None:
        self.kind, self.version, self.status, self.doc_type = doc.kind, doc.version, documents.shown(doc), doc.type
        self.number, self.sealed = doc.number, doc.sealed
        self.customer_code, self.customer_name = cust.code, cust.name
        self.stored_header = {"date": doc.date.isoformat(), "reference": doc.reference, "currency": doc.currency}
        # a document in another currency: its VAT in euros and the rate, as stored (BT-111)
        self.euros = (doc.tax_total_eur, doc.exchange_rate) if doc.exchange_rate else None
        self.query_one("#currency", Field).value = doc.currency
        self.header_values(doc)
        self.adjustments_read(adjustments)
        self.query_one("#date", Field).value = doc.date.isoformat()
        self.query_one("#reference", Field).value = doc.reference
        self.lines = [{"kind": ln.kind, "product": ln.code or None, "code": ln.code,
                       "description": ln.description, "quantity": ln.quantity, "unit": ln.unit,
                       "unit_price": ln.unit_price, "discount_percent": ln.discount_percent,
                       "vat_rate": ln.vat_rate, "vat_category": ln.vat_category, "origin": ln.origin_id,
                       "cost_price": ln.cost_price, "vat_group": ln.vat_group, "vat_carried": ln.vat_carried,
                       "previous_line": ln.id}
                      for ln in lines]
        self.dirty, self.loaded = False, True
        readonly = self.status != "draft"
        for w in self.query(Field):
            w.disabled = readonly
        self.refresh_bindings()
        self.refresh_view()
        (self.query_one(DataTable) if readonly else self.query_one("#code")).focus()
        if self.then:
            action, self.then = self.then, None
            self.call_after_refresh(getattr(self, f"action_{action}"))

    @property
    def readonly(self) -> bool:
        return self.status != "draft"

    @property
    def lines_locked(self) -> bool:
        """A situation's lines come from the progress entered on its screen, not from here."""
        if self.doc_type in ("progress", "retention") and not self.readonly:
            self.notify("Les lignes d'une situation viennent de l'avancement saisi : supprimez ce brouillon "
                        "et refaites la situation (F11 sur la commande).", severity="warning")
            return True
        return False

    def refresh_view(self) -> None:
        """Title, customer, every row and the totals (after loading or editing a line)."""
        self._refresh_header()
        t = self.current_totals()
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for i in range(len(self.lines)):
            self._add_row(i, t)
        if self.lines:
            table.move_cursor(row=min(row, len(self.lines) - 1))
        self._refresh_totals(t)

    def _refresh_header(self) -> None:
        label = KIND_LABELS[self.kind]
        state = STATUS_LABELS.get(self.status, self.status)
        state = agreed(self.kind, state) if self.status == "validated" else state     # « Facture … Validée »
        seal = " · scellé ✓" if self.sealed else ""
        changed = " · modifié" if self.dirty else ""
        # fixed-size lines (app.tcss): a repaint, never a layout pass over the 200-row table
        self.query_one("#title", Static).update(
            f"[b]{label}[/b] {self.number or '(brouillon' + (f' #{self.doc_id}' if self.doc_id else '') + ')'}"
            f" · {state}{seal}{changed}", layout=False)
        self.query_one("#customer", Static).update(
            f"{self.customer_code} {self.customer_name}"[:30] if self.customer_code else "[i]aucun[/i]", layout=False)

    def _add_row(self, i: int, t: totals.Totals) -> None:
        ln, net, n = self.lines[i], t.line_nets[i], str(i + 1)
        table = self.query_one(DataTable)
        if ln["kind"] in PRICED_LINE_KINDS:
            table.add_row(n, ln.get("code") or "", ln["description"][:22], _r(fr.number(ln["quantity"])),
                          _r(fr.price(ln["unit_price"])),
                          _r(fr.number(ln["discount_percent"]) if ln["discount_percent"] else ""),
                          _r(fr.number(ln["vat_rate"]) if ln["vat_category"] == "S" else ln["vat_category"]),
                          _r(fr.amount(net)), key=n)
        else:
            table.add_row(n, "", Text(ln["description"][:22], style="bold" if ln["kind"] != "text" else "italic"),
                          "", "", "", "", _r(fr.amount(t.subtotals[i]) if ln["kind"] == "subtotal" else ""),
                          key=n)

    euros = None                       # (VAT total in euros, rate) of a stored foreign-currency document

    @property
    def currency(self) -> str:
        """The currency typed in the header (the core checks it: ISO 4217, a rate of the day)."""
        return self.query_one("#currency", Field).value.strip().upper() or "EUR"

    def _currency_text(self) -> str:
        code = self.currency
        if code == "EUR" or len(code) != 3:
            return ""
        if self.euros and not self.dirty:
            return f"  TVA {fr.amount(self.euros[0], True)} à {fr.number(self.euros[1], 6)} €/{code}"
        return f"  {code} au cours du jour"

    def _refresh_totals(self, t: totals.Totals) -> None:
        vat = "  ".join(f"TVA {fr.percent(v.rate)} {fr.amount(v.amount)}" if v.category == "S"
                        else f"{v.category} {fr.amount(v.basis)}" for v in t.vat)
        code = self.currency if len(self.currency) == 3 else "EUR"
        self.query_one("#totals", Static).update(
            f"Total HT [b]{fr.amount(t.tax_basis_total, code)}[/b]  {vat}{self._margin_text(t)}{self.price_rule}\n"
            f"Total TTC [b]{fr.amount(t.grand_total, code)}[/b]   {len(self.lines)} ligne(s)"
            f"{self._currency_text()}"
            f"{f'  remises −{fr.amount(t.allowance_total)}' if t.allowance_total else ''}"
            f"{f'  frais +{fr.amount(t.charge_total)}' if t.charge_total else ''}"
            f"{self.stock_text}", layout=False)

    def _margin_text(self, t) -> str:
        if not self.app_sees_costs or self.kind not in ("quote", "order", "invoice"):
            return ""
        m = self._margins(t)
        code = self.currency if len(self.currency) == 3 else "EUR"     # costs are kept in the document's currency
        return (f"  Marge {fr.amount(documents.to_decimal(m['margin']), code)} "
                f"({fr.percent(documents.to_decimal(m['rate']))})")

    def _margins(self, t) -> dict:
        from tui_factu import margins
        return margins.of_lines([dict(ln, net_amount=net, position=i)
                                 for i, (ln, net) in enumerate(zip(self.lines, t.line_nets), start=1)])

    @property
    def app_sees_costs(self) -> bool:
        return self.app.may("costs.see") if self.app.user_role else False

    stock_text = ""
    price_rule = ""                     # which rule priced the line just added (pricing.py)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event) -> None:
        i = event.cursor_row
        code = self.lines[i].get("product") if 0 <= i < len(self.lines) else None
        self._show_stock(code)

    @work(thread=True, exclusive=True, group="editor-stock")
    def _show_stock(self, code) -> None:
        info = documents.availability(code) if code else None
        text = (f"   Stock {code} : {fr.number(info['on_hand'])}, réservé {fr.number(info['reserved'])}, "
                f"[b]dispo {fr.number(info['available'])}[/b]" if info else "")
        self.app.call_from_thread(self._set_stock, text)

    def _set_stock(self, text: str) -> None:
        if text != self.stock_text:
            self.stock_text = text
            self._refresh_totals(self.current_totals())

    def current_totals(self) -> totals.Totals:
        """Live totals from the one totals module, as the document will store them."""
        return totals.compute([totals.LineIn(ln["kind"], ln.get("quantity"), ln.get("unit_price"),
                                             ln.get("discount_percent") or Decimal(0), ln.get("vat_rate"),
                                             ln.get("vat_category"), ln.get("vat_group"), ln.get("vat_carried"))
                               for ln in self.lines],
                              [totals.AdjustmentIn(a["amount"], a["vat_rate"], a["vat_category"], a["is_charge"],
                                                   a.get("vat_group"), a.get("vat_carried")) for a in self.adjustments])

    def changed(self) -> None:
        self.dirty = True
        self.refresh_view()

    # ---- entering lines ----------------------------------------------------------------
    @on(Field.Submitted, "#code")
    def _code(self, event) -> None:
        if self.readonly or self.lines_locked:
            return
        text = event.value.strip()
        if not text:
            return
        try:
            product, quantity, text = counter.read_scan(text)       # 3*CODE or CODE*3, as at the counter
        except FactuError as e:
            self.notify(str(e), severity="error")
            self.query_one("#code", Field).value = event.value      # kept: fix it, Enter
            return
        if quantity is not None:
            self.query_one("#qty", Field).value = fr.number(quantity)
        if product is not None:
            self.add_product(product)
        else:
            self.app.push_screen(ProductPicker(text), self._picked_product)

    @on(Field.Changed, "#code")
    def _typing(self, event) -> None:
        self._suggest(event.value.strip())

    @work(thread=True, exclusive=True, group="editor-suggest")
    def _suggest(self, text: str) -> None:
        """The first product whose code or name starts with what is typed, shown under the entry."""
        found = catalog.find_products(text, 1) if len(text) >= 2 and not text.isdigit() else []
        hint = f"↳ {found[0].code}  {found[0].name[:40]}  {fr.price(found[0].price)} € HT" if found else ""
        self.app.call_from_thread(lambda: self.query_one("#suggestion", Static).update(hint, layout=False))

    @on(Field.Submitted, "#qty")
    def _qty(self) -> None:
        self.query_one("#code").focus()

    def _picked_product(self, code) -> None:
        if code:
            self.add_product(catalog.product_by_code(code))
        self.query_one("#code").focus()

    def _draft_date(self):
        """The date typed in the header (the day a price list item applies), else today."""
        try:
            return documents.parse_date(self.query_one("#date", Field).value or clock.today())
        except FactuError:
            return clock.today()

    def add_product(self, product) -> None:
        qty = self.query_one("#qty", Field).value.strip() or "1"
        try:
            quantity = documents.to_decimal(qty, "quantité")
            if quantity <= 0:
                raise FactuError("quantité : doit être positive")
        except FactuError as e:
            self.notify(str(e), severity="error")
            code = self.query_one("#code", Field)
            code.value = code.value or product.code      # the scan is not lost: fix the quantity, Enter
            return
        line = _line_from_product(product, quantity)
        # the customer's price, and the rule that gave it, said under the lines (pricing.py)
        price = pricing.for_customer(self.customer_code, product, quantity, self._draft_date())
        line.update(unit_price=price.unit_price, discount_percent=price.discount_percent)
        self.price_rule = "" if price.rule == "prix catalogue" else f"   {product.code} : {price.rule}"
        if self.currency != "EUR":          # the catalogue is in euros: at the rate of the draft's date
            try:
                line.update(rates.catalogue_line(line, self.currency, self.query_one("#date", Field).value))
            except FactuError as e:
                self.notify(str(e), severity="error")
                return
        self.lines.append(line)
        self.query_one("#qty", Field).value = "1"
        self.dirty = True
        t = self.current_totals()           # one new row, not a rebuild of the whole table
        self._add_row(len(self.lines) - 1, t)
        self._refresh_totals(t)
        self._refresh_header()
        self.query_one(DataTable).move_cursor(row=len(self.lines) - 1)

    @on(DataTable.RowSelected)
    def _edit_line(self, event) -> None:
        if self.readonly or not self.lines or self.lines_locked:
            return
        self.edit_line(event.cursor_row)

    def action_add_text(self, kind: str = "text") -> None:
        if self.readonly or self.lines_locked:
            return
        label = "Titre de section" if kind == "section" else "Texte"
        self.app.push_screen(Form(label, [("description", label, "")]),
                             lambda v: v and v["description"].strip() and self._add_text(kind, v["description"]))

    def action_add_section(self) -> None:
        self.action_add_text("section")

    def _add_text(self, kind, text) -> None:
        self.lines.append({"kind": kind, "description": text.strip()})
        self.changed()

    def action_delete_line(self) -> None:
        if self.readonly or not self.lines or self.lines_locked:
            return
        del self.lines[self.query_one(DataTable).cursor_row]
        self.changed()

    def action_pick_customer(self) -> None:
        if self.readonly:
            return
        self.app.push_screen(CustomerPicker(self.customer_code), self._picked_customer)

    def _picked_customer(self, code) -> None:
        if code:
            c = catalog.customer_by_code(code)
            self.customer_code, self.customer_name = c.code, c.name
            self.changed()
        self.query_one("#code").focus()

    stored_header: dict = {}           # the date and reference as loaded (none for a new document)

    @on(Field.Changed, "#reference, #date, #currency")
    def _header_changed(self) -> None:
        # what _loaded puts in the fields (and a field's first value) may arrive here after it:
        # the header as it reads now, if it is the one loaded, was not changed
        now = {name: self.query_one(f"#{name}", Field).value for name in ("date", "reference", "currency")}
        if now == self.stored_header:
            return
        if self.loaded and not self.readonly and not self.dirty:
            self.dirty = True
            self.refresh_view()

    # ---- writes: in a worker thread, reported back by message ---------------------------
    class Written(Message, bubble=False):
        """A write done: what the core returned, what the screen does with it, and the document
        as stored after it (when the editor shows it again)."""
        def __init__(self, busy: Busy, done, result, read) -> None:
            super().__init__()
            self.busy, self.done, self.result, self.read = busy, done, result, read

    class Refused(Message, bubble=False):
        """A write the core refused: nothing was written; its French message."""
        def __init__(self, busy: Busy, error: FactuError) -> None:
            super().__init__()
            self.busy, self.error = busy, error

    def _write(self, what: str, do, done, reload=None) -> None:
        """Runs `do()` (core services that write) in a worker thread while « what… » shows and
        the keys typed wait; then `done(result)` here, or the refusal as an error. reload:
        result -> the id of the document to show again, read in the same thread, so that the
        keys typed meanwhile act on the document as it now is."""
        busy = Busy(what)
        self.app.push_screen(busy)
        self._in_thread(busy, do, done, reload)

    @work(thread=True, group="editor-write")
    def _in_thread(self, busy: Busy, do, done, reload) -> None:
        try:
            result = do()
        except FactuError as e:
            self.post_message(self.Refused(busy, e))
            return
        self.post_message(self.Written(busy, done, result, self._read(reload(result)) if reload else None))

    @on(Written)
    def _written(self, message: Written) -> None:
        def outcome() -> None:
            message.done(message.result)
            if message.read:
                self._loaded(*message.read)
        message.busy.release(outcome)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        message.busy.release(lambda: self.notify(str(message.error), severity="error", timeout=8))

    # ---- saving and the chain ----------------------------------------------------------
    def _payload(self) -> list[dict]:
        out = []
        for ln in self.lines:
            if ln["kind"] not in PRICED_LINE_KINDS:
                out.append({"kind": ln["kind"], "description": ln["description"]})
                continue
            item = {k: ln.get(k) for k in ("kind", "description", "unit", "vat_category", "origin")}
            if ln.get("cost_price") is not None:
                item["cost_price"] = str(ln["cost_price"])      # the cost snapshot survives saves
            item.update(quantity=str(ln["quantity"]), unit_price=str(ln["unit_price"]),
                        discount_percent=str(ln["discount_percent"]), vat_rate=str(ln["vat_rate"]),
                        deduction=ln["quantity"] < 0)      # a deposit deducted on a final invoice
            if ln.get("product"):
                item["product"] = ln["product"]
            if ln.get("previous_line"):
                item["previous_line"] = ln["previous_line"]     # billing links follow the line
            out.append(item)
        return out

    def action_save(self, then=None) -> None:
        if self.readonly:
            self.notify("Document validé : lecture seule (faites un avoir ou dupliquez-le).", severity="warning")
            return
        if not self.customer_code:
            self.notify("Choisissez d'abord un client (F4).", severity="error")
            return
        self._save(then)

    def _save(self, then=None) -> None:
        header = {"date": self.query_one("#date", Field).value,
                  "reference": self.query_one("#reference", Field).value, "currency": self.currency}
        header.update(self.header_payload())
        adjustments = self.adjustments_payload()
        doc_id, version, kind, customer = self.doc_id, self.version, self.kind, self.customer_code
        lines = None if self.doc_type in ("progress", "retention") else self._payload()

        def do():
            if doc_id is None:
                def make():
                    return documents.create(kind, customer, lines=lines, **header, **adjustments)
                # a refused validation leaves no draft behind: the lines stay here, unsaved
                return documents.created_and_validated(make) if then == "validate" else make()
            doc = documents.update_draft(doc_id, version, dict(header, customer=customer), lines, **adjustments)
            return documents.validate(doc.id) if then == "validate" else doc
        self._write("Validation en cours" if then == "validate" else "Enregistrement en cours", do,
                    lambda doc: self._saved(doc, then), reload=lambda doc: doc.id)

    def _saved(self, doc, then) -> None:
        self.doc_id = doc.id
        done = f"{agreed(doc.kind, 'validé')} et {agreed(doc.kind, 'scellé')}" if then == "validate" \
            else agreed(doc.kind, "enregistré")
        self.notify(f"{documents.label(doc)} {done}.")

    def action_validate(self) -> None:
        if self.readonly:
            self.notify("Déjà validé.", severity="warning")
            return
        if not self.customer_code:
            self.notify("Choisissez d'abord un client (F4).", severity="error")
            return
        if self.doc_type not in ("progress", "retention") and not any(
                ln["kind"] in PRICED_LINE_KINDS for ln in self.lines):
            # refused here, before anything is written: no empty draft left behind
            self.notify("Rien à valider : le document n'a aucune ligne chiffrée (un code puis Entrée, "
                        "ou Ctrl+L pour une ligne libre).", severity="error")
            return
        question = "Valider ce document ? Il recevra son numéro et ne sera plus modifiable."
        if self.app_sees_costs:
            flags = self._margins(self.current_totals())["flags"]
            if flags:
                question = "Attention : " + " ; ".join(flags) + ".\n" + question
        self.app.push_screen(Confirm(question), lambda ok: ok and self.action_save("validate"))

    def action_transform(self) -> None:
        if self.status == "draft" or self.kind not in TRANSFORMS:
            self.notify("Validez le document avant de le transformer.", severity="warning")
            return
        doc = documents.get(self.doc_id)
        choices = [(k, KIND_LABELS[k]) for k in TRANSFORMS[self.kind]]
        if documents.shown(doc) == "expired":
            # an expired quote turns into an order only when the person says so
            self.app.push_screen(
                Confirm(f"Ce devis a expiré le {fr.date(doc.validity_date)}. Le transformer quand même ?"),
                lambda ok: ok and self.app.push_screen(Choice("Transformer en…", choices),
                                                       lambda t: self._transform_to(t, force=True)))
            return
        self.app.push_screen(Choice("Transformer en…", choices), self._transform_to)

    def action_status(self) -> None:
        allowed = MANUAL.get(self.kind, ())
        if self.status == "draft" or not allowed:
            self.notify("Pas de changement de statut à la main pour ce document.", severity="warning")
            return
        self.app.push_screen(Choice("Nouveau statut…", [(k, STATUS_LABELS[k]) for k in allowed]), self._status_to)

    def _status_to(self, new) -> None:
        if not new:
            return

        def apply(ok) -> None:
            if ok:
                self._write("Changement de statut en cours", lambda: documents.set_status(doc_id, new), status_set,
                            reload=lambda doc: doc.id)

        def status_set(doc) -> None:
            self.notify(f"{documents.label(doc)} : {STATUS_LABELS[doc.status].lower()}.")
        doc_id = self.doc_id
        self.app.push_screen(Confirm(f"Passer ce document à « {STATUS_LABELS[new]} » ? Ce changement est "
                                     "scellé et ne se défait pas."), apply)

    def _transform_to(self, target, force: bool = False) -> None:
        if not target:
            return
        if target in ("order",):
            self._do_transform(target, None, force)
            return
        if self.kind == "delivery" and target == "invoice":     # with the customer's other delivery notes?
            self.deliveries_to_group(lambda: self._quantities(target, force))
            return
        self._quantities(target, force)

    def _quantities(self, target, force: bool) -> None:
        doc = documents.get(self.doc_id)
        rest = documents.may_become(doc, target)
        fields = [(str(ln.position), f"{ln.position}. {ln.description[:40]} (reste {fr.number(rest[ln.position])})",
                   fr.number(rest[ln.position]))
                  for ln in documents.lines_of(doc.id) if ln.position in rest and rest[ln.position] > 0]
        if not fields:
            self.notify(f"Rien à reprendre : tout est déjà {'livré' if target == 'delivery' else 'facturé'}.",
                        severity="warning")
            return
        self.app.push_screen(Form(f"Quantités — {KIND_LABELS[target]}", fields),
                             lambda v: v is not None and self._do_transform(target, v, force))

    def _do_transform(self, target, values, force: bool = False) -> None:
        doc_id = self.doc_id

        def do():
            quantities = None
            if values:
                quantities = {int(k): documents.to_decimal(v or "0", f"ligne {k}") for k, v in values.items()}
                quantities = {k: q for k, q in quantities.items() if q > 0}
                if not quantities:
                    raise FactuError("aucune quantité à reprendre")
            return (documents.credit(doc_id, quantities) if target == "credit_note"
                    else documents.transform([doc_id], target, quantities, force))

        def made(doc) -> None:
            self.notify(f"{KIND_LABELS[target]} brouillon #{doc.id} {agreed(target, 'créé')}.")
            self.app.open_document(doc.id, target)
        self._write(f"{KIND_LABELS[target]} en préparation", do, made)

    def action_einvoice(self) -> None:
        """Ctrl+O on an issued invoice or credit note: its e-invoice lifecycle; else (skipped)
        the change history, the next binding of the key."""
        from textual.actions import SkipAction
        if self.kind not in ("invoice", "credit_note") or not self.number:
            raise SkipAction()
        self.app.open_einvoice(self.doc_id)

    def action_einvoice_send(self) -> None:
        if self.kind not in ("invoice", "credit_note") or not self.number:
            self.notify("Seule une facture ou un avoir validé se transmet à la plateforme.", severity="warning")
            return
        self.app.einvoice_send(self.number)

    def action_history(self) -> None:
        if self.doc_id:
            self.app.history("document", self.doc_id, self.number or f"brouillon #{self.doc_id}")

    def action_links(self) -> None:
        if not self.doc_id:
            return
        self.app.open_links(self.doc_id)

    def action_schedule(self) -> None:
        """An invoice's payment schedule, or an order's billing plan (and its due milestones)."""
        from tui_factu import plans, schedules
        doc_id = self.doc_id
        if self.kind == "invoice" and self.status in ("validated", "partly_paid"):
            rows = schedules.of_invoice(self.doc_id)
            now = " ; ".join(f"{fr.date(r['due_date'])} {fr.amount(documents.to_decimal(r['amount']))}" for r in rows)
            self.app.push_screen(Form(f"Échéancier de {self.number}" + (f" — {now}" if now else ""), [
                ("split", "Parts : %@jours, séparées par des virgules (ex. 30%@0,40%@30,30%@60)", "30%@0,40%@30,30%@60")]),
                lambda v: v and self._scheduled(lambda: schedules.set_schedule(doc_id, v["split"]), "due_date"))
        elif self.kind == "order" and self.status not in ("draft", "cancelled"):
            rows = plans.of_order(self.doc_id)
            choices = [("set", "Définir le plan de facturation" + (f" ({len(rows)} échéances)" if rows else ""))]
            if plans.due(order_id=self.doc_id):
                choices.append(("run", "Facturer les échéances dues"))
            self.app.push_screen(Choice("Plan de facturation", choices), self._plan)
        else:
            self.notify("L'échéancier se pose sur une facture validée, le plan de facturation sur une commande validée.",
                        severity="warning")

    def _plan(self, what) -> None:
        from tui_factu import plans
        doc_id = self.doc_id
        if what == "set":
            self.app.push_screen(Form("Plan de facturation (% du marché)", [
                ("split", "Échéances : %@date ou %@+jours[:libellé] (ex. 30%@0:Commande,70%@+60:Réception)",
                 "30%@0,40%@+30,30%@+60")]),
                lambda v: v and self._scheduled(lambda: plans.set_plan(doc_id, v["split"]), "due_date"))
        elif what == "run":
            self._write("Facture d'échéance en préparation", lambda: plans.invoice(plans.due(order_id=doc_id)[0]),
                        self._milestone_invoiced)

    def _milestone_invoiced(self, doc) -> None:
        self.notify(f"Facture d'échéance {documents.label(doc)} : {fr.amount(doc.grand_total, True)} TTC.")
        self.app.open_document(doc.id)

    def _scheduled(self, make, date_key: str) -> None:
        """`make()` writes the schedule or the plan and returns its rows."""
        def show(rows) -> None:
            self.notify("Échéances : " + " ; ".join(
                f"{fr.date(r[date_key])} {r.get('percent', '') and r['percent'] + ' %'}"
                f"{fr.amount(documents.to_decimal(r['amount'])) if 'amount' in r else ''}" for r in rows), timeout=10)
        self._write("Échéances en cours d'enregistrement", make, show)

    def action_situation(self) -> None:
        if self.kind != "order" or self.status in ("draft", "cancelled"):
            self.notify("La facturation à l'avancement se fait sur une commande validée (le marché).",
                        severity="warning")
            return
        self.app.open_situation(self.doc_id)

    def action_deposit(self) -> None:
        if self.kind not in ("quote", "order") or self.status == "draft":
            self.notify("Un acompte se demande sur un devis ou une commande validé.", severity="warning")
            return
        self.app.push_screen(Form("Facture d'acompte", [
            ("percent", "Pourcentage (ex. 30), ou laisser vide", "30"),
            ("amount", "… ou montant TTC", "")]), self._deposit)

    def _deposit(self, values) -> None:
        if not values:
            return
        from tui_factu import deposits
        doc_id, percent, amount = self.doc_id, values["percent"].strip() or None, values["amount"].strip() or None
        self._write("Facture d'acompte en préparation", lambda: deposits.request(doc_id, percent, amount),
                    self._deposit_made)

    def _deposit_made(self, doc) -> None:
        self.notify(f"Facture d'acompte brouillon #{doc.id} : {fr.amount(doc.due, True)} TTC.")
        self.app.open_document(doc.id)

    def action_replace(self) -> None:
        if self.kind != "invoice" or self.status == "draft":
            self.notify("Seule une facture validée s'annule et se remplace.", severity="warning")
            return
        self.app.push_screen(Confirm(f"Annuler {self.number} par un avoir total et préparer sa facture de "
                                     "remplacement ?"), lambda ok: ok and self._replace())

    def _replace(self) -> None:
        doc_id = self.doc_id
        self._write("Annulation et remplacement en cours", lambda: documents.replace(doc_id), self._replaced)

    def _replaced(self, result) -> None:
        cn, doc = result
        self.notify(f"{self.number} annulée par l'avoir {cn.number} ; corrigez la facture de remplacement.", timeout=10)
        self.app.open_document(doc.id, replace=True)

    def action_duplicate(self) -> None:
        """A new draft with the same customer and lines, unlinked from any source."""
        copy = EditorScreen(None, self.kind, self.customer_code)
        copy.customer_name = self.customer_name
        copy.lines = [dict(ln, origin=None, previous_line=None) for ln in self.lines
                      if ln.get("quantity") is None or ln["quantity"] > 0]
        copy.adjustments, copy.adjustments_changed = list(self.adjustments), bool(self.adjustments)
        copy.dirty = True
        self.app.push_screen(copy)

    def action_pdf(self) -> None:
        if not self.doc_id:
            self.notify("Enregistrez d'abord le document.", severity="warning")
            return
        self._print("pdf")

    def action_slip(self) -> None:
        if self.kind != "delivery" or self.readonly is False:
            self.notify("Le bon thermique s'imprime depuis un bon de livraison validé.", severity="warning")
            return
        self._print("slip")

    @work(thread=True, group="printing")
    def _print(self, what) -> None:
        from printers import dispatch
        ref = self.number or f"#{self.doc_id}"
        try:
            if what == "pdf":
                path = dispatch.write_pdf(ref, str(self.app.pdf_dir()))
                message = f"PDF écrit : {path}"
            else:
                job = dispatch.slip(ref, None)
                message = f"Bon imprimé (travail n° {job})."
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, message)

    def action_leave(self) -> None:
        if self.dirty:
            self.app.push_screen(Confirm("Quitter sans enregistrer les modifications ?"),
                                 lambda ok: ok and self.dismiss())
        else:
            self.dismiss()
