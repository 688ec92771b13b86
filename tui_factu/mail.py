"""Documents sent by e-mail: the SMTP settings, French templates filled with the document's
fields, the message (stdlib `email`), a persistent outbox (MailOut) and the sends (`smtplib`).

The core renders no PDF: the caller (the CLI, the composition root) passes the attachment's
bytes in — the Factur-X PDF/A-3 for invoices and credit notes, the PDF for the rest.

The password is never stored: it comes from TUI_FACTU_SMTP_PASSWORD or is typed at the
terminal, and goes to `smtplib.login` only; every error text that could carry it is scrubbed.
Nothing in the base, the events chain or the log holds it (tests/core/test_mail.py looks).

Never twice: the outbox keeps the exact bytes (RFC 5322, Message-ID included), so a retry
sends the very same message. A send first *claims* its message inside a write transaction
(pending or failed → `sending`, one UPDATE guarded by the state: two terminals retrying at
once cannot both win), commits, talks to the server, then writes the outcome with its sealed
event in a second transaction. States:

    pending   waits: never tried, or the server was unreachable or said « try later » (4xx)
    failed    the server refused it (authentication, recipient, 5xx, certificate): never accepted
    sent      the server accepted it (250 after the data), sealed in the events chain
    sending   claimed and not finished: being sent right now, or its fate is unknown — the
              connection broke after the data went out, the process died, or the server
              accepted it and the state could not be written. Such a message is NOT resent by
              `--retry` (the recipient may have it already); the user checks, then resends it
              by hand (`tui-factu mail --outbox --resend N`: the same bytes and Message-ID, so
              even a duplicate is recognisable as the same message).

`--retry` sends what waits and what was refused (neither was ever accepted, so neither can
arrive twice): after a wrong password or a full mailbox, fix it and retry.
"""
import email.policy
import email.utils
import hashlib
import logging
import os
import re
import secrets
import smtplib
import socket
import ssl
from email.message import EmailMessage

from . import catalog, clock, fr, journal, payments, permissions, printed, session, settings
from .db import write
from .documents import queries
from .documents.kinds import KIND_LABELS
from .errors import InvalidValue, NotFound, StateError
from .models import Document, MailOut, Payment, Reminder, utcnow

log = logging.getLogger(__name__)
PASSWORD_ENV = "TUI_FACTU_SMTP_PASSWORD"
TIMEOUT = 30
SENDING = "sending"
STATE_LABELS = {"pending": "en attente", "sent": "envoyé", "failed": "échec", SENDING: "incertain"}
_PAYMENT_REF = re.compile(r"REG-(\d{1,9})", re.I)


# ---- configuration -------------------------------------------------------------------------

def configure(host: str, port, security: str, user: str, sender: str, cafile: str | None = None) -> dict:
    """The server, its encryption, the login and the sender (settings, audited and sealed);
    never a password. `none` (no encryption) only towards this machine."""
    permissions.require("settings.change")
    host = settings.KNOWN["mail.host"][1](host)
    security = settings.KNOWN["mail.security"][1](security)
    if not host:
        raise InvalidValue("--host", host, "serveur SMTP attendu")
    _check_plain(host, security)
    if not str(sender or "").strip():
        raise InvalidValue("--from", sender, "adresse de l'expéditeur attendue")
    with write():
        for key, value in (("mail.host", host), ("mail.port", port), ("mail.security", security),
                           ("mail.user", user or ""), ("mail.from", sender)):
            settings.set_value(key, value)
        if cafile is not None:
            settings.set_value("mail.cafile", cafile)
    return config()


def _check_plain(host: str, security: str) -> None:
    if security == "none" and host not in settings.LOOPBACK:
        raise InvalidValue("sécurité SMTP", "none", f"sans chiffrement, seulement vers 127.0.0.1 (pas « {host} ») : "
                                                    "--starttls ou --tls")


def config() -> dict:
    """The settings as they stand (no password: there is none to show)."""
    return {"host": settings.get("mail.host"), "port": int(settings.get("mail.port")),
            "security": settings.get("mail.security"), "user": settings.get("mail.user"),
            "from": settings.get("mail.from"), "cafile": settings.get("mail.cafile")}


