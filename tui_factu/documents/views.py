"""What a person reads of a document: `doc show --json` (stored figures only, never recomputed
here) and the chain around it (`doc links`)."""
import json

from .. import deposits, lifecycle, margins, payments, schedules, situations, totals
from ..models import Customer, Document, DocumentLine
from ..money import ZERO, fmt2, fmt_plain, fmt_price
from .kinds import PRICED_LINE_KINDS
from .queries import adjustments_of, get, lines_of, remaining, vat_of
from .status import shown


def show(doc: Document) -> dict:
    """The `doc show --json` view: stored figures only, never recomputed here."""
    lines = lines_of(doc.id)
    adjs = adjustments_of(doc.id)
    rest = {}
    if doc.status != "draft" and doc.kind in ("order", "quote", "delivery", "invoice"):
        target = {"order": "delivery", "quote": "order", "delivery": "invoice",
                  "invoice": "credit_note"}[doc.kind]
        rest[target] = remaining(doc, target, validated_only=True)
        if doc.kind == "order":
            rest["invoice"] = remaining(doc, "invoice", validated_only=True)
    cust = Customer.get_by_id(doc.customer_id)
    snapshot = json.loads(doc.customer_snapshot) if doc.customer_snapshot else None
    out_lines = []
    for ln in lines:
        item = {"position": ln.position, "kind": ln.kind, "description": ln.description}
        if ln.kind in PRICED_LINE_KINDS:
            item.update({"product": ln.code or None, "quantity": fmt_plain(ln.quantity),
                         "unit": ln.unit, "unit_price": fmt_price(ln.unit_price),
                         "discount_percent": fmt_plain(ln.discount_percent),
                         "vat_rate": fmt_plain(ln.vat_rate), "vat_category": ln.vat_category,
                         "net_amount": fmt2(ln.net_amount)})
            for target, by_pos in (rest.items() if ln.quantity > 0 else ()):
                key = {"delivery": "remaining_to_deliver", "invoice": "remaining_to_invoice",
                       "order": "remaining_to_order", "credit_note": "remaining_to_credit"}[target]
                item[key] = fmt_plain(by_pos.get(ln.position, ZERO))
        out_lines.append(item)
    return {
        "id": doc.id, "number": doc.number, "kind": doc.kind, "type": doc.type,
        "status": shown(doc), "date": doc.date.isoformat(),
        "due_date": doc.due_date.isoformat() if doc.due_date else None,
        "validity_date": doc.validity_date.isoformat() if doc.validity_date else None,
        "customer": {"code": snapshot["code"] if snapshot else cust.code,
                     "name": snapshot["name"] if snapshot else cust.name},
        "reference": doc.reference, "notes": doc.notes, "currency": doc.currency,
        # euros per unit (null in EUR) and the VAT total in euros (BT-111), whatever the currency
        "exchange_rate": fmt_plain(doc.exchange_rate),
        "vat_total_eur": fmt2(doc.tax_total if doc.exchange_rate is None else doc.tax_total_eur),
        "source_refs": json.loads(doc.source_refs or "[]"),
        "preceding": ({"number": doc.preceding.number, "date": doc.preceding.date.isoformat()}
                      if doc.preceding_id else None),
        "lines": out_lines,
        "allowances": [{"amount": fmt2(a.amount), "vat_rate": fmt_plain(a.vat_rate),
                        "vat_category": a.vat_category, "reason": a.reason} for a in adjs if not a.is_charge],
        "charges": [{"amount": fmt2(a.amount), "vat_rate": fmt_plain(a.vat_rate),
                     "vat_category": a.vat_category, "reason": a.reason} for a in adjs if a.is_charge],
        "totals": {k: fmt2(getattr(doc, k)) for k in totals.TOTAL_KEYS},
        "vat_breakdown": [{"category": v.category, "rate": fmt_plain(v.rate), "basis": fmt2(v.basis),
                           "amount": fmt2(v.amount)} for v in vat_of(doc.id)],
        "sealed": doc.sealed, "version": doc.version,
        **_settlement(doc), **_margin(doc, lines), **_situation(doc), **_einvoice(doc),
    }


def _einvoice(doc: Document) -> dict:
    """What became of an issued invoice or credit note as an e-invoice (lifecycle.state)."""
    if doc.kind not in ("invoice", "credit_note") or not doc.number:
        return {}
    return {"einvoice": lifecycle.state(doc.id)}


def _situation(doc: Document) -> dict:
    return situations.view(doc) if doc.kind == "invoice" else {}


def _margin(doc: Document, lines) -> dict:
    if doc.kind not in ("quote", "order", "invoice") or not margins.allowed():
        return {}
    return {"margin": margins.of_lines(lines)}


def _settlement(doc: Document) -> dict:
    """paid / balance of an invoice: what payments settled, what the customer still owes;
    for a credit note, what is left of it."""
    if doc.kind == "credit_note" and doc.status != "draft":
        return {"left": fmt2(payments.credit_note_left(doc))}
    if doc.kind != "invoice" or doc.status == "draft":
        return {}
    return {"paid": fmt2(payments.paid(doc.id)), "balance": fmt2(payments.balance(doc)),
            "deposits": deposits.listing(doc), "schedule": schedules.of_invoice(doc.id)}


def genealogy(doc_id: int) -> list[dict]:
    """Every document linked to this one, upstream and downstream, through line origins,
    credited invoices and deposits: quote → order → deliveries → invoices → credit notes."""
    seen, todo = set(), [int(doc_id)]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        line_ids = [i for (i,) in DocumentLine.select(DocumentLine.id).where(DocumentLine.document == current).tuples()]
        ups = (DocumentLine.select(DocumentLine.document).where(
            DocumentLine.id.in_(DocumentLine.select(DocumentLine.origin).where(
                (DocumentLine.document == current) & DocumentLine.origin.is_null(False)))).tuples())
        downs = (DocumentLine.select(DocumentLine.document).where(DocumentLine.origin.in_(line_ids)).tuples()
                 if line_ids else [])
        linked = (Document.select(Document.id).where((Document.preceding == current)).tuples())
        doc = get(current)
        todo += [d for (d,) in ups] + [d for (d,) in downs] + [d for (d,) in linked]
        if doc.preceding_id:
            todo.append(doc.preceding_id)
    order = {k: i for i, k in enumerate(("quote", "order", "delivery", "invoice", "receipt", "credit_note"))}
    docs = sorted((get(i) for i in seen), key=lambda d: (order.get(d.kind, 9), d.date, d.id))
    out = []
    for d in docs:
        item = {"id": d.id, "kind": d.kind, "type": d.type, "number": d.number, "status": d.status,
                "date": d.date.isoformat(), "grand_total": fmt2(d.grand_total), "current": d.id == int(doc_id)}
        if d.kind == "order" and d.status != "draft":
            item["remaining_to_deliver"] = fmt_plain(sum(remaining(d, "delivery", True).values(), ZERO))
            item["remaining_to_invoice"] = fmt_plain(sum(remaining(d, "invoice", True).values(), ZERO))
        out.append(item)
    return out
