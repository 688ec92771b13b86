"""Command palette: every screen by its French name ("factures" then Enter)."""
from functools import partial

from rich.align import Align
from rich.text import Text
from textual.binding import Binding
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.widgets.option_list import Option

SCREENS = [
    ("Accueil", "home", ()), ("Vente comptoir", "counter", ()), ("Devis", "open_list", ("quote",)), ("Commandes", "open_list", ("order",)),
    ("Bons de livraison", "open_list", ("delivery",)), ("Factures", "open_list", ("invoice",)),
    ("Avoirs", "open_list", ("credit_note",)), ("Clients", "customers", ()), ("Produits", "products", ()),
    ("Encaisser plusieurs factures d'un client", "pay_customer", ()),
    ("Relances : factures en retard, lettres, litiges", "reminders", ()),
    ("Banque : relevés et rapprochement", "bank", ()), ("Prélèvements SEPA : mandats et fichier pain.008", "sepa", ()),
    ("Remises de chèques : bordereaux", "cheques", ()),
    ("Nouveau devis", "new_document", ("quote",)), ("Nouvelle commande", "new_document", ("order",)),
    ("Nouvelle facture", "new_document", ("invoice",)),
    ("Nouveau bon de livraison", "new_document", ("delivery",)), ("Aide", "help", ()), ("Paramètres", "settings", ()),
    ("Interventions", "interventions", ()), ("Temps passés", "time_entries", ()), ("Clôtures", "closings", ()),
    ("Archives et sauvegardes", "archives", ()), ("États et statistiques", "reports", ()), ("Historique des modifications", "history", ()),
    ("Journal des événements", "history", (None, None, "", True)),
    ("Factures électroniques : récupérer les statuts (plateforme)", "einvoice_sync", ()),
    ("Plateforme agréée : paramètres (facture électronique)", "settings", ("pa",)),
]


class ScreensProvider(Provider):
    def _run(self, method, args):
        getattr(self.app, method)(*args)

    async def discover(self) -> Hits:
        if not self.app.user_name:
            return
        for name, method, args in SCREENS:
            yield DiscoveryHit(name, partial(self._run, method, args), help="ouvrir")

    async def search(self, query: str) -> Hits:
        if not self.app.user_name:
            return
        matcher = self.matcher(query)
        for name, method, args in SCREENS:
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self._run, method, args), text=name)


class RecordsProvider(Provider):
    """Documents by number, customers and products by code or any part of their name: "00042",
    "dupont", "vis" in the palette open them. Read in a thread (a search may scan)."""
    async def search(self, query: str) -> Hits:
        if not self.app.user_name or len(query.strip()) < 2:
            return
        import asyncio
        found = await asyncio.to_thread(_records, query)
        matcher = self.matcher(query)
        for text, method, args in found:
            yield Hit(max(matcher.match(text), 0.5), matcher.highlight(text), partial(getattr(self.app, method), *args),
                      text=text)


def _records(query: str) -> list[tuple[str, str, tuple]]:
    from tui_factu import catalog, documents, fr
    from tui_factu.documents.kinds import KIND_LABELS
    rows = [(f"{KIND_LABELS[d.kind]} {d.number} — {d.customer.name} — {fr.amount(d.grand_total, True)}",
             "open_document", (d.id, d.kind)) for d in documents.find(query, 8)]
    rows += [(f"Client {c.code} — {c.name}", "customers", (c.code,)) for c in catalog.find_customers(query, 8)]
    rows += [(f"Produit {p.code} — {p.name}", "products", (p.code,)) for p in catalog.find_products(query, 8)]
    return rows


class Palette(CommandPalette):
    """Textual's palette, in French: its prompt and its "no match" line."""
    def __init__(self):
        super().__init__(placeholder="Écran, n° de document, client ou produit…", id="--command-palette")

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual (pinned 8.2–9) hard-codes "No matches found" here; the same line, in French.
        self._stop_no_matches_countdown()

        def show() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(Align.center(Text("aucun résultat", style="not bold")), disabled=True, id=self._NO_MATCHES))
                self._list_visible = True
            else:
                self._list_visible = False
        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show)


class KeysProvider(Provider):
    """The keys of the screen the palette was opened on, by their French name (as F1 lists
    them), those the user's role may use: a screen opts in with COMMANDS = {KeysProvider}."""
    def _keys(self):
        screen = self.screen
        for b in getattr(screen, "BINDINGS", ()):
            if isinstance(b, Binding) and b.description and screen.check_action(b.action, ()) is not False:
                yield f"{b.description} ({b.key.split(',')[0]})", b.action

    async def discover(self) -> Hits:
        for name, action in self._keys():
            yield DiscoveryHit(name, partial(self.screen.run_action, action), help="touche de l'écran")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, action in self._keys():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), partial(self.screen.run_action, action), text=name)