def _ready() -> dict:
    cfg = config()
    if not (cfg["host"] and cfg["from"]):
        raise InvalidValue("messagerie", None, "non configurée : tui-factu mail config --host H --port P "
                                               "[--starttls|--tls] [--user U] --from ADRESSE")
    _check_plain(cfg["host"], cfg["security"])
    return cfg


def needs_password() -> bool:
    """A login is configured: the send needs the password (environment or terminal)."""
    return bool(settings.get("mail.user"))


# ---- templates -----------------------------------------------------------------------------

# name -> (subject, body); fields below (`_fields`). {due}, {about}… are whole clauses, empty
# when the document has nothing to say there.
TEMPLATES = {
    "invoice": ("{Title} {number} du {date} — {total} TTC{due}",
                "Bonjour,\n\n"
                "Veuillez trouver ci-joint notre {title} {number} du {date}, d'un montant de {total} TTC{due_sentence}.\n"
                "{reference}"
                "Le PDF joint est une facture électronique Factur-X : ses données structurées y sont intégrées.\n\n"
                "Nous vous remercions de votre confiance.\n\n"
                "{signature}"),
    "credit_note": ("Avoir {number} du {date} — {total} TTC{about}",
                    "Bonjour,\n\n"
                    "Veuillez trouver ci-joint notre avoir {number} du {date}, d'un montant de {total} TTC{about_sentence}.\n"
                    "{reference}"
                    "Le PDF joint est une facture électronique Factur-X : ses données structurées y sont intégrées.\n\n"
                    "{signature}"),
    "quote": ("Devis {number} du {date} — {total} TTC{validity}",
              "Bonjour,\n\n"
              "Veuillez trouver ci-joint notre devis {number} du {date}, d'un montant de {total} TTC{validity_sentence}.\n"
              "{reference}"
              "Pour l'accepter, retournez-le-nous daté et signé avec la mention « Bon pour accord ».\n\n"
              "Nous restons à votre disposition pour toute question.\n\n"
              "{signature}"),
    "order": ("{Title} {number} du {date} — {total} TTC",
              "Bonjour,\n\n"
              "Veuillez trouver ci-joint notre {title} {number} du {date}, d'un montant de {total} TTC.\n"
              "{reference}\n"
              "{signature}"),
    "delivery": ("{Title} {number} du {date}",
                 "Bonjour,\n\n"
                 "Veuillez trouver ci-joint notre {title} {number} du {date}.\n"
                 "{reference}\n"
                 "{signature}"),
    "receipt": ("{Title} {number} du {date} — {total} TTC",
                "Bonjour,\n\n"
                "Veuillez trouver ci-joint votre {title} {number} du {date}, d'un montant de {total} TTC.\n\n"
                "Merci de votre visite.\n\n"
                "{signature}"),
    "payment": ("Reçu de paiement {number} du {date} — {total}",
                "Bonjour,\n\n"
                "Nous avons bien reçu votre règlement de {total} du {date} ({method}){allocations}.\n"
                "Veuillez trouver ci-joint le reçu de paiement {number}.\n\n"
                "Nous vous en remercions.\n\n"
                "{signature}"),
    "reminder": ("{level} : facture {number} du {date} — reste à payer {balance}, échue le {due_date}",
                 "Bonjour,\n\n"
                 "Sauf erreur de notre part, notre facture {number} du {date}, d'un montant de {total} TTC, "
                 "échue le {due_date}, reste impayée à ce jour ({days_late} jours de retard) : "
                 "il reste {balance} à régler.\n"
                 "{reference}"
                 "{urge}\n"
                 "Si votre règlement nous est parvenu entre-temps, merci de ne pas tenir compte de ce message.\n\n"
                 "{attached}"
                 "{penalties}"
                 "{signature}"),
}
TEMPLATE_LABELS = {"invoice": "facture", "credit_note": "avoir", "quote": "devis", "order": "commande",
                   "delivery": "bon de livraison", "receipt": "ticket", "payment": "reçu de paiement",
                   "reminder": "relance d'une facture impayée"}
_URGE = {1: "Nous vous remercions de bien vouloir procéder à son règlement.",
         2: "Malgré notre précédente relance, elle n'est toujours pas réglée : nous vous prions de la régler "
            "sous huit jours.",
         3: "Par le présent message, nous vous mettons en demeure de la régler sous huit jours. À défaut, nous "
            "engagerons une procédure de recouvrement."}
