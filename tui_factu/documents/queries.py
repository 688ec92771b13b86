"""Reading documents: by id or number, their lines, adjustments and VAT rows, what remains of
them along the chain (to order, deliver, invoice, credit: from line origin links, never a
flag), stock reserved by open orders, backorders, the keyset-paged list, and what counts as a
sale."""

import operator
from functools import reduce

import peewee as pw

from .. import clock, stock
from ..catalog import search_key
from ..db import contains, prepared_models
from ..errors import InvalidValue, NotFound
from ..models import Customer, Document, DocumentAdjustment, DocumentLine, DocumentLink, DocumentVat, Product
from ..money import ZERO, fmt2, sum_of
from .kinds import KIND_LABELS, KINDS, PRICED_LINE_KINDS, SOLD


def get(doc_id: int) -> Document:
    found = prepared_models("document.get", Document,
                            lambda i: Document.select().where(Document.id == i), int(doc_id))
    if not found:
        raise NotFound(f"document introuvable « #{doc_id} »", "document", f"#{doc_id}")
    return found[0]


def resolve(ref: str) -> Document:
    """A number such as FA2026-00001, or #id."""
    text = str(ref or "").strip()
    if text.startswith("#") and text[1:].isdigit():
        return get(int(text[1:]))
    doc = Document.get_or_none(Document.number == text)
    if doc is None:
        raise NotFound(f"document introuvable « {text} »", "document", text)
    return doc


def find(text: str, limit: int = 10) -> list[Document]:
    """Numbered documents whose number starts with the text, then those that hold it anywhere
    ("00042" finds FA2026-00042): what the palette offers."""
    text = (text or "").strip().upper()
    if not text:
        return []
    found = list(Document.select().where((Document.number >= text) & (Document.number < text + "\uffff"))
                 .order_by(Document.number).limit(limit))
    if len(found) < limit:
        seen = {d.id for d in found}
        found += [d for d in Document.select().where(Document.number.is_null(False) & contains(Document.number, text))
                  .order_by(Document.id.desc()).limit(limit) if d.id not in seen][: limit - len(found)]
    return found


def lines_of(doc_id: int) -> list[DocumentLine]:
    return prepared_models("document.lines", DocumentLine, lambda i: DocumentLine.select().where(
        DocumentLine.document == i).order_by(DocumentLine.position), int(doc_id))


def adjustments_of(doc_id: int) -> list[DocumentAdjustment]:
    return prepared_models("document.adjustments", DocumentAdjustment, lambda i: DocumentAdjustment.select()
                           .where(DocumentAdjustment.document == i).order_by(DocumentAdjustment.position),
                           int(doc_id))


def vat_of(doc_id: int) -> list[DocumentVat]:
    return prepared_models("document.vat", DocumentVat, lambda i: DocumentVat.select().where(
        DocumentVat.document == i).order_by(DocumentVat.category, DocumentVat.rate.desc()), int(doc_id))


def label(doc: Document) -> str:
    return doc.number or f"{KIND_LABELS[doc.kind]} brouillon #{doc.id}"


# ---- quantities along the chain ------------------------------------------------------------

def _children_qty(line_ids, kinds, validated_only=False, via_delivery=False, billed=False) -> dict:
    """Σ quantity of lines in documents of `kinds` whose origin is one of line_ids; `billed`
    counts what invoices still bill (net of credit notes that took no goods back)."""
    if not line_ids:
        return {}
    child = DocumentLine.alias()
    q = (child.select(child.origin, sum_of(child.quantity))
         .join(Document, on=(child.document == Document.id))
         .where(child.origin.in_(list(line_ids)) & Document.kind.in_(kinds)
                & (Document.status != "cancelled")))
    if validated_only:
        q = q.where(Document.status != "draft")
    out = dict(q.group_by(child.origin).tuples())
    if via_delivery:
        # order line -> delivery line -> invoice line
        dl = DocumentLine.alias()
        inv = DocumentLine.alias()
        q2 = (dl.select(dl.origin, sum_of(inv.quantity))
              .join(inv, on=(inv.origin == dl.id))
              .join(Document, on=(inv.document == Document.id))
              .where(dl.origin.in_(list(line_ids)) & (Document.kind == "invoice")
                     & (Document.status != "cancelled")))
        if validated_only:
            q2 = q2.where(Document.status != "draft")
        for lid, total in q2.group_by(dl.origin).tuples():
            out[lid] = out.get(lid, ZERO) + total
    if billed:
        for lid, back in _credited_back(line_ids, via_delivery).items():
            out[lid] = out.get(lid, ZERO) - back
    return out


