"""The screens' common base: below 80×24 a screen hides its widgets and shows a notice, and no
key acts on what cannot be seen; an action the user's role may not do is hidden from the
footer (GUARDS: action -> permission)."""
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

MIN_WIDTH, MIN_HEIGHT = 80, 24


class FactuScreen(Screen):
    GUARDS: dict[str, str] = {}

    too_small = False
    _hidden_focus = None

    def check_action(self, action: str, parameters) -> bool | None:
        if self.too_small:
            return False
        permission = self.GUARDS.get(action)
        if permission and hasattr(self.app, "may") and not self.app.may(permission, getattr(self, "kind", None)):
            return False
        return True

    def on_key(self, event: events.Key) -> None:
        """A key whose action the role may not do is hidden from the footer, and pressed it says
        why instead of doing nothing (a sales clerk pressing s for the settings)."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and event.key in binding.key.split(","):
                namespace, _, action = binding.action.rpartition(".")
                guards = self.app.GUARDS if namespace == "app" else self.GUARDS
                permission = guards.get(action.split("(")[0])
                if permission and hasattr(self.app, "refuse_unless") and not self.app.may(permission, getattr(self, "kind", None)):
                    self.app.refuse_unless(permission, f"« {binding.description} »")
                    event.stop()
                return

    def on_mount(self) -> None:
        self.mount(Static(f"Terminal trop petit : agrandissez la fenêtre à {MIN_WIDTH}×{MIN_HEIGHT} au moins.",
                          id="too-small"))
        self._fit(self.app.size.width, self.app.size.height)

    def on_resize(self, event: events.Resize) -> None:
        self._fit(event.size.width, event.size.height)

    def _fit(self, width: int, height: int) -> None:
        """Too small: the focus is taken away (an Enter would act on a hidden field or button)
        and given back once the terminal is large enough again."""
        small = width < MIN_WIDTH or height < MIN_HEIGHT
        if small and not self.too_small:
            self._hidden_focus = self.focused
            self.set_focus(None)
        elif self.too_small and not small and self._hidden_focus is not None:
            self.set_focus(self._hidden_focus)
            self._hidden_focus = None
        self.too_small = small
        self.set_class(small, "-too-small")
