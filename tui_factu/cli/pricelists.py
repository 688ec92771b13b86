"""Price lists and customer prices: pricelist set | list | import | price."""
from ..errors import FactuError
from .output import print_json


def cmd_pricelist(args):
    from .. import pricing
    if args.action == "set":
        if not (args.list and args.code and args.value):
            raise FactuError("pricelist set LISTE CODE PRIX|REMISE% [--min-qty N] [--from D --to D] [--group G]",
                             "liste", None)
        value = args.value.replace(",", ".")
        discount = value.endswith("%")
        pricing.set_item(args.list, args.code, None if discount else value, value.rstrip("%") if discount else None,
                         args.min_qty or "1", args.date_from, args.date_to, args.group)
        print(f"Liste {args.list} : {args.code} {args.value}" + (f" dès {args.min_qty}" if args.min_qty else ""))
        return
    if args.action == "list":
        rows = pricing.items(args.list)
        if args.json:
            return print_json(rows)
        for r in rows:
            what = r["product"] or f"famille {r['family']}"
            value = r["price"] if r["price"] is not None else f"-{r['discount_percent']} %"
            print(f"{r['list']:<10} {what:<20} {value:>12}  dès {r['min_qty']:<6} {r['from'] or '':<10} "
                  f"{r['to'] or '':<10} {('groupe ' + r['group']) if r['group'] else ''}")
        if not rows:
            print("(aucun prix)")
        return
    if args.action == "import":
        if not args.list:
            raise FactuError("pricelist import FICHIER.csv", "fichier", None)
        print(f"{pricing.import_csv(args.list)} prix importés")
        return
    if args.action == "price":
        from .. import catalog, documents
        if not (args.list and args.code):
            raise FactuError("pricelist price CLIENT CODE [--qty N]", "client", None)
        p = pricing.price_for(catalog.customer_by_code(args.list), catalog.product_by_code(args.code),
                              documents.to_decimal(args.qty or "1", "--qty"))
        row = {"unit_price": str(p.unit_price), "discount_percent": str(p.discount_percent), "rule": p.rule}
        return print_json(row) if args.json else print(f"{p.unit_price} € HT, remise {p.discount_percent} % — {p.rule}")


def register(sub) -> None:
    """Adds to the root's sub-commands: pricelist."""
    s = sub.add_parser("pricelist", help="listes de prix : set LISTE CODE PRIX|REMISE%% [--min-qty N] [--from D --to D] "
                                         "[--group G] | list [LISTE] | import FICHIER.csv | price CLIENT CODE [--qty N]")
    s.add_argument("action", choices=("set", "list", "import", "price"))
    s.add_argument("list", nargs="?", help="la liste (set, list), le fichier (import), le client (price)")
    s.add_argument("code", nargs="?", help="code produit, ou family:FAMILLE")
    s.add_argument("value", nargs="?", help="prix HT, ou remise en %% (10%%)")
    s.add_argument("--min-qty")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--group", help="le groupe de clients que la liste sert")
    s.add_argument("--qty")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_pricelist)