def _credited_back(line_ids, via_delivery: bool) -> dict:
    """source line id -> quantity its invoices gave back by validated credit notes that took no
    goods back (an invoice corrected — "annule et remplace" — bills again what it billed; goods
    returned are neither delivered nor invoiced again)."""
    inv, cn = DocumentLine.alias("inv"), DocumentLine.alias("cn")
    paths = [(inv.origin, cn.select(inv.origin, sum_of(cn.quantity)).join(inv, on=(cn.origin == inv.id))
              .join(Document, on=(cn.document == Document.id))
              .where(inv.origin.in_(list(line_ids)) & (Document.kind == "credit_note") & (Document.status != "draft")
                     & (Document.returns_goods == False)))]  # noqa: E712
    if via_delivery:
        dl = DocumentLine.alias("dl")
        paths.append((dl.origin, cn.select(dl.origin, sum_of(cn.quantity)).join(inv, on=(cn.origin == inv.id))
                      .join(dl, on=(inv.origin == dl.id)).join(Document, on=(cn.document == Document.id))
                      .where(dl.origin.in_(list(line_ids)) & (Document.kind == "credit_note")
                             & (Document.status != "draft") & (Document.returns_goods == False))))  # noqa: E712
    out: dict = {}
    for group, q in paths:
        for lid, total in q.group_by(group).tuples():
            out[lid] = out.get(lid, ZERO) + total
    return out


def _delivered_directly(line_ids, validated_only=False) -> dict:
    """Order lines delivered: by delivery notes, or by what invoices drawn from the order handed
    over at the counter (a draft invoice is counted whole: it will hand over what is left)."""
    out = _children_qty(line_ids, ("delivery",), validated_only)
    if not line_ids:
        return out
    handed = pw.fn.COALESCE(pw.fn.SUM(pw.fn.COALESCE(DocumentLine.handed_over, DocumentLine.quantity)), 0)
    q = (DocumentLine.select(DocumentLine.origin, handed.python_value(DocumentLine.quantity.python_value))
         .join(Document, on=(DocumentLine.document == Document.id))
         .where(DocumentLine.origin.in_(list(line_ids)) & (Document.kind == "invoice")
                & (Document.status != "cancelled")))
    if validated_only:
        q = q.where(Document.status != "draft")
    for lid, total in q.group_by(DocumentLine.origin).tuples():
        out[lid] = out.get(lid, ZERO) + total
    return out


def remaining(doc: Document, target: str, validated_only: bool = False) -> dict:
    """position -> quantity that may still become `target` (priced lines only)."""
    lines = [ln for ln in lines_of(doc.id) if ln.kind in PRICED_LINE_KINDS]
    ids = [ln.id for ln in lines]
    if doc.kind == "order" and target == "delivery":
        done = _delivered_directly(ids, validated_only)
    elif doc.kind == "order" and target == "invoice":
        done = _children_qty(ids, ("invoice",), validated_only, via_delivery=True, billed=True)
    elif doc.kind == "quote":
        done = _children_qty(ids, ("order", "invoice"), validated_only, billed=True)
    elif doc.kind == "delivery" or (doc.kind == "receipt" and target == "invoice"):
        done = _children_qty(ids, ("invoice",), validated_only, billed=True)
    elif doc.kind in ("invoice", "receipt"):
        done = _children_qty(ids, ("credit_note",), validated_only)
    else:
        return {}
    return {ln.position: ln.quantity - done.get(ln.id, ZERO) for ln in lines}


