"""Closings from the keyboard: j closes the day, m the last month, a the last year (each
confirmed with its figures), Entrée shows a closing's detail, z prints its Z ticket."""
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from tui_factu import clock, closings, fr
from tui_factu.errors import FactuError
from tui_factu.payments import PAYMENT_METHODS

from .pickers import Confirm
from .widgets.base import FactuScreen


def _a(value: str) -> str:
    return fr.amount(Decimal(value))


class ClosingsScreen(FactuScreen):
    GUARDS = {"close": "period.close"}
    BINDINGS = [Binding("j", "close('day')", "Journée", id="closings.day"),
                Binding("m", "close('month')", "Mois", id="closings.month"),
                Binding("a", "close('year')", "Année", id="closings.year"),
                Binding("z", "print_z", "Ticket Z", id="closings.print"),
                Binding("escape", "app.pop_screen", "Retour", id="closings.back")]

    def compose(self) -> ComposeResult:
        yield Static("[b]Clôtures[/b] — j journée · m mois · a année · Entrée détail · z ticket Z", id="title")
        yield DataTable(id="closings", cursor_type="row", zebra_stripes=True)
        yield Static("", id="hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in (("N°", 3), ("Période", 11), ("Libellé", 10), ("Ventes TTC", 10), ("Retours", 8),
                             ("Total", 10), ("Perpétuel", 12)):         # 78 columns with the padding
            table.add_column(title, width=width)
        table.focus()
        self.reload()

    def reload(self) -> None:
        self.rows = closings.listing()
        table = self.query_one(DataTable)
        table.clear()
        for r in self.rows:
            table.add_row(str(r["seq"]), closings.KINDS[r["kind"]], r["label"],
                          *(Text(_a(r[k]), justify="right") for k in ("sales", "returns", "grand_total", "perpetual")))
        self.query_one("#hint", Static).update(closings.reminder() or "")

    def action_close(self, kind: str) -> None:
        on = closings.default_date(kind, clock.today())
        start, end, label = closings.period(kind, on)
        figures = closings.totals(start, end)
        self.app.push_screen(Confirm(f"Clôture {closings.KINDS[kind]} {label} : ventes {_a(figures['sales'])} €, "
                                     f"retours {_a(figures['returns'])} €, total {_a(figures['grand_total'])} €.\n"
                                     "Plus rien ne pourra être validé ni encaissé à ces dates. Clôturer ?"),
                             lambda ok: ok and self._close(kind, on))

    def _close(self, kind: str, on) -> None:
        try:
            c = closings.close(kind, on)
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.notify(f"Clôture {closings.KINDS[kind]} {c.label} faite (n° {c.seq}).")
        self.reload()

    @on(DataTable.RowSelected)
    def _detail(self, event) -> None:
        if 0 <= event.cursor_row < len(self.rows):
            self.app.push_screen(ClosingDetail(self.rows[event.cursor_row]))

    def action_print_z(self) -> None:
        i = self.query_one(DataTable).cursor_row
        if 0 <= i < len(self.rows):
            self._print(self.rows[i]["seq"])

    @work(thread=True, group="printing")
    def _print(self, seq: int) -> None:
        from printers import dispatch
        try:
            job = dispatch.closing(seq)
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=10)
            return
        self.app.call_from_thread(self.notify, f"Ticket Z imprimé (travail n° {job}).")


class ClosingDetail(ModalScreen):
    BINDINGS = [Binding("escape,enter", "dismiss", "Fermer", id="closing.close")]

    def __init__(self, z: dict):
        super().__init__()
        self.z = z

    def compose(self) -> ComposeResult:
        z = self.z
        rows = [f"[b]Clôture {closings.KINDS[z['kind']]} {z['label']}[/b] (n° {z['seq']}, par {z['user']})",
                f"du {fr.date(z['start'])} au {fr.date(z['end'])}", ""]
        for v in z["vat"]:
            rows.append(f"TVA {v['category']} {v['rate']:>4} %  ventes HT {_a(v['sales_basis']):>11}  TVA "
                        f"{_a(v['sales_vat']):>9}  retours HT {_a(v['returns_basis']):>9}")
        rows.append("")
        rows += [f"{PAYMENT_METHODS.get(m, m):<16} {_a(a):>12}" for m, a in z["payments"].items()]
        rows += ["", f"Ventes TTC {_a(z['sales'])} · retours {_a(z['returns'])} · [b]total {_a(z['grand_total'])}[/b]",
                 f"Grand total perpétuel {_a(z['perpetual'])} · absolu {_a(z['perpetual_absolute'])}"]
        with VerticalScroll(classes="dialog wide"):
            yield Static("\n".join(rows))
