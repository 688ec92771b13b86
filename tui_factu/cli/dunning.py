"""Reminders of late invoices: dunning run, history, dispute, penalty."""
from ..errors import FactuError
from .output import print_json


def cmd_dunning(args):
    from .. import clock, dunning, inputs
    on = inputs.parse_date(args.date, "--date") if args.date else clock.today()
    if args.action == "run":
        found = dunning.due(on)
        if args.send:
            return _send(found, on, args.json)
        rows = [{k: p[k] for k in ("invoice", "level", "days_late", "balance")} for p in found]
        if args.json:
            return print_json(rows)
        for p in found:
            print(f"{p['invoice']:<14} niveau {p['level']} {p['label']:<26} {p['days_late']:>4} j  reste {p['balance']:>10}"
                  f"  {p['customer']}")
        print(f"{len(found)} relance(s) à faire (--send pour les envoyer par e-mail)")
        return
    if args.action == "letter":
        if not args.ref:
            raise FactuError("dunning letter : REF attendu (la facture)", "REF", None)
        from printers import reminders
        path, view = reminders.write_letter(args.ref, args.output)
        print(f"{view['title']} de la facture {view['invoices'][0]['number']} écrite dans {path}"
              + (" : relance enregistrée comme envoyée par courrier" if view["recorded"] else " (copie)"))
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
                  f"reste {r['balance']:>10} {dunning.CHANNELS.get(r['channel'], r['channel'])}")
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


def _send(found: list[dict], on, as_json: bool) -> int:
    """Mails today's reminders with their letters; what could not go is said on stderr (exit 2)."""
    import sys
    from .. import clock
    from .mail import _password
    from printers import reminders
    if on != clock.today():
        raise FactuError(f"dunning run --send envoie les relances du jour : --date {on.isoformat()} n'est pas "
                         "aujourd'hui", "--date", on.isoformat())
    report = reminders.send(found, _password() if found else None)
    gone = [r for r in report if r["state"] != "refused"]
    if as_json:
        print_json([{k: r[k] for k in ("invoice", "level", "days_late", "balance")} for r in gone])
    else:
        for r in gone:
            if r["state"] == "sent":
                print(f"{r['invoice']:<14} niveau {r['level']} envoyée à {r['to']}")
    for r in report:
        if r["state"] != "sent":
            print(f"tui-factu : {r['invoice']} niveau {r['level']} : {r['message']}"
                  + (" — tui-factu dunning letter {0} -o FICHIER pour l'envoyer par courrier".format(r["invoice"])
                     if r["state"] == "refused" else ""), file=sys.stderr)
    if not as_json:
        print(f"{len(gone)} relance(s) enregistrée(s) et mise(s) en file d'envoi, "
              f"{sum(r['state'] == 'sent' for r in report)} envoyée(s)")
    return 0 if all(r["state"] == "sent" for r in report) else 2


def register(sub) -> None:
    """Adds to the root's sub-commands: dunning."""
    s = sub.add_parser("dunning", help="relances : run [--date D] [--send] | letter REF [-o FICHIER] | history [REF] "
                                       "[--customer C] | dispute REF [--reason R] [--close] | penalty REF [--validate]")
    s.add_argument("action", choices=("run", "letter", "history", "dispute", "penalty"))
    s.add_argument("ref", nargs="?")
    s.add_argument("--date")
    s.add_argument("--send", action="store_true", help="run : envoyer les relances du jour par e-mail, avec leur lettre")
    s.add_argument("-o", "--output", metavar="FICHIER", help="letter : le PDF à écrire (défaut : relance-REF-RN.pdf)")
    s.add_argument("--customer")
    s.add_argument("--reason")
    s.add_argument("--close", action="store_true")
    s.add_argument("--validate", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_dunning)
