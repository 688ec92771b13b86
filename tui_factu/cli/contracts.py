"""Recurring invoices: contract add | list | run."""
from ..errors import FactuError
from .output import print_json


def _items(specs) -> list[dict]:
    """CODE[:QTÉ[:PRIX]] (the contract's price; without one, the product's on the day billed)."""
    out = []
    for spec in specs:
        code, _, rest = spec.partition(":")
        qty, _, price = rest.partition(":")
        out.append({"product": code, "quantity": qty or "1", "unit_price": price or None})
    return out


def cmd_contract(args):
    from .. import clock, contracts, fr, inputs
    if args.action == "add":
        if not args.customer or not args.every or not args.start:
            raise FactuError("contract add CLIENT --every month|quarter|year --start D [--end D] CODE[:QTÉ[:PRIX]]…",
                             "contrat", None)
        c = contracts.add(args.customer, args.every, args.start, _items(args.items), args.end,
                          in_advance=not args.arrears, reference=args.reference or "")
        print(f"Contrat n° {c.id} ({contracts.LABELS[c.every]}, {'à échoir' if c.in_advance else 'échu'}) "
              f"pour {args.customer} à partir du {fr.date(c.start)}.")
        return
    if args.action == "list":
        rows = contracts.listing()
        if args.json:
            return print_json(rows)
        for r in rows:
            print(f"n° {r['id']:<4} {r['customer']:<10} {contracts.LABELS[r['every']]:<12} du {r['start']}"
                  f"{' au ' + r['end'] if r['end'] else '':<14} {r['billed']:>3} facture(s)  prochaine : "
                  f"{r['next_invoice'] or '—'}")
        if not rows:
            print("(aucun contrat)")
        return
    on = inputs.parse_date(args.date, "--date") if args.date else clock.today()
    made = contracts.run(on, args.validate)
    if args.json:
        return print_json(made)
    for m in made:
        print(f"contrat n° {m['contract']:<4} {m['customer']:<10} {m['period'][0]} → {m['period'][1]}  "
              f"{m['number'] or '(brouillon #%d)' % m['id']}  {m['total']}")
    print(f"{len(made)} facture(s)")


class _Intermixed:
    """`contract add C001 --every month --start D CODE…`: the products come after the options,
    so this command reads its arguments intermixed (argparse's parse_known_intermixed_args)."""
    _inside = False

    def parse_known_args(self, args=None, namespace=None):
        if self._inside:
            return super().parse_known_args(args, namespace)
        self._inside = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._inside = False


def register(sub) -> None:
    """Adds to the root's sub-commands: contract."""
    s = sub.add_parser("contract", help="factures récurrentes : add CLIENT --every month|quarter|year --start D "
                                        "[--end D] CODE[:QTÉ[:PRIX]]… | list | run [--date D] [--validate]")
    s.add_argument("action", choices=("add", "list", "run"))
    s.add_argument("customer", nargs="?")
    s.add_argument("items", nargs="*")
    s.add_argument("--every", choices=("month", "quarter", "year"))
    s.add_argument("--start")
    s.add_argument("--end")
    s.add_argument("--arrears", action="store_true", help="facturé à terme échu (après la période)")
    s.add_argument("--reference")
    s.add_argument("--date")
    s.add_argument("--validate", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_contract)
    s.__class__ = type("ContractParser", (_Intermixed, type(s)), {})