def may_become(doc: Document, target: str, validated_only: bool = False) -> dict:
    """position -> quantity `doc` may itself still become `target`: what remains of it, and for a
    delivery note to invoice, no more than its order still has to bill (the order may have been
    invoiced whole, the notes' goods with it)."""
    rest = remaining(doc, target, validated_only)
    if not (doc.kind == "delivery" and target == "invoice"):
        return rest
    up = {ln.position: ln.origin_id for ln in lines_of(doc.id) if ln.kind in PRICED_LINE_KINDS}
    order_left = to_bill_on_orders([o for o in up.values() if o], validated_only)
    return {pos: min(q, order_left[up[pos]]) if up.get(pos) in order_left else q for pos, q in rest.items()}


def to_bill_on_orders(order_line_ids, validated_only: bool = False) -> dict:
    """order line id -> quantity its order still has to bill."""
    docs = {d for (d,) in DocumentLine.select(DocumentLine.document).join(Document).where(
        DocumentLine.id.in_(list(order_line_ids) or [0]) & (Document.kind == "order")).tuples()}
    out = {}
    for order_id in docs:
        by_position = remaining(get(order_id), "invoice", validated_only)
        out.update({ln.id: by_position[ln.position] for ln in lines_of(order_id) if ln.position in by_position})
    return out


def availability(product_code: str) -> dict | None:
    """On hand, reserved by open orders (what remains to deliver on them), and available;
    None when the product's stock is not managed."""
    product = Product.get_or_none(Product.code == product_code)
    if product is None or not product.stock_managed:
        return None
    lines = list(DocumentLine.select(DocumentLine.id, DocumentLine.quantity).join(Document)
                 .where((DocumentLine.product == product.id) & (Document.kind == "order")
                        & Document.status.in_(("validated", "partial"))).tuples())
    delivered = _delivered_directly([i for i, _ in lines], validated_only=True)
    reserved = sum((max(ZERO, q - delivered.get(i, ZERO)) for i, q in lines), ZERO)
    on_hand = stock.on_hand(product.id)
    return {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}


def backorders(customer_id: int | None = None) -> list[dict]:
    """Validated order lines still to deliver."""
    q = Document.select().where((Document.kind == "order") &
                                Document.status.in_(("validated", "partial")))
    if customer_id:
        q = q.where(Document.customer == customer_id)
    out = []
    for order in q.order_by(Document.id):
        rest = remaining(order, "delivery", validated_only=True)
        for ln in lines_of(order.id):
            qty = rest.get(ln.position)
            if qty and qty > 0:
                out.append({"order": order.number, "date": order.date.isoformat(),
                            "customer": order.customer.code, "position": ln.position,
                            "product": ln.code, "description": ln.description,
                            "ordered": ln.quantity, "remaining": qty})
    return out


# ---- lists ---------------------------------------------------------------------------------

def sold(start=None, end=None):
    """What was sold: validated invoices and counter tickets, and credit notes (negative in every
    figure), less the invoices made from a ticket on request (the ticket already counts). Sealed
    is what decides, not the status: the seal flag is guarded by the base's triggers."""
    from_tickets = DocumentLink.select(DocumentLink.document).where(DocumentLink.role == "invoices_ticket")
    where = Document.kind.in_(SOLD) & (Document.sealed == True) & ~Document.id.in_(from_tickets)  # noqa: E712
    if start is not None:
        where &= Document.date.between(start, end)
    return where


