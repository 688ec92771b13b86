"""Every report in one place: its name (`tui-factu report NAME`), its French title, the options
it reads (the command line's flag and word, the screen's French label, the choices with their
values and labels), the columns a screen shows and the function that computes its rows.

The command line (`tui_factu/cli/reports.py`) builds the `report` parser, its help and its
dispatch from here; the reports screen (`screens/reports.py`) builds its menu, its keys and its
forms from here. A new report is a function in `reports.py` (or beside it) and one `Report` below.
The rows a report returns are what `--json` prints and `--csv` writes, keys and all."""
from dataclasses import dataclass, field

from .errors import FactuError

reports = targets = queries = views = None     # loaded by the first report run (_load)


def _load() -> None:
    """The reports' modules (peewee, the SQL, the catalogue, the journal) are loaded when a
    report runs, not when the registry is read: every start of `tui-factu` reads it to build
    the command line, and the login screen would wait for them (#16, launch time)."""
    global reports, targets, queries, views
    from . import reports, targets
    from .documents import queries, views


@dataclass(frozen=True)
class Choice:
    value: str                      # the word on the command line (`--on receipts`)
    label: str                      # what the screen says (« sur les encaissements »)


@dataclass(frozen=True)
class Option:
    name: str                       # the parameter's name (argparse's dest, `Params`' field)
    flag: str                       # on the command line: "--on", or "REF" for the positional
    label: str                      # on screen, in a form or a title
    choices: tuple = ()             # Choice, in the command line's order
    default: object = None
    type: type = str
    help: str | None = None         # the command line's help, kept word for word
    shown: str | None = None        # how its value reads in a screen's title (« par client »), if it does

    def choice(self, value) -> Choice | None:
        return next((c for c in self.choices if c.value == value), None)


@dataclass(frozen=True)
class Column:
    key: str                        # the row's key (the JSON key, the CSV column)
    title: str
    width: int
    right: bool = False             # figures, aligned right


# The options of `tui-factu report`, in the order of its help, with the command line's defaults;
# which reports read which, with which choices, is said by each `Report`.
OPTIONS = {o.name: o for o in (
    Option("ref", "REF", "Document"),
    Option("date_from", "--from", "Du (AAAA-MM-JJ)"),
    Option("date_to", "--to", "Au (AAAA-MM-JJ)"),
    Option("by", "--by", "Regroupement",
           (Choice("customer", "client"), Choice("product", "produit"), Choice("family", "famille"),
            Choice("month", "mois"), Choice("salesperson", "commercial")), shown="par {}"),
    Option("on", "--on", "TVA", (Choice("invoices", "sur les factures"), Choice("receipts", "sur les encaissements")),
           default="invoices", help="vat : TVA des factures ou des encaissements", shown="{}"),
    Option("days", "--days", "Jours", default=15, type=int,
           help="due : échéances à moins de N jours ; quotes-followup : devis expirant sous N jours"),
    Option("product", "--product", "Produit", help="moves : le produit"),
    Option("year", "--year", "Année", type=int, help="targets : l'année", shown="{}"),
    Option("measure", "--measure", "Mesure",
           (Choice("revenue", "chiffre d'affaires"), Choice("margin", "marge"), Choice("quantity", "quantités")),
           default="revenue", shown="{}"),
    Option("top", "--top", "Premiers", default=20, type=int),
    Option("customer", "--customer", "Client"),
)}
PERIOD = ("date_from", "date_to")


@dataclass
class Params:
    """What a report is asked for: the command line's options, or a screen's state (the
    defaults are the options'). `limit`: only the first rows are wanted (a screen's page; the
    follow-up lists then read newest first)."""
    date_from: str | None = None
    date_to: str | None = None
    by: str | None = None
    on: str = OPTIONS["on"].default
    days: int = OPTIONS["days"].default
    product: str | None = None
    year: int | None = None
    measure: str = OPTIONS["measure"].default
    top: int = OPTIONS["top"].default
    customer: str | None = None
    ref: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Report:
    name: str
    title: str                      # the screen's heading; {option} reads the value asked for
    compute: object                 # (Params) -> rows (dicts), a list or a generator
    columns: tuple = ()             # Column: what a screen shows of each row
    menu: str | None = None         # the line of the screen's menu (None: not in the menu)
    period: bool = False            # reads --from and --to
    reads: tuple = ()               # the other options it reads
    choices: dict = field(default_factory=dict)   # option name -> the values it takes, in the order
                                                  # a screen cycles them (default: all the option's)
    subject: str | None = None      # the option naming whom or what (customer, product): asked first
    required: dict = field(default_factory=dict)  # option name -> the refusal when it is missing
    opens: str = ""                 # the row key holding a document number (Entrée opens it)
    drills: tuple = ()              # (report, row key): Entrée opens that report on the row's key
    screen: dict = field(default_factory=dict)    # the screen's own defaults, where they have always
                                                  # differed from the command line's

    @property
    def options(self) -> tuple[str, ...]:
        """The options this report reads, in the command line's order."""
        used = set(self.reads) | ({self.subject} if self.subject else set()) | (set(PERIOD) if self.period else set())
        return tuple(name for name in OPTIONS if name in used)

    def heading(self, params: "Params") -> str:
        return self.title.format_map(vars(params))

    def first(self) -> dict:
        """What a screen asks first: each option with choices at its default where this report
        takes it, else at the report's first choice; then the screen's own defaults."""
        out = {}
        for option in self.reads:
            if OPTIONS[option].choices:
                default = OPTIONS[option].default
                out[option] = default if default in self.values(option) else self.values(option)[0]
        return out | self.screen

    def values(self, option: str) -> tuple[str, ...]:
        """The values this report takes for an option with choices."""
        return self.choices.get(option) or tuple(c.value for c in OPTIONS[option].choices)


