"""While a write runs in a worker thread: one line saying what is being done, over a screen that
takes no key meanwhile. The keys typed then are kept, in order, and sent again once the write is
over and its outcome shown (a document opened, a form…): nothing typed ahead is lost, and
nothing acts on a document while it changes — as when the write held the UI thread, minus the
frozen screen."""
from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static


class Busy(ModalScreen):
    DEFAULT_CSS = """
    Busy { background: $background 0%; align: center middle; }
    Busy > #busy { width: auto; height: 1; padding: 0 2; background: ansi_yellow; color: ansi_black; }
    """

    def __init__(self, what: str):
        super().__init__()
        self.what = what
        self.keys: list[tuple[str, str | None]] = []

    def compose(self) -> ComposeResult:
        yield Static(f"{self.what}…", id="busy")

    def on_key(self, event: events.Key) -> None:
        event.stop()                    # no binding runs: the screen below waits for the write
        event.prevent_default()
        self.keys.append((event.key, event.character))

    def release(self, then=None) -> None:
        """Gone; `then()` shows the outcome; the keys typed meanwhile then reach whatever
        screen is on top, in the order they were typed."""
        app = self.app
        if app.screen is self:
            app.pop_screen()
        if then is not None:
            then()
        for key, character in self.keys:
            # sent from the app, as the terminal's keys are: a message's sender defaults to the
            # handler running (the editor), and a key stops bubbling there, short of the bindings
            app.post_message(events.Key(key, character).set_sender(app))
