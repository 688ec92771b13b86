"""An Input that does not blink: an idle terminal sends nothing over SSH."""
from textual.widgets import Input


class Field(Input):
    def on_mount(self) -> None:
        self.cursor_blink = False
