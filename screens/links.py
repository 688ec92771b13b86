"""Where a document came from and what came of it, with what remains to deliver and invoice."""
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from tui_factu import documents, fr
from tui_factu.documents.kinds import KIND_LABELS, STATUS_LABELS


class LinksScreen(ModalScreen):
    BINDINGS = [Binding("escape", "dismiss(None)", "Fermer", id="links.close")]

    def __init__(self, doc_id: int):
        super().__init__()
        self.doc_id = doc_id

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("Chaîne du document — Entrée pour l'ouvrir", classes="dialog-title")
            yield OptionList(id="chain")

    def on_mount(self) -> None:
        box = self.query_one(OptionList)
        chain = documents.genealogy(self.doc_id)
        for r in chain:
            rest = (f" à livrer {r['remaining_to_deliver']}, à facturer {r['remaining_to_invoice']}"
                    if "remaining_to_deliver" in r else "")
            box.add_option(Option(f"{'▶' if r['current'] else ' '} {KIND_LABELS[r['kind']][:8]:<8} "
                                  f"{r['number'] or 'brouillon':<13} {STATUS_LABELS.get(r['status'], r['status'])[:9]:<9}"
                                  f"{fr.amount(documents.to_decimal(r['grand_total'])):>10}{rest}", id=str(r["id"])))
        box.highlighted = next(i for i, r in enumerate(chain) if r["current"])
        box.focus()

    @on(OptionList.OptionSelected)
    def _open(self, event) -> None:
        self.dismiss(int(event.option.id))
