"""F1: the key map of the screen underneath, and the global keys."""
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

GLOBAL = [("F1 ou ?", "cette aide"), ("Ctrl+P", "palette : tous les écrans par leur nom"),
          ("Échap", "retour / annuler"), ("Ctrl+Q", "quitter"),
          ("Ctrl+P plateforme", "facture électronique : paramètres de la plateforme agréée, statuts"),
          ("Ctrl+P banque", "relevés et rapprochement ; « prélèvements » SEPA ; « remises » de chèques"),
          ("Ctrl+P relances", "factures en retard : relances par e-mail, lettres, litiges, pénalités")]


class HelpScreen(ModalScreen):
    BINDINGS = [Binding("escape,f1,q", "dismiss", "Fermer", id="help.close")]

    def __init__(self, screen):
        super().__init__()
        self.under = screen

    def compose(self) -> ComposeResult:
        rows = [f"  [b]{k:<12}[/b] {d}" for k, d in GLOBAL]
        rows.append("")
        for b in getattr(self.under, "BINDINGS", []):
            if isinstance(b, Binding) and b.description:
                rows.append(f"  [b]{b.key:<12}[/b] {b.description}")
        with VerticalScroll(classes="dialog wide"):
            yield Static("[b]Touches[/b]\n" + "\n".join(rows))
