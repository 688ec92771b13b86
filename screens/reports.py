"""Statistics and follow-up from the keyboard: a menu of every report, and one view for each —
a table from the core's SQL aggregates, a chart where a person would rather look than read
(ranking, aging, conversion, targets), the period (p), the grouping (b), the measure (m), a CSV
export (x), and Entrée on a row opens its document."""
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, OptionList, Static
from textual.widgets.option_list import Option

from tui_factu import clock, documents, fr, reports, targets
from tui_factu.errors import FactuError

from .pickers import Form
from .widgets.bars import Bars
from .widgets.base import FactuScreen


def _d(value) -> Decimal:
    return documents.to_decimal(value or "0")


@dataclass
class Spec:
    title: str
    fetch: object                  # (view) -> rows
    columns: list                  # (key, title, width, right)
    chart: object = None           # (rows) -> (bars rows, max) or None
    by: tuple = ()                 # groupings offered by b
    measures: tuple = ()           # measures offered by m
    period: bool = True
    opens: str = "number"          # the row key holding a document number
    extra: dict = field(default_factory=dict)


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


SPECS = {
    "sales-journal": Spec("Journal des ventes", lambda v: reports.sales_journal(*v.period),
                          [("date", "Date", 10, False), ("number", "N°", 13, False), ("name", "Client", 20, False),
                           ("net", "HT", 10, True), ("vat", "TVA", 9, True), ("total", "TTC", 10, True)]),
    "vat": Spec("TVA collectée", lambda v: (reports.vat_on_receipts(*v.period) if v.measure == "encaissements"
                                            else reports.vat_summary(*v.period)),
                [("category", "Cat.", 4, False), ("rate", "Taux", 6, True), ("basis", "Base HT", 14, True),
                 ("vat", "TVA", 12, True)], measures=("factures", "encaissements"), opens=""),
    "payments": Spec("Règlements par mode", lambda v: reports.payments_journal(*v.period),
                     [("method", "Mode", 14, False), ("count", "Nombre", 8, True), ("amount", "Montant", 14, True)],
                     opens=""),
    "aging": Spec("Balance âgée", lambda v: reports.aging(),
                  [("customer", "Client", 9, False), ("not_due", "Pas échu", 10, True), ("1-30", "1–30 j", 9, True),
                   ("31-60", "31–60 j", 9, True), ("61-90", "61–90 j", 9, True), ("90+", "> 90 j", 9, True),
                   ("total", "Total", 10, True)], chart=_aging_chart, period=False, opens=""),
    "ranking": Spec("Palmarès", lambda v: reports.ranking(v.by or "customer", v.measure or "revenue", *v.period, top=50),
                    [("key", "Code", 10, False), ("label", "Nom", 18, False), ("value", "Période", 11, True),
                     ("previous", "Précédente", 11, True), ("change", "Écart", 10, True), ("share", "Part %", 6, True)],
                    chart=_ranking_chart, by=("customer", "product", "family"), measures=("revenue", "margin", "quantity"),
                    opens=""),
    "conversion": Spec("Transformation des devis", lambda v: reports.conversion(*v.period, by=v.by or "month"),
                       [("key", "Clé", 12, False), ("quotes", "Devis", 6, True), ("order_rate", "% cdé", 6, True),
                        ("invoice_rate", "% fact.", 7, True), ("days_to_order", "j → cde", 8, True),
                        ("days_delivery_to_invoice", "j BL → fact.", 12, True)],
                       chart=_conversion_chart, by=("month", "salesperson", "customer"), opens=""),
    "targets": Spec("Objectifs de vente", lambda v: targets.achievement(v.year),
                    [("scope", "Portée", 11, False), ("key", "Clé", 10, False), ("period", "Pér.", 4, False),
                     ("target", "Objectif", 11, True), ("achieved", "Réalisé", 11, True),
                     ("projection", "Projeté", 11, True), ("status", "État", 6, False)],
                    chart=_targets_chart, period=False, opens=""),
    "deposits": Spec("Acomptes non réglés", lambda v: reports.deposits_unpaid(),
                     [("number", "N°", 13, False), ("date", "Date", 10, False), ("name", "Client", 18, False),
                      ("for", "Pour", 13, False), ("balance", "Reste dû", 11, True)], period=False),
    "due": Spec("Factures à échoir (15 jours)", lambda v: reports.due_soon(15),
                [("number", "N°", 13, False), ("due_date", "Échéance", 10, False), ("days_left", "J", 4, True),
                 ("name", "Client", 22, False), ("due", "Montant", 11, True)], period=False),
    "overdue": Spec("Factures échues", lambda v: reports.follow_up("overdue", v.SHOWN + 1),
                    [("number", "N°", 13, False), ("date", "Date", 10, False), ("days_late", "Retard", 6, True),
                     ("name", "Client", 22, False), ("grand_total", "TTC", 11, True)], period=False),
    "quotes-followup": Spec("Devis à relancer", lambda v: reports.follow_up("quotes-followup", v.SHOWN + 1),
                            [("number", "N°", 13, False), ("date", "Date", 10, False), ("state", "État", 18, False),
                             ("name", "Client", 18, False), ("grand_total", "TTC", 10, True)], period=False),
    "to-deliver": Spec("Commandes à livrer", lambda v: reports.follow_up("to-deliver", v.SHOWN + 1),
                       [("number", "N°", 13, False), ("date", "Date", 10, False), ("name", "Client", 24, False),
                        ("status", "Statut", 10, False), ("grand_total", "TTC", 11, True)], period=False),
    "to-invoice": Spec("Livraisons non facturées", lambda v: reports.follow_up("to-invoice", v.SHOWN + 1),
                       [("number", "N°", 13, False), ("date", "Date", 10, False), ("name", "Client", 24, False),
                        ("grand_total", "TTC", 11, True)], period=False),
    "statement": Spec("Relevé de compte client", lambda v: reports.statement(v.subject, *v.period),
                      [("date", "Date", 10, False), ("ref", "Pièce", 13, False), ("label", "Libellé", 16, False),
                       ("debit", "Débit", 10, True), ("credit", "Crédit", 10, True), ("balance", "Solde", 10, True)],
                      opens="ref"),
    "moves": Spec("Mouvements de stock", lambda v: reports.moves(v.subject, *v.period),
                  [("date", "Date", 10, False), ("quantity", "Qté", 8, True), ("reason", "Motif", 16, False),
                   ("document", "Document", 14, False), ("level", "Stock", 8, True)], opens="document"),
    "backorders": Spec("Reliquats", lambda v: reports.backorders_by(v.by or "product"),
                       [("key", "Produit / client", 18, False), ("orders", "Commandes", 9, True),
                        ("lines", "Lignes", 6, True), ("remaining", "Reste à livrer", 14, True)],
                       by=("product", "customer"), period=False, opens=""),
    "stock": Spec("Stock", lambda v: reports.stock_levels(),
                  [("product", "Produit", 10, False), ("name", "Désignation", 22, False), ("on_hand", "Stock", 7, True),
                   ("reserved", "Réservé", 7, True), ("available", "Dispo", 7, True), ("reorder_level", "Seuil", 6, True)],
                  period=False, opens=""),
}
LABELS = {"customer": "client", "product": "produit", "family": "famille", "month": "mois",
          "salesperson": "commercial", "revenue": "chiffre d'affaires", "margin": "marge", "quantity": "quantités",
          "factures": "sur les factures", "encaissements": "sur les encaissements"}
