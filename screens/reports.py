"""Statistics and follow-up from the keyboard: a menu of every report, and one view for each —
a table from the core's SQL aggregates, a chart where a person would rather look than read
(ranking, aging, conversion, targets), the period (p), the grouping (b), the measure (m), a CSV
export (x), and Entrée on a row opens its document. The reports, their titles, options and
columns are the core's registry (`tui_factu/report_registry.py`), as on the command line."""
import dataclasses
import datetime as dt
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui_factu import clock, documents, fr, reports, targets
from tui_factu.errors import FactuError
from tui_factu.report_registry import MENU, OPTIONS, PERIOD, REPORTS, Params, run

from .pickers import CustomerPicker, Form, ProductPicker
from .widgets.bars import Bars
from .widgets.base import FactuScreen


def _d(value) -> Decimal:
    return documents.to_decimal(value or "0")


def _ranking_chart(rows):
    return [(r["label"], _d(r["value"]), f"{fr.amount(_d(r['value']))}  {r['share']} %",
             "green" if _d(r["change"]) >= 0 else "red") for r in rows[:10]], None


def _aging_chart(rows):
    totals = reports.aging_totals(rows)
    labels = {"not_due": "pas échu", "1-30": "1–30 j", "31-60": "31–60 j", "61-90": "61–90 j", "90+": "> 90 j"}
    return [(labels[k], _d(v), fr.amount(_d(v), True), "green" if k == "not_due" else "red")
            for k, v in totals.items()], None


def _conversion_chart(rows):
    return [(r["key"], _d(r["invoice_rate"]), f"{r['order_rate']} % cdés · {r['invoice_rate']} % fact.",
             "blue") for r in rows[:10]], Decimal(100)


def _targets_chart(rows):
    out = []
    for r in rows[:10]:
        name = r["key"] or "ensemble"
        out.append((f"{name} {r['period']}", _d(r["percent"]), f"{r['percent']} % · proj. {fr.amount(_d(r['projection']))}",
                    "green" if r["status"] == "vert" else ("yellow" if r["status"] == "à venir" else "red")))
    return out, Decimal(100)


CHARTS = {"ranking": _ranking_chart, "aging": _aging_chart, "conversion": _conversion_chart,
          "targets": _targets_chart}
PICKERS = {"customer": CustomerPicker, "product": ProductPicker}     # a report's subject, asked first


