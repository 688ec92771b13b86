"""Document lists: a virtual table over keyset pages, filters, incremental search by number."""
import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from tui_factu import clock, documents, fr
from tui_factu.documents.kinds import KIND_LABELS, STATUSES, STATUS_LABELS

from .widgets.base import FactuScreen
from .widgets.field import Field
from .widgets.virtual_table import Column, VirtualTable

PLURALS = {"quote": "Devis", "order": "Commandes", "delivery": "Bons de livraison", "invoice": "Factures",
           "credit_note": "Avoirs"}


class DocumentList(FactuScreen):
    BINDINGS = [
        Binding("n", "new", "Nouveau", id="list.new"),
        Binding("slash", "search", "Chercher", id="list.search"),
        Binding("s", "cycle_status", "Statut", id="list.status"),
        Binding("c", "filter_customer", "Client", id="list.customer"),
        Binding("p", "filter_period", "Période", id="list.period"),
        Binding("o", "toggle_order", "Tri", id="list.order"),
        Binding("escape", "back", "Retour", id="list.back"),
    ]

    def __init__(self, kind: str | None = None, status: str | None = None, statuses=(), title: str = "",
                 expiring: bool = False, overdue: bool = False):
        super().__init__()
        self.kind, self.status, self.statuses = kind, status, tuple(statuses)
        self.expiring, self.overdue = expiring, overdue
        self.title_text = title or (PLURALS[kind] if kind else "Documents")
        self.prefix = ""
        self.customer = None            # (id, code)
        self.period = (None, None)
        self.by_date = False

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Field("", id="search", placeholder="début du numéro (ex. FA2026-0012) puis Entrée")
        columns = [Column("N°", 13), Column("Date", 10), Column("Client", 26), Column("Statut", 12),
                   Column("Total TTC", 12, right=True)]
        if not self.kind:
            columns[3:3] = [Column("Type", 9)]
            columns[2].width = 17
        yield VirtualTable(columns, self.fetch, id="docs")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search").display = False
        self._title()
        self.query_one(VirtualTable).focus()

    def on_screen_suspend(self) -> None:
        self.left = True

    def on_screen_resume(self) -> None:
        if getattr(self, "left", False):        # back from an editor: show what changed
            self.query_one(VirtualTable).reload()

    def _title(self) -> None:
        status = STATUS_LABELS.get(self.status, "tous statuts") if self.status else "tous statuts"
        if self.statuses:
            status = ", ".join(STATUS_LABELS.get(s, s) for s in self.statuses)
        parts = [status]
        if self.customer:
            parts.append(f"client {self.customer[1]}")
        if any(self.period):
            parts.append(f"du {fr.date(self.period[0]) or '…'} au {fr.date(self.period[1]) or '…'}")
        if self.prefix:
            parts.append(f"« {self.prefix} »")
        order = "par date" if self.by_date else "par numéro"
        self.query_one("#title", Static).update(f"[b]{self.title_text}[/b] — {' — '.join(parts)} ({order})")

    def fetch(self, after, limit):
        """Keyset page, newest first; runs in the table's worker thread. A row's key is
        (id, date) so that the date order pages by key too."""
        rows = documents.listing(self.kind, self.status, self.customer[0] if self.customer else None,
                                 after[0] if after else None, limit, descending=True,
                                 statuses=self.statuses,
                                 due_before=clock.today() if self.overdue else None,
                                 valid_until=clock.today() + dt.timedelta(days=7) if self.expiring else None,
                                 number_prefix=self.prefix, date_from=self.period[0], date_to=self.period[1],
                                 by_date=self.by_date, after_date=after[1] if after else None)
        out = []
        for r in rows:
            cells = [r["number"] or f"#{r['id']} brouill.", fr.date(r["date"]),
                     f"{r['customer']} {r['customer_name']}", STATUS_LABELS.get(r["status"], r["status"]),
                     fr.amount(documents.to_decimal(r["grand_total"]))]
            if not self.kind:
                cells[3:3] = [KIND_LABELS[r["kind"]]]
            out.append(((r["id"], dt.date.fromisoformat(r["date"])), cells))
        return out

    @on(VirtualTable.Chosen)
    def _open(self, event) -> None:
        self.app.open_document(event.key[0])

    def action_new(self) -> None:
        self.app.new_document(self.kind or "quote")

    def action_search(self) -> None:
        box = self.query_one("#search", Field)
        box.display = True
        box.focus()

    @on(Field.Changed, "#search")
    def _typed(self, event) -> None:
        self.prefix = event.value.strip().upper()
        self._title()
        self.query_one(VirtualTable).reload()

    @on(Field.Submitted, "#search")
    def _searched(self) -> None:
        self.query_one(VirtualTable).focus()

    def action_cycle_status(self) -> None:
        if not self.kind:
            return
        options = [None] + list(STATUSES[self.kind])
        self.status = options[(options.index(self.status) + 1) % len(options)] if self.status in options else None
        self.statuses = ()
        self._title()
        self.query_one(VirtualTable).reload()

    def action_filter_customer(self) -> None:
        from .pickers import CustomerPicker

        def chosen(code):
            from tui_factu import catalog
            self.customer = (catalog.customer_by_code(code).id, code) if code else None
            self._title()
            self.query_one(VirtualTable).reload()
        self.app.push_screen(CustomerPicker(""), chosen)

    def action_filter_period(self) -> None:
        from tui_factu.errors import FactuError
        from .pickers import Form

        def chosen(values):
            if values is None:
                return
            try:
                self.period = tuple(documents.parse_date(values[k], label) if values[k].strip() else None
                                    for k, label in (("from", "du"), ("to", "au")))
            except FactuError as e:
                self.notify(str(e), severity="error")
                return
            self._title()
            self.query_one(VirtualTable).reload()
        self.app.push_screen(Form("Période (JJ/MM/AAAA, vide : sans limite)",
                                  [("from", "Du", fr.date(self.period[0])), ("to", "Au", fr.date(self.period[1]))]),
                             chosen)

    def action_toggle_order(self) -> None:
        self.by_date = not self.by_date
        self._title()
        self.query_one(VirtualTable).reload()

    def action_back(self) -> None:
        box = self.query_one("#search", Field)
        if box.has_focus:
            box.value, box.display = "", False
            self.query_one(VirtualTable).focus()
            return
        self.dismiss()
