"""The Textual application (placeholder until the TUI issue lands)."""
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static


class FactuApp(App):
    TITLE = "tui-factu"
    BINDINGS = [("ctrl+q", "quit", "Quitter")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("tui-factu — l'interface arrive. En attendant : tui-factu --help")
        yield Footer()


def run() -> None:
    FactuApp().run()
