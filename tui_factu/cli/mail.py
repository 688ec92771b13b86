"""Documents by e-mail: mail config, mail REF [--to ADDR] [--template T], mail --outbox
[--retry | --resend N]. The PDF is rendered here (the composition root), never marked as an
original: sending it by mail is not a print."""
import sys

from ..errors import FactuError
from .output import print_json


def _render(prepared: dict) -> bytes:
    """The attachment: the Factur-X PDF/A-3 of an invoice or credit note, the PDF of the other
    documents, the payment receipt's PDF. Refused when the seller's legal identity is missing
    (an e-mail issues the document); signed when the company always signs."""
    if prepared["payment"] is not None:
        from printers import pdf
        from .. import printed
        return pdf.payment_receipt(printed.payment_view(prepared["payment"]))
    from printers import documents as pdf_documents
    from .. import catalog
    data = pdf_documents.pdf_bytes(prepared["document_id"], duplicate=False, issuing=True)
    if catalog.company().always_sign:
        from printers import signing
        data = signing.sign_with_company_certificate(data)
    return data


def _password() -> str | None:
    """TUI_FACTU_SMTP_PASSWORD, else typed at the terminal (never an option: it would show in
    the process list and the shell's history)."""
    from .. import mail
    password = mail.password_from_env()
    if password is None and mail.needs_password() and sys.stdin.isatty():
        import getpass
        password = getpass.getpass(f"Mot de passe SMTP de « {mail.config()['user']} » (rien ne s'affiche) : ") or None
    return mail.require_password(password)


def cmd_mail(args):
    from .. import mail
    if args.target == "config":
        return _config(args)
    if args.outbox:
        if args.target:
            raise FactuError("mail --outbox : pas de REF (mail REF envoie un document, mail --outbox montre la file)",
                             "REF", args.target)
        if args.resend is not None:
            return _report(mail.resend(args.resend, _password()), args.json)
        if args.retry:
            return _report(mail.send_pending(None, _password()), args.json, "(rien à envoyer)")
        return _print_outbox(mail.outbox(), args.json)
    if args.retry or args.resend is not None:
        raise FactuError("mail : --retry et --resend vont avec --outbox", "--outbox", None)
    if not args.target:
        raise FactuError("mail : REF attendu (tui-factu mail FA2026-00012 [--to ADRESSE]), ou --outbox, ou config",
                         "REF", None)
    prepared = mail.prepare(args.target, args.template, args.to)
    password = _password()                  # refused here, before anything is queued
    row = mail.queue(prepared, _render(prepared))
    return _report(mail.send_pending([row.id], password), args.json)


def _config(args):
    from .. import mail
    if args.host is None and args.port is None and args.sender is None:
        if any((args.starttls, args.tls, args.no_tls, args.smtp_user, args.cafile)):
            raise FactuError("mail config : --host H --port P --from ADRESSE attendus", "--host", None)
        cfg = mail.config()
        if args.json:
            return print_json(cfg)
        return _print_config(cfg)
    missing = [flag for flag, value in (("--host", args.host), ("--port", args.port), ("--from", args.sender))
               if value is None]
    if missing:
        raise FactuError(f"mail config : {', '.join(missing)} attendu(s)", missing[0], None)
    security = "tls" if args.tls else "none" if args.no_tls else "starttls" if args.starttls else \
        ("tls" if str(args.port).strip() == "465" else "starttls")
    cfg = mail.configure(args.host, args.port, security, args.smtp_user or "", args.sender, args.cafile)
    if args.json:
        return print_json(cfg)
    print("Messagerie configurée :")
    _print_config(cfg)


