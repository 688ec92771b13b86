"""The legal record: closings (close), signed archives (archive, verify-archive), backups
(backup, restore), the FEC (export-fec), the journal's integrity and its signing service
(verify, signer), the audit trail (audit)."""
import os
import sys

from ..errors import FactuError
from .identity import act_as
from .output import print_json


def cmd_close(args):
    """close day|month|year [DATE] [--printer P] [--json] | close --list"""
    from .. import closings, fr
    from ..money import to_decimal as d
    if args.kind == "list" or args.list:
        rows = closings.listing()
        if args.json:
            print_json(rows)
            return
        for r in rows:
            print(f"n° {r['seq']:<4} {closings.KINDS[r['kind']]:<11} {r['label']:<10} ventes {fr.amount(d(r['sales'])):>12}"
                  f"  retours {fr.amount(d(r['returns'])):>10}  total {fr.amount(d(r['grand_total'])):>12}"
                  f"  perpétuel {fr.amount(d(r['perpetual'])):>14}  {r['user']}")
        if not rows:
            print("Aucune clôture.")
        return
    if args.printer:                    # a printer refused before the closing, not after it
        from .. import printing
        printing.resolve(args.printer)
    if args.kind == "print":
        c = closings.get(args.date or "")
    else:
        c = closings.close(args.kind, args.date)
    z = closings.view(c)
    if args.json:
        print_json(z)
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
        print_json(result)
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
        act_as(args.user)
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
        print_json(report.as_dict())
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


def cmd_audit(args):
    from .. import audit, documents
    if args.events:
        rows = audit.events(args.action, args.user)
        if args.json:
            print_json(rows)
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
        print_json(rows)
        return
    for r in rows:
        print(f"{r['at']} {r['user']:<10} {r['entity']:<9} {r['ref'][:16]:<16} {r['field']:<12} "
              f"{(r['old'] or '')[:30]!s:<30} → {(r['new'] or '')[:40]}")


def register(sub) -> None:
    """Adds to the root's sub-commands: close, archive, verify-archive, backup, restore,
    export-fec, verify, signer, audit."""
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
    s = sub.add_parser("audit", help="historique des modifications (--events : journal des événements techniques)")
    s.add_argument("--doc")
    s.add_argument("--customer")
    s.add_argument("--product")
    s.add_argument("--events", action="store_true", help="connexions, impressions, exports, clôtures, paramètres…")
    s.add_argument("--action", help="--events : une seule sorte (login, reprint, export…)")
    s.add_argument("--user", dest="user")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_audit)
