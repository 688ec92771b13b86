"""The command line, and the composition root: the only core module that may reach screens
and printers (lazily).

Exit codes: 0 success, 1 integrity failure (verify), 2 refused input with a one-line French
message on stderr, 3 internal error (details in the log file, never a traceback on screen).
"""
import argparse
import json
import os
import sys

from ..errors import FactuError, IntegrityFailure


def skip_postgres_driver(argv) -> None:
    """peewee imports psycopg when it is installed (~0.2 s): on a SQLite base, tell Python it
    is absent so that the app starts faster. Must run before peewee is imported."""
    target = os.environ.get("TUI_FACTU_DB", "")
    args = list(argv)
    for i, a in enumerate(args):
        if a == "--db" and i + 1 < len(args):
            target = args[i + 1]
        elif a.startswith("--db="):
            target = a[5:]
    if not target.startswith(("postgresql://", "postgres://")) and "peewee" not in sys.modules:
        sys.modules.setdefault("psycopg2", None)
        sys.modules.setdefault("psycopg", None)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        message = (message.replace("the following arguments are required", "arguments obligatoires")
                   .replace("unrecognized arguments", "arguments inconnus")
                   .replace("invalid choice", "choix invalide")
                   .replace("expected one argument", "une valeur attendue")
                   .replace("choose from", "valeurs possibles :"))
        command = " ".join(["tui-factu", *self.prog.split()[1:]])      # prog is "tui-factu doc list"
        raise FactuError(f"commande invalide : {message} (voir {command} --help)")


def _json(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=None if isinstance(data, list) else 2))


# ---- commands ------------------------------------------------------------------------------

def prepare_tui(db_target: str | None = None, user: str | None = None):
    """Everything `tui-factu` does before the first screen (also what `bench` times): the
    database, its schema, the app user suggested for this OS account. No argon2 or journal yet:
    they load when the user logs in."""
    from screens.app import FactuApp
    from .. import db as database, session
    from ..models import User
    database.connect(db_target)
    database.ensure_schema()
    with session.unauthenticated():             # the name suggested on the login screen
        linked = User.get_or_none((User.os_account == session.os_account()) & (User.active == True))  # noqa: E712
    return FactuApp(user or (linked.name if linked else ""))


def cmd_tui(args):
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise FactuError("l'interface a besoin d'un terminal (ssh -t, ou les commandes de tui-factu --help)",
                         "terminal", None)
    app = prepare_tui(args.db, args.user)
    app.run()
    return app.return_code or 0


def cmd_init(args):
    from .. import db as database, session, users
    version = database.ensure_schema()
    created = None
    if not session.current_user():              # a base without users: its first administrator
        account = session.os_account()
        if args.demo:
            users.bootstrap_admin("demo", "demo", account, "Utilisateur de démonstration")
            created = "Utilisateur « demo » créé, mot de passe « demo » (rôle admin)."
        else:
            password = _new_password(f"Mot de passe du premier administrateur « {account} » : ")
            users.bootstrap_admin(account, password, account)
            created = f"Administrateur « {account} » créé, lié au compte système {account}."
    database.install_triggers()                 # puts back any guard that was dropped
    from .. import documents, journal
    journal.signing_key_id()                    # the company key: made and pinned on a new base
    documents.seal_untracked_statuses()         # a base from before statuses were sealed
    print(f"Base prête (schéma v{version}) : {database.location()}")
    if created:
        print(created)
    if args.demo:
        from .. import demo
        summary = demo.load()
        print("Données de démonstration chargées : " + ", ".join(f"{n} {k}" for k, n in summary.items()))


def cmd_import(args):
    from .. import exchange
    created = exchange.import_bundle(exchange.read_bundle(args.file))
    if args.json:
        _json(created)
    else:
        print(f"{len(created)} document(s) importé(s).")


def cmd_export(args):
    from .. import exchange, files, journal
    bundle = exchange.export_bundle()
    with files.writing(args.file, "export", "fichier", "w", encoding="utf-8") as f:
        json.dump(bundle, f, ensure_ascii=False, indent=1)
    journal.event("export", {"file": os.path.basename(args.file), "documents": len(bundle["documents"])})
    print(f"Exporté : {len(bundle['customers'])} clients, {len(bundle['products'])} produits, "
          f"{len(bundle['documents'])} documents → {args.file}")


def cmd_doc_list(args):
    from .. import catalog, documents, fr
    from ..documents.kinds import KIND_LABELS, STATUS_LABELS
    customer_id = catalog.customer_by_code(args.customer).id if args.customer else None
    after, shown, rows_out = None, 0, []
    while args.limit is None or shown < args.limit:
        page = documents.listing(args.kind, args.status, customer_id, after,
                                 limit=min(500, (args.limit or 10**9) - shown))
        if not page:
            break
        for r in page:
            if args.json:
                rows_out.append({k: r[k] for k in ("id", "kind", "number", "status", "date",
                                                    "customer", "grand_total")})
            else:
                print(f"#{r['id']:<6} {KIND_LABELS[r['kind']][:12]:<12} {r['number'] or '(brouillon)':<14} "
                      f"{STATUS_LABELS.get(r['status'], r['status'])[:16]:<16} {fr.date(r['date'])} "
                      f"{r['customer']:<8} {r['customer_name'][:22]:<22} "
                      f"{fr.amount(documents.to_decimal(r['grand_total'])):>12}")
        shown += len(page)
        after = page[-1]["id"]
    if args.json:
        _json(rows_out)


