"""Cheque remittance slips (bordereaux de remise de chèques): the cheques collected and not yet
taken to the bank, gathered on one numbered slip with its total, sealed in the events chain."""
import datetime as dt

from . import catalog, clock, journal, permissions, session
from .db import write
from .errors import NotFound, StateError
from .models import Customer, Payment, Remittance, RemittanceItem, utcnow
from .money import ZERO, fmt2


def pending() -> list[Payment]:
    """Cheques received, not cancelled, on no slip yet (oldest first)."""
    cancelled = Payment.select(Payment.cancels).where(Payment.cancels.is_null(False))
    slipped = RemittanceItem.select(RemittanceItem.payment)
    return list(Payment.select(Payment, Customer).join(Customer)
                .where((Payment.method == "cheque") & (Payment.amount > 0) & Payment.id.not_in(cancelled)
                       & Payment.id.not_in(slipped) & Payment.cancels.is_null())
                .order_by(Payment.date, Payment.seq))


def cheques() -> list[dict]:
    """The cheques to take to the bank, as the list and the screen show them."""
    return [{"payment": p.seq, "date": p.date.isoformat(), "customer": p.customer.code, "name": p.customer.name,
             "bank": p.bank, "number": p.reference, "amount": fmt2(p.amount)} for p in pending()]


def remit(on: dt.date | None = None, bank: str = "") -> Remittance:
    permissions.require("payment.collect")
    on = on or clock.today()
    with write():
        cheques = [p for p in pending() if p.date <= on]
        if not cheques:
            raise StateError("aucun chèque à remettre", "chèques", None)
        year = on.year
        n = Remittance.select().where(Remittance.number.startswith(f"RC{year}-")).count() + 1
        total = sum((p.amount for p in cheques), ZERO)
        slip = Remittance.create(number=f"RC{year}-{n:05d}", bank=catalog.clean_text("banque", bank, 80), date=on,
                                 total=total, user=session.current_user())
        for p in cheques:
            RemittanceItem.create(remittance=slip.id, payment=p.id)
        journal.seal("event", "remittance", slip.number,
                     {"action": "remittance", "at": utcnow(), "user": session.current_user(), "ref": slip.number,
                      "detail": {"date": on.isoformat(), "total": fmt2(total), "cheques": [p.seq for p in cheques]}})
    return slip


def view(number: str) -> dict:
    slip = Remittance.get_or_none(Remittance.number == number)
    if slip is None:
        raise NotFound(f"bordereau inconnu « {number} »", "bordereau", number)
    items = (Payment.select(Payment, Customer).join(Customer).switch(Payment)
             .join(RemittanceItem, on=(RemittanceItem.payment == Payment.id))
             .where(RemittanceItem.remittance == slip.id).order_by(Payment.date, Payment.seq))
    own = catalog.company_snapshot()
    return {"number": slip.number, "date": slip.date, "bank": slip.bank, "total": slip.total,
            "seller": own, "account": own.get("iban", ""),
            "cheques": [{"date": p.date, "customer": p.customer.name, "drawer_bank": p.bank, "number": p.reference,
                         "amount": p.amount} for p in items]}


def slips() -> list[dict]:
    return [{"number": r.number, "date": r.date.isoformat(), "bank": r.bank, "total": fmt2(r.total),
             "count": r.items.count()} for r in Remittance.select().order_by(Remittance.id)]