_LEVEL_TITLES = {1: "Relance", 2: "Deuxième relance", 3: "Mise en demeure"}


def templates_for(kind: str) -> tuple[str, ...]:
    """The templates a document of this kind may go with (its own first)."""
    return (kind, "reminder") if kind == "invoice" else (kind,)


def _signature() -> str:
    c = catalog.company()
    return "Cordialement,\n" + "\n".join(x for x in (c.name, c.email, c.phone) if x) + "\n"


def _title(doc: Document) -> str:
    text = printed.TYPE_TITLES.get(doc.type, printed.TITLES[doc.kind]) if doc.kind == "invoice" \
        else printed.TITLES[doc.kind]
    return text.capitalize()


def _document_fields(doc: Document) -> dict:
    total = fr.amount(doc.grand_total, doc.currency)          # in the document's currency (BT-5)
    title = _title(doc)
    fields = {"number": doc.number, "date": fr.date(doc.date), "total": total, "Title": title,
              "title": title[0].lower() + title[1:], "signature": _signature(),
              "reference": f"Votre référence : {doc.reference}.\n" if doc.reference else "",
              "due": "", "due_sentence": "", "about": "", "about_sentence": "", "validity": "",
              "validity_sentence": "", "due_date": fr.date(doc.due_date)}
    if doc.kind == "invoice":
        left = payments.balance(doc)
        due = payments.next_due_date(doc) or doc.due_date
        if left <= 0 and doc.grand_total > 0:
            fields["due"], fields["due_sentence"] = ", payée", ", déjà réglée"
        elif due:
            part = "" if left == doc.due else f", reste à payer {fr.amount(left, doc.currency)}"
            fields["due"] = f"{part}, échéance le {fr.date(due)}"
            fields["due_sentence"] = (f", dont il reste {fr.amount(left, doc.currency)} à régler" if part else "") + \
                f", à régler au plus tard le {fr.date(due)}"
    if doc.kind == "credit_note" and doc.preceding_id:
        source = queries.get(doc.preceding_id)
        fields["about"] = f", sur {KIND_LABELS[source.kind].lower()} {source.number}"
        fields["about_sentence"] = f", établi sur {'la facture' if source.kind == 'invoice' else 'le ticket'} " \
                                   f"{source.number} du {fr.date(source.date)}"
    if doc.kind == "quote" and doc.validity_date:
        fields["validity"] = f", valable jusqu'au {fr.date(doc.validity_date)}"
        fields["validity_sentence"] = f", valable jusqu'au {fr.date(doc.validity_date)}"
    return fields


def _reminder_fields(doc: Document, letter: int | None = None) -> dict:
    left = payments.balance(doc)
    if left <= 0:
        raise StateError(f"{doc.number} est réglée : pas de relance", "document", doc.number)
    today = clock.today()
    if not doc.due_date or doc.due_date >= today:
        raise StateError(f"{doc.number} n'est pas échue (échéance le {fr.date(doc.due_date)}) : pas de relance",
                         "document", doc.number)
    from . import dunning
    if dunning.in_dispute(doc.id):
        raise StateError(f"{doc.number} est en litige : les relances sont suspendues", "document", doc.number)
    days_late = (today - doc.due_date).days
    # the level the reminders recorded (tui-factu dunning run --send) reached; a courtesy one before
    last = Reminder.select(Reminder.level).where(Reminder.document == doc.id).order_by(Reminder.level.desc()).first()
    level = min(letter or (last.level if last else 1), 3)
    fields = _document_fields(doc)
    business = (doc.customer.kind or "company") != "person"
    fields.update(level=_LEVEL_TITLES[level], balance=fr.amount(left, True), days_late=days_late,
                  urge=_URGE[level], attached="Vous trouverez notre courrier ci-joint.\n\n" if letter else
                  "Vous trouverez la facture ci-jointe.\n\n",
                  penalties=("Des pénalités de retard sont exigibles au taux prévu sur la facture, ainsi que "
                             "l'indemnité forfaitaire de 40 € pour frais de recouvrement (art. L441-10 et D441-5 "
                             "du Code de commerce).\n\n") if business else "")
    return fields


