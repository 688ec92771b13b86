"""A table of any length that renders only the visible rows (Line API, after Textualize/toolong).

Rows arrive in keyset pages from a fetch function run in a worker thread; scrolling near the
end asks for the next page. A million documents open as fast as fifty.
"""
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


@dataclass
class Column:
    title: str
    width: int
    right: bool = False


class VirtualTable(ScrollView, can_focus=True):
    """fetch(after_key, limit) -> list of (key, [cell texts]) in display order."""

    BINDINGS = [
        Binding("up", "move(-1)", "Haut", show=False),
        Binding("down", "move(1)", "Bas", show=False),
        Binding("pageup", "move(-10)", "Page préc.", show=False),
        Binding("pagedown", "move(10)", "Page suiv.", show=False),
        Binding("home", "first", "Début", show=False),
        Binding("enter", "choose", "Ouvrir", id="table.open"),
    ]
    DEFAULT_CSS = """
    VirtualTable { height: 1fr; }
    """
    cursor = reactive(0)
    PAGE = 100

    class Chosen(Message):
        def __init__(self, table: "VirtualTable", key) -> None:
            super().__init__()
            self.table = table
            self.key = key

    def __init__(self, columns: list[Column], fetch, **kwargs):
        super().__init__(**kwargs)
        self.columns = columns
        self.fetch = fetch
        self.rows: list[tuple] = []
        self.generation = 0          # pages of an older reload are dropped
        self.done = False
        self._fetching = False

    def on_mount(self) -> None:
        self.reload()

    def reload(self, fetch=None) -> None:
        if fetch is not None:
            self.fetch = fetch
        self.rows, self.done, self.cursor = [], False, 0
        self.generation += 1
        self._fetching = False
        self.scroll_to(0, 0, animate=False)
        self.request_more()

    def request_more(self) -> None:
        """Asks for the next page, once: the flag is set here, on the UI thread."""
        if self.done or self._fetching:
            return
        self._fetching = True
        self._load_more()

    def _more_if_end_visible(self) -> None:
        if len(self.rows) < self.scroll_offset.y + self.size.height:
            self.request_more()

    @work(thread=True, exclusive=True, group="virtual-table")
    def _load_more(self) -> None:
        generation = self.generation
        after = self.rows[-1][0] if self.rows else None
        try:
            page = self.fetch(after, self.PAGE)
        except Exception as e:  # noqa: BLE001 - shown, never a crash of the screen
            self.app.call_from_thread(self.app.notify, f"Lecture impossible : {e}", severity="error")
            page = []
        self.app.call_from_thread(self._append, page, generation)

    def _append(self, page, generation) -> None:
        if generation != self.generation:
            return
        self._fetching = False
        if len(page) < self.PAGE:
            self.done = True
        self.rows.extend(page)
        self.virtual_size = Size(sum(c.width + 1 for c in self.columns), len(self.rows) + 1)
        self.refresh()

    @property
    def current_key(self):
        return self.rows[self.cursor][0] if 0 <= self.cursor < len(self.rows) else None

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            cells = [(c.title.rjust(c.width) if c.right else c.title.ljust(c.width))[:c.width] for c in self.columns]
            return Strip([Segment(" ".join(cells).ljust(width)[:width], Style(bold=True, reverse=True))])
        index = scroll_y + y - 1
        if index >= len(self.rows):
            if index == len(self.rows) and not self.done:
                self.call_after_refresh(self._more_if_end_visible)
                return Strip([Segment("… chargement".ljust(width)[:width], Style(dim=True))])
            if index == 0:                       # loaded, and nothing: said, not a blank table
                return Strip([Segment("aucun résultat".ljust(width)[:width], Style(dim=True))])
            return Strip.blank(width)
        key, cells = self.rows[index]
        text = " ".join((str(v).rjust(c.width) if c.right else str(v).ljust(c.width))[:c.width]
                        for c, v in zip(self.columns, cells))
        style = Style(reverse=True) if index == self.cursor and self.has_focus else (
            Style(bold=True) if index == self.cursor else Style())
        return Strip([Segment(text.ljust(width)[:width], style)])

    def watch_cursor(self, old: int, new: int) -> None:
        top = self.scroll_offset.y
        visible = max(1, self.size.height - 1)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + visible:
            self.scroll_to(y=new - visible + 1, animate=False)
        if self.rows and new >= len(self.rows) - 5:
            self.request_more()
        self.refresh()

    def action_move(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_first(self) -> None:
        self.cursor = 0

    def action_choose(self) -> None:
        if self.current_key is not None:
            self.post_message(self.Chosen(self, self.current_key))

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()
