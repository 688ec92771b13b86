"""Dialogs of the document actions: a refusal named after a form's field (pickers.Form with a
check shows it there), and a list to tick several documents (invoices to pay at once, delivery
notes to invoice together)."""
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList

from tui_factu.errors import FactuError



def field_error(key: str, parse):
    """parse() with its refusal named after the form's field `key` (CheckedForm shows it there)."""
    try:
        return parse()
    except FactuError as e:
        raise FactuError(str(e), key, e.value) from None


class Tick(ModalScreen):
    """Several documents at once: Space ticks or unticks, Enter goes on with those ticked."""
    BINDINGS = [Binding("enter", "done", "Continuer", priority=True, id="tick.done"),
                Binding("escape", "dismiss(None)", "Annuler", id="tick.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str, bool]]):
        """choices: (key, label, ticked at first)"""
        super().__init__()
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield SelectionList(*[(label, key, ticked) for key, label, ticked in self.choices])
            yield Label("Espace : cocher / décocher · Entrée : continuer · Échap : annuler", classes="hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_done(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if not chosen:
            self.notify("Cochez au moins un document (Espace).", severity="warning")
            return
        self.dismiss(chosen)
