"""SEPA direct debit: sepa mandate add|list, sepa export, sepa return, sepa returns (camt.054)."""
from ..errors import FactuError
from .output import print_json


def cmd_sepa(args):
    from .. import clock, inputs, sepa
    if args.action == "mandate":
        if args.what == "list" or args.what is None:
            rows = sepa.mandates(args.customer)
            if args.json:
                return print_json(rows)
            for m in rows:
                print(f"{m['customer']:<10} {m['rum']:<24} {m['iban']:<34} signé le {m['signed_on']} {m['sequence']}"
                      + ("" if m["active"] else " (inactif)"))
            if not rows:
                print("(aucun mandat)")
            return
        if args.what != "add" or not args.customer_code:
            raise FactuError("sepa mandate add CLIENT --iban IBAN --rum RUM --signed DATE [--recurring]", "mandat", None)
        if not (args.iban and args.rum and args.signed):
            raise FactuError("sepa mandate add : --iban, --rum et --signed sont obligatoires", "mandat", None)
        m = sepa.add_mandate(args.customer_code, args.iban, args.rum, args.signed, args.recurring, args.bic or "")
        print(f"Mandat {m.rum} enregistré pour {args.customer_code} ({'récurrent' if m.recurring else 'ponctuel'}).")
        return
    if args.action == "export":
        if not args.output:
            raise FactuError("sepa export : -o FICHIER.xml obligatoire", "-o", None)
        on = inputs.parse_date(args.date, "--date") if args.date else clock.today()
        collect = inputs.parse_date(args.collect, "--collect") if args.collect else None
        done = sepa.export_to(args.output, on, collect)
        if args.json:
            return print_json(done)
        for d in done:
            print(f"{d['invoice']:<14} {d['amount']:>10} {d['sequence']} {d['rum']}")
        print(f"{len(done)} prélèvement(s) écrits dans {args.output}")
        return
    if args.action == "return":
        if not args.what:
            raise FactuError("sepa return IDENTIFIANT-DE-BOUT-EN-BOUT [--reason R]", "prélèvement", None)
        r = sepa.returned(args.what, args.reason or "")
        print(f"Prélèvement {args.what} rejeté : {r['invoice']} rouverte, reste {r['balance']}")
        return
    if args.action == "returns":
        if not args.what:
            raise FactuError("sepa returns FICHIER : l'avis camt.054 de la banque attendu", "FICHIER", None)
        done = sepa.returns_file(args.what)
        if args.json:
            return print_json(done)
        from ..charset import printable
        for r in done["returned"]:
            print(f"Prélèvement {r['end_to_end_id']} rejeté ({printable(r['reason'], False)}) : {r['invoice']} "
                  f"rouverte, reste {r['balance']}")
        for e2e in done["already"]:
            print(f"Prélèvement {e2e} : déjà rejeté, rien de plus")
        for e2e in done["unknown"]:
            print(f"Prélèvement {printable(e2e, False)} : inconnu (pas envoyé d'ici), laissé de côté")
        print(f"{len(done['returned'])} prélèvement(s) rejeté(s), facture(s) rouverte(s)")


def register(sub) -> None:
    """Adds to the root's sub-commands: sepa."""
    s = sub.add_parser("sepa", help="prélèvement SEPA : mandate add CLIENT --iban I --rum R --signed D [--recurring] | "
                                    "mandate list | export [--date D] -o FICHIER.xml | return E2E [--reason R] | "
                                    "returns FICHIER (avis camt.054 des prélèvements rejetés)")
    s.add_argument("action", choices=("mandate", "export", "return", "returns"))
    s.add_argument("what", nargs="?", help="mandate : add | list ; return : l'identifiant de bout en bout ; "
                                           "returns : l'avis camt.054")
    s.add_argument("customer_code", nargs="?")
    s.add_argument("--iban")
    s.add_argument("--bic")
    s.add_argument("--rum")
    s.add_argument("--signed")
    s.add_argument("--recurring", action="store_true", help="mandat récurrent (FRST puis RCUR) ; sans : ponctuel (OOFF)")
    s.add_argument("--customer")
    s.add_argument("--date")
    s.add_argument("--collect", help="date de prélèvement (défaut : --date)")
    s.add_argument("--reason")
    s.add_argument("-o", "--output")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_sepa)