def _print_config(cfg: dict) -> None:
    from .. import mail
    words = {"starttls": "STARTTLS", "tls": "TLS", "none": "sans chiffrement (127.0.0.1)"}
    if not cfg["host"]:
        print("Messagerie non configurée : tui-factu mail config --host H --port P [--starttls|--tls] [--user U] "
              "--from ADRESSE")
        return
    print(f"  serveur      {cfg['host']}:{cfg['port']} ({words.get(cfg['security'], cfg['security'])})")
    print(f"  expéditeur   {cfg['from']}")
    print(f"  identifiant  {cfg['user'] or '(aucun : pas d’authentification)'}")
    if cfg["cafile"]:
        print(f"  autorité     {cfg['cafile']}")
    if cfg["user"]:
        print(f"  mot de passe jamais enregistré : {mail.PASSWORD_ENV}, ou demandé à chaque envoi")


def _report(rows: list[dict], as_json: bool, empty: str = "") -> int:
    from .. import mail
    if as_json:
        print_json(rows)
    else:
        for r in rows:
            if r["state"] == "sent":
                print(f"{r['ref']} envoyé à {r['to']} : « {r['subject']} » ({r['message_id']})"
                      + ("" if r["message"] == "envoyé" else f" — {r['message']}"))
            else:
                print(f"tui-factu : {r['ref']} (message n° {r['id']}) {mail.STATE_LABELS.get(r['state'], r['state'])} : "
                      f"{r['message']}", file=sys.stderr)
        if not rows and empty:
            print(empty)
    return 0 if all(r["state"] == "sent" for r in rows) else 2


def _print_outbox(rows: list[dict], as_json: bool):
    from .. import fr, mail
    if as_json:
        return print_json(rows)
    for r in rows:
        when = fr.date(r["sent_at"] or r["created_at"])
        print(f"{r['id']:>4}  {r['ref']:<14} {mail.STATE_LABELS.get(r['state'], r['state']):<10} {when}  "
              f"essais {r['attempts']}  {r['to']}  « {r['subject']} »")
        if r["error"] and r["state"] != "sent":
            print(f"      {r['error']}")
    if not rows:
        print("(file d'envoi vide)")


def register(sub) -> None:
    """Adds to the root's sub-commands: mail."""
    s = sub.add_parser("mail", help="e-mail : REF [--to ADRESSE] [--template T] | --outbox [--retry | --resend N] | "
                                    "config --host H --port P [--starttls|--tls] [--user U] --from ADRESSE")
    s.add_argument("target", nargs="?", metavar="REF|config",
                   help="le document à envoyer (FA2026-00012, #id, ou un reçu REG-000012), ou config")
    s.add_argument("--to", help="destinataire(s), séparés par des virgules (défaut : l'e-mail du client)")
    s.add_argument("--template", metavar="T", help="modèle : invoice, credit_note, quote, order, delivery, receipt, "
                                                   "payment, reminder (défaut : celui du document ; reminder : "
                                                   "relance d'une facture impayée)")
    s.add_argument("--outbox", action="store_true", help="la file d'envoi")
    s.add_argument("--retry", action="store_true", help="--outbox : envoyer ce qui attend ou a échoué")
    s.add_argument("--resend", type=int, metavar="N", help="--outbox : renvoyer le message N (incertain ou en échec)")
    s.add_argument("--host", help="config : serveur SMTP")
    s.add_argument("--port", help="config : port (587 STARTTLS, 465 TLS)")
    security = s.add_mutually_exclusive_group()
    security.add_argument("--starttls", action="store_true", help="config : STARTTLS (défaut, sauf port 465)")
    security.add_argument("--tls", action="store_true", help="config : TLS dès la connexion (port 465)")
    security.add_argument("--no-tls", action="store_true", help="config : sans chiffrement, seulement vers 127.0.0.1")
    s.add_argument("--user", dest="smtp_user", metavar="U",
                   help="config : identifiant SMTP (mot de passe : TUI_FACTU_SMTP_PASSWORD ou demandé)")
    s.add_argument("--from", dest="sender", metavar="ADRESSE", help="config : adresse de l'expéditeur")
    s.add_argument("--cafile", help="config : autorité de certification à approuver (PEM, serveur privé)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_mail)
