"""Reminders (relances) of invoices paid late, and what the law lets the seller claim.

Levels are days late (`dunning.levels`, by default 7, 15, 30: a courtesy reminder, a letter,
a formal notice); an invoice gets each level once, never a lower one after a higher, and none
while it is in dispute (by hand, or the buyer's platform status 207). Late-payment interest
(the invoice's rate × days late) and the 40 € recovery indemnity (Code de commerce L441-10,
D441-5) are billed on a penalty invoice the user issues: outside the scope of VAT (O).

What a letter says is here (`letter`: words and figures); printers/reminders.py lays it out as
PDF/A and sends it — printed (by post) or mailed through the outbox, recorded by `record` in
the same transaction as its file or message."""
import datetime as dt
import json
from decimal import Decimal

from . import catalog, clock, fr, permissions, reports, session
from .db import write
from .documents import drafts, queries
from .errors import InvalidValue, StateError
from .models import Dispute, Document, EinvoiceStatus, Reminder, utcnow
from .money import ZERO, fmt2, round_cents, to_decimal

LEVELS = {1: "Relance de courtoisie", 2: "Lettre de relance", 3: "Mise en demeure de payer"}
SHORT = {1: "courtoisie", 2: "lettre", 3: "mise en demeure"}          # in a column
INDEMNITY = Decimal("40.00")
CHANNELS = {"paper": "courrier", "mail": "e-mail"}


def levels() -> list[tuple[int, int, str]]:
    """(level, days late, label) from the setting."""
    from . import settings
    days = [int(x) for x in settings.get("dunning.levels").split(",")]
    return [(i + 1, d, LEVELS.get(i + 1, f"Relance n° {i + 1}")) for i, d in enumerate(days)]


def in_dispute(doc_id: int) -> bool:
    if Dispute.select().where((Dispute.document == doc_id) & Dispute.closed_at.is_null()).exists():
        return True
    last = (EinvoiceStatus.select(EinvoiceStatus.code).where(EinvoiceStatus.document == doc_id)
            .order_by(EinvoiceStatus.at.desc(), EinvoiceStatus.id.desc()).first())
    return bool(last and last.code == 207)


def _late(on: dt.date):
    """(overdue row, in dispute, level due or 0, highest level sent) per late invoice."""
    steps = levels()
    for row in reports.overdue(on):
        if row["kind"] != "invoice":
            continue
        had = max((r.level for r in Reminder.select(Reminder.level).where(Reminder.document == row["id"])), default=0)
        if in_dispute(row["id"]):
            yield row, True, 0, had
            continue
        reached = [lvl for lvl, days, _ in steps if row["days_late"] >= days]
        yield row, False, reached[-1] if reached and reached[-1] > had else 0, had


def _proposal(row: dict, level: int, dispute: bool = False, had: int = 0) -> dict:
    return {"invoice": row["number"], "level": level or None, "label": LEVELS.get(level, "") if level else "",
            "days_late": row["days_late"], "balance": row["balance"], "late": row["late"],
            "customer": row["customer"], "name": row["name"], "id": row["id"], "dispute": dispute, "sent": had}


def due(on: dt.date | None = None) -> list[dict]:
    """The reminders that fall due on `on`: per late invoice, the highest level reached that it
    has not had yet (and higher than any it had)."""
    return [_proposal(row, level, had=had) for row, dispute, level, had in _late(on or clock.today()) if level]


def board(on: dt.date | None = None) -> list[dict]:
    """Every late invoice as the person chasing payments looks at it: first the reminders due
    on `on` (level set), then those with nothing due today (`sent`: the highest level they had),
    then those in dispute, whose reminders wait for its end."""
    permissions.require("payment.collect")
    rows = list(_late(on or clock.today()))
    return [_proposal(row, level, had=had) for row, dispute, level, had in rows if level] + \
        [_proposal(row, 0, had=had) for row, dispute, level, had in rows if not level and not dispute] + \
        [_proposal(row, 0, True, had) for row, dispute, level, had in rows if dispute]


def record(proposals: list[dict], on: dt.date, channel: str, then=None) -> list[dict]:
    """The reminders sent (each invoice and level once: a second run the same day adds nothing;
    a proposal gone stale — paid, in dispute since — is skipped). then(p), if given, runs in
    the same transaction for each one recorded (the mail queued: both or neither)."""
    permissions.require("payment.collect")
    from . import payments
    done = []
    with write():
        for p in proposals:
            if Reminder.select().where((Reminder.document == p["id"]) & (Reminder.level >= p["level"])).exists() \
                    or in_dispute(p["id"]) or payments.balance(Document.get_by_id(p["id"])) <= ZERO:
                continue
            Reminder.create(document=p["id"], level=p["level"], date=on, days_late=p["days_late"],
                            balance=to_decimal(p["balance"]), channel=channel, sent_at=utcnow(),
                            user=session.current_user())
            from . import journal
            journal.seal("event", "reminder", p["invoice"],
                         {"action": "reminder", "at": utcnow(), "user": session.current_user(), "ref": p["invoice"],
                          "detail": {"level": p["level"], "days_late": p["days_late"], "balance": p["balance"],
                                     "channel": channel}})
            if then is not None:
                then(p)
            done.append(p)
    return done


