"""The counter sale: scan or type codes (3*CODE or CODE*3: three of them), Enter on an empty
code to pay, Enter to confirm. Three scanned items paid cash take four keystrokes beyond the
codes and the amount given (F12, Enter, Enter, Enter). An unknown code is said on the entry
line and stays there, selected: the next scan replaces it, no dialog takes it (F2 searches).
The change to give stays on screen until the next sale is paid; a sale and a return write
while « … en cours » holds the keys typed meanwhile (widgets/busy.py), then print a ticket."""
from decimal import Decimal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Label, Static

from tui_factu import catalog, counter, fr, pricing, totals
from tui_factu.errors import FactuError
from tui_factu.payments import PAYMENT_METHODS

from .pickers import Confirm, CustomerPicker, Form, ProductPicker
from .widgets.base import FactuScreen
from .widgets.busy import Busy
from .widgets.field import Field


class CounterScreen(FactuScreen):
    DEFAULT_CSS = """
    CounterScreen #scan-note { height: 1; padding: 0 1; color: ansi_bright_red; text-style: bold; }
    CounterScreen #last-sale { height: 1; padding: 0 1; background: ansi_green; color: ansi_black; }
    CounterScreen #last-sale.-empty { display: none; }
    """
    BINDINGS = [Binding("f2", "search", "Chercher", id="counter.search"),
                Binding("f4", "pick_customer", "Client", id="counter.customer"),
                Binding("f6", "return_goods", "Reprise", id="counter.return"),     # not « Retour »: Esc is
                Binding("ctrl+x", "delete_line", "Suppr.", id="counter.delete_line"),
                Binding("ctrl+d", "void", "Annuler", id="counter.void"),
                Binding("escape", "leave", "Retour", id="counter.back")]

    def __init__(self):
        super().__init__()
        self.lines: list[dict] = []
        self.customer = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="last-sale", classes="-empty")      # at the top: no toast covers it
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="entry"):
            yield Label("Code ", classes="label")
            yield Field("", id="code", placeholder="scannez ou tapez un code — Entrée à vide : encaisser",
                        clear_on_submit=True)
        yield Static("", id="scan-note")
        yield Static("", id="totals")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("Code", 10), ("Désignation", 34), ("Qté", 5), ("P.U. HT", 10), ("Montant HT", 11)):
            table.add_column(title, width=width)
        self.refresh_view()
        self.query_one("#code").focus()

    def totals(self) -> totals.Totals:
        return totals.compute([totals.LineIn(ln["kind"], ln["quantity"], ln["unit_price"], ln["discount_percent"],
                                             ln["vat_rate"], ln["vat_category"]) for ln in self.lines])

    def refresh_view(self) -> None:
        who = f"{self.customer.code} {self.customer.name}" if self.customer else "client de passage (F4 pour choisir)"
        self.query_one("#title", Static).update(f"[b]Vente comptoir[/b] — {who}")
        t = self.totals()
        table = self.query_one(DataTable)
        table.clear()
        for ln, net in zip(self.lines, t.line_nets):
            table.add_row(ln["product"], ln["description"][:34], fr.number(ln["quantity"]), fr.price(ln["unit_price"]),
                          fr.amount(net))
        self.query_one("#totals", Static).update(
            f"[b]À PAYER {fr.amount(t.grand_total, True)}[/b]   ({len(self.lines)} article(s), "
            f"HT {fr.amount(t.tax_basis_total, True)})"
            + (f"   {self.lines[-1]['product']} : {self.lines[-1]['rule']}" if self.lines else ""))

    @on(Field.Submitted, "#code")
    def _code(self, event) -> None:
        text = event.value.strip()
        self.say("")
        if not text:
            if self.lines:
                self.pay()
            return
        try:
            product, quantity, code = counter.read_scan(text)
        except FactuError as e:
            self._keep(text, str(e))
            return
        if product is None:
            self._keep(text, f"code inconnu : {code} (F2 : chercher)")
            return
        self.add(product, quantity or Decimal(1))

    def say(self, message: str) -> None:
        self.query_one("#scan-note", Static).update(message, layout=False)

    def _keep(self, text: str, message: str) -> None:
        """What was typed stays in the field, selected: fixed with the arrows, or replaced by
        the next scan's first character; nothing pops up to take that scan."""
        self.say(message)
        self.app.bell()
        field = self.query_one("#code", Field)
        field.value = text
        field.select_all()

    def action_search(self) -> None:
        """The product search, on purpose, from what is typed: 3*vis looks for vis, then sells 3."""
        typed = self.query_one("#code", Field).value.strip()
        try:
            _, quantity, typed = counter.read_scan(typed)
        except FactuError:
            quantity = None
        self.app.push_screen(ProductPicker(typed), lambda code: self._found(code, quantity or Decimal(1)))

    def _found(self, code, quantity: Decimal) -> None:
        field = self.query_one("#code", Field)
        if code:
            field.value = ""
            self.say("")
            self.add(catalog.product_by_code(code), quantity)
        field.focus()

    def add(self, product, quantity: Decimal = Decimal(1)) -> None:
        for ln in self.lines:                   # scanning the same item again adds to its line
            if ln["product"] == product.code:
                ln["quantity"] += quantity
                line = ln
                break
        else:
            line = {"kind": product.kind, "product": product.code, "description": product.name,
                    "quantity": quantity, "vat_rate": product.vat_rate, "vat_category": product.vat_category}
            self.lines.append(line)
        # the customer's price for the quantity now on the line (a break may be reached), as the
        # sale will record it (pricing.py); the rule is said under the lines
        price = pricing.for_customer(self.customer.code if self.customer else None, product, line["quantity"])
        line.update(unit_price=price.unit_price, discount_percent=price.discount_percent, rule=price.rule)
        self.refresh_view()

    def pay(self) -> None:
        total = self.totals().grand_total
        self.app.push_screen(Form(f"Encaisser {fr.amount(total, True)}", [
            ("amount", "Montant reçu (plusieurs modes : espèces:20 carte:12,40)", fr.amount(total)),
            ("method", "Mode : espèces, carte, chèque, virement", "espèces")]), self._paid)

    def _paid(self, values) -> None:
        if not values:
            return
        text = values["amount"].strip()
        specs = text.split() if ":" in text else [f"{values['method'].strip()}:{text}"]
        lines = [{"product": ln["product"], "quantity": str(ln["quantity"])} for ln in self.lines]
        customer = self.customer.code if self.customer else None
        self._write("Encaissement en cours",
                    lambda: counter.sale(lines, counter.parse_payments(specs), customer), self._sold)

    def _write(self, what: str, do, done) -> None:
        """`do()` in a worker while « what… » shows and the keys typed meanwhile (the next
        customer's scans) wait; then `done(result)`, or the refusal, and those keys."""
        busy = Busy(what)
        self.app.push_screen(busy)
        self._in_thread(busy, do, done)

    @work(thread=True, group="counter")
    def _in_thread(self, busy: Busy, do, done) -> None:
        try:
            result = do()
        except FactuError as e:
            self.app.call_from_thread(busy.release, lambda: self.notify(str(e), severity="error", timeout=8))
            return
        self.app.call_from_thread(busy.release, lambda: done(result))

    def _sold(self, done) -> None:
        doc = done["document"]
        message = f"{doc.number} payé {fr.amount(done['total'], True)}"
        if done["change"]:
            message += f" — MONNAIE À RENDRE : {fr.amount(done['change'], True)}"
        self.notify(message, timeout=15)
        self._last(message)
        self.print_receipt(doc.number)
        self.lines, self.customer = [], None
        self.refresh_view()
        self.query_one("#code").focus()

    def _last(self, message: str) -> None:
        """The last sale (or return) and what to give back, until the next one."""
        last = self.query_one("#last-sale", Static)
        last.update(message)
        last.set_class(not message, "-empty")

    @work(thread=True, group="printing")
    def print_receipt(self, number) -> None:
        from printers import dispatch
        from tui_factu import printing
        name = "comptoir" if "comptoir" in printing.printers() else ("default" if "default" in printing.printers() else None)
        if name is None:
            return                              # no printer: the ticket is printed on request only
        try:
            dispatch.slip(number, name, receipt=True)
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="warning", timeout=10)

    def action_pick_customer(self) -> None:
        self.app.push_screen(CustomerPicker(""), self._picked)

    def _picked(self, code) -> None:
        if code:
            self.customer = catalog.customer_by_code(code)
            for ln in self.lines:               # scanned before: at this customer's prices now
                price = pricing.for_customer(code, catalog.product_by_code(ln["product"]), ln["quantity"])
                ln.update(unit_price=price.unit_price, discount_percent=price.discount_percent, rule=price.rule)
            self.refresh_view()
        self.query_one("#code").focus()

    def action_delete_line(self) -> None:
        if self.lines:
            del self.lines[self.query_one(DataTable).cursor_row]
            self.refresh_view()

    def action_void(self) -> None:
        """The sale being typed is not recorded yet: voiding it writes nothing."""
        if self.lines:
            self.app.push_screen(Confirm("Annuler la vente en cours ? (rien n'est enregistré)"),
                                 lambda ok: ok and self._cleared())

    def _cleared(self) -> None:
        self.lines, self.customer = [], None
        self.refresh_view()
        self.query_one("#code").focus()

    def action_return_goods(self) -> None:
        self.app.push_screen(Form("Retour d'articles", [("ticket", "N° du ticket ou de la facture (TK…, FA…)", "")]),
                             lambda v: v and v["ticket"].strip() and self._ask_quantities(v["ticket"].strip()))

    def _ask_quantities(self, ref: str) -> None:
        from tui_factu import documents
        try:
            doc = documents.resolve(ref)
            rest = documents.remaining(doc, "credit_note", validated_only=True)
            method = counter.refund_method(doc)
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        fields = [(str(ln.position), f"{ln.description[:40]} (rendu possible : {fr.number(rest[ln.position])})",
                   fr.number(rest[ln.position])) for ln in documents.lines_of(doc.id)
                  if rest.get(ln.position, 0) > 0]
        if not fields:
            self.notify(f"{doc.number} : tout a déjà été rendu.", severity="warning")
            return
        self.app.push_screen(Form(f"Retour sur {doc.number} — quantités rendues (0 : garder)",
                                  fields + [("method", "Remboursement : espèces, carte, chèque, virement",
                                             PAYMENT_METHODS.get(method, method).lower())]),
                             lambda v: v and self._return(doc.number, v))

    def _return(self, ref: str, values: dict) -> None:
        from tui_factu import documents

        def do():
            method = values.pop("method").strip()
            quantities = {int(k): documents.to_decimal(v or "0", f"ligne {k}") for k, v in values.items()}
            quantities = {k: q for k, q in quantities.items() if q > 0}
            if not quantities:
                raise FactuError("retour : aucune quantité rendue")
            return counter.return_sale(ref, quantities, method)
        self._write("Retour en cours", do, self._returned)

    def _returned(self, done) -> None:
        number = done["credit_note"].number
        how = PAYMENT_METHODS.get(done["method"], done["method"]).lower()
        message = f"Avoir {number} : REMBOURSER {fr.amount(done['refunded'], True)} ({how})"
        self.notify(message + ".", timeout=15)
        self._last(message)
        self.print_receipt(number)                  # the customer's ticket of the return, as for a sale
        self.query_one("#code").focus()

    def action_leave(self) -> None:
        self.dismiss()
