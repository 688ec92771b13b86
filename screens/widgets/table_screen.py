"""A screen that is a table of rows read in a worker (`reload` → `read()` → `show(data)`, each
row a dict with its `cells` and its `detail` line) and writes through `_write`: in a worker,
behind the busy line (widgets/busy.py), then the table read again, or the core's refusal in
French. Bank, SEPA, cheques and reminders are such screens."""
from textual import on, work
from textual.app import ComposeResult
from textual.widgets import DataTable, Footer, Static

from tui_factu.errors import FactuError

from .base import FactuScreen
from .busy import Busy


class TableScreen(FactuScreen):
    TITLE_TEXT = ""
    COLUMNS: tuple = ()
    EMPTY = ""                          # the detail line when there is no row

    def compose(self) -> ComposeResult:
        yield Static(self.TITLE_TEXT, id="title")
        yield DataTable(id="rows", cursor_type="row", zebra_stripes=True)
        yield Static("", id="detail", classes="hint")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for title, width in self.COLUMNS:
            table.add_column(title, width=width)
        table.focus()
        self.rows: list[dict] = []
        self.reload()

    def on_screen_resume(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="table-read")
    def reload(self) -> None:
        try:
            data = self.read()
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=8)
            return
        self.app.call_from_thread(self._shown, data)

    def _shown(self, data) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        self.rows = self.show(data)
        table.clear()
        for r in self.rows:
            table.add_row(*r["cells"])
        if self.rows:
            table.move_cursor(row=min(max(row, 0), len(self.rows) - 1))
        self._describe()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event) -> None:
        self._describe()

    def _describe(self) -> None:
        row = self.current()
        self.query_one("#detail", Static).update(row.get("detail", "") if row else self.EMPTY)

    def current(self) -> dict | None:
        i = self.query_one(DataTable).cursor_row
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def _write(self, what: str, do, done) -> None:
        """do() in a worker while « what… » shows and the keys typed wait; then done(result)
        and the table read again, or the core's refusal in French."""
        busy = Busy(what)
        self.app.push_screen(busy)
        self._in_thread(busy, do, done)

    @work(thread=True, group="table-write")
    def _in_thread(self, busy: Busy, do, done) -> None:
        try:
            result = do()
        except FactuError as e:
            self.app.call_from_thread(busy.release, lambda: self.notify(str(e), severity="error", timeout=10))
            return

        def outcome() -> None:
            done(result)
            self.reload()
        self.app.call_from_thread(busy.release, outcome)
