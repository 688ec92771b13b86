"""Document lists: a virtual table over keyset pages, filters, incremental search by number;
for invoices and credit notes, their state as e-invoices (a column, a filter, the lifecycle
view, sending to the Plateforme Agréée and bringing its statuses back)."""
import datetime as dt

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from tui_factu import clock, documents, fr, lifecycle
from tui_factu.documents.kinds import KIND_LABELS, STATUSES, STATUS_LABELS

from .widgets.base import FactuScreen
from .widgets.field import Field
from .widgets.virtual_table import Column, VirtualTable

EINVOICED = ("invoice", "credit_note")
PLURALS = {"quote": "Devis", "order": "Commandes", "delivery": "Bons de livraison", "invoice": "Factures",
           "credit_note": "Avoirs"}


class DocumentList(FactuScreen):
    BINDINGS = [
        Binding("n", "new", "Nouveau", show=False, id="list.new"),
        Binding("slash", "search", "Chercher", id="list.search"),
        Binding("s", "cycle_status", "Statut", id="list.status"),
        Binding("c", "filter_customer", "Client", show=False, id="list.customer"),
        Binding("p", "filter_period", "Période", show=False, id="list.period"),     # in F1 and Ctrl+P:
        Binding("o", "toggle_order", "Tri", show=False, id="list.order"),           # 80 columns are few
        Binding("e", "choose_einvoice", "E-facture", id="list.einvoice"),
        Binding("ctrl+o", "einvoice", "Cycle de vie de la facture électronique", show=False,
                id="list.einvoice_history"),
        Binding("t", "einvoice_send", "Envoyer", id="list.einvoice_send"),
        Binding("r", "einvoice_sync", "Récupérer les statuts de la plateforme", show=False,
                id="list.einvoice_sync"),
        Binding("escape", "back", "Retour", id="list.back"),
    ]

    GUARDS = {"einvoice_send": "einvoice.send", "einvoice_sync": "einvoice.send"}

    def __init__(self, kind: str | None = None, status: str | None = None, statuses=(), title: str = "",
                 expiring: bool = False, overdue: bool = False, einvoice: int | None = None):
        super().__init__()
        self.kind, self.status, self.statuses = kind, status, tuple(statuses)
        self.einvoice = einvoice        # the last lifecycle code wanted (0: none yet), lifecycle.FILTERS
        self.expiring, self.overdue = expiring, overdue
        self.title_text = title or (PLURALS[kind] if kind else "Documents")
        self.prefix = ""
        self.customer = None            # (id, code)
        self.period = (None, None)
        self.by_date = False

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Field("", id="search", placeholder="numéro, code ou nom du client (une partie suffit) puis Entrée")
        columns = [Column("N°", 13), Column("Date", 10), Column("Client", 26), Column("Statut", 12),
                   Column("Total TTC", 12, right=True)]
        if not self.kind:
            columns[3:3] = [Column("Type", 9)]
            columns[2].width = 17
        elif self.kind in EINVOICED:
            columns[4:4] = [Column("E-facture", 12)]
            columns[2].width = 13
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
        if self.einvoice is not None:
            parts.append(f"e-facture {dict(lifecycle.FILTERS)[self.einvoice]}")
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
                                 text=self.prefix, date_from=self.period[0], date_to=self.period[1],
                                 by_date=self.by_date, after_date=after[1] if after else None,
                                 einvoice=self.einvoice if self.kind in EINVOICED else None)
        # the outbox of the page's issued documents without a status yet: one query, not one a row
        outbox = lifecycle.outbox_states([r["id"] for r in rows if r["number"] and not r.get("einvoice_status")]) \
            if self.kind in EINVOICED else {}
        out = []
        for r in rows:
            cells = [r["number"] or f"#{r['id']} brouill.", fr.date(r["date"]),
                     f"{r['customer']} {r['customer_name']}", STATUS_LABELS.get(r["status"], r["status"]),
                     fr.amount(documents.to_decimal(r["grand_total"]))]
            if not self.kind:
                cells[3:3] = [KIND_LABELS[r["kind"]]]
            elif self.kind in EINVOICED:
                cells[4:4] = [lifecycle.short(r.get("einvoice_status"), outbox.get(r["id"])) if r["number"] else ""]
            out.append(((r["id"], dt.date.fromisoformat(r["date"]), r["number"]), cells))
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
        self.prefix = event.value.strip()
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

    # ---- e-invoices ----------------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action.startswith(("einvoice", "choose_einvoice")) and self.kind not in EINVOICED:
            return False
        return super().check_action(action, parameters)

    def action_choose_einvoice(self) -> None:
        from .pickers import Choice

        def chosen(code) -> None:
            if code is None:
                return
            self.einvoice = None if code == "all" else int(code)
            self._title()
            self.query_one(VirtualTable).reload()
        choices = [("all", "tous états")] + [
            (str(c), f"{c} {lifecycle.label(c)}" if c else "sans statut (à envoyer, en file, transmise)")
            for c, _ in lifecycle.FILTERS]
        self.app.push_screen(Choice("État de la facture électronique", choices), chosen)

    def _issued(self):
        """(id, number) of the highlighted row if it is a validated invoice or credit note."""
        key = self.query_one(VirtualTable).current_key
        if key is None or not key[2]:
            self.notify("Choisissez une facture ou un avoir validé.", severity="warning")
            return None
        return key[0], key[2]

    def action_einvoice(self) -> None:
        issued = self._issued()
        if issued:
            self.app.open_einvoice(issued[0])

    def action_einvoice_send(self) -> None:
        issued = self._issued()
        if issued:
            self.app.einvoice_send(issued[1], lambda: self._restate(issued[0]))

    def _restate(self, doc_id: int) -> None:
        """The state cell of one row read again, the cursor left where it is."""
        def read() -> None:
            state = lifecycle.timeline(doc_id)["short"]
            self.app.call_from_thread(self._set_state, doc_id, state)
        self.run_worker(read, thread=True, group="list-restate")

    def _set_state(self, doc_id: int, state: str) -> None:
        table = self.query_one(VirtualTable)
        for i, (key, cells) in enumerate(table.rows):
            if key[0] == doc_id:
                table.rows[i] = (key, cells[:4] + [state] + cells[5:])
                table.refresh()

    def action_einvoice_sync(self) -> None:
        self.app.einvoice_sync(self.query_one(VirtualTable).reload)

    def action_back(self) -> None:
        box = self.query_one("#search", Field)
        if box.has_focus:
            box.value, box.display = "", False
            self.query_one(VirtualTable).focus()
            return
        self.dismiss()
