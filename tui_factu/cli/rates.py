"""Exchange rates of the currencies documents may be in: rates set | import | list."""
from ..errors import FactuError
from .output import print_json


def cmd_rates(args):
    from .. import rates
    if args.action == "set":
        if not (args.currency and args.day and args.rate):
            raise FactuError("rates set DEVISE DATE COURS (euros pour une unité : rates set USD 2026-12-01 0.92)",
                             "devise", None)
        row = rates.set_rate(args.currency, args.day, args.rate)
        return print_json(row) if args.json else print(f"1 {row['currency']} = {row['rate']} € à partir du {row['date']}")
    if args.action == "import":
        if not args.currency or args.day:
            raise FactuError("rates import FICHIER.csv (DEVISE;DATE;COURS par ligne)", "fichier", None)
        rows = rates.import_csv(args.currency)
        return print_json(rows) if args.json else print(f"{len(rows)} cours importés")
    rows = rates.listing(args.currency)
    if args.json:
        return print_json(rows)
    for r in rows:
        print(f"{r['currency']}  {r['date']}  {r['rate']}")
    if not rows:
        print("(aucun cours)")


def register(sub) -> None:
    """Adds to the root's sub-commands: rates."""
    s = sub.add_parser("rates", help="cours des devises (euros pour une unité) : set DEVISE DATE COURS | "
                                     "import FICHIER.csv | list [DEVISE]")
    s.add_argument("action", choices=("set", "import", "list"))
    s.add_argument("currency", nargs="?", help="la devise (set, list) ou le fichier (import)")
    s.add_argument("day", nargs="?", help="à partir de cette date (AAAA-MM-JJ)")
    s.add_argument("rate", nargs="?", help="euros pour une unité de la devise (0.92)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_rates)
