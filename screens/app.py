"""The Textual application: login, then the counter and back-office screens.

Every binding has an id; ~/.config/tui-factu/keys.toml overrides them (App.set_keymap), e.g.
    "editor.validate" = "f10"
"""
import asyncio
import tomllib
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from .commands import Palette, RecordsProvider, ScreensProvider
from .widgets.busy import Busy
from .widgets.typeahead import KeysInOrder

class FactuApp(KeysInOrder, App):      # keys typed ahead go, in order, to what they were typed for
    CSS_PATH = "app.tcss"
    TITLE = "tui-factu"
    COMMANDS = {ScreensProvider, RecordsProvider}        # no system commands: a screenshot writes a file anywhere
    # Every screen's footer shows F1; Ctrl+Q and F12 are shown on the home screen (80 columns).
    BINDINGS = [Binding("ctrl+q", "quit", "Quitter", show=False, id="app.quit"),
                Binding("f1,question_mark", "help", "Aide", id="app.help"),
                Binding("f12", "counter", "Comptoir", show=False, id="app.counter"),
                Binding("ctrl+p", "command_palette", "Aller à", show=False, priority=True, id="app.palette")]

    def __init__(self, user_hint: str = ""):
        super().__init__()
        self.user_name = ""
        self.user_role = ""
        self.user_hint = user_hint
        self.use_command_palette = False        # nothing but the login before a login

    # ---- nobody in before login ------------------------------------------------------------
    BEFORE_LOGIN = ("quit", "help")

    def push_screen(self, screen, *args, **kwargs):
        """The one door to every screen: before a login only the login and its help open."""
        from .help import HelpScreen
        from .login import LoginScreen
        if not self.user_name and not isinstance(screen, (LoginScreen, HelpScreen, Busy)):   # Busy: the login's check
            self.bell()
            future = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return super().push_screen(screen, *args, **kwargs)

    # ---- an unexpected error shows no data --------------------------------------------------
    # Textual prints a traceback with the local variables (a password typed at the login is one)
    # or an exception's own rendering; every road of theirs ends here instead: a worker, a
    # callback, compose, the input thread (panic). The log gets the traceback without locals,
    # masked (tui_factu/logs.py); the terminal one French line naming the log.
    def _handle_exception(self, error: Exception) -> None:
        if self._exception is None:             # Pilot raises it again at the end of a test
            self._exception = error
            self._exception_event.set()
        self._crashed(error)

    def _fatal_error(self) -> None:
        self._crashed()

    def panic(self, *renderables) -> None:
        from io import StringIO
        from rich.console import Console
        from rich.traceback import Traceback
        text = Console(file=StringIO(), width=120, color_system=None)
        for renderable in renderables:
            for frame in (f for stack in renderable.trace.stacks for f in stack.frames) \
                    if isinstance(renderable, Traceback) else ():
                frame.locals = None                  # a traceback made with its locals loses them
            text.print(renderable)
        self._crashed(text=text.file.getvalue())

    def _crashed(self, error: BaseException | None = None, text: str = "") -> None:
        from textual.worker import WorkerFailed
        from tui_factu import logs
        error = error.error if isinstance(error, WorkerFailed) else error
        where = logs.crash((type(error), error, error.__traceback__) if error else None, text)
        self._return_code = 3                   # an internal error, as on the command line
        if not self._exit_renderables:
            self.bell()
            self._exit_renderables.append(f"tui-factu : erreur interne — ce qui était validé est "
                                          f"enregistré ; détails dans {where}")
        self._close_messages_no_wait()

    def action_command_palette(self) -> None:
        if self.use_command_palette and not Palette.is_open(self):
            self.push_screen(Palette())

    def action_help_quit(self) -> None:
        """Ctrl+C does not quit (it copies in a field): say, in French, what does."""
        self.notify("Ctrl+Q pour quitter tui-factu.", title="Quitter ?")

    def on_mount(self) -> None:
        self.load_keymap()
        from .login import LoginScreen
        self.push_screen(LoginScreen(self.user_hint))

    def load_keymap(self) -> None:
        import platformdirs
        path = Path(platformdirs.user_config_dir("tui-factu")) / "keys.toml"
        if path.exists():
            try:
                self.set_keymap(tomllib.loads(path.read_text()))
            except (OSError, ValueError) as e:
                self.notify(f"keys.toml ignoré : {e}", severity="warning")

    # ---- navigation ------------------------------------------------------------------------
    def logged_in(self, name: str) -> None:
        from tui_factu import session, users
        from . import home
        if not name or session.current_user() != name:       # only the core's login says who acts
            return
        self.user_name = name
        self.user_role = users.get(name).role
        self.use_command_palette = True
        self.switch_screen(home.HomeScreen())

    GUARDS = {"settings": "settings.change", "counter": "payment.collect"}

    def check_action(self, action: str, parameters) -> bool | None:
        """App-wide keys the user's role may not use are hidden from the footer. While a write
        runs (widgets/busy.py), none runs: even Ctrl+Q and Ctrl+P wait with the other keys."""
        if isinstance(self.screen, Busy):
            return False
        if not self.user_name:
            return action in self.BEFORE_LOGIN
        if getattr(self.screen, "too_small", False):          # nothing acts on a hidden screen
            return action == "quit"
        permission = self.GUARDS.get(action)
        if permission and not self.may(permission):
            return False
        return True

    def may(self, permission: str, kind: str | None = None) -> bool:
        """What the logged-in user's role allows (cached at login: the footer asks often)."""
        from tui_factu import permissions
        return permissions.role_allows(self.user_role, permission, kind)

    def refuse_unless(self, permission: str, what: str) -> bool:
        from tui_factu import permissions
        if self.may(permission):
            return False
        self.notify(f"Droits insuffisants : {what} est réservé à d'autres rôles que "
                    f"{permissions.ROLE_LABELS.get(self.user_role, self.user_role)}.", severity="warning")
        return True

    def company_name(self) -> str:
        from tui_factu import catalog
        return catalog.company().name or "société à configurer"

    def pdf_dir(self) -> Path:
        from tui_factu import files
        return files.default_folder()

    def home(self) -> None:
        from .home import HomeScreen
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if not isinstance(self.screen, HomeScreen):
            self.push_screen(HomeScreen())

    def open_list(self, kind: str | None = None, title: str = "", **filters) -> None:
        from .lists import DocumentList
        self.push_screen(DocumentList(kind, title=title, **filters))

    def action_open_list(self, kind: str) -> None:
        self.open_list(kind)

    # Screens never import one another: they ask the app, the one module that knows them all
    # (an import-linter independence contract in pyproject.toml keeps it so).
    def open_document(self, doc_id: int, kind: str = "quote", replace: bool = False, then: str | None = None) -> None:
        """The editor on a document (read-only once validated); replace: instead of the
        current screen, which Escape will not come back to; then: an editor action to run once
        it is read."""
        from .editor import EditorScreen
        (self.switch_screen if replace else self.push_screen)(EditorScreen(doc_id, kind, then=then))

    def pay_customer(self) -> None:
        """A customer, then his open invoices ticked for one payment (the editor's Ctrl+E, on
        the oldest of them)."""
        from tui_factu import catalog, documents
        from .pickers import CustomerPicker
        if self.refuse_unless("payment.collect", "l'encaissement"):
            return

        def chosen(code) -> None:
            rows = code and documents.listing("invoice", customer_id=catalog.customer_by_code(code).id,
                                              statuses=("validated", "partly_paid"), limit=1)
            if code and not rows:
                self.notify(f"{code} : aucune facture à encaisser.", severity="warning")
            elif rows:
                self.open_document(rows[0]["id"], "invoice", then="pay")
        self.push_screen(CustomerPicker(""), chosen)

    def new_document(self, kind: str = "quote") -> None:
        from .editor import EditorScreen
        self.push_screen(EditorScreen(None, kind))

    def open_situation(self, order_id: int) -> None:
        """Progress billing on a validated order (the contract)."""
        from .situation import SituationScreen
        self.push_screen(SituationScreen(order_id))

    def open_links(self, doc_id: int) -> None:
        """Where a document came from and what came of it; Entrée opens another of the chain."""
        from .links import LinksScreen
        self.push_screen(LinksScreen(doc_id), lambda chosen: chosen and chosen != doc_id and self.open_document(chosen))

    def open_einvoice(self, doc_id: int) -> None:
        """An issued invoice's lifecycle as an e-invoice (statuses, dates, reasons)."""
        from .einvoice import EinvoiceScreen
        self.push_screen(EinvoiceScreen(doc_id))

    def einvoice_send(self, ref: str, then=None) -> None:
        """Sends an invoice to the Plateforme Agréée, in a worker (queued if it is down)."""
        from . import einvoice
        einvoice.send(self, ref, then)

    def einvoice_sync(self, then=None) -> None:
        """Brings back the lifecycle statuses from the Plateforme Agréée, in a worker."""
        from . import einvoice
        einvoice.sync(self, then)

    def action_new_document(self) -> None:
        from tui_factu.documents.kinds import KIND_LABELS
        from .pickers import Choice
        self.push_screen(Choice("Nouveau document", list(KIND_LABELS.items())),
                         lambda kind: kind and self.new_document(kind))

    def counter(self) -> None:
        from .counter import CounterScreen
        if self.refuse_unless("payment.collect", "la vente comptoir"):
            return
        if self.user_name and not isinstance(self.screen, CounterScreen):
            self.push_screen(CounterScreen())

    def action_counter(self) -> None:
        self.counter()

    def customers(self, text: str = "") -> None:
        """The customers, searched for `text` (the palette opens one this way)."""
        from .catalog import CustomersScreen
        self.push_screen(CustomersScreen(text))

    def products(self, text: str = "") -> None:
        from .catalog import ProductsScreen
        self.push_screen(ProductsScreen(text))

    def interventions(self, customer: str | None = None) -> None:
        from .billable import InterventionsScreen
        self.push_screen(InterventionsScreen(customer))

    def time_entries(self, customer: str | None = None) -> None:
        from .billable import TimeScreen
        self.push_screen(TimeScreen(customer))

    def action_interventions(self) -> None:
        self.interventions()

    def action_time_entries(self) -> None:
        self.time_entries()

    def closings(self) -> None:
        from .closings import ClosingsScreen
        self.push_screen(ClosingsScreen())

    def archives(self) -> None:
        from .archives import ArchivesScreen
        self.push_screen(ArchivesScreen())

    def _beside(self, screen) -> None:
        """Bank, SEPA and cheques are one desk: moving between them replaces the screen instead
        of piling them up for Escape to walk back through."""
        from .bank import BankScreen, ChequesScreen, SepaScreen
        on_desk = isinstance(self.screen, (BankScreen, SepaScreen, ChequesScreen))
        (self.switch_screen if on_desk else self.push_screen)(screen)

    def bank(self) -> None:
        """Bank statements matched with the invoices (screens/bank.py, with SEPA and cheques)."""
        from .bank import BankScreen
        if not self.refuse_unless("bank.statements", "le rapprochement bancaire"):
            self._beside(BankScreen())

    def sepa(self) -> None:
        from .bank import SepaScreen
        if not self.refuse_unless("payment.collect", "les prélèvements SEPA"):
            self._beside(SepaScreen())

    def cheques(self) -> None:
        from .bank import ChequesScreen
        if not self.refuse_unless("payment.collect", "les remises de chèques"):
            self._beside(ChequesScreen())

    def action_bank(self) -> None:
        self.bank()

    def action_sepa(self) -> None:
        self.sepa()

    def action_cheques(self) -> None:
        self.cheques()

    def reminders(self) -> None:
        """Reminders of late invoices (screens/dunning.py): send, letters, disputes, penalties."""
        from .dunning import DunningScreen
        if not self.refuse_unless("payment.collect", "les relances"):
            self.push_screen(DunningScreen())

    def history(self, entity: str | None = None, entity_id: int | None = None, title: str = "",
                events: bool = False) -> None:
        from .audit import AuditScreen
        self.push_screen(AuditScreen(entity, entity_id, title, events))

    def reports(self) -> None:
        from .reports import ReportsScreen
        self.push_screen(ReportsScreen())

    def action_reports(self) -> None:
        self.reports()

    def settings(self, item: str = "") -> None:
        """The settings; item: the form to open at once ("pa": the Plateforme Agréée)."""
        from .settings import SettingsScreen
        if self.refuse_unless("settings.change", "les paramètres"):
            return
        self.push_screen(SettingsScreen(item))

    def action_settings(self) -> None:
        self.settings()

    def action_customers(self) -> None:
        self.customers()

    def action_products(self) -> None:
        self.products()

    def help(self) -> None:
        self.action_help()

    def action_help(self) -> None:
        from .help import HelpScreen
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))


def run(user_hint: str = "") -> None:
    FactuApp(user_hint).run()
