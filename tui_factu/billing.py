"""Billing work done: interventions (labour and parts) and time entries become the lines of one
invoice, each line linked back to the entries it bills. One link per entry, unique in the
database: an entry is never billed twice; removing its line or the draft frees it again."""
import datetime as dt
import math
from decimal import Decimal

from . import clock, inputs
from .db import write
from .documents import drafts, queries
from .errors import InvalidValue, StateError
from .models import Billing, Customer, Document, DocumentLine, Setting
from .money import ZERO, round_to, to_decimal

INCREMENT_KEY = "time.increment_minutes"
DEFAULT_INCREMENT = 15           # the quarter of an hour started, the usual French practice


def increment() -> int:
    row = Setting.get_or_none(Setting.key == INCREMENT_KEY)
    try:
        value = int(row.value) if row else DEFAULT_INCREMENT
    except ValueError:
        value = DEFAULT_INCREMENT
    return value if 1 <= value <= 60 else DEFAULT_INCREMENT


def hours(minutes: int) -> Decimal:
    """Billed hours: the time rounded up to the increment (15 min: 20 min bill 0.5 h), so
    hours × rate stays exact; to the thousandth of an hour with a 1-minute increment."""
    step = increment()
    billed = math.ceil(minutes / step) * step
    return round_to(Decimal(billed) / 60, 3)


def parse_minutes(hours_text=None, start: str = "", end: str = "", where: str = "durée") -> int:
    """Minutes from a duration in hours (1.5, 1,75) or from start and end times (HH:MM)."""
    if start or end:
        try:
            t0, t1 = (dt.datetime.strptime((x or "").strip(), "%H:%M") for x in (start, end))
        except ValueError:
            raise InvalidValue("heures", f"{start}–{end}", "début et fin au format HH:MM attendus") from None
        minutes = int((t1 - t0).total_seconds() // 60)
        if minutes <= 0:
            raise InvalidValue("heures", f"{start}–{end}", "la fin doit suivre le début")
        return minutes
    if hours_text in (None, ""):
        raise InvalidValue(where, None, "durée en heures, ou début et fin, attendue")
    h = to_decimal(hours_text, where)
    if not Decimal(0) < h <= 24:
        raise InvalidValue(where, hours_text, "entre 0 et 24 heures")
    return int((h * 60).to_integral_value())


def billed(kind: str, ids) -> dict:
    """entry id -> label of the document whose line bills it (draft or validated)."""
    if not ids:
        return {}
    q = (Billing.select(Billing.entry, Document.id, Document.number, Document.kind)
         .join(Document, on=(Billing.document == Document.id))
         .where((Billing.kind == kind) & Billing.entry.in_(list(ids))))
    return {entry: number or f"brouillon #{doc_id}" for entry, doc_id, number, _ in q.tuples()}


def create_invoice(customer: Customer, blocks: list, date=None, reference: str = "") -> Document:
    """A draft invoice from blocks of (line dict, [(kind, entry id), ...]) — text and section
    lines carry no entry — with the billing link of every entry."""
    from . import permissions
    permissions.require("document.edit", "invoice")
    entries = [e for _, es in blocks for e in es]
    if not entries:
        raise StateError(f"rien à facturer pour {customer.code} : aucune saisie facturable non facturée",
                         "saisies", None)
    with write():
        for kind in {k for k, _ in entries}:
            done = billed(kind, [i for k, i in entries if k == kind])
            if done:
                entry, where = next(iter(done.items()))
                raise StateError(f"{LABELS[kind]} n° {entry} est déjà facturée ({where}) : jamais deux fois",
                                 kind, entry)
        doc = drafts.make("invoice", customer.id, [ln for ln, _ in blocks],
                          date=inputs.parse_date(date or clock.today()), reference=reference,
                          what=f"facturation de {len(entries)} saisie(s)")
        ids = [i for (i,) in DocumentLine.select(DocumentLine.id).where(DocumentLine.document == doc.id)
               .order_by(DocumentLine.position).tuples()]
        Billing.insert_many([{"kind": k, "entry": e, "document": doc.id, "line": line}
                             for line, (_, es) in zip(ids, blocks) for k, e in es]).execute()
    return queries.get(doc.id)


LABELS = {"intervention": "l'intervention", "part": "la pièce d'intervention", "time": "la saisie de temps"}


def section(text: str) -> tuple[dict, list]:
    return {"kind": "section", "description": text}, []


def text(value: str) -> tuple[dict, list]:
    return {"kind": "text", "description": value}, []


def priced(product, quantity: Decimal, description: str, entries: list) -> tuple[dict, list]:
    """A line billing `quantity` of `product` (at its current price), for these entries."""
    if quantity <= ZERO:
        raise InvalidValue("quantité", quantity, "doit être positive")
    return ({"kind": product.kind, "product": product.id, "code": product.code, "description": description,
             "quantity": quantity, "unit": product.unit, "unit_price": product.price,
             "discount_percent": ZERO, "vat_rate": product.vat_rate, "vat_category": product.vat_category,
             "cost_price": product.cost}, entries)
