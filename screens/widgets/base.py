"""The screens' common base: below 80×24 a screen hides its widgets and shows a notice."""
from textual import events
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 80, 24


class FactuScreen(Screen):
    def on_mount(self) -> None:
        self.mount(Static(f"Terminal trop petit : agrandissez la fenêtre à {MIN_WIDTH}×{MIN_HEIGHT} au moins.",
                          id="too-small"))
        self._fit(self.app.size.width, self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        self.set_class(width < MIN_WIDTH or height < MIN_HEIGHT, "-too-small")