def cmd_doc_show(args):
    from .. import documents
    doc = documents.resolve(args.ref)
    view = documents.show(doc)
    if args.json:
        _json(view)
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
    print(f"     Total HT {fr.amount(documents.to_decimal(t['tax_basis_total']), True)}   "
          f"TVA {fr.amount(documents.to_decimal(t['tax_total']), True)}   "
          f"TTC {fr.amount(documents.to_decimal(t['grand_total']), True)}   "
          f"Net à payer {fr.amount(documents.to_decimal(t['due']), True)}")


def cmd_doc_links(args):
    from .. import documents, fr
    from ..documents.kinds import KIND_LABELS, STATUS_LABELS
    rows = documents.genealogy(documents.resolve(args.ref).id)
    if args.json:
        _json(rows)
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


def cmd_pay(args):
    """tui-factu pay REF... AMOUNT --method M | pay --list REF | pay --cancel N"""
    from .. import documents, fr, payments
    if args.receipt is not None:
        from .. import printed
        view = printed.payment_view(args.receipt)
        if args.printer:
            from printers import dispatch, escpos
            target = printing_target(args.printer)
            job = dispatch.send_bytes("receipt", view["number"], target,
                                      escpos.payment_receipt(view, int(target.get("columns", 42)),
                                                             target.get("profile", "default")))
            print(f"Reçu imprimé (travail n° {job}).")
        else:
            from printers import pdf
            from .. import files
            path = args.output or f"{view['number']}.pdf"
            with files.writing(path, "reçu", "-o") as f:
                f.write(pdf.payment_receipt(view))
            print(f"Reçu écrit : {path}")
        return
    if args.cancel is not None:
        done = payments.cancel(args.cancel, args.reference or "")
        print(f"Règlement n° {done['cancels']} annulé par le règlement n° {done['payment']}.")
        return
    if args.list:
        doc = documents.resolve(args.list)
        for row in payments.of_invoice(doc.id):
            print(f"n° {row['payment']:<5} {fr.date(row['date'])} {row['method']:<9} "
                  f"{fr.amount(documents.to_decimal(row['amount']), True):>14} {row['reference']}")
        print(f"Reste dû : {fr.amount(payments.balance(doc), True)}")
        return
    if len(args.items) < 2 or not args.method:
        raise FactuError("pay : REF… MONTANT --method cash|card|cheque|transfer|credit attendus", "pay", None)
    ids = [documents.resolve(r).id for r in args.items[:-1]]
    done = payments.pay(ids, args.items[-1], args.method, args.date, args.reference or "", args.bank or "")
    parts = ", ".join(f"{n} : {fr.amount(a, True)}" for n, a in done["allocations"])
    print(f"Règlement n° {done['payment']} de {fr.amount(done['amount'], True)} ({parts}).")
    if done["change"]:
        print(f"Monnaie à rendre : {fr.amount(done['change'], True)}")
    if done["credit"]:
        print(f"Crédit client disponible : {fr.amount(done['credit'], True)}")


def cmd_apply_credit(args):
    from .. import documents, fr, payments
    done = payments.apply_credit(documents.resolve(args.credit).id, documents.resolve(args.invoice).id, args.amount)
    print(f"Avoir imputé : {fr.amount(done['amount'], True)} (règlement n° {done['payment']}) ; "
          f"reste de l'avoir {fr.amount(done['left'], True)}, reste dû {fr.amount(done['balance'], True)}.")


def cmd_refund(args):
    from .. import documents, fr, payments
    done = payments.refund(documents.resolve(args.credit).id, args.amount, args.method)
    print(f"Remboursement de {fr.amount(done['amount'], True)} (règlement n° {done['payment']}) ; "
          f"reste de l'avoir {fr.amount(done['left'], True)}.")


def cmd_schedule(args):
    from .. import documents, fr, schedules
    rows = schedules.set_schedule(documents.resolve(args.ref).id, args.split)
    for r in rows:
        print(f"{fr.date(r['due_date'])}  {fr.amount(documents.to_decimal(r['amount']), True):>14}")


def cmd_sale(args):
    from .. import counter, documents, fr, printing
    if args.printer:
        printing.resolve(args.printer)           # a printer this user may not use: refused before the sale
    done = counter.sale(counter.parse_items(args.items), counter.parse_payments(args.pay or []), args.customer)
    doc = done["document"]
    print(f"{documents.label(doc)} : {fr.amount(done['total'], True)} TTC, payé.")
    if done["change"]:
        print(f"Monnaie à rendre : {fr.amount(done['change'], True)}")
    if args.printer:
        from printers import dispatch
        job = dispatch.slip(doc.number, args.printer, receipt=True)
        print(f"Ticket imprimé (travail n° {job}).")