def history(doc_id: int | None = None, customer_id: int | None = None) -> list[dict]:
    permissions.require("payment.collect")
    q = Reminder.select(Reminder, Document).join(Document)
    if doc_id:
        q = q.where(Reminder.document == doc_id)
    if customer_id:
        q = q.where(Document.customer == customer_id)
    return [{"invoice": r.document.number, "level": r.level, "label": LEVELS.get(r.level, ""),
             "date": r.date.isoformat(), "days_late": r.days_late, "balance": fmt2(r.balance),
             "channel": r.channel} for r in q.order_by(Reminder.date, Reminder.id)]


def interest(owed: Decimal, rate: Decimal, days: int) -> Decimal:
    """Late-payment interest: what is owed × the annual rate × days late / 365 (L441-10)."""
    return round_cents(owed * rate / 100 * days / 365)


def _rate(doc: Document) -> Decimal:
    """The penalty rate printed on the invoice (its frozen seller), 0 when it said « trois fois
    le taux d'intérêt légal »."""
    return Decimal(json.loads(doc.seller_snapshot or "{}").get("late_penalty_rate") or "0")


def _late_invoice(ref: str, on: dt.date, known: dict | None = None) -> tuple[Document, dict]:
    """The invoice and its overdue row (`known`: the row already read, as `due` gives it)."""
    doc = queries.resolve(ref)
    if doc.kind != "invoice" or not doc.number:
        raise StateError(f"{queries.label(doc)} : pas une facture émise", "document", queries.label(doc))
    row = known if known and known.get("id") == doc.id else \
        next((r for r in reports.overdue(on) if r["id"] == doc.id), None)
    if row is None or to_decimal(row["balance"]) <= ZERO:
        raise StateError(f"{doc.number} n'est pas en retard de paiement le {fr.date(on)}", "document", doc.number)
    return doc, row


_OPENING = {1: "Sauf erreur de notre part, la facture ci-dessous reste impayée à ce jour. Nous vous remercions de "
               "bien vouloir procéder à son règlement dans les meilleurs délais.",
            2: "Malgré notre précédente relance, la facture ci-dessous reste impayée à ce jour. Nous vous prions "
               "de bien vouloir la régler sous huit jours."}


def letter(ref: str, on: dt.date | None = None, level: int | None = None, known: dict | None = None) -> dict:
    """What a reminder letter says (printers/reminders.py lays it out, computing nothing): the
    invoice, what is left to pay and since when, the level's words; a formal notice (level 3
    and beyond) adds the interest run so far and, to a professional, the 40 € indemnity.
    `level`: the one being sent; by default the one due on `on`, else the last one sent (a
    copy), else a courtesy reminder. `known`: the proposal of `due` (saves reading every late
    invoice again for each letter of a run)."""
    permissions.require("payment.collect")
    on = on or clock.today()
    doc, row = _late_invoice(ref, on, known)
    if level is None:
        level = next((p["level"] for p in due(on) if p["id"] == doc.id), None) or \
            max((r.level for r in Reminder.select(Reminder.level).where(Reminder.document == doc.id)), default=1)
    owed, days = to_decimal(row["balance"]), row["days_late"]
    business = (doc.customer.kind or "company") != "person"
    formal = level >= 3
    rate = _rate(doc)
    cur = doc.currency or "EUR"                      # the invoice's currency; the indemnity is in euros
    owed_text = fr.amount(owed, cur)
    text = [_OPENING.get(level) or (f"Par la présente, nous vous mettons en demeure de nous régler sous huit jours à "
                                    f"réception de ce courrier la somme de {owed_text} restant due sur la facture "
                                    "ci-dessous. À défaut, nous engagerons sans autre avis une procédure de "
                                    "recouvrement.")]
    accrued = interest(owed, rate, days) if formal and rate else None
    indemnity = INDEMNITY if formal and business else None
    if formal:
        text.append((f"Conformément à l'article L441-10 du Code de commerce, des pénalités de retard au taux annuel de "
                     f"{fr.percent(rate)} courent depuis l'échéance : {fr.amount(accrued, cur)} au {fr.date(on)} "
                     f"({days} jours de retard)." if rate else
                     "Conformément à l'article L441-10 du Code de commerce, des pénalités de retard au taux de trois "
                     "fois le taux d'intérêt légal courent depuis l'échéance.")
                    + (" S'y ajoute l'indemnité forfaitaire pour frais de recouvrement de 40,00 € (art. D441-5 du "
                       "Code de commerce)." if business else ""))
    elif business:
        text.append("Des pénalités de retard sont exigibles au taux prévu sur la facture, ainsi que l'indemnité "
                    "forfaitaire de 40 € pour frais de recouvrement (art. L441-10 et D441-5 du Code de commerce).")
    seller = catalog.company_snapshot()
    from . import bank
    if seller.get("iban"):
        text.append(f"Règlement par virement sur le compte IBAN {seller['iban']}, en rappelant la référence "
                    f"{bank.payment_reference(doc.number)}.")
    text += ["Si votre règlement nous est parvenu entre-temps, nous vous prions de ne pas tenir compte de ce courrier.",
             "Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées."]
    return {"number": f"{doc.number}-R{level}", "date": on, "level": level,
            "title": LEVELS.get(level, f"Relance n° {level}"), "formal": formal,
            "seller": seller, "customer": catalog.customer_snapshot(doc.customer),
            "invoices": [{"number": doc.number, "date": doc.date, "due_date": doc.due_date, "total": doc.grand_total,
                          "balance": owed, "days_late": days}],
            "balance": owed, "days_late": days, "rate": rate, "interest": accrued, "indemnity": indemnity,
            "currency": cur, "claimed": owed + (accrued or ZERO) + (indemnity if cur == "EUR" and indemnity else ZERO),
            "text": text}


