"""Reports (report): journals, VAT, statements, aging, rankings, stock, follow-ups… as a table,
JSON or CSV."""
from ..errors import FactuError
from .output import backorder_rows, print_json, print_table

REPORTS = ("sales-journal", "vat", "payments", "statement", "aging", "ranking", "stock", "backorders",
           "quotes-followup", "to-deliver", "to-invoice", "overdue", "due", "deposits", "conversion", "targets",
           "moves", "reorder", "genealogy")


def cmd_report(args):
    """tui-factu report NAME [--from D --to D] [--by ...] [--json] [--csv FILE [--fr]]"""
    from .. import documents, reports
    name = args.name
    if name == "sales-journal":
        rows = reports.sales_journal(args.date_from, args.date_to)
    elif name == "vat":
        rows = (reports.vat_on_receipts(args.date_from, args.date_to) if args.on == "receipts"
                else reports.vat_summary(args.date_from, args.date_to))
    elif name == "payments":
        rows = reports.payments_journal(args.date_from, args.date_to)
    elif name == "statement":
        if not args.customer:
            raise FactuError("report statement : --customer CODE attendu", "--customer", None)
        rows = reports.statement(args.customer, args.date_from, args.date_to)
    elif name == "aging":
        rows = reports.aging()
    elif name == "ranking":
        rows = reports.ranking(args.by or "customer", args.measure, args.date_from, args.date_to, args.top)
    elif name == "stock":
        rows = reports.stock_levels()
    elif name == "reorder":
        rows = [r for r in reports.stock_levels() if r["to_reorder"]]
    elif name == "backorders":
        rows = reports.backorders_by(args.by) if args.by else backorder_rows()
    elif name == "due":
        rows = reports.due_soon(args.days)
    elif name == "deposits":
        rows = reports.deposits_unpaid()
    elif name == "conversion":
        rows = reports.conversion(args.date_from, args.date_to, args.by or "month")
    elif name == "targets":
        from .. import targets
        rows = targets.achievement(args.year)
    elif name == "moves":
        if not args.product:
            raise FactuError("report moves --product CODE attendu", "--product", None)
        rows = reports.moves(args.product, args.date_from, args.date_to)
    elif name == "genealogy":
        if not args.ref:
            raise FactuError("report genealogy REF attendu", "REF", None)
        rows = documents.genealogy(documents.resolve(args.ref).id)
    elif name == "quotes-followup":
        rows = reports.follow_up(name, days=args.days)
    else:
        rows = reports.follow_up(name)
    if args.csv:                                  # streamed: a year's journal in constant memory
        from .. import csvout
        print(f"{csvout.write(rows, args.csv, args.fr)} ligne(s) écrite(s) dans {args.csv}")
        return
    rows = list(rows)
    if args.json:
        print_json(rows)
    else:
        print_table(rows)


def register(sub) -> None:
    """Adds to the root's sub-commands: report."""
    s = sub.add_parser("report", help="états : " + ", ".join(REPORTS))
    s.add_argument("name", choices=REPORTS)
    s.add_argument("ref", nargs="?")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--by", choices=("customer", "product", "family", "month", "salesperson"))
    s.add_argument("--on", choices=("invoices", "receipts"), default="invoices", help="vat : TVA des factures ou des encaissements")
    s.add_argument("--days", type=int, default=15, help="due : échéances à moins de N jours ; quotes-followup : "
                                                         "devis expirant sous N jours")
    s.add_argument("--product", help="moves : le produit")
    s.add_argument("--year", type=int, help="targets : l'année")
    s.add_argument("--measure", default="revenue", choices=("revenue", "margin", "quantity"))
    s.add_argument("--top", type=int, default=20)
    s.add_argument("--customer")
    s.add_argument("--json", action="store_true")
    s.add_argument("--csv")
    s.add_argument("--fr", action="store_true", help="CSV : point-virgule et virgule décimale")
    s.set_defaults(func=cmd_report)