def cmd_return(args):
    from .. import counter, documents, fr
    done = counter.return_sale(args.ticket, documents.parse_line_args(args.line) or None, args.method,
                               not args.no_restock)
    print(f"Avoir {done['credit_note'].number} : {fr.amount(done['refunded'], True)} remboursés ({done['method']}).")


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
            _json(view)
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
        _json(documents.show(doc))


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


def cmd_close(args):
    """close day|month|year [DATE] [--printer P] [--json] | close --list"""
    from .. import closings, fr
    from ..money import to_decimal as d
    if args.kind == "list" or args.list:
        rows = closings.listing()
        if args.json:
            _json(rows)
            return
        for r in rows:
            print(f"n° {r['seq']:<4} {closings.KINDS[r['kind']]:<11} {r['label']:<10} ventes {fr.amount(d(r['sales'])):>12}"
                  f"  retours {fr.amount(d(r['returns'])):>10}  total {fr.amount(d(r['grand_total'])):>12}"
                  f"  perpétuel {fr.amount(d(r['perpetual'])):>14}  {r['user']}")
        if not rows:
            print("Aucune clôture.")
        return
    if args.kind == "print":
        c = closings.get(args.date or "")
    else:
        c = closings.close(args.kind, args.date)
    z = closings.view(c)
    if args.json:
        _json(z)
    else:
        print(f"Clôture {closings.KINDS[c.kind]} {c.label} (n° {c.seq}) : ventes {fr.amount(d(z['sales']), True)}, "
              f"retours {fr.amount(d(z['returns']), True)}, total {fr.amount(d(z['grand_total']), True)}, "
              f"grand total perpétuel {fr.amount(d(z['perpetual']), True)}.")
        for v in z["vat"]:
            print(f"  TVA {v['category']} {v['rate']:>4} % : HT {fr.amount(d(v['sales_basis'])):>12} "
                  f"TVA {fr.amount(d(v['sales_vat'])):>10}  retours HT {fr.amount(d(v['returns_basis'])):>10}")
        for method, amount in z["payments"].items():
            print(f"  {method:<12} {fr.amount(d(amount), True):>14}")
    if args.printer or args.kind == "print":
        from printers import dispatch
        print(f"Ticket Z imprimé (travail n° {dispatch.closing(c.seq, args.printer)}).")


def cmd_archive(args):
    from printers import documents as pdf_documents
    from .. import archives
    done = archives.write(args.period, args.output, lambda doc_id: pdf_documents.pdf_bytes(doc_id, duplicate=False))
    print(f"Archive {done['path']} : {done['documents']} document(s), {done['payments']} règlement(s), "
          f"{done['closings']} clôture(s), {done['records']} enregistrement(s) du journal, "
          f"du {done['start'].strftime('%d/%m/%Y')} au {done['end'].strftime('%d/%m/%Y')} ; clé {done['key_id']}.")


def cmd_verify_archive(args):
    """Offline: no database is opened."""
    from .. import archives
    trusted = None
    if args.key:
        try:
            with open(args.key, "rb") as f:
                trusted = f.read()
        except OSError as e:
            raise FactuError(f"--key : clé illisible « {args.key} » ({e.strerror})", "--key", args.key) from None
    result = archives.verify_archive(args.file, trusted, args.trust_embedded_key)
    if args.json:
        _json(result)
    else:
        if result["ok"]:
            c, p = result["counts"], result["period"]
            print(f"Archive intacte : {c.get('documents', 0)} document(s), {c.get('records', 0)} enregistrement(s), "
                  f"du {p.get('start')} au {p.get('end')}, signée par la clé {result['key_id']} ; clé de "
                  f"confiance : {result['trusted']}.")
        for problem in result["problems"]:
            print(problem, file=sys.stderr)
    return 0 if result["ok"] else 1


def cmd_backup(args):
    from .. import backups, fr
    done = backups.backup(args.output)
    print(f"Sauvegarde {done['path']} ({done['engine']}, {fr.number(done['size'] / 1024, 0)} Ko) — elle contient la "
          "clé de signature : gardez-la à l'abri.")


def cmd_restore(args):
    """Opens the base to replace (if one stands there) only to know who asks: its
    administrator, by peer or --user. A new target needs nobody."""
    from .. import backups, db as database
    target = args.db or os.environ.get("TUI_FACTU_DB") or database.default_location()
    if backups.is_base(target):
        database.connect(target)
        _act_as(args.user)
    done = backups.restore(args.file, target, args.force, args.accept_new_key)
    if done["new_key"]:
        print(f"ATTENTION : la base restaurée est signée par une autre clé ({done['key_id']}) que celle qu'elle "
              "remplace ; vérifiez d'où vient cette sauvegarde.", file=sys.stderr)
    print(f"Base restaurée dans {done['target']} (sauvegarde du {done['created_at'][:10]}, "
          f"{done['records']} enregistrement(s) vérifiés, clé {done['key_id']}).")


def cmd_export_fec(args):
    from .. import fec
    done = fec.export(args.year, args.output, "|" if args.pipe else "\t")
    print(f"FEC écrit : {done['path']} ({done['sales']} écriture(s) de ventes, {done['receipts']} d'encaissements).")


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
            _json(rows)
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
            _json(rows)
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


