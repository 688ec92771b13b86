"""The counter: a sale paid on the spot (sale) and its return (return)."""


def cmd_sale(args):
    from .. import counter, documents, fr, printing
    if args.printer:
        printing.resolve(args.printer)           # a printer this user may not use: refused before the sale
    done = counter.sale(counter.parse_items(args.items), counter.parse_payments(args.pay or []), args.customer)
    doc = done["document"]
    print(f"{documents.label(doc)} : {fr.amount(done['total'], True)} TTC, payé.")
    if done["change"]:
        print(f"Monnaie à rendre : {fr.amount(done['change'], True)}")
    if args.printer:
        from printers import dispatch
        job = dispatch.slip(doc.number, args.printer, receipt=True)
        print(f"Ticket imprimé (travail n° {job}).")


def cmd_return(args):
    from .. import counter, documents, fr
    done = counter.return_sale(args.ticket, documents.parse_line_args(args.line) or None, args.method,
                               not args.no_restock)
    print(f"Avoir {done['credit_note'].number} : {fr.amount(done['refunded'], True)} remboursés ({done['method']}).")


def register(sub) -> None:
    """Adds to the root's sub-commands: sale, return."""
    s = sub.add_parser("sale", help="vente comptoir : CODE[:QTÉ]… --pay MODE:MONTANT… [--customer C]")
    s.add_argument("items", nargs="+", metavar="CODE[:QTÉ]")
    s.add_argument("--pay", action="append", metavar="MODE:MONTANT", required=True)
    s.add_argument("--customer")
    s.add_argument("--printer")
    s.set_defaults(func=cmd_sale)
    s = sub.add_parser("return", help="retour au comptoir : TICKET [--line N:QTÉ…] [--method M] "
                                      "(avoir, stock, remboursement ; tout le ticket sans --line)")
    s.add_argument("ticket")
    s.add_argument("--line", action="append", metavar="N:QTÉ")
    s.add_argument("--method", choices=("cash", "card", "cheque", "transfer"))
    s.add_argument("--no-restock", action="store_true", help="les articles ne reviennent pas en stock")
    s.set_defaults(func=cmd_return)