def _payment_fields(seq: int) -> dict:
    view = printed.payment_view(seq)
    if view["cancels"] or view["amount"] <= 0:
        raise StateError(f"{view['number']} annule un règlement : pas de reçu à envoyer", "règlement", view["number"])
    allocations = [f"{number} ({fr.amount(amount, True)})" for number, amount in view["allocations"] if number]
    return {"number": view["number"], "date": fr.date(view["date"]), "total": fr.amount(view["amount"], True),
            "method": view["method"].lower(), "signature": _signature(),
            "allocations": (", imputé sur " + ", ".join(allocations)) if allocations else ""}


def _fill(template: str, fields: dict) -> tuple[str, str]:
    subject, body = TEMPLATES[template]
    return subject.format_map(fields), body.format_map(fields)


# ---- preparing and queueing ------------------------------------------------------------------

def prepare(ref: str, template: str | None = None, to: str | None = None, letter: int | None = None) -> dict:
    """What will be sent for REF (a document number, #id, or a payment receipt REG-000012):
    the template, the recipients (the customer's e-mail by default), subject, body and the
    attachment's name. Refuses, in French, before anything is rendered or queued. letter: the
    level of the reminder letter attached instead of the invoice (tui-factu dunning run --send)."""
    match = _PAYMENT_REF.fullmatch(str(ref or "").strip())
    if match:
        permissions.require("payment.collect")
        payment = Payment.get_or_none(Payment.seq == int(match.group(1)))
        if payment is None:
            raise NotFound(f"règlement inconnu « {ref} »", "règlement", ref)
        if template not in (None, "payment"):
            raise InvalidValue("--template", template, "un règlement s'envoie avec le modèle payment")
        fields, template = _payment_fields(payment.seq), "payment"
        customer, what, kind, doc_id = payment.customer, "payment", "payment", None
        number, seq = fields["number"], payment.seq
    else:
        doc = queries.resolve(ref)
        template = template or doc.kind
        if template not in TEMPLATES:
            raise InvalidValue("--template", template, "modèles : " + ", ".join(TEMPLATES))
        if template not in templates_for(doc.kind):
            raise InvalidValue("--template", template, f"{queries.label(doc)} s'envoie avec le modèle "
                                                       + " ou ".join(templates_for(doc.kind)))
        permissions.require("payment.collect" if template == "reminder" else "document.edit", doc.kind)
        if not doc.number or doc.status == "draft":
            raise StateError(f"{queries.label(doc)} : un brouillon ne s'envoie pas, validez-le d'abord", "document",
                             queries.label(doc))
        fields = _reminder_fields(doc, letter) if template == "reminder" else _document_fields(doc)
        customer, what, kind, doc_id, number, seq = doc.customer, "reminder" if template == "reminder" else \
            "document", doc.kind, doc.id, doc.number, None
    recipients = clean_recipients(to) if to else []
    if not recipients:
        if not customer.email:
            raise InvalidValue("destinataire", None, f"le client {customer.code} ({customer.name}) n'a pas d'adresse "
                                                     f"e-mail : --to ADRESSE, ou tui-factu customer set {customer.code} "
                                                     "email=ADRESSE")
        recipients = clean_recipients(customer.email, f"e-mail du client {customer.code}")
    _ready()
    subject, body = _fill(template, fields)
    return {"ref": number, "what": what, "kind": kind, "document_id": doc_id, "payment": seq, "template": template,
            "to": recipients, "subject": subject, "body": body,
            "filename": f"{'relance-' if letter else ''}{number}.pdf"}


def clean_recipients(text: str, field: str = "--to") -> list[str]:
    """One address or several separated by commas, each a plain address (no display name: a
    header and the envelope both take it as it is)."""
    parts = [p.strip() for p in str(text or "").replace(";", ",").split(",") if p.strip()]
    if not parts:
        raise InvalidValue(field, text, "adresse e-mail attendue")
    if len(parts) > 20:
        raise InvalidValue(field, f"{len(parts)} adresses", "20 destinataires au plus")
    return [settings.mail_address(p, field) for p in parts]