def printing_target(name_or_url):
    from .. import printing
    return printing.resolve(name_or_url)


def cmd_verify(args):
    from .. import journal, verify
    trusted = None
    if args.key:
        try:
            with open(args.key, "rb") as f:
                trusted = f.read()
        except OSError as e:
            raise FactuError(f"--key : clé illisible « {args.key} » ({e.strerror})", "--key", args.key) from None
    report = verify.run(trusted_key=trusted)
    if args.json:
        _json(report.as_dict())
    else:
        for c in report.chains:
            label = journal.CHAIN_LABELS.get(c.chain, c.chain)
            state = "intacte" if c.ok else f"ALTÉRÉE ({len(c.failures)} problème(s))"
            print(f"chaîne {c.chain:<9} ({label}) : {c.records} enregistrement(s), {state}")
            for message, _ in c.failures:
                print(f"    - {message}")
        if not report.chains:
            print("journal vide : rien à vérifier")
    if not report.ok:
        print(f"Intégrité rompue : {len(report.failures)} problème(s), le premier : {report.failures[0][1]}",
              file=sys.stderr)
        return 1
    return 0


def cmd_signer(args):
    """The signing service, run by the account that alone reads the key (README, « Clés »)."""
    from pathlib import Path
    from .. import signer
    if args.action == "serve":
        socket_path, keys = Path(args.socket).absolute(), Path(args.keys).absolute()

        def ready(server, service):
            print(f"Service de signature : clé {service.key_id} ({keys}), à l'écoute sur {socket_path}", flush=True)
        signer.serve(socket_path, keys, args.group, ready, args.admin_uid)


def cmd_company(args):
    from .. import catalog
    if args.action == "set":
        values = {}
        for item in args.values:
            key, sep, value = item.partition("=")
            if not sep:
                raise FactuError(f"société : « {item} » — format champ=valeur attendu", "société", item)
            values[key.strip()] = value
        catalog.update_company(values)
    c = catalog.company()
    for field in catalog.COMPANY_FIELDS:
        print(f"{field:<20} {getattr(c, field)}")


def cmd_customer(args):
    from .. import catalog
    if args.action == "show":
        c = catalog.customer_by_code(args.text)
        _json(catalog.customer_snapshot(c))
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
        _json(_backorder_rows(customer_id))
        return
    for r in rows:
        print(f"{r['order']:<14} {fr.date(r['date'])} {r['customer']:<8} {r['product']:<10} "
              f"{r['description'][:30]:<30} reste {fr.number(r['remaining'])} / {fr.number(r['ordered'])}")
    if not rows:
        print("Aucun reliquat.")


def _new_password(prompt: str) -> str | None:
    """TUI_FACTU_NEW_PASSWORD, else asked on the terminal; None without either (OS-account
    login only)."""
    password = os.environ.get("TUI_FACTU_NEW_PASSWORD")
    if password is None and sys.stdin.isatty():
        import getpass
        password = getpass.getpass(prompt)
    return password or None


def _backorder_rows(customer_id=None) -> list[dict]:
    from .. import documents
    return [{**r, "ordered": str(r["ordered"]), "remaining": str(r["remaining"])}
            for r in documents.backorders(customer_id)]


def cmd_user(args):
    """user list | user add NAME --role R | user set NAME [--role R] [--password] [--disable|--enable]
    [--link OS_ACCOUNT] [--unlock]"""
    from .. import users
    if args.action in ("add", "set") and not args.name:
        raise FactuError(f"user {args.action} NOM attendu", "utilisateur", None)
    if args.action == "add":
        users.create(args.name, args.role or "sales", _new_password(f"Mot de passe de « {args.name} » : "),
                     os_link=args.link)
        print(f"Utilisateur « {args.name} » créé ({args.role or 'sales'}).")
        return
    if args.action == "set":
        password = _new_password(f"Nouveau mot de passe de « {args.name} » : ") if args.password else None
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


def cmd_audit(args):
    from .. import audit, documents
    if args.events:
        rows = audit.events(args.action, args.user)
        if args.json:
            _json(rows)
            return
        for r in rows:
            print(f"{r['at']} {r['user']:<10} {r['label']:<20} {r['ref'][:18]:<18} {r['detail'][:60]}")
        return
    entity, entity_id = None, None
    from .. import catalog
    if args.doc:
        entity, entity_id = "document", documents.resolve(args.doc).id
    elif args.customer:
        entity, entity_id = "customer", catalog.customer_by_code(args.customer).id
    elif args.product:
        entity, entity_id = "product", catalog.product_by_code(args.product).id
    rows = audit.history(entity, entity_id, args.user)
    if args.json:
        _json(rows)
        return
    for r in rows:
        print(f"{r['at']} {r['user']:<10} {r['entity']:<9} {r['ref'][:16]:<16} {r['field']:<12} "
              f"{(r['old'] or '')[:30]!s:<30} → {(r['new'] or '')[:40]}")


def cmd_pdf(args):
    from printers import dispatch
    if args.all:
        if not args.output:
            raise FactuError("pdf --all : -o DOSSIER obligatoire", "-o", None)
        return _pdf_batch(args)
    if not args.ref:
        raise FactuError("pdf : REF ou --all attendu", "REF", None)
    path = dispatch.write_pdf(args.ref, args.output, args.sign)
    print(f"PDF écrit : {path}")


