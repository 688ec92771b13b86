"""After-sales service and time billing: a customer's equipment (equipment), interventions on
it (intervention), time spent (time), and the invoices of that work."""
from ..errors import FactuError
from .output import print_json


def cmd_equipment(args):
    """equipment add CUSTOMER NAME [--serial S] … | equipment list CUSTOMER"""
    from .. import fr, interventions
    if args.action == "add":
        if not args.name:
            raise FactuError("equipment add CLIENT DÉSIGNATION attendu", "équipement", None)
        eq = interventions.add_equipment(args.customer, args.name, args.serial or "", args.location or "",
                                         args.installed, args.warranty_end)
        print(f"Équipement #{eq.id} enregistré chez {args.customer}.")
        return
    rows = interventions.equipment_of(args.customer)
    for e in rows:
        warranty = f"garantie jusqu'au {fr.date(e.warranty_end)}" if e.warranty_end else ""
        print(f"#{e.id:<5} {e.name[:30]:<30} {e.serial[:18]:<18} {e.location[:16]:<16} {warranty}")
    if not rows:
        print("Aucun équipement.")


def _billed_invoice(make, validate: bool):
    """The invoice of work done, drafted (or validated in the same transaction)."""
    from .. import documents, fr
    doc = documents.created_and_validated(make) if validate else make()
    print(f"Facture {documents.label(doc)} : {fr.amount(doc.grand_total, True)} TTC."
          + ("" if doc.number else f" Validez-la avec : tui-factu doc validate #{doc.id}"))


def cmd_intervention(args):
    """intervention add CUSTOMER … | list [CUSTOMER] | invoice CUSTOMER [ID…] | delete ID"""
    from .. import interventions
    if args.action == "add":
        iv = interventions.add(args.target, args.date, args.hours, args.start or "", args.end or "", args.equipment,
                               args.technician or "", args.work or "", interventions.parse_parts(args.part),
                               args.labour, False if args.no_bill else None)
        print(f"Intervention {interventions.label(iv)} enregistrée ({'facturable' if iv.billable else 'non facturable'}).")
    elif args.action == "list":
        rows = interventions.listing(args.target, args.unbilled, args.date_from, args.date_to)
        if args.json:
            print_json(rows)
            return
        for r in rows:
            print(f"{r['ref']:<10} {r['date']} {r['customer']:<8} {r['hours']:>6} h {r['technician'][:12]:<12} "
                  f"{r['equipment'][:24]:<24} {len(r['parts'])} pièce(s)  {r['state']}")
        if not rows:
            print("Aucune intervention.")
    elif args.action == "invoice":
        if not args.target:
            raise FactuError("intervention invoice CLIENT [ID…] attendu", "client", None)
        _billed_invoice(lambda: interventions.invoice(args.target, args.ids, args.date_from, args.date_to,
                                                      args.group or "intervention"), args.validate)
    elif args.action == "delete":
        interventions.delete(args.target)
        print(f"Intervention {args.target} supprimée.")


def cmd_time(args):
    """time add CUSTOMER --hours H … | list [CUSTOMER] | invoice CUSTOMER [ID…] | delete ID"""
    from .. import timesheets
    if args.action == "add":
        entry = timesheets.add(args.target, args.hours, args.date, args.project or "", args.description or "",
                               args.product, args.person or "", not args.no_bill, args.start or "", args.end or "")
        print(f"Temps {timesheets.label(entry)} enregistré : {entry.minutes} min.")
    elif args.action == "list":
        rows = timesheets.listing(args.target, args.project, args.unbilled, args.date_from, args.date_to)
        if args.json:
            print_json(rows)
            return
        for r in rows:
            print(f"{r['ref']:<10} {r['date']} {r['customer']:<8} {r['project'][:14]:<14} {r['hours']:>6} h "
                  f"{r['person'][:10]:<10} {r['description'][:24]:<24} {r['state']}")
        if not rows:
            print("Aucune saisie.")
    elif args.action == "invoice":
        if not args.target:
            raise FactuError("time invoice CLIENT [ID…] attendu", "client", None)
        _billed_invoice(lambda: timesheets.invoice(args.target, args.ids, args.project, args.date_from,
                                                   args.date_to, args.group or "entry"), args.validate)
    elif args.action == "delete":
        timesheets.delete(args.target)
        print(f"Saisie {args.target} supprimée.")


def register(sub) -> None:
    """Adds to the root's sub-commands: equipment, intervention, time."""
    s = sub.add_parser("equipment", help="parc d'un client : add CLIENT DÉSIGNATION [--serial S] | list CLIENT")
    s.add_argument("action", choices=("add", "list"))
    s.add_argument("customer", metavar="CLIENT")
    s.add_argument("name", nargs="?", metavar="DÉSIGNATION")
    s.add_argument("--serial")
    s.add_argument("--location")
    s.add_argument("--installed")
    s.add_argument("--warranty-end")
    s.set_defaults(func=cmd_equipment)
    s = sub.add_parser("intervention", help="interventions : add CLIENT | list [CLIENT] | invoice CLIENT [ID…] | delete ID")
    s.add_argument("action", choices=("add", "list", "invoice", "delete"))
    s.add_argument("target", nargs="?", metavar="CLIENT|ID")
    s.add_argument("ids", nargs="*", metavar="ID", help="invoice : les interventions choisies")
    s.add_argument("--date")
    s.add_argument("--hours", help="durée en heures (ou --start et --end)")
    s.add_argument("--start", metavar="HH:MM")
    s.add_argument("--end", metavar="HH:MM")
    s.add_argument("--equipment", metavar="N°SÉRIE|#ID")
    s.add_argument("--technician")
    s.add_argument("--work", help="travaux réalisés")
    s.add_argument("--part", action="append", metavar="CODE:QTÉ[:offert]", help="pièce consommée")
    s.add_argument("--labour", metavar="CODE", help="produit qui tarifie l'heure")
    s.add_argument("--no-bill", action="store_true", help="main-d'œuvre non facturable")
    s.add_argument("--unbilled", action="store_true")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--group", choices=("intervention", "product"))
    s.add_argument("--validate", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_intervention)
    s = sub.add_parser("time", help="temps passés : add CLIENT --hours H | list [CLIENT] | invoice CLIENT [ID…] | delete ID")
    s.add_argument("action", choices=("add", "list", "invoice", "delete"))
    s.add_argument("target", nargs="?", metavar="CLIENT|ID")
    s.add_argument("ids", nargs="*", metavar="ID")
    s.add_argument("--hours")
    s.add_argument("--start", metavar="HH:MM")
    s.add_argument("--end", metavar="HH:MM")
    s.add_argument("--date")
    s.add_argument("--project")
    s.add_argument("--description")
    s.add_argument("--product", metavar="CODE", help="produit qui tarifie l'heure")
    s.add_argument("--person")
    s.add_argument("--no-bill", action="store_true")
    s.add_argument("--unbilled", action="store_true")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--group", choices=("entry", "project", "day", "product"))
    s.add_argument("--validate", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_time)