class ReportsScreen(FactuScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Retour", id="reports.back")]

    def compose(self) -> ComposeResult:
        yield Static("[b]États et statistiques[/b] — Entrée pour ouvrir", id="title")
        yield OptionList(*[Option(REPORTS[key].menu, id=key) for key in MENU], id="menu")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _open(self, event) -> None:
        subject = REPORTS[event.option.id].subject
        if subject:                                     # whose account: the picker first
            self.app.push_screen(PICKERS[subject](""), lambda code: code and self.app.push_screen(
                ReportView(event.option.id, code)))
            return
        self.app.push_screen(ReportView(event.option.id))


class ReportView(FactuScreen):
    BINDINGS = [Binding("p", "period", "Période", id="report.period"),
                Binding("b", "cycle_by", "Regrouper", id="report.by"),
                Binding("m", "cycle_measure", "Mesure", id="report.measure"),
                Binding("x", "export", "CSV", id="report.export"),
                Binding("n", "new_target", "Objectif", id="report.target"),
                Binding("i", "import_targets", "Importer CSV", id="report.import"),
                Binding("escape", "app.pop_screen", "Retour", id="report.back")]
    MEASURES = ("measure", "on")          # what m cycles: the measure, or the VAT's invoices/receipts

    def __init__(self, name: str, subject: str | None = None):
        """subject: the product of `moves`, the customer of `statement`."""
        super().__init__()
        self.spec = spec = REPORTS[name]
        self.subject = subject
        self.report = name
        today = clock.today()
        values = {"date_from": dt.date(today.year, 1, 1).isoformat(), "date_to": today.isoformat(),
                  "year": today.year, "limit": self.SHOWN + 1}
        values.update(spec.first())
        if spec.subject:
            values[spec.subject] = subject
        self.params = Params(**values)
        self.rows: list[dict] = []

    @property
    def period(self) -> tuple[str, str]:
        return self.params.date_from, self.params.date_to

    @property
    def year(self) -> int:
        return self.params.year

    def _cycled(self, names) -> str | None:
        """The option a key cycles through for this report, if it reads one with choices."""
        return next((n for n in names if n in self.spec.reads and OPTIONS[n].choices), None)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "cycle_by":
            return self._cycled(("by",)) is not None
        if action == "cycle_measure":
            return self._cycled(self.MEASURES) is not None
        if action == "period":
            return self.spec.period
        if action in ("new_target", "import_targets"):
            return self.report == "targets" and self.app.may("targets.edit")
        return super().check_action(action, parameters)

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        if self.report in CHARTS:
            yield Bars(id="chart")
        yield DataTable(id="report", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in self.spec.columns:
            table.add_column(column.title, width=column.width)
        table.focus()
        self.reload()

    SHOWN = 1000        # a screenful is enough to read; x exports everything, streamed

    @work(thread=True, exclusive=True, group="report")
    def reload(self) -> None:
        import itertools
        try:
            rows = list(itertools.islice(run(self.report, self.params), self.SHOWN + 1))
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=8)
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        self.truncated = len(rows) > self.SHOWN
        self.rows = rows = rows[:self.SHOWN]
        parts = [self.spec.heading(self.params)]
        if self.spec.period:
            parts.append(f"du {fr.date(self.period[0])} au {fr.date(self.period[1])}")
        if self.subject:
            parts.append(self.subject)
        for name in self.spec.reads:                # « par client », « chiffre d'affaires », the year
            option, value = OPTIONS[name], getattr(self.params, name)
            if option.shown and value is not None:
                choice = option.choice(value)
                parts.append(option.shown.format(choice.label if choice else value))
        count = f"{self.SHOWN} premières lignes (x : tout exporter)" if self.truncated else f"{len(rows)} ligne(s)"
        self.query_one("#title", Static).update(f"[b]{parts[0]}[/b] — " + " · ".join(parts[1:] + [count]))
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            cells = []
            for key, _, width, right in (dataclasses.astuple(c) for c in self.spec.columns):
                value = r.get(key, "")
                text = str(value if value is not None else "")
                if right and text and text.replace(".", "", 1).lstrip("-").isdigit() and "." in text:
                    text = fr.amount(_d(text)) if len(text.split(".")[1]) == 2 else text.replace(".", ",")
                elif key in ("date", "due_date") and text:
                    text = fr.date(text)
                elif key == "scope":
                    text = targets.SCOPES.get(text, text)
                cells.append(Text(text[:width], justify="right" if right else "left"))
            table.add_row(*cells)
        if self.report in CHARTS:
            bars, top = CHARTS[self.report](rows)
            self.query_one(Bars).show(bars, top, width=34)

    @on(DataTable.RowSelected)
    def _open(self, event) -> None:
        if not 0 <= event.cursor_row < len(self.rows):
            return
        row = self.rows[event.cursor_row]
        if self.spec.drills:                      # a product's movements, each opening its document
            report, key = self.spec.drills
            self.app.push_screen(ReportView(report, row[key]))
            return
        if not self.spec.opens:
            return
        number = row.get(self.spec.opens)
        if number:
            try:
                doc = documents.resolve(number)
            except FactuError:
                self.notify(f"{number} n'est pas un document à ouvrir (un règlement, par exemple).", severity="warning")
                return
            self.app.open_document(doc.id)

    def action_period(self) -> None:
        self.app.push_screen(Form("Période", [(name, OPTIONS[name].label, getattr(self.params, name))
                                              for name in PERIOD]), self._period)

    def _period(self, values) -> None:
        if values:
            self.params = dataclasses.replace(self.params, **{name: values[name].strip() for name in PERIOD})
            self.reload()

    def _cycle(self, name) -> None:
        options = self.spec.values(name)
        value = options[(options.index(getattr(self.params, name)) + 1) % len(options)]
        self.params = dataclasses.replace(self.params, **{name: value})
        self.reload()

    def action_cycle_by(self) -> None:
        self._cycle(self._cycled(("by",)))

    def action_cycle_measure(self) -> None:
        self._cycle(self._cycled(self.MEASURES))

    def action_export(self) -> None:
        default = str(self.app.pdf_dir() / f"{self.report}.csv")
        self.app.push_screen(Form("Export CSV", [("path", "Fichier", default),
                                                 ("fr", "Format français (; et virgule décimale) oui/non", "oui")]),
                             self._export)

    def _export(self, values) -> None:
        if not values:
            return
        from tui_factu import csvout
        try:
            n = csvout.write(run(self.report, dataclasses.replace(self.params, limit=None)), values["path"].strip(),
                             values["fr"].strip().lower().startswith("o"))
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.notify(f"{n} ligne(s) écrite(s) dans {values['path'].strip()}")

    def action_new_target(self) -> None:
        self.app.push_screen(Form("Objectif de vente", [
            ("year", "Année", str(self.year)), ("scope", "Portée : overall, salesperson ou family", "overall"),
            ("key", "Commercial ou famille (vide pour l'ensemble)", ""),
            ("period", "Période : Y (année), Q1…Q4, M01…M12", "Y"), ("amount", "Montant HT", "")]), self._target)

    def action_import_targets(self) -> None:
        self.app.push_screen(Form("Importer des objectifs (CSV année;portée;clé;période;montant)",
                                  [("path", "Fichier", str(self.app.pdf_dir() / "objectifs.csv"))]), self._import)

    def _import(self, v) -> None:
        if not v:
            return
        try:
            with open(v["path"].strip(), encoding="utf-8-sig") as f:
                n = targets.import_csv(f.read())
        except (OSError, UnicodeDecodeError) as e:
            self.notify(f"fichier illisible « {v['path'].strip()} » ({e})", severity="error", timeout=8)
            return
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.notify(f"{n} objectif(s) importé(s).")
        self.reload()

    def _target(self, v) -> None:
        if not v:
            return
        try:
            targets.set_target(v["year"], v["scope"], v["key"], v["period"], v["amount"])
        except FactuError as e:
            self.notify(str(e), severity="error", timeout=8)
            return
        self.reload()