def _pdf_batch(args):
    """Streams every matching document to DIR, one at a time (constant memory)."""
    from pathlib import Path
    from printers import dispatch
    from .. import documents, files
    out = Path(files.check_folder(args.output, "PDF", "-o"))
    start = documents.parse_date(args.date_from, "--from") if args.date_from else None
    end = documents.parse_date(args.date_to, "--to") if args.date_to else None
    after, count = None, 0
    while True:
        page = documents.listing(args.kind, None, None, after, limit=200)
        if not page:
            break
        after = page[-1]["id"]
        for row in page:
            if row["number"] is None:
                continue
            if (start and row["date"] < start.isoformat()) or (end and row["date"] > end.isoformat()):
                continue
            dispatch.write_pdf(row["number"], str(out), args.sign)
            count += 1
    print(f"{count} PDF écrit(s) dans {out}")


def cmd_slip(args):
    from printers import dispatch
    job = dispatch.slip(args.ref, args.printer, receipt=args.receipt, qr=args.qr)
    print(f"Imprimé (travail n° {job}).")


def cmd_printers(args):
    from .. import printing
    if args.action == "add":
        if not args.name or not args.url:
            raise FactuError("printers add NOM URL attendu", "imprimante", None)
        printing.set_printer(args.name, args.url, args.profile, args.columns)
    elif args.action == "test":
        from printers import dispatch
        job = dispatch.test(args.name)
        print(f"Page de test imprimée (travail n° {job}).")
        return
    found = printing.printers()
    for name, conf in sorted(found.items()):
        print(f"{name:<12} {conf.get('url', ''):<36} {conf.get('profile', 'default'):<10} "
              f"{conf.get('columns', '42')} colonnes")
    if not found:
        print("Aucune imprimante (tui-factu printers add default tcp://192.168.1.50:9100)")


def cmd_queue(args):
    from .. import printing
    if args.action == "retry":
        from printers import dispatch
        if args.job is None:
            raise FactuError("queue retry N : numéro du travail attendu", "travail", None)
        dispatch.send(args.job)
        print(f"Travail n° {args.job} imprimé.")
        return
    labels = {"pending": "en attente", "printed": "imprimé", "failed": "échec"}
    for j in printing.queue(args.state):
        print(f"{j.id:>5} {j.created_at[:16]} {j.what:<8} {j.ref:<14} {labels.get(j.state, j.state):<10} "
              f"{j.printer:<28} {j.error[:60]}")


def cmd_serve(args):
    """The same app in a browser, behind the app's login (screens/serve)."""
    from pathlib import Path
    from screens.serve import serve
    from .. import db as database
    exe = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "tui-factu" else "tui-factu"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"attention : servi sur {args.host}, hors de cette machine ; mettez-le derrière un proxy HTTPS",
              file=sys.stderr)
    serve(str(exe), database.location(), args.host, args.port)


REPORTS = ("sales-journal", "vat", "payments", "statement", "aging", "ranking", "stock", "backorders",
           "quotes-followup", "to-deliver", "to-invoice", "overdue", "due", "deposits", "conversion", "targets",
           "moves", "reorder", "genealogy")


def cmd_report(args):
    """tui-factu report NAME [--from D --to D] [--by ...] [--json] [--csv FILE [--fr]]"""
    from .. import documents, reports
    name = args.name
    if name == "sales-journal":
        rows = reports.sales_journal(args.date_from, args.date_to)
    elif name == "vat":
        rows = (reports.vat_on_receipts(args.date_from, args.date_to) if args.on == "receipts"
                else reports.vat_summary(args.date_from, args.date_to))
    elif name == "payments":
        rows = reports.payments_journal(args.date_from, args.date_to)
    elif name == "statement":
        if not args.customer:
            raise FactuError("report statement : --customer CODE attendu", "--customer", None)
        rows = reports.statement(args.customer, args.date_from, args.date_to)
    elif name == "aging":
        rows = reports.aging()
    elif name == "ranking":
        rows = reports.ranking(args.by or "customer", args.measure, args.date_from, args.date_to, args.top)
    elif name == "stock":
        rows = reports.stock_levels()
    elif name == "reorder":
        rows = [r for r in reports.stock_levels() if r["to_reorder"]]
    elif name == "backorders":
        rows = reports.backorders_by(args.by) if args.by else _backorder_rows()
    elif name == "due":
        rows = reports.due_soon(args.days)
    elif name == "deposits":
        rows = reports.deposits_unpaid()
    elif name == "conversion":
        rows = reports.conversion(args.date_from, args.date_to, args.by or "month")
    elif name == "targets":
        from .. import targets
        rows = targets.achievement(args.year)
    elif name == "moves":
        if not args.product:
            raise FactuError("report moves --product CODE attendu", "--product", None)
        rows = reports.moves(args.product, args.date_from, args.date_to)
    elif name == "genealogy":
        if not args.ref:
            raise FactuError("report genealogy REF attendu", "REF", None)
        rows = documents.genealogy(documents.resolve(args.ref).id)
    elif name == "quotes-followup":
        rows = reports.follow_up(name, days=args.days)
    else:
        rows = reports.follow_up(name)
    if args.csv:                                  # streamed: a year's journal in constant memory
        from .. import csvout
        print(f"{csvout.write(rows, args.csv, args.fr)} ligne(s) écrite(s) dans {args.csv}")
        return
    rows = list(rows)
    if args.json:
        _json(rows)
    else:
        if rows:
            keys = list(rows[0])
            print("  ".join(keys))
            for r in rows:
                print("  ".join(str(r.get(k, "")) for k in keys))
        else:
            print("(aucune ligne)")


