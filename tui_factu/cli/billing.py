"""Invoicing a job in steps: payment schedules (schedule), deposit invoices (deposit),
progress statements with their retention (situation), billing plans of an order (plan)."""
from ..errors import FactuError
from .output import print_json


def cmd_schedule(args):
    from .. import documents, fr, schedules
    rows = schedules.set_schedule(documents.resolve(args.ref).id, args.split)
    for r in rows:
        print(f"{fr.date(r['due_date'])}  {fr.amount(documents.to_decimal(r['amount']), True):>14}")


def cmd_deposit(args):
    from .. import deposits, documents, fr
    src = documents.resolve(args.ref)
    def make():
        return deposits.request(src.id, args.percent, args.amount)
    doc = documents.created_and_validated(make) if args.validate else make()
    print(f"Facture d'acompte {documents.label(doc)} : {fr.amount(doc.due, True)} TTC "
          f"sur {documents.label(src)}.")


def cmd_situation(args):
    """situation ORDER (--percent P | --line N:PCT … | --section N:PCT | --quantity N:Q) [--retention R]
    [--validate] | situation --final ORDER | situation --release ORDER [--date D]"""
    from .. import documents, fr, situations
    order = documents.resolve(args.ref)
    if args.final:
        view = situations.statement(order.id)
        if args.json:
            print_json(view)
        else:
            _print_statement(view)
        return
    if not args.release and not (args.percent or args.line or args.section or args.quantity):
        raise FactuError("situation : --percent P, --line N:PCT, --section N:PCT ou --quantity N:QTÉ attendu",
                         "situation", None)
    if args.release:
        done = situations.release(order.id, args.date)
        print(f"Retenue de garantie de {order.number} exigible le {fr.date(done['date'])} : "
              f"{fr.amount(done['amount'], True)} à encaisser ({', '.join(done['situations'])}).")
        return
    if True:
        lines, sections = situations.parse_pairs(args.line, "--line"), situations.parse_pairs(args.section, "--section")
        quantities = situations.parse_pairs(args.quantity, "--quantity", 3)

        def make():
            return situations.create(order.id, args.percent, lines, sections, quantities, args.retention,
                                     args.release_date, args.date)
    doc = documents.created_and_validated(make) if args.validate else make()
    what = f"Situation n° {doc.situation_no}"
    print(f"{what} sur {order.number} : {documents.label(doc)}, {fr.amount(doc.grand_total, True)} TTC."
          + ("" if doc.number else f" Validez-la avec : tui-factu doc validate #{doc.id}"))
    if args.json:
        print_json(documents.show(doc))


def _print_statement(v: dict) -> None:
    from .. import fr
    from ..money import to_decimal as d
    print(f"Décompte de {v['order']} ({v['customer']}) — marché {fr.amount(d(v['contract']['tax_basis_total']), True)} HT, "
          f"{fr.amount(d(v['contract']['grand_total']), True)} TTC")
    print(f"Avancement facturé : {fr.number(d(v['progress_percent']))} % "
          f"({fr.amount(d(v['works_billed']), True)} HT) en {v['situations']} situation(s)")
    names = {"deposit": "Acompte", "progress": "Situation", "retention": "Libération RG", "final": "Solde",
             "standard": "Facture"}
    for i in v["invoices"]:
        label = names.get(i["type"], i["type"]) + (f" n° {i['situation']}" if i["situation"] else "")
        held = f"  RG retenue {fr.amount(d(i['retention_held']), True)}" if i["retention_held"] not in (None, "0.00") else ""
        print(f"  {label:<16} {i['number']:<14} {fr.date(i['date'])} {fr.amount(d(i['grand_total']), True):>14} TTC"
              f"  payé {fr.amount(d(i['paid']), True):>12}  reste {fr.amount(d(i['balance']), True):>12}{held}")
        for cn in i["credit_notes"]:
            print(f"      avoir {cn['number']} du {fr.date(cn['date'])} : −{fr.amount(d(cn['grand_total']), True)}")
    for p in v["payments"]:
        print(f"  règlement n° {p['payment']:<5} {fr.date(p['date'])} {p['method']:<9} {p['invoice']:<14} "
              f"{fr.amount(d(p['amount']), True):>12}")
    r = v["retention"]
    if r["percent"]:
        print(f"Retenue de garantie {r['percent']} % : {fr.amount(d(r['held']), True)} TTC retenus"
              + (f", libérables le {fr.date(r['release_date'])}" if r["release_date"] else "")
              + (f" ; libérée, à encaisser : {fr.amount(d(r['released_unpaid']), True)}"
                 if r["released_unpaid"] != "0.00" else ""))
    print(f"Facturé {fr.amount(d(v['invoiced']), True)} TTC · payé {fr.amount(d(v['paid']), True)} · "
          f"reste dû {fr.amount(d(v['balance']), True)}")


