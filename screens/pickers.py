"""Modal pickers and prompts: Enter chooses, Escape cancels."""
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_factu import catalog, fr
from tui_factu.errors import FactuError

from .widgets.field import Field


class Picker(ModalScreen):
    """Search-first: type a few letters, arrows to move, Enter to choose."""
    BINDINGS = [Binding("escape", "dismiss(None)", "Annuler", id="picker.cancel"),
                Binding("down", "focus_list", "Liste", show=False)]
    TITLE = "Choisir"

    def __init__(self, text: str = ""):
        super().__init__()
        self.initial = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.TITLE, classes="dialog-title")
            yield Field(self.initial, placeholder="Code ou partie du nom", id="search")
            yield OptionList(id="choices")

    def on_mount(self) -> None:
        self.query_one("#search").focus()
        self.search(self.initial)

    @on(Field.Changed, "#search")
    def _changed(self, event) -> None:
        self.search(event.value)

    @on(Field.Submitted, "#search")
    def _submitted(self, event) -> None:
        """Enter chooses what matches the text typed *now* (an indexed lookup), not a list the
        background search may not have refreshed yet: a fast typist or a scanner gets the
        right record."""
        found = self.find(event.value)
        if found:
            self.dismiss(found[0][0])

    @on(OptionList.OptionSelected)
    def _selected(self, event) -> None:
        self.dismiss(event.option.id)

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    @work(thread=True, exclusive=True)
    def search(self, text: str) -> None:
        found = self.find(text)
        self.app.call_from_thread(self._show, found)

    def _show(self, found) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(label, id=key) for key, label in found]
                            or [Option("aucun résultat", disabled=True)])
        if found:
            options.highlighted = 0


class CustomerPicker(Picker):
    TITLE = "Client"

    def find(self, text):
        return [(c.code, f"{c.code:<9} {c.name[:30]:<30} {c.city[:14]}") for c in catalog.find_customers(text, 30)]


class ProductPicker(Picker):
    TITLE = "Produit"

    def find(self, text):
        return [(p.code, f"{p.code:<10} {p.name[:32]:<32} {fr.price(p.price):>9}")
                for p in catalog.find_products(text, 30)]


class Confirm(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss(False)", "Non", id="confirm.no"),
                Binding("enter", "dismiss(True)", "Oui", id="confirm.yes"),
                Binding("o", "dismiss(True)", "Oui", show=False), Binding("n", "dismiss(False)", "Non", show=False)]

    def __init__(self, question: str):
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Label("Entrée / o : oui      Échap / n : non")


class Choice(ModalScreen):
    """One choice among a few (the target of a transformation...)."""
    BINDINGS = [Binding("escape", "dismiss(None)", "Annuler", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[str, str]]):
        super().__init__()
        self.title_text, self.choices = title, choices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(label, id=key) for key, label in self.choices])

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _selected(self, event) -> None:
        self.dismiss(event.option.id)


class Form(ModalScreen):
    """Labelled fields; Enter in the last field (or ctrl+s) submits the values as a dict. With
    `check(values)`, what it returns is given back instead; a FactuError it raises keeps the
    form open with everything typed, the message under the field it names (one of the form's
    keys), which takes the focus: a letter in a price no longer drops the other changes."""
    BINDINGS = [Binding("escape", "dismiss(None)", "Annuler", id="form.cancel"),
                Binding("ctrl+s", "submit", "Valider", id="form.submit")]
    DEFAULT_CSS = """
    Form .field-error { color: ansi_red; display: none; }
    Form .field-error.-shown { display: block; }
    """

    def __init__(self, title: str, fields: list[tuple[str, str, str]], check=None):
        """fields: (key, label, initial value)"""
        super().__init__()
        self.title_text, self.fields, self.check = title, fields, check

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

    def on_mount(self) -> None:
        self.query(Field).first().focus()

    @on(Field.Submitted)
    def _next(self, event) -> None:
        fields = list(self.query(Field))
        i = fields.index(event.input)
        if i + 1 < len(fields):
            fields[i + 1].focus()
        else:
            self.action_submit()

    def action_submit(self) -> None:
        keys = [key for key, _, _ in self.fields]
        values = {key: self.query_one(f"#f-{key}", Field).value for key in keys}
        if self.check is None:
            self.dismiss(values)
            return
        for key in keys:
            self.query_one(f"#e-{key}", Label).remove_class("-shown")
        try:
            result = self.check(values)
        except FactuError as e:
            named = str(e.field or "").rsplit(".", 1)[-1]      # « client.siren » names the siren field
            key = e.field if e.field in keys else named if named in keys else keys[0]
            error = self.query_one(f"#e-{key}", Label)
            error.update(str(e))
            error.add_class("-shown")
            self.query_one(f"#f-{key}", Field).focus()
            return
        self.dismiss(result)
