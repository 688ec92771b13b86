"""Dialogs of the document actions: a form that checks what was typed before it closes, and a
list to tick several documents (invoices to pay at once, delivery notes to invoice together)."""
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList

from tui_factu.errors import FactuError

from ..pickers import Form
from .field import Field


class CheckedForm(Form):
    """A Form whose values are checked on Enter in the last field (or Ctrl+S): `check(values)`
    returns what the form gives back, or raises a FactuError whose field is one of the form's
    keys. Then the form stays open with everything typed, the message under that field, which
    takes the focus: a letter in a price no longer drops the other changes of the line."""
    DEFAULT_CSS = """
    CheckedForm .field-error { color: ansi_red; display: none; }
    CheckedForm .field-error.-shown { display: block; }
    """

    def __init__(self, title: str, fields: list[tuple[str, str, str]], check):
        super().__init__(title, fields)
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll():
                for key, label, value in self.fields:
                    yield Label(label, classes="field-label")
                    yield Field(str(value if value is not None else ""), id=f"f-{key}")
                    yield Label("", id=f"e-{key}", classes="field-error")
            yield Label("Entrée : champ suivant, valider au dernier · Ctrl+S : valider · Échap : annuler",
                        classes="hint")

    def action_submit(self) -> None:
        keys = [key for key, _, _ in self.fields]
        values = {key: self.query_one(f"#f-{key}", Field).value for key in keys}
        for key in keys:
            self.query_one(f"#e-{key}", Label).remove_class("-shown")
        try:
            result = self.check(values)
        except FactuError as e:
            key = e.field if e.field in keys else keys[0]
            error = self.query_one(f"#e-{key}", Label)
            error.update(str(e))
            error.add_class("-shown")
            self.query_one(f"#f-{key}", Field).focus()
            return
        self.dismiss(result)


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