def build(prepared: dict, attachment: bytes) -> EmailMessage:
    """The message: French headers and body, the PDF attached, a unique Message-ID."""
    cfg = _ready()
    sender = cfg["from"]
    company = catalog.company()
    msg = EmailMessage(policy=email.policy.SMTP)
    msg["From"] = email.utils.formataddr((company.name, sender)) if company.name else sender
    msg["To"] = ", ".join(prepared["to"])
    if company.email and company.email.lower() != sender.lower():
        msg["Reply-To"] = company.email
    msg["Subject"] = prepared["subject"]
    msg["Date"] = email.utils.format_datetime(clock.now().astimezone())
    # short enough to stay on one line (80 random bits; the outbox's unique index has the last word)
    msg["Message-ID"] = f"<{secrets.token_hex(10)}.{re.sub(r'[^A-Za-z0-9-]', '', prepared['ref'])}" \
                        f"@{sender.rpartition('@')[2]}>"
    msg["Content-Language"] = "fr"
    msg.set_content(prepared["body"], cte="quoted-printable")
    msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=prepared["filename"])
    return msg


def queue(prepared: dict, attachment: bytes) -> MailOut:
    """Puts the message in the outbox with its exact bytes: from now on nothing is lost."""
    if not attachment.startswith(b"%PDF-"):
        raise InvalidValue("pièce jointe", prepared["filename"], "un PDF est attendu")
    msg = build(prepared, attachment)
    data = msg.as_bytes()
    with write():
        row = MailOut.create(ref=prepared["ref"], what=prepared["what"], to=msg["To"], subject=prepared["subject"],
                             message_id=msg["Message-ID"], data=data, user=session.current_user())
    log.info("messagerie : %s mis en file pour %s (%s)", prepared["ref"], msg["To"], msg["Message-ID"])
    return row


# ---- sending -------------------------------------------------------------------------------

def _require_send() -> None:
    if not (permissions.allowed("document.edit") or permissions.allowed("payment.collect")):
        permissions.require("document.edit")


def password_from_env() -> str | None:
    return os.environ.get(PASSWORD_ENV) or None


def require_password(password: str | None) -> str | None:
    """The password to log in with (given, else the environment); refused when a login is
    configured and there is none."""
    password = password or password_from_env()
    if needs_password() and not password:
        raise InvalidValue("mot de passe SMTP", None, f"absent : {PASSWORD_ENV}, ou lancez la commande dans un "
                                                      "terminal pour le saisir")
    return password


def send_pending(ids: list[int] | None = None, password: str | None = None) -> list[dict]:
    """Sends the messages `ids` (those still pending), or every message the server never
    accepted (pending and failed: `--retry`). Messages `sending` are reported, never resent.
    One connection per message: a server that goes down mid-run leaves the rest pending."""
    _require_send()
    cfg = _ready()
    password = require_password(password)
    states = ("pending",) if ids is not None else ("pending", "failed")
    query = MailOut.select(MailOut.id).order_by(MailOut.id)
    query = query.where(MailOut.id.in_(ids)) if ids is not None else \
        query.where(MailOut.state.in_(states + (SENDING,)))
    report = []
    for (row_id,) in query.tuples():
        claimed = _claim(row_id, states)
        row = MailOut.get_by_id(row_id)
        if not claimed:
            report.append(_row_report(row, {"sent": "déjà envoyé", SENDING: _uncertain(row)}.get(row.state, row.error)))
            continue
        report.append(_send_claimed(row, cfg, password))
    return report


def resend(row_id: int, password: str | None = None) -> list[dict]:
    """The user's decision for a message whose fate was unknown (or refused): the same bytes,
    the same Message-ID, once more."""
    _require_send()
    row = MailOut.get_or_none(MailOut.id == row_id)
    if row is None:
        raise NotFound(f"message inconnu dans la file « {row_id} »", "message", row_id)
    if row.state == "sent":
        raise StateError(f"message n° {row_id} ({row.ref}) déjà envoyé le {fr.date(row.sent_at)} : pas de renvoi",
                         "message", row_id)
    with write():
        MailOut.update(state="pending").where((MailOut.id == row_id) & (MailOut.state != "sent")).execute()
        journal.event("mail.resend", {"id": row.id, "message_id": row.message_id, "was": row.state}, row.ref)
    return send_pending([row_id], password)


def _claim(row_id: int, states: tuple) -> bool:
    with write():
        return MailOut.update(state=SENDING, attempts=MailOut.attempts + 1).where(
            (MailOut.id == row_id) & MailOut.state.in_(states)).execute() == 1


