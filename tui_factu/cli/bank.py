"""Bank statements (bank import, match, lines, confirm) and the write-off of a small balance (writeoff)."""
from ..errors import FactuError
from .output import print_json


def _import(args):
    from .. import bank, fr
    if not args.file:
        raise FactuError("bank import : FICHIER attendu (relevé CAMT.053, OFX ou CSV)", "FICHIER", None)
    done = bank.import_file(args.file, args.format, args.account)
    label = bank.FORMAT_LABELS.get(done["format"], done["format"])
    account = f"compte {done['account']}" if done["account"] else "compte non précisé"
    if done["status"] == "already":
        print(f"Relevé déjà importé le {fr.date(done['imported_at'])} ({label}, {account}) : aucune ligne ajoutée.")
        return
    left_out = ", ".join(f"{n} {why}" for why, n in done["left_out"].items())
    print(f"Relevé {label} importé ({account}) : {done['lines']} crédit(s) ajouté(s) pour "
          f"{fr.amount(_d(done['total']), True)}"
          + (f", {done['known']} déjà importé(s)" if done["known"] else "")
          + (f" ; laissés de côté : {left_out}" if left_out else "") + ".")


def _line(row) -> str:
    from .. import fr
    from ..charset import printable
    who = printable(row["counterparty"] or row["label"], False)[:32]
    return f"ligne {row['line']:<5} {fr.date(row['date'])} {fr.amount(_d(row['amount']), True):>14}  {who:<32}"


def _d(text):
    from decimal import Decimal
    return Decimal(text)


def _match(args):
    from .. import bank
    from ..charset import printable
    done = bank.match(apply=args.apply)
    if args.json:
        return print_json(done)
    for p in done["proposals"]:
        numbers = ", ".join(i["number"] for i in p["invoices"])
        print(f"{_line(p)} → {numbers} ({p['customer']}) {bank.CERTAINTY_LABELS[p['certainty']]}, "
              f"{bank.RULE_LABELS[p['rule']]} : {printable(p['reason'], False)}")
    for row in done["unmatched"]:
        print(f"{_line(row)} sans correspondance : {printable(row['reason'], False)}")
    for a in done["applied"]:
        print(f"Enregistré : ligne {a['line']} → règlement n° {a['payment']} ({', '.join(a['invoices'])}).")
    for r in done["refused"]:
        print(f"Non enregistré : ligne {r['line']} : {printable(r['reason'], False)}")
    certain = sum(p["certainty"] == bank.CERTAIN for p in done["proposals"])
    print(f"{len(done['proposals'])} proposition(s) dont {certain} certaine(s) ; "
          f"{len(done['unmatched'])} ligne(s) sans correspondance"
          + (f" ; {len(done['applied'])} règlement(s) enregistré(s)." if args.apply
             else ". (--apply enregistre les correspondances certaines)" if certain else "."))


def _lines(args):
    from .. import bank
    from ..charset import printable
    rows = bank.lines(unmatched_only=args.unmatched)
    if args.json:
        return print_json(rows)
    for r in rows:
        state = (f"règlement n° {r['payment']} ({', '.join(r['invoices'])})" if r["payment"] else "non rapprochée")
        print(f"{_line(r)} {bank.FORMAT_LABELS[r['format']]:<8} {state}  {printable(r['label'], False)[:60]}")
    if not rows:
        print("(aucune ligne" + (" non rapprochée)" if args.unmatched else ")"))


def _confirm(args):
    from .. import bank, fr
    if not (args.file and args.file.isdigit() and args.invoices):
        raise FactuError("bank confirm LIGNE FACTURE… : le numéro de ligne (bank match) puis la ou les factures",
                         "LIGNE", args.file)
    done = bank.confirm(int(args.file), args.invoices)
    if args.json:
        return print_json(done)
    print(f"Ligne {done['line']} : règlement n° {done['payment']} de {fr.amount(_d(done['amount']), True)} "
          f"({', '.join(done['invoices'])}).")


def cmd_bank(args):
    {"import": _import, "match": _match, "lines": _lines, "confirm": _confirm}[args.action](args)


def cmd_writeoff(args):
    from .. import documents, fr, payments
    done = payments.writeoff(documents.resolve(args.ref).id, args.reason or "")
    print(f"{done['invoice']} : {fr.amount(done['amount'], True)} passés en pertes (règlement n° {done['payment']}, "
          "sur le compte des pertes sur créances irrécouvrables).")


def register(sub) -> None:
    """Adds to the root's sub-commands: writeoff, bank."""
    s = sub.add_parser("writeoff", help="passe en pertes le petit reste dû d'une facture : REF [--reason R] "
                                        "(responsable ; plafond : réglage writeoff.max_amount)")
    s.add_argument("ref", metavar="REF")
    s.add_argument("--reason")
    s.set_defaults(func=cmd_writeoff)
    s = sub.add_parser("bank", help="relevés bancaires : import FICHIER [--format camt053|ofx|csv] [--account IBAN] "
                                    "| match [--apply] [--json] | lines [--unmatched] [--json] | confirm LIGNE FACTURE…")
    s.add_argument("action", choices=("import", "match", "lines", "confirm"))
    s.add_argument("file", nargs="?", metavar="FICHIER", help="import : le relevé ; confirm : la ligne (bank match)")
    s.add_argument("invoices", nargs="*", metavar="FACTURE", help="confirm : les factures que la ligne règle")
    s.add_argument("--format", choices=("camt053", "ofx", "csv"))
    s.add_argument("--account", help="import CSV : le compte (IBAN) dont les colonnes sont enregistrées "
                                     "(réglage bank.csv.<IBAN>)")
    s.add_argument("--apply", action="store_true", help="match : enregistre les correspondances certaines "
                                                        "(référence et montant exacts)")
    s.add_argument("--unmatched", action="store_true", help="lines : seulement les lignes non rapprochées")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_bank)
