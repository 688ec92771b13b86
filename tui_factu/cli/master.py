"""The data the rest works from: the company, customers, products and their backorders, the
app's users, settings, sales targets."""
from ..errors import FactuError
from .identity import new_password
from .output import backorder_rows, print_json


def cmd_targets(args):
    """targets set YEAR SCOPE KEY PERIOD AMOUNT | targets import FILE.csv"""
    from .. import targets
    if args.action == "import":
        try:
            with open(args.values[0], encoding="utf-8-sig") as f:
                text = f.read()
        except (IndexError, OSError, UnicodeDecodeError) as e:
            raise FactuError(f"targets import FICHIER.csv : fichier illisible ({e})", "fichier", None) from None
        print(f"{targets.import_csv(text)} objectif(s) importé(s).")
        return
    if len(args.values) != 5:
        raise FactuError("targets set ANNÉE PORTÉE CLÉ PÉRIODE MONTANT attendu (clé « - » pour l'ensemble)",
                         "objectif", None)
    year, scope, key, period, amount = args.values
    t = targets.set_target(year, scope, "" if key == "-" else key, period, amount)
    print(f"Objectif {t.year} {targets.SCOPES[t.scope]} {t.key} {t.period} : {t.amount} € HT.")


def _pairs(items, what: str = "client") -> dict:
    """["champ=valeur", …] -> {champ: valeur}."""
    values = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise FactuError(f"{what} : « {item} » — format champ=valeur attendu", what, item)
        values[key.strip()] = value
    return values


def cmd_company(args):
    from .. import catalog
    if args.action == "set":
        catalog.update_company(_pairs(args.values, "société"))
    c = catalog.company()
    for field in catalog.COMPANY_FIELDS:
        print(f"{field:<20} {getattr(c, field)}")


def cmd_customer(args):
    from .. import catalog
    if args.action == "set":
        if not args.text or not args.values:
            raise FactuError("customer set CODE champ=valeur… attendu", "client", None)
        c = catalog.update_customer(args.text, _pairs(args.values))
        print(f"Client {c.code} enregistré.")
        return
    if args.action == "show":
        c = catalog.customer_by_code(args.text)
        print_json(catalog.customer_snapshot(c))
        return
    for c in catalog.find_customers(args.text or "", args.limit):
        print(f"{c.code:<10} {c.name[:36]:<36} {c.postcode:<6} {c.city[:20]:<20} {c.siren}")


def cmd_product(args):
    from .. import catalog, fr, stock
    if args.action == "show":
        from .. import documents
        p = catalog.product_by_code(args.text)
        info = documents.availability(p.code)
        level = (f"stock {fr.number(info['on_hand'])}, réservé {fr.number(info['reserved'])}, "
                 f"disponible {fr.number(info['available'])}" if info else "stock non géré")
        print(f"{p.code} {p.name} — {fr.price(p.price)} € HT, TVA {fr.percent(p.vat_rate)}, {level}")
        return
    found = catalog.find_products(args.text or "", args.limit)
    levels = stock.on_hand_many([p.id for p in found])
    for p in found:
        print(f"{p.code:<10} {p.name[:34]:<34} {fr.price(p.price):>10} € "
              f"{fr.number(levels[p.id]) if p.stock_managed else '':>8}")


def cmd_backorders(args):
    from .. import catalog, documents, fr
    customer_id = catalog.customer_by_code(args.customer).id if args.customer else None
    rows = documents.backorders(customer_id)
    if args.json:
        print_json(backorder_rows(customer_id))
        return
    for r in rows:
        print(f"{r['order']:<14} {fr.date(r['date'])} {r['customer']:<8} {r['product']:<10} "
              f"{r['description'][:30]:<30} reste {fr.number(r['remaining'])} / {fr.number(r['ordered'])}")
    if not rows:
        print("Aucun reliquat.")


def cmd_user(args):
    """user list | user add NAME --role R | user set NAME [--role R] [--password] [--disable|--enable]
    [--link OS_ACCOUNT] [--unlock]"""
    from .. import users
    if args.action in ("add", "set") and not args.name:
        raise FactuError(f"user {args.action} NOM attendu", "utilisateur", None)
    if args.action == "add":
        users.create(args.name, args.role or "sales", new_password(f"Mot de passe de « {args.name} » : "),
                     os_link=args.link)
        print(f"Utilisateur « {args.name} » créé ({args.role or 'sales'}).")
        return
    if args.action == "set":
        password = new_password(f"Nouveau mot de passe de « {args.name} » : ") if args.password else None
        if args.password and not password:
            raise FactuError("mot de passe : rien de saisi (terminal ou TUI_FACTU_NEW_PASSWORD)", "mot de passe", None)
        u = users.update(args.name, args.role, password, False if args.disable else (True if args.enable else None),
                         args.link, args.unlock)
        print(f"Utilisateur « {u.name} » : {u.role}{'' if u.active else ', désactivé'}.")
        return
    for u in users.listing():
        state = "" if u.active else " (désactivé)"
        locked = " verrouillé" if u.locked_until and u.locked_until > users._now().isoformat() else ""
        print(f"{u.name:<16} {u.role:<10} {'lié à ' + u.os_account if u.os_account else '':<20}{state}{locked}")


