"""What a document's seal covers: everything printed on it that matters (printed.py).

One builder serves both sides: validation seals the payload built here, and `verify` rebuilds
it here from the rows as they are now, in bulk.
"""
import json

import peewee as pw

from .db import prepared, stream
from .documents.kinds import DOCUMENT_CHAINS
from .models import Customer, Document, DocumentAdjustment, DocumentLine, DocumentVat, Progress

# 1: first format; 2: adds customer_code (the linked customer record); 3: adds what a
# situation prints (its number, the retention, the progress of each line) and the VAT groups
# of lines (totals), used only by documents that carry such data, so that every other seal
# rebuilds in format 2 unchanged.
# 4: format 3 plus the exchange rate and the euro totals of a document in another currency
# (only those use it).
# A record is always rebuilt in the format it was sealed with, so old seals stay verifiable.
PAYLOAD_FORMAT = 2
SITUATION_FORMAT = 3
CURRENCY_FORMAT = 4
_DOC = (Document.id, Document.kind, Document.type, Document.number, Document.date,
        Document.due_date, Document.validity_date, Document.currency, Document.customer_snapshot,
        Document.seller_snapshot, Document.reference, Document.notes, Document.source_refs,
        Document.returns_goods, Document.line_total, Document.allowance_total,
        Document.charge_total, Document.tax_basis_total, Document.tax_total,
        Document.grand_total, Document.prepaid, Document.rounding, Document.due,
        Document.validated_at, Document.validated_by, Customer.code, Document.situation_no,
        Document.retention_percent, Document.retention_release, Document.exchange_rate,
        Document.tax_basis_total_eur, Document.tax_total_eur, Document.grand_total_eur)
_LINE = (DocumentLine.document, DocumentLine.position, DocumentLine.kind, DocumentLine.code,
         DocumentLine.description, DocumentLine.quantity, DocumentLine.unit,
         DocumentLine.unit_price, DocumentLine.discount_percent, DocumentLine.vat_rate,
         DocumentLine.vat_category, DocumentLine.cost_price, DocumentLine.net_amount,
         DocumentLine.vat_group, DocumentLine.vat_carried)
_ADJ = (DocumentAdjustment.document, DocumentAdjustment.position, DocumentAdjustment.is_charge,
        DocumentAdjustment.amount, DocumentAdjustment.vat_rate, DocumentAdjustment.vat_category,
        DocumentAdjustment.reason, DocumentAdjustment.vat_group, DocumentAdjustment.vat_carried)
_VAT = (DocumentVat.document, DocumentVat.category, DocumentVat.rate, DocumentVat.basis,
        DocumentVat.amount, DocumentVat.basis_eur, DocumentVat.amount_eur)
# Progress rows name the lines they bill by document number and position, never by id.
_PLINE, _CLINE, _CDOC = DocumentLine.alias("pl"), DocumentLine.alias("cl"), Document.alias("cd")
_DDOC, _RLINE, _RDOC = Document.alias("dd"), DocumentLine.alias("rl"), Document.alias("rd")
_PROG = (Progress.document, _PLINE.position, Progress.role, _CDOC.number, _CLINE.position,
         _DDOC.number, _RDOC.number, _RLINE.position, Progress.percent, Progress.quantity,
         Progress.contract_amount, Progress.previous_percent, Progress.previous_amount)


def _progress_query(where):
    left = pw.JOIN.LEFT_OUTER
    return (Progress.select(*_PROG).join(_PLINE, on=(Progress.line == _PLINE.id))
            .switch(Progress).join(_CLINE, left, on=(Progress.contract_line == _CLINE.id))
            .join(_CDOC, left, on=(_CLINE.document == _CDOC.id))
            .switch(Progress).join(_DDOC, left, on=(Progress.deposit == _DDOC.id))
            .switch(Progress).join(_RLINE, left, on=(Progress.released_line == _RLINE.id))
            .join(_RDOC, left, on=(_RLINE.document == _RDOC.id))
            .where(where).order_by(Progress.document, _PLINE.position))
TOTAL_NAMES = ("line_total", "allowance_total", "charge_total", "tax_basis_total", "tax_total",
               "grand_total", "prepaid", "rounding", "due")


def _s(value):
    """Decimals and dates as strings; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    return str(value) if not hasattr(value, "isoformat") else value.isoformat()


def payload(doc: tuple, lines: list, adjustments: list, vat: list, progress: list = (),
            fmt: int | None = None) -> dict:
    (_id, kind, type_, number, date, due_date, validity, currency, customer, seller, reference,
     notes, source_refs, returns_goods, *rest) = doc
    totals, (validated_at, validated_by, customer_code, situation, retention, release) = rest[:9], rest[9:15]
    rate, euro_totals = rest[15], rest[16:19]
    if fmt is None:
        grouped = any(ln[13] for ln in lines) or any(a[7] for a in adjustments)
        fmt = SITUATION_FORMAT if (progress or situation or retention or grouped) else PAYLOAD_FORMAT
        if rate is not None:
            fmt = CURRENCY_FORMAT
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
    if fmt >= SITUATION_FORMAT:
        for item, ln in zip(out["lines"], lines):
            item["vat_group"], item["vat_carried"] = ln[13], _s(ln[14])
        for item, a in zip(out["adjustments"], adjustments):
            if a[7]:                      # an allowance or charge billed in slices (ledger.py)
                item["vat_group"], item["vat_carried"] = a[7], _s(a[8])
        out["situation"] = situation
        out["retention"] = {"percent": _s(retention), "release_date": _s(release)}
        out["progress"] = [{"position": r[1], "role": r[2],
                            "contract": r[3] and {"number": r[3], "position": r[4]},
                            "deposit": r[5], "releases": r[6] and {"number": r[6], "position": r[7]},
                            "percent": _s(r[8]), "quantity": _s(r[9]), "contract_amount": _s(r[10]),
                            "previous_percent": _s(r[11]), "previous_amount": _s(r[12])}
                           for r in progress]
    if fmt >= CURRENCY_FORMAT:
        out["exchange_rate"] = _s(rate)
        out["totals_eur"] = {k: _s(v) for k, v in zip(("tax_basis_total", "tax_total", "grand_total"), euro_totals)}
        for item, v in zip(out["vat"], vat):
            item["basis_eur"], item["amount_eur"] = _s(v[5]), _s(v[6])
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
        progress = _grouped(_progress_query(Progress.document.between(lo, hi)), ids)
        for doc, ln, ad, va, pr in zip(part, lines, adjs, vats, progress):
            yield doc, ln, ad, va, pr


def payload_for(document_id: int, fmt: int | None = None) -> dict:
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
    progress = prepared("seal.progress", lambda d: _progress_query(Progress.document == d), i)
    return payload(doc, lines, adjs, vats, progress, fmt)


def document_payloads(lo: int = 0, hi: int | None = None):
    """(chain, number, document id, payload) for every numbered document with lo < id <= hi,
    as its rows are now. Every numbered document, whatever its `sealed` flag says: flipping the
    flag hides nothing."""
    where = Document.number.is_null(False) & (Document.id > lo)
    if hi is not None:
        where &= Document.id <= hi
    for doc, lines, adjs, vats, progress in _rows(where, DocumentLine.id.is_null(False),
                                                  DocumentAdjustment.id.is_null(False),
                                                  DocumentVat.id.is_null(False)):
        yield DOCUMENT_CHAINS[doc[1]], doc[3], doc[0], payload(doc, lines, adjs, vats, progress)
