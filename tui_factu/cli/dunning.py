"""Reminders of late invoices: dunning run, history, dispute, penalty."""
from ..errors import FactuError
from .output import print_json


def cmd_dunning(args):
    from .. import clock, dunning, inputs
    on = inputs.parse_date(args.date, "--date") if args.date else clock.today()
    if args.action == "run":
        found = dunning.due(on)
        if args.send:
            found = dunning.record(found, on, "paper")
        rows = [{k: p[k] for k in ("invoice", "level", "days_late", "balance")} for p in found]
        if args.json:
            return print_json(rows)
        for p in found:
            print(f"{p['invoice']:<14} niveau {p['level']} {p['label']:<26} {p['days_late']:>4} j  reste {p['balance']:>10}"
                  f"  {p['customer']}")
        print(f"{len(found)} relance(s) " + ("enregistrée(s) comme envoyée(s)" if args.send else
                                              "à faire (--send pour les enregistrer)"))
        return
    if args.action == "history":
        from .. import catalog, documents
        doc_id = documents.resolve(args.ref).id if args.ref else None
        customer_id = catalog.customer_by_code(args.customer).id if args.customer else None
        rows = dunning.history(doc_id, customer_id)
        if args.json:
            return print_json(rows)
        for r in rows:
            print(f"{r['date']} {r['invoice']:<14} niveau {r['level']} {r['label']:<26} {r['days_late']:>4} j "
                  f"reste {r['balance']:>10} {r['channel']}")
        if not rows:
            print("(aucune relance)")
        return
    if not args.ref:
        raise FactuError(f"dunning {args.action} : REF attendu", "REF", None)
    if args.action == "dispute":
        if args.close:
            n = dunning.close_dispute(args.ref)
            print(f"{args.ref} : litige clos" if n else f"{args.ref} : aucun litige ouvert")
        else:
            dunning.open_dispute(args.ref, args.reason or "")
            print(f"{args.ref} : en litige, les relances sont suspendues")
        return
    if args.action == "penalty":
        from .. import documents
        draft = dunning.penalty(args.ref, on)
        if args.validate:
            draft = documents.validate(draft.id)
        print(f"Facture de pénalités {draft.number or '(brouillon #%d)' % draft.id} : "
              f"{draft.grand_total} € (hors champ de la TVA)")


def register(sub) -> None:
    """Adds to the root's sub-commands: dunning."""
    s = sub.add_parser("dunning", help="relances : run [--date D] [--send] | history [REF] [--customer C] | "
                                       "dispute REF [--reason R] [--close] | penalty REF [--validate]")
    s.add_argument("action", choices=("run", "history", "dispute", "penalty"))
    s.add_argument("ref", nargs="?")
    s.add_argument("--date")
    s.add_argument("--send", action="store_true", help="run : enregistrer les relances comme envoyées")
    s.add_argument("--customer")
    s.add_argument("--reason")
    s.add_argument("--close", action="store_true")
    s.add_argument("--validate", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_dunning)