def cmd_setting(args):
    from .. import settings
    if args.key and args.value is not None:
        print(f"{args.key} = {settings.set_value(args.key, args.value)}")
        return
    for key, value in settings.values().items():
        if not args.key or key == args.key:
            print(f"{key:<28} {value:<10} {settings.KNOWN[key][0]}")


def cmd_terms(args):
    from .. import clock, fr, inputs, terms
    from ..errors import InvalidValue
    issued = inputs.parse_date(args.date, "--date") if args.date else clock.today()
    for code in ([args.code] if args.code and args.code != "list" else terms.COMMON):
        t = terms.parse(code)
        dates = ", ".join(f"{fr.date(day)} ({str(share).replace('.', ',')} %)" if len(t.steps) > 1 else fr.date(day)
                          for share, day in t.due_dates(issued))
        try:
            t.check_legal(issued)
            legal = ""
        except InvalidValue as e:          # shown, not raised: the list says which terms the law refuses
            legal = f"  ⚠ {e}"
        print(f"{t.code:<14} {t.label():<52} → {dates}{legal}")
        if t.discount:
            print(f"{'':<14} {t.discount_text()}")


def register(sub) -> None:
    """Adds to the root's sub-commands: targets, company, customer, product, backorders, user, setting."""
    s = sub.add_parser("targets", help="objectifs de vente : set ANNÉE overall|salesperson|family CLÉ Y|Q1|M03 MONTANT "
                                       "| import FICHIER.csv")
    s.add_argument("action", choices=("set", "import"))
    s.add_argument("values", nargs="*")
    s.set_defaults(func=cmd_targets)
    s = sub.add_parser("company", help="identité légale de la société : show | set champ=valeur…")
    s.add_argument("action", choices=("show", "set"))
    s.add_argument("values", nargs="*")
    s.set_defaults(func=cmd_company)
    for name, func in (("customer", cmd_customer), ("product", cmd_product)):
        s = sub.add_parser(name, help=f"{ {'customer': 'clients', 'product': 'produits'}[name]} : list [DÉBUT] | show CODE"
                           + (" | set CODE champ=valeur…" if name == "customer" else ""))
        s.add_argument("action", choices=("list", "show", "set") if name == "customer" else ("list", "show"))
        s.add_argument("text", nargs="?")
        if name == "customer":
            s.add_argument("values", nargs="*")
        s.add_argument("--limit", type=int, default=50)
        s.set_defaults(func=func)
    s = sub.add_parser("backorders", help="reliquats : lignes de commande restant à livrer")
    s.add_argument("--customer")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_backorders)
    s = sub.add_parser("user", help="utilisateurs : list | add NOM --role RÔLE | set NOM [--role R] [--password] "
                                     "[--disable|--enable] [--link COMPTE] [--unlock]")
    s.add_argument("action", choices=("list", "add", "set"))
    s.add_argument("name", nargs="?")
    s.add_argument("--role", choices=("admin", "manager", "sales", "warehouse", "accountant"))
    s.add_argument("--password", action="store_true", help="nouveau mot de passe (terminal ou TUI_FACTU_NEW_PASSWORD)")
    s.add_argument("--disable", action="store_true")
    s.add_argument("--enable", action="store_true")
    s.add_argument("--link", metavar="COMPTE_SYSTÈME", help="lie le compte système (authentification par le système)")
    s.add_argument("--unlock", action="store_true", help="lève le verrouillage après des échecs de connexion")
    s.set_defaults(func=cmd_user)
    s = sub.add_parser("terms", help="délais de paiement : list | CODE [--date D] (reception, 30j, 45jfdm, 30jfdm10, "
                                     "fdm45, 0/30/60, +esc2@10) et leurs échéances")
    s.add_argument("code", nargs="?")
    s.add_argument("--date")
    s.set_defaults(func=cmd_terms)
    s = sub.add_parser("setting", help="réglages : [CLÉ [VALEUR]] (marge plancher, remise maximale…)")
    s.add_argument("key", nargs="?")
    s.add_argument("value", nargs="?")
    s.set_defaults(func=cmd_setting)
