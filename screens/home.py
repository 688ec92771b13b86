"""Home: today's sales and what needs doing; each line opens the list behind it, and each
e-invoice the platform or the buyer refused, rejected, disputed or suspended opens its
document (lifecycle.needing_action: what to do next is said there)."""
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from .widgets.base import FactuScreen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui_factu import fr, lifecycle, reports

# option id -> (title, list filters)
LISTS = {
    "quotes_expiring": ("Devis expirant sous 7 jours", {"kind": "quote", "status": "validated", "expiring": True}),
    "orders_to_deliver": ("Commandes à livrer", {"kind": "order", "statuses": ("validated", "partial")}),
    "deliveries_to_invoice": ("Livraisons non facturées", {"kind": "delivery", "status": "validated"}),
    "overdue": ("Factures échues", {"kind": "invoice", "statuses": ("validated", "partly_paid"), "overdue": True}),
    "drafts": ("Brouillons", {"status": "draft"}),
}


class HomeScreen(FactuScreen):
    # The footer holds what fits in 80 columns (F12 and Ctrl+P included); the hint line lists all.
    BINDINGS = [
        Binding("d", "app.open_list('quote')", "Devis", id="home.quotes"),
        Binding("c", "app.open_list('order')", "Commandes", show=False, id="home.orders"),
        Binding("l", "app.open_list('delivery')", "Livraisons", show=False, id="home.deliveries"),
        Binding("f", "app.open_list('invoice')", "Factures", id="home.invoices"),
        Binding("a", "app.open_list('credit_note')", "Avoirs", show=False, id="home.credit_notes"),
        Binding("n", "app.new_document", "Nouveau", id="home.new"),
        Binding("k", "app.customers", "Clients", show=False, id="home.customers"),
        Binding("p", "app.products", "Produits", show=False, id="home.products"),
        Binding("i", "app.interventions", "Interventions", show=False, id="home.interventions"),
        Binding("t", "app.time_entries", "Temps", show=False, id="home.time"),
        Binding("e", "app.reports", "États", show=False, id="home.reports"),
        Binding("r", "refresh", "Actualiser", show=False, id="home.refresh"),
        Binding("s", "app.settings", "Paramètres", show=False, id="home.settings"),
        Binding("f12", "app.counter", "Comptoir", id="home.counter"),
        Binding("ctrl+q", "app.quit", "Quitter", id="home.quit"),
    ]

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="sales")
        yield OptionList(id="todo")
        yield Static("Entrée : ouvrir la liste · d devis · c commandes · l livraisons · f factures · "
                     "n nouveau · k clients · p produits · i interventions · t temps · e états · s paramètres · "
                     "F12 comptoir · Ctrl+P aller à · F1 aide", id="hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#title", Static).update(f"[b]tui-factu[/b] — {self.app.company_name()} — "
                                                 f"{self.app.user_name}")
        self.action_refresh()
        self.query_one(OptionList).focus()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    @work(thread=True, exclusive=True)
    def action_refresh(self) -> None:
        from tui_factu import closings
        figures = reports.dashboard()
        figures["einvoices"] = lifecycle.needing_action(limit=8)
        self.app.call_from_thread(self._show, figures)
        if not getattr(self, "reminded", False):
            self.reminded = True
            reminder = closings.reminder()
            if reminder:
                self.app.call_from_thread(self.notify, reminder, severity="warning", timeout=12)

    def _show(self, f) -> None:
        n, amount = f["sales_today"]
        self.query_one("#sales", Static).update(
            f"Ventes du jour ({fr.date(f['today'])}) : [b]{fr.amount(amount, True)} HT[/b] — {n} vente(s)")
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        options.clear_options()
        for key, (title, _) in LISTS.items():
            count, total = f[key]
            options.add_option(Option(f"{title:<32} {count:>6}   {fr.amount(total, True):>16}", id=key))
        if f["einvoices"]:
            options.add_option(Option(Text("Factures électroniques à traiter :", "bold"), disabled=True))
        for e in f["einvoices"]:
            options.add_option(Option(Text.assemble((f"⚠ {e['number']} {e['status'].lower()}", "bold"),
                                                    f" : {e['next_step']}"), id=f"doc:{e['id']}"))
        options.highlighted = min(highlighted or 0, options.option_count - 1)

    @on(OptionList.OptionSelected)
    def _open(self, event) -> None:
        if event.option.id.startswith("doc:"):
            self.app.open_document(int(event.option.id[4:]))
            return
        title, filters = LISTS[event.option.id]
        self.app.open_list(title=title, **filters)
