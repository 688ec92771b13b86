"""An issued invoice's life as an e-invoice: its lifecycle statuses (XP Z12-012) with their
dates, who said them and why, and what to do next; and the two calls to the Plateforme Agréée
a user makes by key — send an invoice, bring the statuses back. The calls run in a worker
thread under the busy line (widgets/busy.py), never on the UI thread: a platform that answers
slowly freezes nothing, one that is down leaves the invoice in the outbox."""
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.markup import escape
from textual.widgets import DataTable, Footer, Static

from tui_factu import fr, lifecycle, pa
from tui_factu.errors import FactuError

from .widgets.base import FactuScreen
from .widgets.busy import Busy


def _render(doc):
    """The Factur-X PDF/A-3 the platform receives (as `tui-factu pa send`): not a print."""
    from printers import documents as pdf_documents
    return pdf_documents.pdf_bytes(doc.id, duplicate=False), f"{doc.number}.pdf"


def _run(app, what: str, do, done) -> None:
    """`do()` in a worker thread while « what… » shows; then `done(result)` on the UI thread,
    or the French refusal."""
    busy = Busy(what)
    app.push_screen(busy)

    def work() -> None:
        try:
            result = do()
        except FactuError as e:
            refusal = str(e)            # `e` is gone once the except block ends
            app.call_from_thread(busy.release, lambda: app.notify(refusal, severity="error", timeout=10,
                                                                  markup=False))
            return
        app.call_from_thread(busy.release, lambda: done(result))
    app.run_worker(work, thread=True, group="einvoice")


def send(app, ref: str, then=None) -> None:
    """Sends one validated invoice or credit note (queued first: nothing lost if the platform
    is down)."""
    if app.refuse_unless("einvoice.send", "la transmission à la plateforme agréée"):
        return

    def done(rows) -> None:
        _said(app, rows)
        if then:
            then()
    _run(app, f"Transmission de {ref} à la plateforme", lambda: pa.send([ref], _render), done)


def _said(app, rows: list[dict]) -> None:
    for r in rows:
        if r["state"] == "sent":
            app.notify(f"{r['ref']} transmise à la plateforme (flux {r['flow_id']}).", timeout=10, markup=False)
        elif r["state"] == "refused":
            app.notify(f"{r['ref']} REFUSÉE par la plateforme : {r['message']}", severity="error", timeout=12,
                       markup=False)
        else:
            app.notify(f"{r['ref']} {r['message']}", severity="warning", timeout=12, markup=False)


def sync(app, then=None) -> None:
    """Sends what waits in the outbox, then brings back the statuses the platform has since the
    last sync."""
    if app.refuse_unless("einvoice.send", "la synchronisation avec la plateforme agréée"):
        return

    def do():
        return pa.send_pending(), pa.sync()

    def done(outcome) -> None:
        retried, result = outcome
        _said(app, retried)
        new = [s for s in result["statuses"] if s["new"]]
        lines = [f"{s['number']} {s['status'].lower()}" for s in new[:6]] + \
                [f"{ref} refusée par la plateforme" for ref in result["refused"]] + \
                [f"{r['ref']} « encaissée » envoyée" for r in result["paid_sent"] if r["state"] == "sent"]
        app.notify(f"{len(new)} statut(s) nouveau(x)" + (" : " + " ; ".join(lines) if lines else "."), timeout=10,
                   markup=False)
        for e in result["errors"]:
            app.notify(f"Ignoré : {e}", severity="warning", timeout=12, markup=False)
        if then:
            then()
    _run(app, "Synchronisation avec la plateforme", do, done)


class EinvoiceScreen(FactuScreen):
    GUARDS = {"send": "einvoice.send", "sync": "einvoice.send"}
    BINDINGS = [
        Binding("t", "send", "Transmettre", id="einvoice.send"),
        Binding("r", "sync", "Récupérer statuts", id="einvoice.sync"),
        Binding("d", "document", "Document", id="einvoice.document"),
        Binding("h", "audit", "Modifications", id="einvoice.audit"),
        Binding("escape", "app.pop_screen", "Retour", id="einvoice.back"),
    ]

    def __init__(self, doc_id: int):
        super().__init__()
        self.doc_id = doc_id
        self.number = ""
        self.rows: list[dict] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="state")
        yield DataTable(id="statuses", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("Date", 16), ("Code", 4), ("Statut", 23), ("Par", 14), ("Motif", 12)):
            table.add_column(title, width=width)
        table.focus()
        self.load()

    def load(self) -> None:
        self.run_worker(self._read, thread=True, exclusive=True, group="einvoice-read")

    def _read(self) -> None:
        try:
            found = lifecycle.timeline(self.doc_id)
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error")
            self.app.call_from_thread(self.dismiss)
            return
        self.app.call_from_thread(self._show, found)

    def _show(self, t: dict) -> None:
        self.number, self.rows = t["number"], t["rows"]
        what = "Avoir" if t["kind"] == "credit_note" else "Facture"
        self.query_one("#title", Static).update(f"[b]{what} {t['number']}[/b] — facture électronique : "
                                                 f"[b]{t['short']}[/b]")
        sent = {"sent": f"Transmise le {_when(t['sent_at'])} (flux {t['flow_id']}, {t['syntax']})",
                "pending": "En file d'attente pour la plateforme (t : transmettre maintenant)",
                "refused": f"Dépôt refusé par la plateforme : {t['flow_error'] or 'motif non donné'}"}.get(
            t["sent"] or "", "Pas encore transmise à la plateforme (t : transmettre)")
        lines = [escape(sent)]          # the platform's words are shown, never read as markup
        if t["next_step"]:
            lines.append(f"[b]À faire :[/b] {escape(t['next_step'])}")
        self.query_one("#state", Static).update("\n".join(lines))
        table = self.query_one(DataTable)
        table.clear()
        for r in reversed(t["rows"]):               # the latest first
            table.add_row(_when(r["date"]), str(r["code"]), r["label"], r["source"], Text(r["reason"] or ""))
        if not t["rows"]:
            self.query_one("#detail", Static).update("Aucun statut reçu (r : récupérer les statuts).")
        else:
            self._detail(0)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event) -> None:
        self._detail(event.cursor_row)

    def _detail(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        r = list(reversed(self.rows))[index]
        parts = [f"{r['code']} {r['label']}, le {_when(r['date'])}, par {r['source']}"
                 + (f" (relevé par {r['user']})" if r["user"] else "")]
        if r["reason"]:
            parts.append(f"Motif : {r['reason']}")
        if r["amounts"]:
            parts.append("Montants : " + ", ".join(f"{k} {v}" for k, v in sorted(r["amounts"].items())))
        self.query_one("#detail", Static).update(Text("\n".join(parts)))

    def action_send(self) -> None:
        if self.number:
            send(self.app, self.number, self.load)

    def action_sync(self) -> None:
        sync(self.app, self.load)

    def action_document(self) -> None:
        self.app.open_document(self.doc_id)

    def action_audit(self) -> None:
        self.app.history("document", self.doc_id, self.number)


def _when(stamp: str | None) -> str:
    """An ISO date-time (UTC) as a French reads it, in local time."""
    if not stamp:
        return ""
    import datetime as dt
    try:
        at = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp[:16]
    if at.tzinfo:
        at = at.astimezone()
    return f"{fr.date(at.date())} {at:%H:%M}"
