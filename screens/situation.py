"""Progress billing from the keyboard: the contract's lines with what earlier situations billed,
the cumulative % typed per line or per section (g: every line), the retention, and what this
situation bills, recomputed by the core as you type. F2 makes the draft, F9 validates it."""
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option

from tui_factu import documents, fr, situations
from tui_factu.errors import FactuError

from .pickers import Confirm, Form
from .widgets.base import FactuScreen


def _r(text: str) -> Text:
    return Text(text, justify="right")


class SituationScreen(FactuScreen):
    BINDINGS = [
        Binding("g", "global_percent", "% global", id="situation.global"),
        Binding("r", "retention", "Retenue", id="situation.retention"),
        Binding("f2", "create", "Brouillon", id="situation.create"),
        Binding("f9", "create_validated", "Valider", id="situation.validate"),
        Binding("d", "statement", "Décompte", id="situation.statement"),
        Binding("l", "release", "Libérer RG", id="situation.release"),
        Binding("escape", "app.pop_screen", "Retour", id="situation.back"),
    ]

    def __init__(self, order_id: int):
        super().__init__()
        self.order_id = order_id
        self.percents: dict[int, Decimal] = {}      # contract line position -> cumulative %
        self.quantities: dict[int, Decimal] = {}    # … or cumulative quantity
        self.retention: Decimal | None = None       # None: the contract's so far
        self.view: dict | None = None
        self.rows: list[tuple[str, int]] = []       # ("section" | "line", position) per table row

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DataTable(id="lines", cursor_type="row", zebra_stripes=True)
        yield Static("", id="totals")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("N°", 3), ("Désignation", 25), ("Marché HT", 11), ("Préc.", 6), ("Cumul", 6),
                             ("Période HT", 11)):
            table.add_column(title, width=width)
        table.focus()
        self.recompute()

    # ---- the core recomputes as the user types -------------------------------------------
    @work(thread=True, exclusive=True, group="situation")
    def recompute(self, undo=None) -> None:
        try:
            view = situations.preview(self.order_id, self.percents, self.quantities, self.retention)
        except FactuError as e:
            self.app.call_from_thread(self._refused, str(e), undo)
            return
        self.app.call_from_thread(self._show, view)

    def _refused(self, message: str, undo) -> None:
        self.notify(message, severity="error", timeout=8)
        if undo:
            undo()
            self.recompute()

    def _show(self, view: dict) -> None:
        first = self.view is None
        self.view = view
        self.query_one("#title", Static).update(
            f"[b]Situation n° {view['situation']}[/b] sur {view['order']} — Entrée : % de la ligne ou de la section")
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        self.rows = []
        section = None
        for ln in view["lines"]:
            if ln["section"] != section and ln["section"] is not None:
                section = ln["section"]
                table.add_row("", Text(view["sections"].get(section, "")[:25], style="bold"), "", "", "", "")
                self.rows.append(("section", section))
            changed = ln["percent"] != ln["previous_percent"]
            table.add_row(str(ln["position"]), ln["description"][:25], _r(fr.amount(ln["contract_amount"])),
                          _r(fr.number(ln["previous_percent"], 2)),
                          Text(fr.number(ln["percent"], 2), style="bold" if changed else "", justify="right"),
                          _r(fr.amount(ln["period"])))
            self.rows.append(("line", ln["position"]))
        if not first:
            table.move_cursor(row=min(row, len(self.rows) - 1))
        t = view["totals"]
        rate = f"retenue {fr.number(view['retention'])} %" if view["retention"] else "sans retenue"
        self.query_one("#totals", Static).update(
            f"Cumul {fr.number(view['progress'], 2)} % du marché · {rate} · net HT {fr.amount(t.tax_basis_total, True)}"
            f" · [b]TTC {fr.amount(t.grand_total, True)}[/b]\n"
            f"Acomptes déduits {fr.amount(view['deposits'], True)} HT · retenue {fr.amount(view['retained'], True)} HT")

    # ---- entering progress ---------------------------------------------------------------
    def _line(self, position: int) -> dict:
        return next(ln for ln in self.view["lines"] if ln["position"] == position)

    @on(DataTable.RowSelected)
    def _edit(self, event) -> None:
        if not self.view or not 0 <= event.cursor_row < len(self.rows):
            return
        what, position = self.rows[event.cursor_row]
        if what == "section":
            title = self.view["sections"].get(position, "")
            self.app.push_screen(Form(f"Section « {title[:40]} »", [("percent", "Avancement cumulé de toutes ses lignes (%)", "")]),
                                 lambda v: v and self._set([ln["position"] for ln in self.view["lines"]
                                                            if ln["section"] == position], v["percent"]))
            return
        ln = self._line(position)
        self.app.push_screen(Form(f"Ligne {position} — {ln['description'][:40]}", [
            ("percent", "Avancement cumulé (%)", fr.number(ln["percent"], 2)),
            ("quantity", f"… ou quantité réalisée en cumul (marché : {fr.number(ln['quantity'])})", "")]),
            lambda v: v and self._set([position], v["percent"], v["quantity"]))

    def action_global_percent(self) -> None:
        if self.view:
            self.app.push_screen(Form("Avancement cumulé de tout le marché", [("percent", "Pourcentage", "")]),
                                 lambda v: v and self._set([ln["position"] for ln in self.view["lines"]], v["percent"]))

    def _set(self, positions, percent: str, quantity: str = "") -> None:
        before = (dict(self.percents), dict(self.quantities))
        try:
            for pos in positions:
                if quantity.strip():
                    self.quantities[pos] = documents.to_decimal(quantity, "quantité")
                    self.percents.pop(pos, None)
                elif percent.strip():
                    self.percents[pos] = documents.to_decimal(percent.strip().rstrip("%"), "avancement")
                    self.quantities.pop(pos, None)
        except FactuError as e:
            self.notify(str(e), severity="error")
            self.percents, self.quantities = before
            return

        def undo():
            self.percents, self.quantities = before
        self.recompute(undo)

    def action_retention(self) -> None:
        current = fr.number(self.view["retention"]) if self.view else ""
        self.app.push_screen(Form("Retenue de garantie", [("rate", "Taux (%, 5 au plus ; 0 : aucune)", current)]),
                             self._retention)

    def _retention(self, values) -> None:
        if not values:
            return
        before = self.retention
        try:
            self.retention = documents.to_decimal(values["rate"] or "0", "retenue")
        except FactuError as e:
            self.notify(str(e), severity="error")
            return

        def undo():
            self.retention = before
        self.recompute(undo)

    # ---- making the invoice --------------------------------------------------------------
    def _make(self):
        return situations.create(self.order_id, lines=self.percents, quantities=self.quantities,
                                 retention=self.retention)

    def action_create(self) -> None:
        self._create(False)

    def action_create_validated(self) -> None:
        self.app.push_screen(Confirm("Valider cette situation ? Elle recevra son numéro de facture."),
                             lambda ok: ok and self._create(True))

    @work(thread=True, exclusive=True, group="situation-write")
    def _create(self, validate: bool) -> None:
        try:
            doc = documents.created_and_validated(self._make) if validate else self._make()
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=8)
            return
        self.app.call_from_thread(self._open, doc, f"Situation n° {doc.situation_no} : {documents.label(doc)}, "
                                                   f"{fr.amount(doc.grand_total, True)} TTC.")

    def _open(self, doc, message: str) -> None:
        self.notify(message)
        self.app.open_document(doc.id, replace=True)

    @work(thread=True, exclusive=True, group="situation-write")
    def action_release(self) -> None:
        try:
            done = situations.release(self.order_id)
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=8)
            return
        self.app.call_from_thread(self.notify, f"Retenue de garantie exigible : {fr.amount(done['amount'], True)} à "
                                               f"encaisser ({', '.join(done['situations'])}).", timeout=8)

    def action_statement(self) -> None:
        self.app.push_screen(StatementScreen(self.order_id), lambda doc_id: doc_id and self.app.open_document(doc_id))


