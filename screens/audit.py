"""Who changed what, when, from what to what — for a document, a customer, a product, a user or
everything (e switches to the technical events: logins, prints, reprints, exports, settings)."""
import datetime as dt

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static

from tui_factu import audit

from .pickers import Form
from .widgets.base import FactuScreen


def _when(at: str) -> str:
    try:
        return dt.datetime.fromisoformat(at).astimezone().strftime("%d/%m/%y %H:%M")
    except ValueError:
        return at[:16]


class AuditScreen(FactuScreen):
    BINDINGS = [Binding("e", "toggle_events", "Événements", id="audit.events"),
                Binding("u", "filter_user", "Utilisateur", id="audit.user"),
                Binding("escape", "app.pop_screen", "Retour", id="audit.back")]

    def __init__(self, entity: str | None = None, entity_id: int | None = None, title: str = "", events: bool = False):
        super().__init__()
        self.entity, self.entity_id, self.title_text = entity, entity_id, title
        self.show_events, self.user = events, None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DataTable(id="audit", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True)
    def reload(self) -> None:
        rows = (audit.events(user=self.user) if self.show_events
                else audit.history(self.entity, self.entity_id, self.user))
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        who = f" — {self.user}" if self.user else ""
        if self.show_events:
            self.query_one("#title", Static).update(f"[b]Journal des événements[/b]{who} — e : modifications")
            for title, width in (("Quand", 14), ("Qui", 9), ("Événement", 18), ("Réf.", 14), ("Détail", 17)):
                table.add_column(title, width=width)
            for r in rows:
                table.add_row(_when(r["at"]), r["user"][:9], r["label"][:18], r["ref"][:14], r["detail"][:60])
        else:
            what = self.title_text or "tout"
            self.query_one("#title", Static).update(f"[b]Historique[/b] — {what}{who} — e : événements techniques")
            for title, width in (("Quand", 14), ("Qui", 9), ("Objet", 12), ("Champ", 11), ("Avant", 11), ("Après", 11)):
                table.add_column(title, width=width)
            for r in rows:
                table.add_row(_when(r["at"]), r["user"][:9], r["ref"][:12], r["field"][:11], (r["old"] or "")[:40],
                              (r["new"] or "")[:40])
        table.focus()

    def action_toggle_events(self) -> None:
        self.show_events = not self.show_events
        self.reload()

    def action_filter_user(self) -> None:
        self.app.push_screen(Form("Filtrer par utilisateur", [("user", "Nom (vide : tous)", self.user or "")]),
                             self._filtered)

    def _filtered(self, values) -> None:
        if values is not None:
            self.user = values["user"].strip() or None
            self.reload()
