"""What a document's seal covers: everything printed on it that matters (DESIGN §6).

One builder serves both sides: validation seals the payload built here, and `verify` rebuilds
it here from the rows as they are now, in bulk.
"""
import json

from .db import prepared, stream
from .journal import DOCUMENT_CHAINS
from .models import Customer, Document, DocumentAdjustment, DocumentLine, DocumentVat

# 1: first format; 2: adds customer_code (the linked customer record). A record is always
# rebuilt in the format it was sealed with, so old seals stay verifiable after upgrades.
PAYLOAD_FORMAT = 2
_DOC = (Document.id, Document.kind, Document.type, Document.number, Document.date,
        Document.due_date, Document.validity_date, Document.currency, Document.customer_snapshot,
        Document.seller_snapshot, Document.reference, Document.notes, Document.source_refs,
        Document.returns_goods, Document.line_total, Document.allowance_total,
        Document.charge_total, Document.tax_basis_total, Document.tax_total,
        Document.grand_total, Document.prepaid, Document.rounding, Document.due,
        Document.validated_at, Document.validated_by, Customer.code)
_LINE = (DocumentLine.document, DocumentLine.position, DocumentLine.kind, DocumentLine.code,
         DocumentLine.description, DocumentLine.quantity, DocumentLine.unit,
         DocumentLine.unit_price, DocumentLine.discount_percent, DocumentLine.vat_rate,
         DocumentLine.vat_category, DocumentLine.cost_price, DocumentLine.net_amount)
_ADJ = (DocumentAdjustment.document, DocumentAdjustment.position, DocumentAdjustment.is_charge,
        DocumentAdjustment.amount, DocumentAdjustment.vat_rate, DocumentAdjustment.vat_category,
        DocumentAdjustment.reason)
_VAT = (DocumentVat.document, DocumentVat.category, DocumentVat.rate, DocumentVat.basis,
        DocumentVat.amount)
TOTAL_NAMES = ("line_total", "allowance_total", "charge_total", "tax_basis_total", "tax_total",
               "grand_total", "prepaid", "rounding", "due")


def _s(value):
    """Decimals and dates as strings; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()


def payload(doc: tuple, lines: list, adjustments: list, vat: list, fmt: int = PAYLOAD_FORMAT) -> dict:
    (_id, kind, type_, number, date, due_date, validity, currency, customer, seller, reference,
     notes, source_refs, returns_goods, *rest) = doc
    totals, (validated_at, validated_by, customer_code) = rest[:9], rest[9:]
    out = {
        "format": fmt, "kind": kind, "type": type_, "number": number,
        "date": _s(date), "due_date": _s(due_date), "validity_date": _s(validity),
        "currency": currency, "customer": json.loads(customer or "null"),
        "customer_code": customer_code,    # the linked record: swapping it is seen
        "seller": json.loads(seller or "null"), "reference": reference, "notes": notes,
        "source_refs": json.loads(source_refs or "[]"), "returns_goods": bool(returns_goods),
        "totals": {k: _s(v) for k, v in zip(TOTAL_NAMES, totals)},
        "validated_at": validated_at, "validated_by": validated_by,
        "lines": [{"position": ln[1], "kind": ln[2], "code": ln[3], "description": ln[4],
                   "quantity": _s(ln[5]), "unit": ln[6], "unit_price": _s(ln[7]),
                   "discount_percent": _s(ln[8]), "vat_rate": _s(ln[9]), "vat_category": ln[10],
                   "cost_price": _s(ln[11]), "net_amount": _s(ln[12])} for ln in lines],
        "adjustments": [{"position": a[1], "is_charge": bool(a[2]), "amount": _s(a[3]),
                         "vat_rate": _s(a[4]), "vat_category": a[5], "reason": a[6]}
                        for a in adjustments],
        "vat": [{"category": v[1], "rate": _s(v[2]), "basis": _s(v[3]), "amount": _s(v[4])}
                for v in vat],
    }
    if fmt < 2:
        del out["customer_code"]
    return out


def _grouped(query, doc_ids_in_order):
    """Merge-joins child rows (ordered by document id) onto the documents' order."""
    it = stream(query)
    pending = next(it, None)
    for doc_id in doc_ids_in_order:
        group = []
        while pending is not None and pending[0] < doc_id:
            pending = next(it, None)
        while pending is not None and pending[0] == doc_id:
            group.append(pending)
            pending = next(it, None)
        yield group


def _rows(where_doc, where_child_line, where_child_adj, where_child_vat, batch=20000):
    docs = list(stream(Document.select(*_DOC).join(Customer, on=(Document.customer == Customer.id))
                       .where(where_doc).order_by(Document.id)))
    for start in range(0, len(docs), batch):
        part = docs[start:start + batch]
        lo, hi = part[0][0], part[-1][0]
        ids = [d[0] for d in part]
        lines = _grouped(DocumentLine.select(*_LINE).where(
            where_child_line & DocumentLine.document.between(lo, hi))
            .order_by(DocumentLine.document, DocumentLine.position), ids)
        adjs = _grouped(DocumentAdjustment.select(*_ADJ).where(
            where_child_adj & DocumentAdjustment.document.between(lo, hi))
            .order_by(DocumentAdjustment.document, DocumentAdjustment.position), ids)
        vats = _grouped(DocumentVat.select(*_VAT).where(
            where_child_vat & DocumentVat.document.between(lo, hi))
            .order_by(DocumentVat.document, DocumentVat.category, DocumentVat.rate.desc()), ids)
        for doc, ln, ad, va in zip(part, lines, adjs, vats):
            yield doc, ln, ad, va


def payload_for(document_id: int, fmt: int = PAYLOAD_FORMAT) -> dict:
    """One document's payload, with the same columns as the bulk path (compiled once)."""
    i = int(document_id)
    doc = prepared("seal.doc", lambda d: Document.select(*_DOC).join(
        Customer, on=(Document.customer == Customer.id)).where(Document.id == d), i)[0]
    lines = prepared("seal.lines", lambda d: DocumentLine.select(*_LINE).where(
        DocumentLine.document == d).order_by(DocumentLine.position), i)
    adjs = prepared("seal.adj", lambda d: DocumentAdjustment.select(*_ADJ).where(
        DocumentAdjustment.document == d).order_by(DocumentAdjustment.position), i)
    vats = prepared("seal.vat", lambda d: DocumentVat.select(*_VAT).where(
        DocumentVat.document == d).order_by(DocumentVat.category, DocumentVat.rate.desc()), i)
    return payload(doc, lines, adjs, vats, fmt)


def document_payloads(lo: int = 0, hi: int | None = None):
    """(chain, number, document id, payload) for every numbered document with lo < id <= hi,
    as its rows are now. Every numbered document, whatever its `sealed` flag says: flipping the
    flag hides nothing."""
    where = Document.number.is_null(False) & (Document.id > lo)
    if hi is not None:
        where &= Document.id <= hi
    for doc, lines, adjs, vats in _rows(where, DocumentLine.id.is_null(False),
                                        DocumentAdjustment.id.is_null(False),
                                        DocumentVat.id.is_null(False)):
        yield DOCUMENT_CHAINS[doc[1]], doc[3], doc[0], payload(doc, lines, adjs, vats)