def cmd_plan(args):
    """plan ORDER [--split 30%@2026-12-15,70%@+60] | plan --run [--date D] [--validate]"""
    from .. import documents, fr, plans
    if args.run:
        made = plans.run(args.date, documents.created_and_validated if args.validate else None)
        for doc in made:
            print(f"{documents.label(doc)} : {fr.amount(doc.grand_total, True)} TTC ({doc.notes})")
        print(f"{len(made)} facture(s) d'échéance" + ("" if args.validate else " en brouillon"))
        return
    if not args.ref:
        raise FactuError("plan COMMANDE [--split …] ou plan --run attendu", "commande", None)
    order = documents.resolve(args.ref)
    rows = plans.set_plan(order.id, args.split) if args.split else plans.of_order(order.id)
    for r in rows:
        print(f"{r['position']}/{r['of']}  {fr.date(r['due_date'])}  {r['percent']:>6} %  (cumul {r['cumulative']} %)  "
              f"{r['label'][:24]:<24} {r['invoice'] or 'à facturer'}")
    if not rows:
        print(f"{order.number} n'a pas de plan de facturation.")


def register(sub) -> None:
    """Adds to the root's sub-commands: schedule, deposit, situation, plan."""
    s = sub.add_parser("schedule", help="échéancier d'une facture : REF --split 30%%@0,40%%@30,30%%@60")
    s.add_argument("ref")
    s.add_argument("--split", required=True)
    s.set_defaults(func=cmd_schedule)
    s = sub.add_parser("deposit", help="facture d'acompte sur un devis ou une commande")
    s.add_argument("ref")
    group = s.add_mutually_exclusive_group(required=True)
    group.add_argument("--percent")
    group.add_argument("--amount")
    s.add_argument("--validate", action="store_true")
    s.set_defaults(func=cmd_deposit)
    s = sub.add_parser("situation", help="facturation à l'avancement : COMMANDE --percent P | --line N:PCT… "
                                          "[--retention 5] [--validate] | --final COMMANDE | --release COMMANDE")
    s.add_argument("ref", metavar="COMMANDE")
    s.add_argument("--percent", help="avancement cumulé de toutes les lignes")
    s.add_argument("--line", action="append", metavar="N:PCT", help="avancement cumulé de la ligne N")
    s.add_argument("--section", action="append", metavar="N:PCT", help="… de toutes les lignes sous le titre N")
    s.add_argument("--quantity", action="append", metavar="N:QTÉ", help="quantité cumulée réalisée sur la ligne N")
    s.add_argument("--retention", help="retenue de garantie en %% (5 au plus)")
    s.add_argument("--release-date", help="date de libération de la retenue (défaut : un an)")
    s.add_argument("--date")
    s.add_argument("--validate", action="store_true")
    s.add_argument("--final", action="store_true", help="le décompte : situations, règlements, retenue")
    s.add_argument("--release", action="store_true",
                   help="rend exigible la retenue de garantie des situations (à la date --date, aujourd'hui par défaut)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_situation)
    s = sub.add_parser("plan", help="plan de facturation d'une commande : COMMANDE --split 30%%@2026-12-15,70%%@+60 "
                                     "| --run [--date D] [--validate]")
    s.add_argument("ref", nargs="?", metavar="COMMANDE")
    s.add_argument("--split", help="échéances : %%@date ou %%@+jours[:libellé], séparées par des virgules")
    s.add_argument("--run", action="store_true", help="facture les échéances dues")
    s.add_argument("--date", help="--run : échéances dues à cette date (défaut : aujourd'hui)")
    s.add_argument("--validate", action="store_true")
    s.set_defaults(func=cmd_plan)
