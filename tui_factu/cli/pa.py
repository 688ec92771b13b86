"""The Plateforme Agréée (XP Z12-013) and the e-invoices' lifecycle: pa config, send, sync,
status, lookup, import-status, status-message, queue."""
import os
import sys

from ..errors import FactuError
from .output import print_json


def _render(doc):
    """The Factur-X PDF/A-3 a platform receives (not a print: the original stays unused)."""
    from printers import documents as pdf_documents
    return pdf_documents.pdf_bytes(doc.id, duplicate=False), f"{doc.number}.pdf"


def cmd_pa(args):
    from .. import pa
    action = args.action
    if action == "config":
        secret = os.environ.get(pa.SECRET_ENV)
        if secret is None and sys.stdin.isatty():
            import getpass
            secret = getpass.getpass("Secret client OAuth2 de la plateforme (rien ne s'affiche) : ") or None
        pa.configure(args.url, args.token_url, args.client_id, secret, args.directory_url)
        print("Plateforme agréée configurée" + (" (secret enregistré, lisible par ce compte seul)." if secret
                                                  else " (secret inchangé)."))
        return
    if action == "send":
        if not args.refs:
            raise FactuError("pa send REF… : au moins une facture ou un avoir", "REF", None)
        flows = pa.queue(args.refs, _render)
        return _report(pa.send_pending(flows), args.json)
    if action == "queue":
        return _report(pa.send_pending(), args.json) if args.retry else _print_queue(args.json)
    if action == "sync":
        result = pa.sync()
        if args.json:
            return print_json(result)
        for s in result["statuses"]:
            if s["new"]:
                print(f"{s['number']:<14} {s['code']} {s['status']}")
        for ref in result["refused"]:
            print(f"{ref:<14} refusée par la plateforme (tui-factu pa status {ref})")
        for r in result["paid_sent"]:
            print(f"{r['ref']:<14} statut 212 « encaissée » : {r['message']}")
        for e in result["errors"]:
            print(f"ignoré : {e}", file=sys.stderr)
        print(f"{sum(1 for s in result['statuses'] if s['new'])} statut(s) nouveau(x) ; synchronisé jusqu'au "
              f"{result['since']}")
        return 1 if result["errors"] else 0
    if action == "status":
        return _print_status(_one(args), args.json)
    if action == "lookup":
        found = pa.lookup(_one(args))
        if args.json:
            return print_json(found)
        print(f"{found['siren']} : adresse électronique {found['einvoice_address']}"
              + (f" (clients mis à jour : {', '.join(found['customers'])})" if found["customers"] else ""))
        return
    if action == "import-status":
        from .. import lifecycle
        path = _one(args)
        try:
            with open(path, "rb") as f:
                data = f.read(5 << 20)
        except OSError as e:
            raise FactuError(f"pa import-status : fichier illisible ({e.strerror})", "fichier", path) from None
        done = lifecycle.apply(data, "file")
        if args.json:
            return print_json(done)
        for s in done:
            print(f"{s['number']:<14} {s['code']} {s['status']}" + ("" if s["new"] else " (déjà connu)"))
        return
    if action == "status-message":
        return _status_message(args)
    raise FactuError(f"pa : action inconnue « {action} »", "action", action)


def _one(args) -> str:
    if len(args.refs) != 1:
        raise FactuError(f"pa {args.action} : un argument attendu", "argument", None)
    return args.refs[0]


def _status_message(args):
    from pathlib import Path
    from .. import documents, files, lifecycle, pa
    if args.status != 212:
        raise FactuError("pa status-message : seul le statut 212 (encaissée) est celui du vendeur", "--status",
                         args.status)
    doc = documents.resolve(_one(args))
    data = lifecycle.paid_message(doc)
    if args.output:
        path = Path(args.output)
        if path.is_dir() or args.output.endswith(os.sep):
            path = path / f"{doc.number}-212.xml"
        with files.writing(path, "fichier", "-o") as f:
            f.write(data)
        print(f"Statut « encaissée » (CDAR) écrit : {path}")
    if args.send:
        flow = pa.queue_status(doc, 212, data)
        return _report(pa.send_pending([flow]), args.json)
    if not args.output:
        sys.stdout.write(data.decode())


def _report(rows: list[dict], as_json: bool) -> int:
    if as_json:
        print_json(rows)
    else:
        words = {"sent": "transmise", "refused": "REFUSÉE", "pending": "en attente"}
        for r in rows:
            print(f"{r['ref']:<18} {words.get(r['state'], r['state']):<11} {r['flow_id'] or '':<38} "
                  f"{r['message'] if r['state'] != 'sent' else ''}")
    return 0 if all(r["state"] == "sent" for r in rows) else 2


def _print_queue(as_json: bool):
    from ..models import PaFlow
    rows = [{"ref": f.tracking_id, "what": f.what, "syntax": f.syntax, "state": f.state,
             "flow_id": f.flow_id or None, "attempts": f.attempts, "error": f.error or None}
            for f in PaFlow.select().order_by(PaFlow.id)]
    if as_json:
        return print_json(rows)
    for r in rows:
        print(f"{r['ref']:<18} {r['what']:<7} {r['syntax']:<9} {r['state']:<9} {r['flow_id'] or '':<38} "
              f"{r['error'] or ''}")
    if not rows:
        print("(rien à transmettre)")


def _print_status(ref: str, as_json: bool):
    from .. import pa
    found = pa.status_of(ref)
    if as_json:
        return print_json(found)
    e = found["einvoice"]
    if e is None:
        print(f"{found['number']} : pas une facture électronique")
        return
    print(f"{found['number']} : " + (f"{e['status_code']} {e['status']}" if e["status_code"] else "aucun statut")
          + (f" — transmise (flux {e['flow_id']})" if e["flow_id"] else ""))
    for h in e["history"]:
        print(f"  {h['date'][:19]}  {h['code']} {h['label']}" + (f" — {h['reason']}" if h["reason"] else ""))
    if e.get("next_step"):
        print(f"À faire : {e['next_step']}")


def register(sub) -> None:
    """Adds to the root's sub-commands: pa."""
    s = sub.add_parser("pa", help="plateforme agréée : config | send REF… | sync | status REF | lookup SIREN|SIRET "
                                  "| import-status FICHIER.xml | status-message REF --status 212 | queue [--retry]")
    s.add_argument("action", choices=("config", "send", "sync", "status", "lookup", "import-status",
                                      "status-message", "queue"))
    s.add_argument("refs", nargs="*")
    s.add_argument("--url", help="adresse de l'API Flow de la plateforme")
    s.add_argument("--token-url", help="adresse OAuth2 des jetons")
    s.add_argument("--client-id")
    s.add_argument("--directory-url", help="adresse de l'API Annuaire (vide : celle de Flow)")
    s.add_argument("--status", type=int, default=212)
    s.add_argument("--send", action="store_true", help="status-message : le mettre en file pour la plateforme")
    s.add_argument("--retry", action="store_true", help="queue : renvoyer ce qui attend")
    s.add_argument("-o", "--output")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_pa)