class StatementScreen(ModalScreen):
    """The décompte: every situation with what was paid and what is held back."""
    BINDINGS = [Binding("escape", "dismiss(None)", "Fermer", id="statement.close")]
    NAMES = {"deposit": "Acompte", "progress": "Situation", "retention": "Libér. RG", "final": "Solde",
             "standard": "Facture"}

    def __init__(self, order_id: int):
        super().__init__()
        self.order_id = order_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("", id="head", classes="dialog-title")
            yield OptionList(id="items")
            yield Label("", id="foot")

    def on_mount(self) -> None:
        d = documents.to_decimal
        v = situations.statement(self.order_id)
        self.query_one("#head", Label).update(
            f"Décompte {v['order']} — marché {fr.amount(d(v['contract']['grand_total']), True)} TTC — "
            f"{fr.number(d(v['progress_percent']), 2)} % facturé")
        box = self.query_one(OptionList)
        for i in v["invoices"]:
            name = self.NAMES.get(i["type"], i["type"]) + (f" {i['situation']}" if i["situation"] else "")
            held = f" RG {fr.amount(d(i['retention_held']))}" if i["retention_held"] not in (None, "0.00") else ""
            credited = " avoir" if i["credit_notes"] else ""
            doc_id = documents.resolve(i["number"]).id
            box.add_option(Option(f"{name[:12]:<12} {i['number']:<13} {fr.amount(d(i['grand_total'])):>11} "
                                  f"payé {fr.amount(d(i['paid'])):>10}{held}{credited}", id=str(doc_id)))
        r = v["retention"]
        self.query_one("#foot", Label).update(
            f"Facturé {fr.amount(d(v['invoiced']), True)} · payé {fr.amount(d(v['paid']), True)} · "
            f"reste {fr.amount(d(v['balance']), True)}"
            + (f"\nRetenue {r['percent']} % : {fr.amount(d(r['held']), True)} retenus, libérables le "
               f"{fr.date(r['release_date'])}" if r["percent"] else "")
            + (f" · libérée, à encaisser {fr.amount(d(r['released_unpaid']), True)}"
               if r["released_unpaid"] != "0.00" else ""))
        box.focus()

    @on(OptionList.OptionSelected)
    def _open(self, event) -> None:
        self.dismiss(int(event.option.id))
