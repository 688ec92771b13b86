"""An Input that does not blink (an idle terminal sends nothing over SSH) and leaves the app's
shortcuts to the screens: Ctrl+X (delete the line) and Ctrl+D (void, duplicate) are not
swallowed as cut and delete-right; the Delete key still deletes.

It also keeps a burst of keys in order. Textual inserts a printable key at once but runs a bound
one (Backspace, arrows, Ctrl+U, Enter) only after it has bubbled up to the app, so keys read
together — a barcode scanner, a lagging SSH link, a busy moment — came out shuffled: "ab⌫c" gave
"ab", three quick scans one code "AAABBBCCC" (Textualize/textual#6605). A Field runs its own
bindings as the key arrives; a scan field (clear_on_submit) empties itself the moment Enter
submits, so the next scan starts a fresh code."""
from textual import events
from textual.binding import Binding
from textual.widgets import Input

_TAKEN = {"ctrl+x", "ctrl+d"}


class Field(Input, inherit_bindings=False):
    BINDINGS = [b for b in Input.BINDINGS if not (isinstance(b, Binding) and set(b.key.split(",")) & _TAKEN)]
    BINDINGS.append(Binding("delete", "delete_right", "Supprimer à droite", show=False))

    def __init__(self, *args, clear_on_submit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.clear_on_submit = clear_on_submit

    def on_mount(self) -> None:
        self.cursor_blink = False

    async def _on_key(self, event: events.Key) -> None:
        if not event.is_printable:
            for binding in self._bindings.key_to_bindings.get(event.key, ()):
                if not binding.priority and await self.app.run_action(binding.action, self):
                    event.stop()
                    event.prevent_default()
                    return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        await super().action_submit()           # the message carries the value as it was
        if self.clear_on_submit:
            self.value = ""