def listing(kind: str | None = None, status: str | None = None, customer_id: int | None = None,
            after_id: int | None = None, limit: int = 50, descending: bool = False,
            statuses: tuple = (), due_before=None, valid_until=None, number_prefix: str = "", text: str = "",
            date_from=None, date_to=None, by_date: bool = False, after_date=None,
            einvoice: int | None = None) -> list[dict]:
    """One keyset page of the document list (never OFFSET): by id, or by date then id (then the
    key of the last row is its (date, id)). `einvoice`: only invoices and credit notes whose
    last lifecycle status is that code (0: none yet)."""
    q = (Document.select(Document.id, Document.kind, Document.number, Document.status, Document.date,
                         Customer.code, Customer.name, Document.grand_total, Document.validity_date)
         .join(Customer, on=(Document.customer == Customer.id)))
    if kind:
        if kind not in KINDS:
            raise InvalidValue("--kind", kind, "type inconnu (" + ", ".join(KINDS) + ")")
        q = q.where(Document.kind == kind)
    wanted = ((status,) if status else ()) + tuple(statuses)
    if wanted:
        q = q.where(reduce(operator.or_, [_reads(s) for s in wanted]))
    if customer_id:
        q = q.where(Document.customer == customer_id)
    if due_before:
        q = q.where(Document.due_date < due_before)
    if valid_until:
        q = q.where((Document.validity_date >= clock.today()) & (Document.validity_date <= valid_until))
    if number_prefix:
        q = q.where((Document.number >= number_prefix) & (Document.number < number_prefix + "\uffff"))
    if text.strip():                    # anywhere in the number, the customer's code or name (a scan)
        typed = text.strip()
        q = q.where(contains(Document.number, typed.upper()) | contains(Customer.code, typed.upper())
                    | contains(Customer.name_key, search_key(typed)))
    if date_from:
        q = q.where(Document.date >= date_from)
    if date_to:
        q = q.where(Document.date <= date_to)
    if einvoice is not None:
        q = q.where(_last_status_is(einvoice))
    if by_date:
        if after_id is not None:
            q = q.where((Document.date < after_date) | ((Document.date == after_date) & (Document.id < after_id))
                        if descending else
                        (Document.date > after_date) | ((Document.date == after_date) & (Document.id > after_id)))
        q = q.order_by(*((Document.date.desc(), Document.id.desc()) if descending else (Document.date, Document.id)))
    else:
        if after_id is not None:
            q = q.where(Document.id < after_id if descending else Document.id > after_id)
        q = q.order_by(Document.id.desc() if descending else Document.id)
    q = q.limit(limit)
    today = clock.today()
    rows = [{"id": i, "kind": k, "number": n, "status": "expired" if _past(k, s, v, today) else s,
             "date": d.isoformat(), "customer": c, "customer_name": cn, "grand_total": fmt2(g)}
            for i, k, n, s, d, c, cn, g, v in q.tuples()]
    last = last_einvoice_statuses([r["id"] for r in rows if r["kind"] in ("invoice", "credit_note")])
    for r in rows:
        if r["kind"] in ("invoice", "credit_note") and r["number"]:
            r["einvoice_status"] = last.get(r["id"])
    return rows


def last_einvoice_statuses(doc_ids: list[int]) -> dict[int, int]:
    """document id -> the code of its last lifecycle status (one query for a page)."""
    from ..models import EinvoiceStatus
    if not doc_ids:
        return {}
    out = {}
    for doc_id, code in (EinvoiceStatus.select(EinvoiceStatus.document, EinvoiceStatus.code)
                         .where(EinvoiceStatus.document.in_(doc_ids))
                         .order_by(EinvoiceStatus.at, EinvoiceStatus.id).tuples()):
        out[doc_id] = code
    return out


def _last_status_is(code: int):
    from ..models import EinvoiceStatus
    later = EinvoiceStatus.alias()
    latest = (EinvoiceStatus.select(EinvoiceStatus.document)
              .where(~pw.fn.EXISTS(later.select(later.id).where(
                  (later.document == EinvoiceStatus.document)
                  & ((later.at > EinvoiceStatus.at) | ((later.at == EinvoiceStatus.at) & (later.id > EinvoiceStatus.id)))))))
    if code == 0:
        has_any = EinvoiceStatus.select(EinvoiceStatus.document)
        return Document.kind.in_(("invoice", "credit_note")) & Document.number.is_null(False) & \
            Document.id.not_in(has_any)
    return Document.id.in_(latest.where(EinvoiceStatus.code == code))


def _past(kind, status, validity, today) -> bool:
    return kind == "quote" and status == "validated" and validity is not None and validity < today


def _reads(status: str):
    """Documents a person reads with `status` (status.shown: a quote past its validity reads
    expired)."""
    past = ((Document.kind == "quote") & (Document.status == "validated") & Document.validity_date.is_null(False)
            & (Document.validity_date < clock.today()))
    if status == "expired":
        return (Document.status == "expired") | past
    if status == "validated":
        return (Document.status == "validated") & ~past
    return Document.status == status