MENU = [("sales-journal", "Journal des ventes (factures, tickets, avoirs)"), ("vat", "TVA collectée par taux"),
        ("payments", "Règlements par mode"), ("statement", "Relevé de compte d'un client"),
        ("aging", "Balance âgée des clients"),
        ("ranking", "Palmarès clients, produits, familles"), ("conversion", "Transformation des devis"),
        ("targets", "Objectifs de vente"), ("quotes-followup", "Devis à relancer"), ("overdue", "Factures échues"),
        ("due", "Factures à échoir"), ("deposits", "Acomptes non réglés"), ("to-deliver", "Commandes à livrer"),
        ("to-invoice", "Livraisons non facturées"), ("backorders", "Reliquats"),
        ("stock", "Stock et réapprovisionnement (Entrée : mouvements)")]


class ReportsScreen(FactuScreen):
    BINDINGS = [Binding("escape", "app.pop_screen", "Retour", id="reports.back")]

    def compose(self) -> ComposeResult:
        yield Static("[b]États et statistiques[/b] — Entrée pour ouvrir", id="title")
        yield OptionList(*[Option(label, id=key) for key, label in MENU], id="menu")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _open(self, event) -> None:
        if event.option.id == "statement":             # whose account: the customer picker first
            from .pickers import CustomerPicker
            self.app.push_screen(CustomerPicker(""), lambda code: code and self.app.push_screen(
                ReportView("statement", code)))
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

    def __init__(self, name: str, subject: str | None = None):
        """subject: the product of `moves`, the customer of `statement`."""
        super().__init__()
        self.spec = SPECS[name]
        self.subject = subject
        self.report = name
        today = clock.today()
        self.period = (dt.date(today.year, 1, 1).isoformat(), today.isoformat())
        self.by = self.spec.by[0] if self.spec.by else None
        self.measure = self.spec.measures[0] if self.spec.measures else None
        self.year = today.year
        self.rows: list[dict] = []

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "cycle_by":
            return bool(self.spec.by)
        if action == "cycle_measure":
            return bool(self.spec.measures)
        if action == "period":
            return self.spec.period
        if action in ("new_target", "import_targets"):
            return self.report == "targets" and self.app.may("targets.edit")
        return super().check_action(action, parameters)

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        if self.spec.chart:
            yield Bars(id="chart")
        yield DataTable(id="report", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for _, title, width, _ in self.spec.columns:
            table.add_column(title, width=width)
        table.focus()
        self.reload()

    SHOWN = 1000        # a screenful is enough to read; x exports everything, streamed

    @work(thread=True, exclusive=True, group="report")
    def reload(self) -> None:
        import itertools
        try:
            rows = list(itertools.islice(self.spec.fetch(self), self.SHOWN + 1))
        except FactuError as e:
            self.app.call_from_thread(self.notify, str(e), severity="error", timeout=8)
            return
        self.app.call_from_thread(self._show, rows)

    def _show(self, rows) -> None:
        self.truncated = len(rows) > self.SHOWN
        self.rows = rows = rows[:self.SHOWN]
        parts = [self.spec.title]
        if self.spec.period:
            parts.append(f"du {fr.date(self.period[0])} au {fr.date(self.period[1])}")
        if self.report == "targets":
            parts.append(str(self.year))
        if self.subject:
            parts.append(self.subject)
        if self.by:
            parts.append(f"par {LABELS.get(self.by, self.by)}")
        if self.measure:
            parts.append(LABELS.get(self.measure, self.measure))
        count = f"{self.SHOWN} premières lignes (x : tout exporter)" if self.truncated else f"{len(rows)} ligne(s)"
        self.query_one("#title", Static).update(f"[b]{parts[0]}[/b] — " + " · ".join(parts[1:] + [count]))
        table = self.query_one(DataTable)
        table.clear()
        for r in rows:
            cells = []
            for key, _, width, right in self.spec.columns:
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
        if self.spec.chart:
            bars, top = self.spec.chart(rows)
            self.query_one(Bars).show(bars, top, width=34)

    @on(DataTable.RowSelected)
    def _open(self, event) -> None:
        if not 0 <= event.cursor_row < len(self.rows):
            return
        if self.report == "stock":                 # a product's movements, each opening its document
            self.app.push_screen(ReportView("moves", self.rows[event.cursor_row]["product"]))
            return
        if not self.spec.opens:
            return
        number = self.rows[event.cursor_row].get(self.spec.opens)
        if number:
            from .editor import EditorScreen
            try:
                doc = documents.resolve(number)
            except FactuError:
                self.notify(f"{number} n'est pas un document à ouvrir (un règlement, par exemple).", severity="warning")
                return
            self.app.push_screen(EditorScreen(doc.id))

    def action_period(self) -> None:
        self.app.push_screen(Form("Période", [("from", "Du (AAAA-MM-JJ)", self.period[0]),
                                              ("to", "Au (AAAA-MM-JJ)", self.period[1])]), self._period)

    def _period(self, values) -> None:
        if values:
            self.period = (values["from"].strip(), values["to"].strip())
            self.reload()

    def action_cycle_by(self) -> None:
        options = self.spec.by
        self.by = options[(options.index(self.by) + 1) % len(options)]
        self.reload()

    def action_cycle_measure(self) -> None:
        options = self.spec.measures
        self.measure = options[(options.index(self.measure) + 1) % len(options)]
        self.reload()

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
            n = csvout.write(self.spec.fetch(self), values["path"].strip(), values["fr"].strip().lower().startswith("o"))
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
