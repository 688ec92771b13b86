"""An Input that does not blink (an idle terminal sends nothing over SSH) and leaves the app's
shortcuts to the screens: Ctrl+X (delete the line) and Ctrl+D (void, duplicate) are not
swallowed as cut and delete-right; the Delete key still deletes."""
from textual.binding import Binding
from textual.widgets import Input

_TAKEN = {"ctrl+x", "ctrl+d"}


class Field(Input, inherit_bindings=False):
    BINDINGS = [b for b in Input.BINDINGS if not (isinstance(b, Binding) and set(b.key.split(",")) & _TAKEN)]
    BINDINGS.append(Binding("delete", "delete_right", "Supprimer à droite", show=False))

    def on_mount(self) -> None:
        self.cursor_blink = False