def _send_claimed(row: MailOut, cfg: dict, password: str | None) -> dict:
    data = bytes(row.data)
    state, why = _deliver(cfg, password, row, data)
    why = _scrub(why, password)
    detail = {"id": row.id, "message_id": row.message_id, "to": row.to, "subject": row.subject,
              "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "attempt": row.attempts,
              "state": state, "server": f"{cfg['host']}:{cfg['port']}"}
    if state != "sent":
        detail["error"] = why
    if state == SENDING:                    # the data went out, no answer came back
        _note(row, why)
        log.warning("messagerie : %s (%s) : %s", row.ref, row.message_id, why)
        return _row_report(MailOut.get_by_id(row.id), why)
    try:
        with write():
            MailOut.update(state=state, error="" if state == "sent" else why,
                           sent_at=utcnow() if state == "sent" else None).where(
                (MailOut.id == row.id) & (MailOut.state == SENDING)).execute()
            if state in ("sent", "failed"):     # the server answered: sealed, without body or password
                journal.event("mail", detail, row.ref)
    except Exception as e:  # noqa: BLE001 - the send happened (or not): the row stays claimed
        why = (f"{'accepté par le serveur' if state == 'sent' else why} mais l'état n'a pas pu être enregistré "
               f"({type(e).__name__}) : incertain, pas de renvoi automatique")
        log.error("messagerie : %s (%s) : %s", row.ref, row.message_id, why)
        _note(row, why)
        return _row_report(MailOut.get_by_id(row.id), why)
    log.log(logging.INFO if state == "sent" else logging.WARNING, "messagerie : %s (%s) %s à %s%s", row.ref,
            row.message_id, STATE_LABELS[state], row.to, "" if state == "sent" else f" : {why}")
    return _row_report(MailOut.get_by_id(row.id), "envoyé" if state == "sent" else why)


def _note(row: MailOut, why: str) -> None:
    """Best effort: says on the claimed row why it stays uncertain."""
    try:
        with write():
            MailOut.update(error=why).where((MailOut.id == row.id) & (MailOut.state == SENDING)).execute()
    except Exception:  # noqa: BLE001 - the base itself is failing: the log says it
        pass


def _uncertain(row: MailOut) -> str:
    return (row.error or "envoi en cours ou interrompu") + \
        f" — le destinataire l'a peut-être reçu : vérifiez, puis tui-factu mail --outbox --resend {row.id}"


def _row_report(row: MailOut, message: str) -> dict:
    return {"id": row.id, "ref": row.ref, "to": row.to, "subject": row.subject, "state": row.state,
            "message_id": row.message_id, "attempts": row.attempts, "message": message}


