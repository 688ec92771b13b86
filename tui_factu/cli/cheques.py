"""Cheques collected and their remittance slips: cheques list | remit | slips | print."""
from ..charset import printable
from ..errors import FactuError
from .output import print_json


def cmd_cheques(args):
    from .. import clock, fr, inputs, remittances
    if args.action == "list":
        rows = [{k: r[k] for k in ("payment", "date", "customer", "bank", "number", "amount")}
                for r in remittances.cheques()]
        if args.json:
            return print_json(rows)
        for r in rows:
            print(f"{r['date']} {r['customer']:<10} {printable(r['bank'][:16], False):<16} "
                  f"{printable(r['number'][:14], False):<14} {r['amount']:>10}")
        print(f"{len(rows)} chèque(s) à remettre")
        return
    if args.action == "slips":
        rows = remittances.slips()
        if args.json:
            return print_json(rows)
        for r in rows:
            print(f"{r['number']:<14} {r['date']} {r['bank'][:20]:<20} {r['count']:>3} chèque(s) {r['total']:>12}")
        return
    if args.action == "remit":
        on = inputs.parse_date(args.date, "--date") if args.date else clock.today()
        slip = remittances.remit(on, args.bank or "")
        print(f"Bordereau {slip.number} du {fr.date(slip.date)} : {fr.amount(slip.total, True)}")
        number = slip.number
    else:
        if not args.number:
            raise FactuError("cheques print NUMÉRO -o FICHIER.pdf", "bordereau", None)
        number = args.number
    if args.output:
        from pathlib import Path
        from printers import pdf
        from .. import files
        with files.writing(Path(args.output), "fichier", "-o") as f:
            f.write(pdf.remittance_slip(remittances.view(number)))
        print(f"PDF écrit : {args.output}")


def register(sub) -> None:
    """Adds to the root's sub-commands: cheques."""
    s = sub.add_parser("cheques", help="chèques : list | remit [--date D] [--bank B] [-o FICHIER.pdf] | slips | "
                                       "print NUMÉRO -o FICHIER.pdf")
    s.add_argument("action", choices=("list", "remit", "slips", "print"))
    s.add_argument("number", nargs="?")
    s.add_argument("--date")
    s.add_argument("--bank")
    s.add_argument("-o", "--output")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_cheques)
