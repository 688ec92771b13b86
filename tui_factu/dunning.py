"""Reminders (relances) of invoices paid late, and what the law lets the seller claim.

Levels are days late (`dunning.levels`, by default 7, 15, 30: a courtesy reminder, a letter,
a formal notice); an invoice gets each level once, never a lower one after a higher, and none
while it is in dispute (by hand, or the buyer's platform status 207). Late-payment interest
(the invoice's rate × days late) and the 40 € recovery indemnity (Code de commerce L441-10,
D441-5) are billed on a penalty invoice the user issues: outside the scope of VAT (O)."""
import datetime as dt
from decimal import Decimal

from . import catalog, clock, fr, permissions, reports, session
from .db import write
from .documents import drafts, queries
from .errors import InvalidValue, StateError
from .models import Dispute, Document, EinvoiceStatus, Reminder, utcnow
from .money import ZERO, fmt2, round_cents, to_decimal

LEVELS = {1: "Relance de courtoisie", 2: "Lettre de relance", 3: "Mise en demeure de payer"}
INDEMNITY = Decimal("40.00")


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


def due(on: dt.date | None = None) -> list[dict]:
    """The reminders that fall due on `on`: per late invoice, the highest level reached that it
    has not had yet (and higher than any it had)."""
    on = on or clock.today()
    steps = levels()
    out = []
    for row in reports.overdue(on):
        if row["kind"] != "invoice" or in_dispute(row["id"]):
            continue
        had = max((r.level for r in Reminder.select(Reminder.level).where(Reminder.document == row["id"])), default=0)
        reached = [lvl for lvl, days, _ in steps if row["days_late"] >= days]
        if reached and reached[-1] > had:
            level = reached[-1]
            out.append({"invoice": row["number"], "level": level, "label": LEVELS.get(level, ""),
                        "days_late": row["days_late"], "balance": row["balance"], "late": row["late"],
                        "customer": row["customer"], "id": row["id"]})
    return out


def record(proposals: list[dict], on: dt.date, channel: str) -> list[dict]:
    """The reminders sent (each invoice and level once: a second run the same day adds nothing)."""
    permissions.require("payment.collect")
    done = []
    with write():
        for p in proposals:
            if Reminder.select().where((Reminder.document == p["id"]) & (Reminder.level >= p["level"])).exists():
                continue
            Reminder.create(document=p["id"], level=p["level"], date=on, days_late=p["days_late"],
                            balance=to_decimal(p["balance"]), channel=channel, sent_at=utcnow(),
                            user=session.current_user())
            from . import journal
            journal.seal("event", "reminder", p["invoice"],
                         {"action": "reminder", "at": utcnow(), "user": session.current_user(), "ref": p["invoice"],
                          "detail": {"level": p["level"], "days_late": p["days_late"], "balance": p["balance"],
                                     "channel": channel}})
            done.append(p)
    return done


def history(doc_id: int | None = None, customer_id: int | None = None) -> list[dict]:
    q = Reminder.select(Reminder, Document).join(Document)
    if doc_id:
        q = q.where(Reminder.document == doc_id)
    if customer_id:
        q = q.where(Document.customer == customer_id)
    return [{"invoice": r.document.number, "level": r.level, "label": LEVELS.get(r.level, ""),
             "date": r.date.isoformat(), "days_late": r.days_late, "balance": fmt2(r.balance),
             "channel": r.channel} for r in q.order_by(Reminder.date, Reminder.id)]


def letter_text(p: dict, on: dt.date) -> str:
    """The reminder in French, with the legal mentions a formal notice needs."""
    doc = queries.resolve(p["invoice"])
    seller = catalog.company()
    head = {1: "Sauf erreur de notre part, la facture ci-dessous reste impayée à ce jour. Nous vous remercions "
               "de bien vouloir procéder à son règlement.",
            2: "Malgré notre précédente relance, la facture ci-dessous reste impayée. Nous vous prions de la régler "
               "sous huit jours."}.get(p["level"],
                                       "Par la présente, nous vous mettons en demeure de régler sous huit jours la "
                                       "facture ci-dessous. À défaut, nous engagerons une procédure de recouvrement.")
    return (f"{LEVELS.get(p['level'], 'Relance')} — {seller.name}\n\n{head}\n\n"
            f"Facture {doc.number} du {fr.date(doc.date)}, échue le {fr.date(doc.due_date)} "
            f"({p['days_late']} jours de retard) : reste dû {fr.amount(to_decimal(p['balance']), True)}.\n\n"
            "Des pénalités de retard sont exigibles au taux prévu sur la facture, ainsi que l'indemnité forfaitaire "
            "de 40 € pour frais de recouvrement (art. L441-10 et D441-5 du Code de commerce).\n")


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
    doc = queries.resolve(ref)
    if doc.kind != "invoice" or not doc.number:
        raise StateError(f"{queries.label(doc)} : pas une facture émise", "document", queries.label(doc))
    from . import payments
    owed = payments.balance(doc)
    late = next((r for r in reports.overdue(on) if r["id"] == doc.id), None)
    if owed <= ZERO or late is None:
        raise StateError(f"{doc.number} n'est pas en retard de paiement le {fr.date(on)}", "document", doc.number)
    import json
    seller = json.loads(doc.seller_snapshot or "{}")
    rate = Decimal(seller.get("late_penalty_rate") or "0")
    if not rate:
        raise InvalidValue("taux des pénalités", "0", "la facture dit « trois fois le taux d'intérêt légal » : "
                                                       "fixez le taux (tui-factu company set late_penalty_rate=…) "
                                                       "pour les factures suivantes, ou facturez l'indemnité seule")
    interest = round_cents(owed * rate / 100 * late["days_late"] / 365)
    lines = [{"kind": "service", "description": f"Intérêts de retard sur la facture {doc.number} : "
                                                f"{fr.amount(owed, True)} × {fr.percent(rate)} l'an × "
                                                f"{late['days_late']} jours / 365",
              "quantity": "1", "unit_price": str(interest), "vat_category": "O", "vat_rate": "0"},
             {"kind": "service", "description": "Indemnité forfaitaire pour frais de recouvrement "
                                                "(art. L441-10 et D441-5 du Code de commerce)",
              "quantity": "1", "unit_price": str(INDEMNITY), "vat_category": "O", "vat_rate": "0"}]
    if doc.customer.kind == "person":
        lines = lines[:1]          # the indemnity is owed by professionals only
    return drafts.create("invoice", doc.customer_id, on, [ln for ln in lines if Decimal(ln["unit_price"]) > 0],
                         reference=doc.number, notes=f"Pénalités de retard de la facture {doc.number}")