def _deliver(cfg: dict, password: str | None, row: MailOut, data: bytes) -> tuple[str, str]:
    """(state, French reason). The message counts as handed over only from the moment its
    data is on the wire: a connection lost before is a plain failure, after it is uncertain."""
    where = f"{cfg['host']}:{cfg['port']}"
    recipients = [a for _, a in email.utils.getaddresses([row.to]) if a]
    smtp, stage = None, "connect"
    try:
        context = ssl.create_default_context(cafile=cfg["cafile"] or None)
        if cfg["security"] == "tls":
            smtp = smtplib.SMTP_SSL(cfg["host"], cfg["port"], timeout=TIMEOUT, context=context)
        else:
            smtp = smtplib.SMTP(cfg["host"], cfg["port"], timeout=TIMEOUT)
        smtp.ehlo()
        if cfg["security"] == "starttls":
            stage = "starttls"
            if not smtp.has_extn("starttls"):
                return "failed", f"le serveur {where} ne propose pas STARTTLS : envoi en clair refusé (--tls ?)"
            smtp.starttls(context=context)
            smtp.ehlo()
        if cfg["user"]:
            stage = "login"
            if not smtp.has_extn("auth"):
                return "failed", f"le serveur {where} ne propose pas d'authentification (AUTH) à ce stade"
            smtp.login(cfg["user"], password or "")
        stage = "envelope"
        code, answer = smtp.mail(cfg["from"])
        if code != 250:
            return _refused(code, answer, f"expéditeur {cfg['from']} refusé")
        for rcpt in recipients:
            code, answer = smtp.rcpt(rcpt)
            if code not in (250, 251):
                return _refused(code, answer, f"destinataire {rcpt} refusé")
        code, answer = smtp.docmd("DATA")
        if code != 354:
            return _refused(code, answer, "données refusées")
        stage = "data"                      # from here the server may have the message
        body = re.sub(rb"(?m)^\.", b"..", data)
        smtp.send(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        code, answer = smtp.getreply()
        if code != 250:
            return _refused(code, answer, "message refusé")
        stage = "done"
        return "sent", "envoyé"
    except smtplib.SMTPAuthenticationError as e:
        return "failed", (f"identifiant ou mot de passe refusé par le serveur de messagerie pour « {cfg['user']} » "
                          f"({e.smtp_code}) : vérifiez {PASSWORD_ENV}")
    except smtplib.SMTPNotSupportedError:
        return "failed", f"le serveur {where} ne prend pas en charge ce qui est demandé ({stage})"
    except ssl.SSLCertVerificationError as e:
        return "failed", (f"certificat du serveur {where} refusé ({e.verify_message}) : vérifiez le nom du serveur, "
                          "ou l'autorité de certification (réglage mail.cafile)")
    except ssl.SSLError as e:
        return "failed", (f"connexion chiffrée impossible avec {where} ({e.reason or e}) : vérifiez le port et "
                          "--tls/--starttls")
    except smtplib.SMTPResponseException as e:
        return _refused(e.smtp_code, e.smtp_error, {"connect": "connexion refusée", "starttls": "STARTTLS refusé",
                                                    "login": "authentification refusée"}.get(stage, "refusé"))
    except smtplib.SMTPException as e:      # no common authentication method, a broken dialogue
        if stage == "data":
            return SENDING, f"connexion perdue après l'envoi des données ({e})"
        return ("failed" if stage == "login" else "pending"), f"dialogue SMTP interrompu avec {where} ({e})"
    except (OSError, socket.timeout) as e:
        if stage == "data":
            return SENDING, f"connexion perdue après l'envoi des données ({_os_reason(e)})"
        if stage == "connect":
            return "pending", (f"serveur de messagerie injoignable ({where} : {_os_reason(e)}) : le message attend "
                               "dans la file, rien n'est perdu (tui-factu mail --outbox --retry)")
        return "pending", f"connexion perdue avec {where} ({_os_reason(e)}) : le message attend dans la file"
    finally:
        if smtp is not None:
            try:
                smtp.quit() if stage == "done" else smtp.close()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _refused(code: int, answer, what: str) -> tuple[str, str]:
    text = answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)
    text = " ".join(text.split())[:200]
    if 400 <= code < 500:
        return "pending", f"{what} pour l'instant ({code} {text}) : le message attend dans la file"
    return "failed", f"{what} par le serveur ({code} {text})"


def _os_reason(e: BaseException) -> str:
    if isinstance(e, ConnectionRefusedError):
        return "connexion refusée"
    if isinstance(e, socket.gaierror):
        return "nom de serveur inconnu"
    if isinstance(e, (socket.timeout, TimeoutError)):
        return "délai dépassé"
    return e.strerror or type(e).__name__


def _scrub(text: str, password: str | None) -> str:
    """Defence in depth: a server that echoes what it got never makes us repeat a password."""
    if password and text:
        import base64
        for secret in (password, base64.b64encode(password.encode()).decode()):
            text = text.replace(secret, "***")
    return text


# ---- the outbox ----------------------------------------------------------------------------

def outbox() -> list[dict]:
    _require_send()
    return [{"id": r.id, "ref": r.ref, "what": r.what, "to": r.to, "subject": r.subject, "state": r.state,
             "message_id": r.message_id, "attempts": r.attempts, "error": r.error or None,
             "created_at": r.created_at, "sent_at": r.sent_at, "user": r.user}
            for r in MailOut.select(MailOut.id, MailOut.ref, MailOut.what, MailOut.to, MailOut.subject, MailOut.state,
                                    MailOut.message_id, MailOut.attempts, MailOut.error, MailOut.created_at,
                                    MailOut.sent_at, MailOut.user).order_by(MailOut.id)]


def message_bytes(row_id: int) -> bytes:
    """The exact bytes kept for a message (as sent, or as it will be)."""
    _require_send()
    row = MailOut.get_or_none(MailOut.id == row_id)
    if row is None:
        raise NotFound(f"message inconnu dans la file « {row_id} »", "message", row_id)
    return bytes(row.data)

