"""Login: Utilisateur / Mot de passe (argon2 hashes in the core)."""
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, Static

from tui_factu.errors import FactuError

from .widgets.base import FactuScreen
from .widgets.busy import Busy
from .widgets.field import Field


class LoginScreen(FactuScreen):
    def __init__(self, suggested: str = ""):
        super().__init__()
        self.suggested = suggested

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="login"):
            yield Static("[b]tui-factu[/b] — connexion", classes="dialog-title")
            yield Label("Utilisateur")
            yield Field(self.suggested, id="user")
            yield Label("Mot de passe")
            yield Field("", id="password", password=True)
            yield Static("", id="message")

    def on_mount(self) -> None:
        self.query_one("#password" if self.suggested else "#user").focus()

    @on(Field.Submitted, "#user")
    def _next(self) -> None:
        self.query_one("#password").focus()

    @on(Field.Submitted, "#password")
    def _submit(self) -> None:
        """The keys typed while the password is checked (F12, a code…) wait, then go to the
        home screen, or to the password field again if it was wrong."""
        busy = Busy("Vérification")
        self.app.push_screen(busy)
        self.login(busy, self.query_one("#user", Field).value.strip(), self.query_one("#password", Field).value)

    @work(thread=True, exclusive=True)
    def login(self, busy: Busy, name: str, password: str) -> None:
        from tui_factu import logs, users        # argon2 and the journal: loaded once the screen shows
        logs.secret(password)                    # never in the log, even in an error's message
        try:
            user = users.authenticate(name, password)
        except FactuError as e:
            message = str(e)
            self.app.call_from_thread(busy.release, lambda: self._failed(message))
            return
        self.app.call_from_thread(busy.release, lambda: self.app.logged_in(user.name))

    def _failed(self, message: str) -> None:
        self.query_one("#message", Static).update(f"[red]{message}[/red]")
        box = self.query_one("#password", Field)
        box.value = ""
        box.focus()