def letter_text(p: dict, on: dt.date) -> str:
    """The reminder in French, as plain text (the letter's words, its invoice and what it claims)."""
    v = letter(p["invoice"], on, p["level"])
    inv = v["invoices"][0]
    return (f"{v['title']} — {v['seller']['name']}\n\n" + "\n\n".join(v["text"][:1]) + "\n\n"
            f"Facture {inv['number']} du {fr.date(inv['date'])}, échue le {fr.date(inv['due_date'])} "
            f"({inv['days_late']} jours de retard) : reste dû {fr.amount(inv['balance'], v['currency'])}.\n\n"
            + "\n\n".join(v["text"][1:]) + "\n")


# ---- disputes -------------------------------------------------------------------------------

def open_dispute(ref: str, reason: str = "", source: str = "manual") -> Dispute:
    permissions.require("payment.collect")
    doc = queries.resolve(ref)
    if doc.kind != "invoice" or not doc.number:
        raise StateError(f"{queries.label(doc)} : seule une facture émise peut être en litige", "document",
                         queries.label(doc))
    with write():
        current = Dispute.get_or_none((Dispute.document == doc.id) & Dispute.closed_at.is_null())
        return current or Dispute.create(document=doc.id, reason=catalog.clean_text("motif", reason, 400),
                                         source=source, user=session.current_user())


def close_dispute(ref: str) -> int:
    permissions.require("payment.collect")
    doc = queries.resolve(ref)
    with write():
        return Dispute.update(closed_at=utcnow()).where((Dispute.document == doc.id)
                                                        & Dispute.closed_at.is_null()).execute()


# ---- penalties -----------------------------------------------------------------------------

def penalty(ref: str, on: dt.date | None = None) -> Document:
    """A draft invoice of the late-payment interest (balance × annual rate × days late / 365)
    and the 40 € indemnity, outside the scope of VAT. The rate is the one printed on the
    invoice (company late_penalty_rate); without one, the user sets it first."""
    on = on or clock.today()
    doc, late = _late_invoice(ref, on)
    owed = to_decimal(late["balance"])
    if (doc.currency or "EUR") != "EUR":
        raise StateError(f"{doc.number} est en {doc.currency} : l'indemnité de 40 € et les intérêts se facturent en "
                         "euros, à la main (pas de facture de pénalités automatique)", "document", doc.number)
    rate = _rate(doc)
    if not rate:
        raise InvalidValue("taux des pénalités", "0", "la facture dit « trois fois le taux d'intérêt légal » : "
                                                       "fixez le taux (tui-factu company set late_penalty_rate=…) "
                                                       "pour les factures suivantes, ou facturez l'indemnité seule")
    accrued = interest(owed, rate, late["days_late"])
    lines = [{"kind": "service", "description": f"Intérêts de retard sur la facture {doc.number} : "
                                                f"{fr.amount(owed, True)} × {fr.percent(rate)} l'an × "
                                                f"{late['days_late']} jours / 365",
              "quantity": "1", "unit_price": str(accrued), "vat_category": "O", "vat_rate": "0"},
             {"kind": "service", "description": "Indemnité forfaitaire pour frais de recouvrement "
                                                "(art. L441-10 et D441-5 du Code de commerce)",
              "quantity": "1", "unit_price": str(INDEMNITY), "vat_category": "O", "vat_rate": "0"}]
    if doc.customer.kind == "person":
        lines = lines[:1]          # the indemnity is owed by professionals only
    return drafts.create("invoice", doc.customer_id, on, [ln for ln in lines if Decimal(ln["unit_price"]) > 0],
                         reference=doc.number, notes=f"Pénalités de retard de la facture {doc.number}")
