"""Money in and out of invoices: payments and their receipts (pay), credit notes set against
an invoice (apply-credit) or paid back (refund)."""
from ..errors import FactuError


def cmd_pay(args):
    """tui-factu pay REF... AMOUNT --method M | pay --list REF | pay --cancel N"""
    from .. import documents, fr, payments
    from ..charset import printable
    if args.receipt is not None:
        from .. import printed, printing
        view = printed.payment_view(args.receipt)
        if args.printer:
            from printers import dispatch, escpos
            target = printing.resolve(args.printer)
            job = dispatch.send_bytes("payment", view["number"], target,
                                      escpos.payment_receipt(view, int(target.get("columns", 42)),
                                                             target.get("profile", "default")))
            print(f"Reçu imprimé (travail n° {job}).")
        else:
            from printers import pdf
            from .. import files
            path = args.output or f"{view['number']}.pdf"
            with files.writing(path, "reçu", "-o") as f:
                f.write(pdf.payment_receipt(view))
            print(f"Reçu écrit : {path}")
        return
    if args.cancel is not None:
        done = payments.cancel(args.cancel, args.reference or "")
        print(f"Règlement n° {done['cancels']} annulé par le règlement n° {done['payment']}.")
        return
    if args.list:
        doc = documents.resolve(args.list)
        for row in payments.of_invoice(doc.id):
            print(f"n° {row['payment']:<5} {fr.date(row['date'])} {row['method']:<9} "
                  f"{fr.amount(documents.to_decimal(row['amount']), True):>14} {printable(row['reference'], False)}")
        print(f"Reste dû : {fr.amount(payments.balance(doc), True)}")
        return
    if len(args.items) < 2 or not args.method:
        raise FactuError("pay : REF… MONTANT --method cash|card|cheque|transfer|credit attendus", "pay", None)
    ids = [documents.resolve(r).id for r in args.items[:-1]]
    done = payments.pay(ids, args.items[-1], args.method, args.date, args.reference or "", args.bank or "")
    parts = ", ".join(f"{n} : {fr.amount(a, True)}" for n, a in done["allocations"])
    print(f"Règlement n° {done['payment']} de {fr.amount(done['amount'], True)} ({parts}).")
    if done["change"]:
        print(f"Monnaie à rendre : {fr.amount(done['change'], True)}")
    if done["credit"]:
        print(f"Crédit client disponible : {fr.amount(done['credit'], True)}")


def cmd_apply_credit(args):
    from .. import documents, fr, payments
    done = payments.apply_credit(documents.resolve(args.credit).id, documents.resolve(args.invoice).id, args.amount)
    print(f"Avoir imputé : {fr.amount(done['amount'], True)} (règlement n° {done['payment']}) ; "
          f"reste de l'avoir {fr.amount(done['left'], True)}, reste dû {fr.amount(done['balance'], True)}.")


def cmd_refund(args):
    from .. import documents, fr, payments
    done = payments.refund(documents.resolve(args.credit).id, args.amount, args.method)
    print(f"Remboursement de {fr.amount(done['amount'], True)} (règlement n° {done['payment']}) ; "
          f"reste de l'avoir {fr.amount(done['left'], True)}.")


def register(sub) -> None:
    """Adds to the root's sub-commands: pay, apply-credit, refund."""
    s = sub.add_parser("pay", help="encaisser : REF… MONTANT --method M | --list REF | --cancel N")
    s.add_argument("items", nargs="*", metavar="REF… MONTANT")
    s.add_argument("--method", choices=("cash", "card", "cheque", "transfer", "credit"))
    s.add_argument("--date")
    s.add_argument("--reference")
    s.add_argument("--bank")
    s.add_argument("--list", metavar="REF")
    s.add_argument("--cancel", type=int, metavar="N")
    s.add_argument("--receipt", type=int, metavar="N", help="reçu du règlement N (PDF, ou --printer)")
    s.add_argument("--printer")
    s.add_argument("-o", "--output")
    s.set_defaults(func=cmd_pay)
    s = sub.add_parser("apply-credit", help="impute un avoir sur une facture : AVOIR FACTURE [MONTANT]")
    s.add_argument("credit")
    s.add_argument("invoice")
    s.add_argument("amount", nargs="?")
    s.set_defaults(func=cmd_apply_credit)
    s = sub.add_parser("refund", help="rembourse le reste d'un avoir : AVOIR [MONTANT] --method M")
    s.add_argument("credit")
    s.add_argument("amount", nargs="?")
    s.add_argument("--method", required=True, choices=("cash", "card", "cheque", "transfer"))
    s.set_defaults(func=cmd_refund)
