"""Work to bill, from the keyboard: a customer's intervention sheets and time entries (space
selects, f invoices the selection — or everything still to bill — grouped as chosen), and the
customer's equipment register. Each list is read and written through the core services."""
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from tui_factu import catalog, documents, fr, interventions, timesheets
from tui_factu.errors import FactuError

from .pickers import Choice, Confirm, CustomerPicker, Form
from .widgets.base import FactuScreen


class BillableList(FactuScreen):
    """A customer's entries with their billing state."""
    TITLE = ""
    COLUMNS: list = []
    GROUPS: dict = {}
    BINDINGS = [
        Binding("n", "new", "Nouvelle", id="billable.new"),
        Binding("space", "toggle", "Choisir", id="billable.toggle"),
        Binding("f", "invoice", "Facturer", id="billable.invoice"),
        Binding("c", "pick_customer", "Client", id="billable.customer"),
        Binding("ctrl+x", "delete", "Supprimer", id="billable.delete"),
        Binding("escape", "app.pop_screen", "Retour", id="billable.back"),
    ]

    def __init__(self, customer: str | None = None):
        super().__init__()
        self.customer = customer
        self.rows: list[dict] = []
        self.chosen: set[int] = set()

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DataTable(id="entries", cursor_type="row", zebra_stripes=True)
        yield Static("", id="hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in self.COLUMNS:
            table.add_column(title, width=width)
        table.focus()
        if self.customer:
            self.reload()
        else:
            self.call_after_refresh(self.action_pick_customer)

    def action_pick_customer(self) -> None:
        self.app.push_screen(CustomerPicker(self.customer or ""), self._picked)

    def _picked(self, code) -> None:
        if code:
            self.customer, self.chosen = code, set()
            self.reload()
        elif not self.customer:
            self.app.pop_screen()

    @work(thread=True, exclusive=True, group="billable")
    def reload(self) -> None:
        try:
            name = catalog.customer_by_code(self.customer).name
            rows = self.fetch()
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error")
            return
        self.app.call_from_thread(self._show, name, rows)

    def _show(self, name: str, rows: list[dict]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in rows:
            table.add_row(self._ref(r), *self.cells(r), key=str(r["id"]))
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        todo = sum(1 for r in rows if r["state"] == "à facturer")
        self.query_one("#title", Static).update(f"[b]{self.TITLE}[/b] — {self.customer} {name[:30]}")
        self.query_one("#hint", Static).update(
            f"{len(rows)} saisie(s), {todo} à facturer, {len(self.chosen)} choisie(s) — "
            "espace : choisir · f : facturer le choix (ou tout ce qui reste) · c : client")

    def _ref(self, r: dict) -> str:
        return ("✓ " if r["id"] in self.chosen else "  ") + r["ref"]

    @staticmethod
    def _state(r: dict) -> str:
        """The invoice itself when billed: 'FA2026-00033', 'brouillon #95'."""
        return r["state"].removeprefix("facturée ")[:14]

    @staticmethod
    def _hours(r: dict) -> str:
        return fr.number(documents.to_decimal(r["hours"]), 2)

    def current(self) -> dict | None:
        i = self.query_one(DataTable).cursor_row
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def action_toggle(self) -> None:
        r = self.current()
        if not r:
            return
        if r["state"] != "à facturer":
            self.notify(f"{r['ref']} : {r['state']}", severity="warning")
            return
        self.chosen ^= {r["id"]}
        table = self.query_one(DataTable)
        table.update_cell_at((table.cursor_row, 0), self._ref(r))
        table.move_cursor(row=table.cursor_row + 1)

    def action_invoice(self) -> None:
        self.app.push_screen(Choice("Regrouper les lignes de la facture…", list(self.GROUPS.items())),
                             lambda group: group and self._invoice(group))

    @work(thread=True, exclusive=True, group="billable-write")
    def _invoice(self, group: str) -> None:
        try:
            doc = self.make_invoice(sorted(self.chosen) or None, group)
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=8)
            return
        self.app.call_from_thread(self._invoiced, doc)

    def _invoiced(self, doc) -> None:
        self.chosen = set()
        self.notify(f"Facture {documents.label(doc)} : {fr.amount(doc.grand_total, True)} TTC.")
        self.reload()
        self.app.open_document(doc.id)

    def action_delete(self) -> None:
        r = self.current()
        if r:
            self.app.push_screen(Confirm(f"Supprimer {r['ref']} ?"), lambda ok: ok and self._delete(r["id"]))

    def _delete(self, entry_id: int) -> None:
        try:
            self.remove(entry_id)
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.chosen.discard(entry_id)
        self.reload()

    def _saved(self, values, make) -> None:
        if not values:
            return
        try:
            done = make(values)
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.notify(done)
        self.reload()


class InterventionsScreen(BillableList):
    TITLE = "Interventions"
    COLUMNS = [("Réf.", 11), ("Date", 10), ("Équipement", 12), ("Technicien", 9), ("H", 5),
               ("Pcs", 3), ("Facture", 14)]      # 78 columns with the cells' padding
    GROUPS = interventions.GROUPS
    BINDINGS = BillableList.BINDINGS + [Binding("e", "equipment", "Parc", id="interventions.equipment")]

    def fetch(self) -> list[dict]:
        return interventions.listing(self.customer)

    def cells(self, r: dict) -> list:
        return [fr.date(r["date"]), r["equipment"][:12], r["technician"][:9], self._hours(r),
                str(len(r["parts"])), self._state(r)]

    def make_invoice(self, ids, group):
        return interventions.invoice(self.customer, ids, group=group)

    def remove(self, entry_id: int) -> None:
        interventions.delete(entry_id)

    def action_new(self) -> None:
        if not self.customer:
            return
        self.app.push_screen(Form(f"Intervention chez {self.customer}", [
            ("date", "Date (AAAA-MM-JJ)", ""), ("start", "Début (HH:MM)", ""), ("end", "Fin (HH:MM)", ""),
            ("hours", "… ou durée en heures", ""), ("equipment", "Équipement (n° de série ou #id)", ""),
            ("technician", "Technicien", self.app.user_name), ("work", "Travaux réalisés", ""),
            ("parts", "Pièces : CODE:QTÉ[:offert], séparées par des virgules", ""),
            ("labour", "Main-d'œuvre : code du produit à l'heure", ""),
            ("billable", "Main-d'œuvre facturable ? o/n (vide : selon la garantie)", "")]),
            lambda v: self._saved(v, self._add))

    def _add(self, v) -> str:
        parts = interventions.parse_parts([p.strip() for p in v["parts"].split(",") if p.strip()])
        billable = {"o": True, "oui": True, "n": False, "non": False}.get(v["billable"].strip().lower())
        iv = interventions.add(self.customer, v["date"].strip() or None, v["hours"].strip() or None,
                               v["start"], v["end"], v["equipment"].strip() or None, v["technician"], v["work"],
                               parts, v["labour"].strip() or None, billable)
        return f"Intervention {interventions.label(iv)} enregistrée ({'facturable' if iv.billable else 'non facturable'})."

    def action_equipment(self) -> None:
        if self.customer:
            self.app.push_screen(EquipmentScreen(self.customer))


class TimeScreen(BillableList):
    TITLE = "Temps passés"
    COLUMNS = [("Réf.", 11), ("Date", 10), ("Projet", 14), ("H", 5), ("Description", 11), ("Facture", 14)]
    GROUPS = timesheets.GROUPS

    def fetch(self) -> list[dict]:
        return timesheets.listing(self.customer)

    def cells(self, r: dict) -> list:
        return [fr.date(r["date"]), r["project"][:14], self._hours(r), r["description"][:11], self._state(r)]

    def make_invoice(self, ids, group):
        return timesheets.invoice(self.customer, ids, group=group)

    def remove(self, entry_id: int) -> None:
        timesheets.delete(entry_id)

    def action_new(self) -> None:
        if not self.customer:
            return
        last = self.rows[0]["project"] if self.rows else ""
        self.app.push_screen(Form(f"Temps pour {self.customer}", [
            ("hours", "Durée en heures (ex. 1,5)", ""), ("start", "… ou début (HH:MM)", ""), ("end", "et fin (HH:MM)", ""),
            ("date", "Date (vide : aujourd'hui)", ""), ("project", "Projet", last), ("description", "Description", ""),
            ("product", "Tarif : code du produit à l'heure", ""), ("billable", "Facturable ? o/n", "o")]),
            lambda v: self._saved(v, self._add))

    def _add(self, v) -> str:
        entry = timesheets.add(self.customer, v["hours"].strip() or None, v["date"].strip() or None, v["project"],
                               v["description"], v["product"].strip() or None, self.app.user_name,
                               v["billable"].strip().lower() not in ("n", "non"), v["start"], v["end"])
        return f"Temps {timesheets.label(entry)} : {entry.minutes} min."


class EquipmentScreen(FactuScreen):
    """A customer's equipment: what we install and service, its serial number and warranty."""
    BINDINGS = [Binding("n", "new", "Nouvel équipement", id="equipment.new"),
                Binding("escape", "app.pop_screen", "Retour", id="equipment.back")]

    def __init__(self, customer: str):
        super().__init__()
        self.customer = customer

    def compose(self) -> ComposeResult:
        yield Static(f"[b]Parc[/b] — {self.customer}", id="title")
        yield DataTable(id="equipment", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("#", 4), ("Désignation", 24), ("N° de série", 14), ("Emplacement", 14), ("Garantie", 10)):
            table.add_column(title, width=width)
        table.focus()
        self.reload()

    def reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for e in interventions.equipment_of(self.customer):
            table.add_row(str(e.id), e.name[:24], e.serial[:14], e.location[:14], fr.date(e.warranty_end))

    def action_new(self) -> None:
        self.app.push_screen(Form("Nouvel équipement", [
            ("name", "Désignation", ""), ("serial", "N° de série", ""), ("location", "Emplacement", ""),
            ("installed", "Installé le (AAAA-MM-JJ)", ""), ("warranty", "Garantie jusqu'au (AAAA-MM-JJ)", "")]),
            self._add)

    def _add(self, v) -> None:
        if not v:
            return
        try:
            interventions.add_equipment(self.customer, v["name"], v["serial"], v["location"],
                                        v["installed"].strip() or None, v["warranty"].strip() or None)
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.reload()