def cmd_bench(args):
    from printers import bench as printers_bench
    from screens import bench as screens_bench
    from .. import bench
    bench.EXTRAS.extend([printers_bench.run, screens_bench.run])
    return bench.run(args.docs, args.list_docs)


# ---- parser --------------------------------------------------------------------------------

def build_parser() -> Parser:
    p = Parser(prog="tui-factu", description="Facturation clients et vente comptoir au clavier.")
    p.add_argument("--db", help="chemin SQLite ou URL postgresql://… (défaut : TUI_FACTU_DB ou "
                                "le dossier de données de l'utilisateur)")
    p.add_argument("--user", help="agir en tant que cet utilisateur de l'application")
    sub = p.add_subparsers(dest="command", parser_class=Parser, metavar="COMMANDE")

    s = sub.add_parser("init", help="crée ou met à jour la base")
    s.add_argument("--demo", action="store_true", help="charge une société de démonstration")
    s.set_defaults(func=cmd_init)
    s = sub.add_parser("import", help="importe un fichier JSON tui-factu/1 (tout ou rien)")
    s.add_argument("file")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import)
    s = sub.add_parser("export", help="exporte toute la base en JSON tui-factu/1")
    s.add_argument("file")
    s.set_defaults(func=cmd_export)

    doc = sub.add_parser("doc", help="documents : list, show, new, validate, transform, credit")
    dsub = doc.add_subparsers(dest="doc_command", parser_class=Parser, metavar="ACTION", required=True)
    s = dsub.add_parser("list")
    s.add_argument("--kind")
    s.add_argument("--status")
    s.add_argument("--customer")
    s.add_argument("--limit", type=int)
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

    s = sub.add_parser("pay", help="encaisser : REF… MONTANT --method M | --list REF | --cancel N")
    s.add_argument("items", nargs="*", metavar="REF… MONTANT")
    s.add_argument("--method", choices=("cash", "card", "cheque", "transfer", "credit"))
    s.add_argument("--date")
    s.add_argument("--reference")
    s.add_argument("--bank")
    s.add_argument("--list", metavar="REF")
    s.add_argument("--cancel", type=int, metavar="N")
    s.add_argument("--receipt", type=int, metavar="N", help="reçu du règlement N (PDF, ou --printer)")
    s.add_argument("--printer")
    s.add_argument("-o", "--output")
    s.set_defaults(func=cmd_pay)
    s = sub.add_parser("apply-credit", help="impute un avoir sur une facture : AVOIR FACTURE [MONTANT]")
    s.add_argument("credit")
    s.add_argument("invoice")
    s.add_argument("amount", nargs="?")
    s.set_defaults(func=cmd_apply_credit)
    s = sub.add_parser("refund", help="rembourse le reste d'un avoir : AVOIR [MONTANT] --method M")
    s.add_argument("credit")
    s.add_argument("amount", nargs="?")
    s.add_argument("--method", required=True, choices=("cash", "card", "cheque", "transfer"))
    s.set_defaults(func=cmd_refund)
    s = sub.add_parser("sale", help="vente comptoir : CODE[:QTÉ]… --pay MODE:MONTANT… [--customer C]")
    s.add_argument("items", nargs="+", metavar="CODE[:QTÉ]")
    s.add_argument("--pay", action="append", metavar="MODE:MONTANT", required=True)
    s.add_argument("--customer")
    s.add_argument("--printer")
    s.set_defaults(func=cmd_sale)
    s = sub.add_parser("return", help="retour au comptoir : TICKET [--line N:QTÉ…] [--method M] "
                                      "(avoir, stock, remboursement ; tout le ticket sans --line)")
    s.add_argument("ticket")
    s.add_argument("--line", action="append", metavar="N:QTÉ")
    s.add_argument("--method", choices=("cash", "card", "cheque", "transfer"))
    s.add_argument("--no-restock", action="store_true", help="les articles ne reviennent pas en stock")
    s.set_defaults(func=cmd_return)
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
    s = sub.add_parser("close", help="clôtures : day|month|year [DATE] [--printer P] | list | print N --printer P")
    s.add_argument("kind", choices=("day", "month", "year", "list", "print"))
    s.add_argument("date", nargs="?", help="un jour de la période (défaut : aujourd'hui, le dernier mois ou "
                                           "la dernière année terminés)")
    s.add_argument("--list", action="store_true")
    s.add_argument("--printer", help="imprime le ticket Z sur cette imprimante")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_close)
    s = sub.add_parser("archive", help="archive signée d'une période : PÉRIODE -o FICHIER (2026, 2026-11, "
                                       "2026-11-30, 2026-01-01..2026-06-30)")
    s.add_argument("period", metavar="PÉRIODE")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=cmd_archive)
    s = sub.add_parser("verify-archive", help="vérifie une archive hors ligne (sans base) : FICHIER [--key CLÉ.pem]")
    s.add_argument("file")
    s.add_argument("--key", help="la clé publique de confiance à laquelle comparer celle de l'archive")
    s.add_argument("--trust-embedded-key", action="store_true",
                   help="sans --key : accepter la clé que l'archive contient (elle ne prouve rien à elle seule)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_verify_archive, offline=True)
    s = sub.add_parser("backup", help="sauvegarde cohérente pendant que les postes travaillent : -o FICHIER")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=cmd_backup)
    s = sub.add_parser("restore", help="restaure une sauvegarde (refusée si son journal ne se vérifie pas)")
    s.add_argument("file")
    s.add_argument("--force", action="store_true", help="remplace la base existante")
    s.add_argument("--accept-new-key", action="store_true",
                   help="accepte une sauvegarde signée par une autre clé que celle de la base (administrateur)")
    s.set_defaults(func=cmd_restore, offline=True)
    s = sub.add_parser("export-fec", help="FEC de l'exercice (ventes et encaissements) : ANNÉE [-o DOSSIER] [--pipe]")
    s.add_argument("year", type=int)
    s.add_argument("-o", "--output", default=".")
    s.add_argument("--pipe", action="store_true", help="séparateur | au lieu de la tabulation")
    s.set_defaults(func=cmd_export_fec)
    s = sub.add_parser("targets", help="objectifs de vente : set ANNÉE overall|salesperson|family CLÉ Y|Q1|M03 MONTANT "
                                       "| import FICHIER.csv")
    s.add_argument("action", choices=("set", "import"))
    s.add_argument("values", nargs="*")
    s.set_defaults(func=cmd_targets)
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
    s = sub.add_parser("verify", help="vérifie les scellements et les chaînes du journal")
    s.add_argument("--json", action="store_true")
    s.add_argument("--key", help="la clé publique de la société (sinon celle gardée hors de la base)")
    s.set_defaults(func=cmd_verify)
    s = sub.add_parser("signer", help="service de signature : serve --socket BASE.d/signer.sock --keys DOSSIER "
                                      "[--group GROUPE]")
    s.add_argument("action", choices=("serve",))
    s.add_argument("--socket", required=True, help="le socket, dans le dossier de la base (BASE.d/signer.sock)")
    s.add_argument("--keys", required=True, help="le dossier de la clé, lisible par ce compte seul")
    s.add_argument("--group", help="le groupe des postes autorisés à faire signer")
    s.add_argument("--admin-uid", action="append", default=[],
                   help="compte système (uid) d'un administrateur dont il signe archives et sauvegardes")
    s.set_defaults(func=cmd_signer, offline=True)
    s = sub.add_parser("company", help="identité légale de la société : show | set champ=valeur…")
    s.add_argument("action", choices=("show", "set"))
    s.add_argument("values", nargs="*")
    s.set_defaults(func=cmd_company)
    for name, func in (("customer", cmd_customer), ("product", cmd_product)):
        s = sub.add_parser(name, help=f"{ {'customer': 'clients', 'product': 'produits'}[name]} : list [DÉBUT] | show CODE")
        s.add_argument("action", choices=("list", "show"))
        s.add_argument("text", nargs="?")
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
    s = sub.add_parser("setting", help="réglages : [CLÉ [VALEUR]] (marge plancher, remise maximale…)")
    s.add_argument("key", nargs="?")
    s.add_argument("value", nargs="?")
    s.set_defaults(func=cmd_setting)
    s = sub.add_parser("audit", help="historique des modifications (--events : journal des événements techniques)")
    s.add_argument("--doc")
    s.add_argument("--customer")
    s.add_argument("--product")
    s.add_argument("--events", action="store_true", help="connexions, impressions, exports, clôtures, paramètres…")
    s.add_argument("--action", help="--events : une seule sorte (login, reprint, export…)")
    s.add_argument("--user", dest="user")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_audit)
    s = sub.add_parser("pdf", help="PDF/A-3 (Factur-X pour les factures et avoirs)")
    s.add_argument("ref", nargs="?")
    s.add_argument("-o", "--output")
    s.add_argument("--sign", action="store_true", help="signature PAdES avec le certificat de la société")
    s.add_argument("--all", action="store_true")
    s.add_argument("--kind")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.set_defaults(func=cmd_pdf)
    s = sub.add_parser("slip", help="bon de livraison (ou --receipt : ticket) sur imprimante thermique")
    s.add_argument("ref")
    s.add_argument("--printer", help="nom configuré ou URL (tcp://, usb://, serial://, file://, cups://)")
    s.add_argument("--receipt", action="store_true")
    s.add_argument("--qr", action="store_true")
    s.set_defaults(func=cmd_slip)
    s = sub.add_parser("printers", help="imprimantes : list | add NOM URL | test NOM")
    s.add_argument("action", nargs="?", default="list", choices=("list", "add", "test"))
    s.add_argument("name", nargs="?")
    s.add_argument("url", nargs="?")
    s.add_argument("--profile", default="default")
    s.add_argument("--columns", type=int, default=42)
    s.set_defaults(func=cmd_printers)
    s = sub.add_parser("queue", help="file d'impression : list | retry N")
    s.add_argument("action", nargs="?", default="list", choices=("list", "retry"))
    s.add_argument("job", nargs="?", type=int)
    s.add_argument("--state", choices=("pending", "printed", "failed"))
    s.set_defaults(func=cmd_queue)
    s = sub.add_parser("serve", help="l'application dans un navigateur (127.0.0.1 par défaut)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("report", help="états : " + ", ".join(REPORTS))
    s.add_argument("name", choices=REPORTS)
    s.add_argument("ref", nargs="?")
    s.add_argument("--from", dest="date_from")
    s.add_argument("--to", dest="date_to")
    s.add_argument("--by", choices=("customer", "product", "family", "month", "salesperson"))
    s.add_argument("--on", choices=("invoices", "receipts"), default="invoices", help="vat : TVA des factures ou des encaissements")
    s.add_argument("--days", type=int, default=15, help="due : échéances à moins de N jours ; quotes-followup : "
                                                         "devis expirant sous N jours")
    s.add_argument("--product", help="moves : le produit")
    s.add_argument("--year", type=int, help="targets : l'année")
    s.add_argument("--measure", default="revenue", choices=("revenue", "margin", "quantity"))
    s.add_argument("--top", type=int, default=20)
    s.add_argument("--customer")
    s.add_argument("--json", action="store_true")
    s.add_argument("--csv")
    s.add_argument("--fr", action="store_true", help="CSV : point-virgule et virgule décimale")
    s.set_defaults(func=cmd_report)
    s = sub.add_parser("bench", help="mesure les performances sur une base synthétique")
    s.add_argument("--docs", type=int, default=100_000)
    s.add_argument("--list-docs", type=int, default=1_000_000)
    s.set_defaults(func=cmd_bench)
    return p


def _log_crash() -> str:
    from .. import logs
    return logs.crash()


def main(argv=None) -> int:
    skip_postgres_driver(sys.argv[1:] if argv is None else argv)
    import peewee as pw
    from .. import db as database
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is cmd_bench:
            return args.func(args) or 0
        func = getattr(args, "func", cmd_tui)
        if func is cmd_tui:                       # the login screen decides who acts
            return cmd_tui(args) or 0
        if getattr(args, "offline", False):       # no database at all (verify-archive)
            return func(args) or 0
        database.connect(args.db)
        database.ensure_schema()
        _act_as(args.user, bootstrapping=func is cmd_init)
        if func is not cmd_serve:                 # a command writes where it was run from, too
            from .. import files
            files.allow_folder(os.getcwd())
        return func(args) or 0
    except IntegrityFailure as e:
        print(f"tui-factu : {e}", file=sys.stderr)
        return 1
    except FactuError as e:
        print(f"tui-factu : {e}", file=sys.stderr)
        return 2
    except pw.IntegrityError as e:
        print(f"tui-factu : refusé par la base de données : {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    except pw.OperationalError as e:
        print(f"tui-factu : base de données indisponible : {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    except BrokenPipeError:          # `tui-factu doc list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("tui-factu : interrompu", file=sys.stderr)
        return 130
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback on screen
        where = _log_crash()
        print(f"tui-factu : erreur interne ({type(e).__name__}: {e}) — détails dans {where}",
              file=sys.stderr)
        return 3


def _act_as(name: str | None, bootstrapping: bool = False) -> None:
    """Who this command acts as, like PostgreSQL's peer authentication: the app user linked to
    the OS account running it (the kernel's uid, never $USER), with no password; `--user NAME`
    with that user's password (TUI_FACTU_PASSWORD, else asked on the terminal) to act as
    someone else. Nobody else acts: only `init` may find a base without users, and create its
    first administrator."""
    from .. import session, users
    from ..models import User
    with session.unauthenticated():
        linked = users.by_os_account()
        has_users = User.select().exists()
    if name:
        if linked and linked.name == name:
            session.set_user(linked.name)
            return
        password = os.environ.get("TUI_FACTU_PASSWORD")
        if password is None and sys.stdin.isatty():
            import getpass
            password = getpass.getpass(f"Mot de passe de « {name} » : ")
        if password is None:
            raise FactuError(f"--user {name} : mot de passe requis (TUI_FACTU_PASSWORD ou terminal)", "--user", name)
        users.authenticate(name, password)
        return
    if linked:
        session.set_user(linked.name)
        return
    account = session.os_account()
    if has_users:
        raise FactuError(f"le compte système « {account} » n'est lié à aucun utilisateur de l'application : "
                         "utilisez --user NOM (avec son mot de passe), ou demandez à un administrateur "
                         f"« tui-factu user set NOM --link {account} »", "--user", account)
    if not bootstrapping:
        raise FactuError("cette base n'a encore aucun utilisateur : commencez par « tui-factu init »",
                         "utilisateur", account)


if __name__ == "__main__":
    sys.exit(main())
