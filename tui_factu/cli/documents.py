"""`tui-factu doc …`: quotes, orders, delivery notes, invoices and credit notes — list, show,
draft, validate, transform, credit, replace, change status, delete a draft."""
import sys

from .output import print_json


def _einvoice_code(args):
    """--einvoice 210 (the last lifecycle status), or none (not a single status yet)."""
    from ..errors import InvalidValue
    from ..lifecycle import STATUSES
    value = getattr(args, "einvoice", None)
    if value is None:
        return None
    if value == "none":
        return 0
    if not value.isdigit() or int(value) not in STATUSES:
        raise InvalidValue("--einvoice", value, "code de statut (200 à 213, 220) ou none")
    return int(value)


def cmd_doc_list(args):
    from .. import catalog, documents, fr, lifecycle
    from ..documents.kinds import KIND_LABELS, STATUS_LABELS
    customer_id = catalog.customer_by_code(args.customer).id if args.customer else None
    after, shown, rows_out = None, 0, []
    while args.limit is None or shown < args.limit:
        page = documents.listing(args.kind, args.status, customer_id, after,
                                 limit=min(500, (args.limit or 10**9) - shown), einvoice=_einvoice_code(args))
        if not page:
            break
        for r in page:
            if args.json:
                rows_out.append({k: r[k] for k in ("id", "kind", "number", "status", "date",
                                                    "customer", "grand_total", "einvoice_status") if k in r})
            else:
                code = r.get("einvoice_status")
                print(f"#{r['id']:<6} {KIND_LABELS[r['kind']][:12]:<12} {r['number'] or '(brouillon)':<14} "
                      f"{STATUS_LABELS.get(r['status'], r['status'])[:16]:<16} {fr.date(r['date'])} "
                      f"{r['customer']:<8} {r['customer_name'][:22]:<22} "
                      f"{fr.amount(documents.to_decimal(r['grand_total'])):>12}"
                      + (f"  {code} {lifecycle.label(code)}" if code else ""))
        shown += len(page)
        after = page[-1]["id"]
    if args.json:
        print_json(rows_out)


def cmd_doc_show(args):
    from .. import documents
    doc = documents.resolve(args.ref)
    view = documents.show(doc)
    if args.json:
        print_json(view)
        return
    from .. import fr
    from ..documents.kinds import KIND_LABELS, STATUS_LABELS
    print(f"{KIND_LABELS[doc.kind]} {doc.number or '(brouillon #%d)' % doc.id} — "
          f"{STATUS_LABELS.get(doc.status, doc.status)} — {fr.date(view['date'])}")
    print(f"Client : {view['customer']['code']} {view['customer']['name']}"
          + (f" — réf. {view['reference']}" if view["reference"] else ""))
    for ln in view["lines"]:
        if "net_amount" in ln:
            rest = "".join(f"  [reste à {k.split('_')[-1]}: {v}]" for k, v in ln.items()
                           if k.startswith("remaining_") and v not in ("0",))
            print(f"{ln['position']:>3}. {ln['description'][:34]:<34} {ln['quantity']:>7} × "
                  f"{fr.price(documents.to_decimal(ln['unit_price'])):>10}"
                  f"{' -' + ln['discount_percent'] + '%' if ln['discount_percent'] != '0' else '':>7} "
                  f"{fr.amount(documents.to_decimal(ln['net_amount'])):>11}  TVA {ln['vat_rate']}%{rest}")
        else:
            print(f"{ln['position']:>3}. [{ln['kind']}] {ln['description']}")
    t = view["totals"]
    for v in view["vat_breakdown"]:
        print(f"     TVA {v['category']} {v['rate']:>4} % sur {fr.amount(documents.to_decimal(v['basis'])):>11} "
              f"= {fr.amount(documents.to_decimal(v['amount'])):>10}")
    cur = view["currency"]
    print(f"     Total HT {fr.amount(documents.to_decimal(t['tax_basis_total']), cur)}   "
          f"TVA {fr.amount(documents.to_decimal(t['tax_total']), cur)}   "
          f"TTC {fr.amount(documents.to_decimal(t['grand_total']), cur)}   "
          f"Net à payer {fr.amount(documents.to_decimal(t['due']), cur)}")
    if view["exchange_rate"]:          # the VAT in euros (BT-111) and the rate it was taken at
        print(f"     TVA en euros {fr.amount(documents.to_decimal(view['vat_total_eur']), True)}"
              f" (1 {cur} = {fr.number(documents.to_decimal(view['exchange_rate']), 6)} €)")


def cmd_doc_links(args):
    from .. import documents, fr
    from ..documents.kinds import KIND_LABELS, STATUS_LABELS
    rows = documents.genealogy(documents.resolve(args.ref).id)
    if args.json:
        print_json(rows)
        return
    for r in rows:
        rest = ""
        if "remaining_to_deliver" in r:
            rest = f"  reste à livrer {r['remaining_to_deliver']}, à facturer {r['remaining_to_invoice']}"
        print(f"{'▶' if r['current'] else ' '} {KIND_LABELS[r['kind']]:<16} {r['number'] or '(brouillon)':<14} "
              f"{fr.date(r['date'])} {STATUS_LABELS.get(r['status'], r['status']):<16} "
              f"{fr.amount(documents.to_decimal(r['grand_total'])):>12}{rest}")