def _backorders(p: Params):
    if p.by:
        return reports.backorders_by(p.by)
    return [{**r, "ordered": str(r["ordered"]), "remaining": str(r["remaining"])} for r in queries.backorders()]


def _backorder_lines(p: Params):
    """The order lines behind a row of the grouped backorders (Entrée on it): its key is a
    customer's code or a product's, as the rows were grouped; each line opens its order."""
    return [{**r, "ordered": str(r["ordered"]), "remaining": str(r["remaining"])} for r in queries.backorders()
            if p.customer in (r["customer"], r["product"] or "—")]


def _vat(p: Params):
    return (reports.vat_on_receipts if p.on == "receipts" else reports.vat_summary)(p.date_from, p.date_to)


NUMBER, DATE = Column("number", "N°", 13), Column("date", "Date", 10)

# In the order of `tui-factu report`'s choices (its help and its errors list them so).
REPORTS = {r.name: r for r in (
    Report("sales-journal", "Journal des ventes", lambda p: reports.sales_journal(p.date_from, p.date_to),
           (DATE, NUMBER, Column("name", "Client", 20), Column("net", "HT", 10, True), Column("vat", "TVA", 9, True),
            Column("total", "TTC", 10, True)),
           menu="Journal des ventes (factures, tickets, avoirs)", period=True, opens="number"),
    Report("vat", "TVA collectée", _vat,
           (Column("category", "Cat.", 4), Column("rate", "Taux", 6, True), Column("basis", "Base HT", 14, True),
            Column("vat", "TVA", 12, True)),
           menu="TVA collectée par taux", period=True, reads=("on",)),
    Report("payments", "Règlements par mode", lambda p: reports.payments_journal(p.date_from, p.date_to),
           (Column("method", "Mode", 14), Column("count", "Nombre", 8, True), Column("amount", "Montant", 14, True)),
           menu="Règlements par mode", period=True),
    Report("statement", "Relevé de compte client", lambda p: reports.statement(p.customer, p.date_from, p.date_to),
           (DATE, Column("ref", "Pièce", 13), Column("label", "Libellé", 16), Column("debit", "Débit", 10, True),
            Column("credit", "Crédit", 10, True), Column("balance", "Solde", 10, True)),
           menu="Relevé de compte d'un client", period=True, subject="customer",
           required={"customer": "report statement : --customer CODE attendu"}, opens="ref"),
    Report("aging", "Balance âgée", lambda p: reports.aging(),
           (Column("customer", "Client", 9), Column("not_due", "Pas échu", 10, True), Column("1-30", "1–30 j", 9, True),
            Column("31-60", "31–60 j", 9, True), Column("61-90", "61–90 j", 9, True), Column("90+", "> 90 j", 9, True),
            Column("total", "Total", 10, True)),
           menu="Balance âgée des clients"),
    Report("ranking", "Palmarès",
           lambda p: reports.ranking(p.by or "customer", p.measure, p.date_from, p.date_to, p.top),
           (Column("key", "Code", 10), Column("label", "Nom", 18), Column("value", "Période", 11, True),
            Column("previous", "Précédente", 11, True), Column("change", "Écart", 10, True),
            Column("share", "Part %", 6, True)),
           menu="Palmarès clients, produits, familles", period=True,
           reads=("by", "measure", "top"), choices={"by": ("customer", "product", "family")},
           screen={"top": 50}),                 # a screen lists more than a terminal's page
    Report("stock", "Stock", lambda p: reports.stock_levels(),
           (Column("product", "Produit", 10), Column("name", "Désignation", 22), Column("on_hand", "Stock", 7, True),
            Column("reserved", "Réservé", 7, True), Column("available", "Dispo", 7, True),
            Column("reorder_level", "Seuil", 6, True)),
           menu="Stock et réapprovisionnement (Entrée : mouvements)", drills=("moves", "product")),
    Report("backorders", "Reliquats", _backorders,
           (Column("key", "Produit / client", 18), Column("orders", "Commandes", 9, True),
            Column("lines", "Lignes", 6, True), Column("remaining", "Reste à livrer", 14, True)),
           menu="Reliquats (Entrée : les lignes)", reads=("by",), choices={"by": ("product", "customer")},
           drills=("backorder-lines", "key")),
    Report("backorder-lines", "Reliquats : lignes", _backorder_lines,
           (Column("order", "Commande", 13), Column("date", "Date", 10), Column("customer", "Client", 8),
            Column("product", "Produit", 9), Column("description", "Désignation", 18),
            Column("remaining", "Reste", 8, True)),
           subject="customer", required={"customer": "report backorder-lines : --customer CODE (client ou produit) attendu"},
           opens="order"),
    Report("quotes-followup", "Devis à relancer", lambda p: reports.follow_up("quotes-followup", p.limit, p.days),
           (NUMBER, DATE, Column("state", "État", 18), Column("name", "Client", 18),
            Column("grand_total", "TTC", 10, True)),
           menu="Devis à relancer", reads=("days",), opens="number",
           screen={"days": 7}),                 # the home screen's « devis expirant sous 7 jours »
    Report("to-deliver", "Commandes à livrer", lambda p: reports.follow_up("to-deliver", p.limit),
           (NUMBER, DATE, Column("name", "Client", 24), Column("status", "Statut", 10),
            Column("grand_total", "TTC", 11, True)),
           menu="Commandes à livrer", opens="number"),
    Report("to-invoice", "Livraisons non facturées", lambda p: reports.follow_up("to-invoice", p.limit),
           (NUMBER, DATE, Column("name", "Client", 24), Column("grand_total", "TTC", 11, True)),
           menu="Livraisons non facturées", opens="number"),
    Report("overdue", "Factures échues", lambda p: reports.follow_up("overdue", p.limit),
           (NUMBER, DATE, Column("days_late", "Retard", 6, True), Column("name", "Client", 22),
            Column("grand_total", "TTC", 11, True)),
           menu="Factures échues", opens="number"),
    Report("due", "Factures à échoir ({days} jours)", lambda p: reports.due_soon(p.days),
           (NUMBER, Column("due_date", "Échéance", 10), Column("days_left", "J", 4, True), Column("name", "Client", 22),
            Column("due", "Montant", 11, True)),
           menu="Factures à échoir", reads=("days",), opens="number"),
    Report("deposits", "Acomptes non réglés", lambda p: reports.deposits_unpaid(),
           (NUMBER, DATE, Column("name", "Client", 18), Column("for", "Pour", 13), Column("balance", "Reste dû", 11, True)),
           menu="Acomptes non réglés", opens="number"),
    Report("conversion", "Transformation des devis",
           lambda p: reports.conversion(p.date_from, p.date_to, p.by or "month"),
           (Column("key", "Clé", 12), Column("quotes", "Devis", 6, True), Column("order_rate", "% cdé", 6, True),
            Column("invoice_rate", "% fact.", 7, True), Column("days_to_order", "j → cde", 8, True),
            Column("days_delivery_to_invoice", "j BL → fact.", 12, True)),
           menu="Transformation des devis", period=True, reads=("by",),
           choices={"by": ("month", "salesperson", "customer")}),
    Report("targets", "Objectifs de vente", lambda p: targets.achievement(p.year),
           (Column("scope", "Portée", 11), Column("key", "Clé", 10), Column("period", "Pér.", 4),
            Column("target", "Objectif", 11, True), Column("achieved", "Réalisé", 11, True),
            Column("projection", "Projeté", 11, True), Column("status", "État", 6)),
           menu="Objectifs de vente", reads=("year",)),
    Report("moves", "Mouvements de stock", lambda p: reports.moves(p.product, p.date_from, p.date_to),
           (DATE, Column("quantity", "Qté", 8, True), Column("reason", "Motif", 16), Column("document", "Document", 14),
            Column("level", "Stock", 8, True)),
           period=True, subject="product", required={"product": "report moves --product CODE attendu"},
           opens="document"),
    Report("reorder", "Produits à réapprovisionner",
           lambda p: [r for r in reports.stock_levels() if r["to_reorder"]],
           (Column("product", "Produit", 10), Column("name", "Désignation", 22), Column("available", "Dispo", 7, True),
            Column("reorder_level", "Seuil", 6, True)), drills=("moves", "product")),
    Report("genealogy", "Généalogie d'un document", lambda p: views.genealogy(queries.resolve(p.ref).id),
           (Column("number", "N°", 13), Column("kind", "Type", 12), Column("status", "Statut", 12)),
           subject="ref", required={"ref": "report genealogy REF attendu"}, opens="number"),
)}

# The screen's menu, in the order people have learnt it.
MENU = ("sales-journal", "vat", "payments", "statement", "aging", "ranking", "conversion", "targets",
        "quotes-followup", "overdue", "due", "deposits", "to-deliver", "to-invoice", "backorders", "stock")


def run(name: str, params: Params):
    """The rows of a report (a generator for a long one: stream it), after the options it
    cannot do without."""
    _load()
    report = REPORTS[name]
    for option, refusal in report.required.items():
        if not getattr(params, option):
            raise FactuError(refusal, OPTIONS[option].flag, None)
    return report.compute(params)