def cmd_doc_validate(args):
    from .. import documents, margins
    doc = documents.resolve(args.ref)
    if margins.allowed():
        for flag in margins.of_lines(documents.lines_of(doc.id))["flags"]:
            print(f"attention : {flag}", file=sys.stderr)
    doc = documents.validate(doc.id, args.date)
    print(f"{doc.number} validé et scellé.")


def cmd_doc_transform(args):
    from .. import documents
    ids = [documents.resolve(r).id for r in args.refs]
    doc = documents.transform(ids, args.to, documents.parse_line_args(args.line) or None, args.force)
    print(f"Brouillon #{doc.id} créé ({args.to}). Validez-le avec : tui-factu doc validate #{doc.id}")


def cmd_doc_credit(args):
    from .. import documents
    doc = documents.credit(documents.resolve(args.ref).id,
                           documents.parse_line_args(args.line) or None, not args.no_return)
    print(f"Avoir brouillon #{doc.id} créé. Validez-le avec : tui-factu doc validate #{doc.id}")


def cmd_doc_replace(args):
    from .. import documents
    cn, doc = documents.replace(documents.resolve(args.ref).id)
    print(f"{args.ref} annulée par l'avoir {cn.number} ; facture de remplacement brouillon #{doc.id} "
          f"(« Annule et remplace la facture n° {args.ref} »). Corrigez-la puis : tui-factu doc validate #{doc.id}")


def cmd_doc_status(args):
    from .. import documents
    doc = documents.set_status(documents.resolve(args.ref).id, args.status)
    print(f"{documents.label(doc)} : {doc.status}")


def cmd_doc_delete(args):
    from .. import documents
    doc = documents.resolve(args.ref)
    documents.delete_draft(doc.id, doc.version)
    print(f"Brouillon #{doc.id} supprimé.")


def cmd_doc_new(args):
    """A quick draft: tui-factu doc new invoice C001 P001:3 P002:1:9.90"""
    from .. import documents
    lines = []
    for spec in args.items:
        code, _, rest = spec.partition(":")
        qty, _, price = rest.partition(":")
        line = {"product": code, "quantity": qty or "1"}
        if price:
            line["unit_price"] = price
        lines.append(line)
    def make():
        return documents.create(args.kind, args.customer, args.date, lines, reference=args.reference or "")
    doc = documents.created_and_validated(make) if args.validate else make()
    print(f"{documents.label(doc)} créé (#{doc.id}).")


def register(sub) -> None:
    """Adds to the root's sub-commands: doc and its actions."""
    doc = sub.add_parser("doc", help="documents : list, show, new, validate, transform, credit")
    dsub = doc.add_subparsers(dest="doc_command", parser_class=type(doc), metavar="ACTION", required=True)
    s = dsub.add_parser("list")
    s.add_argument("--kind")
    s.add_argument("--status")
    s.add_argument("--customer")
    s.add_argument("--limit", type=int)
    s.add_argument("--einvoice", help="dernier statut de la facture électronique (210, 213…) ou none")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_doc_list)
    s = dsub.add_parser("show")
    s.add_argument("ref")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_doc_show)
    s = dsub.add_parser("new", help="brouillon rapide : KIND CLIENT CODE[:QTÉ[:PRIX]]…")
    s.add_argument("kind")
    s.add_argument("customer")
    s.add_argument("items", nargs="+")
    s.add_argument("--date")
    s.add_argument("--reference")
    s.add_argument("--validate", action="store_true")
    s.set_defaults(func=cmd_doc_new)
    s = dsub.add_parser("links", help="la chaîne du document : d'où il vient, ce qu'il est devenu")
    s.add_argument("ref")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_doc_links)
    s = dsub.add_parser("validate")
    s.add_argument("ref")
    s.add_argument("--date")
    s.set_defaults(func=cmd_doc_validate)
    s = dsub.add_parser("transform")
    s.add_argument("refs", nargs="+", metavar="REF")
    s.add_argument("--to", required=True)
    s.add_argument("--line", action="append", metavar="N:QTÉ")
    s.add_argument("--force", action="store_true", help="transforme un devis expiré quand même")
    s.set_defaults(func=cmd_doc_transform)
    s = dsub.add_parser("credit")
    s.add_argument("ref")
    s.add_argument("--line", action="append", metavar="N:QTÉ")
    s.add_argument("--no-return", action="store_true", help="les marchandises ne reviennent pas en stock")
    s.set_defaults(func=cmd_doc_credit)
    s = dsub.add_parser("replace", help="annule et remplace : avoir total validé + brouillon de remplacement")
    s.add_argument("ref")
    s.set_defaults(func=cmd_doc_replace)
    s = dsub.add_parser("status", help="devis : accepted | refused | expired ; commande : cancelled | closed "
                                       "(solde le reliquat)")
    s.add_argument("ref")
    s.add_argument("status")
    s.set_defaults(func=cmd_doc_status)
    s = dsub.add_parser("delete", help="supprime un brouillon")
    s.add_argument("ref")
    s.set_defaults(func=cmd_doc_delete)
