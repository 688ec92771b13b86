"""Figures that follow the business, aggregated in SQL over the stored totals (never by
loading documents one by one). Revenue is invoices' BT-109 minus credit notes' in the period."""
import datetime as dt
from decimal import Decimal

from peewee import JOIN, SQL, Case, fn

from . import catalog, clock, inputs, payments, permissions, totals
from .db import json_text, stream
from .payments import MONEY
from .documents.kinds import SIGN
from .documents.queries import availability, backorders, listing, sold
from .errors import InvalidValue
from .models import (Customer, Document, DocumentLine, DocumentVat, Instalment, Payment, PaymentAllocation,
                     Product, Remittance, RemittanceItem, StockMove)
from .money import (AMOUNT_SCALE, QUANTITY_SCALE, ZERO, fmt2, fmt_plain, from_scaled, in_euros, round_to, sum_in_euros,
                    sum_of)

OPEN_INVOICE = ("validated", "partly_paid")


def dashboard(today: dt.date | None = None) -> dict:
    """The home screen: what happened today and what needs doing."""
    today = today or clock.today()
    D = Document

    def count_and_sum(where, field=D.grand_total, total=sum_of):
        return D.select(fn.COUNT(D.id), total(field)).where(where).tuples().get()

    sold_n, sales = count_and_sum(sold(today, today) & (D.kind != "credit_note"), D.tax_basis_total, sum_in_euros)
    _, credited = count_and_sum(sold(today, today) & (D.kind == "credit_note"), D.tax_basis_total, sum_in_euros)
    return {
        "today": today,
        "sales_today": (sold_n, sales - credited),
        "quotes_expiring": count_and_sum((D.kind == "quote") & (D.status == "validated")
                                         & (D.validity_date >= today)
                                         & (D.validity_date <= today + dt.timedelta(days=7))),
        "orders_to_deliver": count_and_sum((D.kind == "order") & D.status.in_(("validated", "partial"))),
        "deliveries_to_invoice": count_and_sum((D.kind == "delivery") & (D.status == "validated")),
        "overdue": _overdue_total(today),
        "drafts": count_and_sum(D.status == "draft"),
    }


def document_count() -> int:
    """How many documents the base holds, of every kind and status (the size of the base a
    list is opened in, for `tui-factu bench`)."""
    return Document.select().count()


def _overdue_total(today) -> tuple:
    """(invoices, what is left on them) past their due date: the one balance, summed by SQL."""
    paid = payments.paid_sql().alias("paid")
    owed = Document.due - fn.COALESCE(paid.c.paid, 0)
    q = (Document.select(fn.COUNT(Document.id), fn.SUM(owed).coerce(False))
         .join(paid, JOIN.LEFT_OUTER, on=(paid.c.document_id == Document.id))
         .where((Document.kind == "invoice") & Document.status.in_(OPEN_INVOICE) & (Document.due_date < today)
                & (owed > 0)))
    n, cents = q.tuples().get()
    return n, from_scaled(cents or 0, AMOUNT_SCALE)


def _owed():
    """(the paid-per-document subquery, what is left on a document as scaled SQL)."""
    paid = payments.paid_sql().alias("paid")
    return paid, Document.due - fn.COALESCE(paid.c.paid, 0)


def _open(where, newest_first: bool = False):
    """(document with its customer, what is left on it) for the open invoices meeting `where`
    with something left (the one balance, filtered by SQL), streamed in id order."""
    paid, owed = _owed()
    q = (Document.select(Document, Customer, fn.COALESCE(paid.c.paid, 0).alias("paid_cents"))
         .join(Customer, on=(Document.customer == Customer.id)).switch(Document)
         .join(paid, JOIN.LEFT_OUTER, on=(paid.c.document_id == Document.id))
         .where(where & (Document.kind == "invoice") & Document.status.in_(OPEN_INVOICE) & (owed > 0))
         .order_by(Document.id.desc() if newest_first else Document.id))
    for d in q.iterator():
        yield d, d.due - from_scaled(d.paid_cents, AMOUNT_SCALE)


def _schedules(doc_ids) -> dict:
    """document id -> [(due date, amount)] of the invoices that have a schedule."""
    out: dict = {}
    for doc, d, a in (Instalment.select(Instalment.document, Instalment.due_date, Instalment.amount)
                      .where(Instalment.document.in_(list(doc_ids) or [0]))
                      .order_by(Instalment.document, Instalment.position).tuples()):
        out.setdefault(doc, []).append((d, a))
    return out


def _pieces(doc, owed, schedule) -> list[tuple]:
    """(due date, amount left) of what remains on a document: its instalments, filled in order
    by what was paid, or the whole of it at its due date."""
    if not schedule:
        return [(doc.due_date, owed)]
    paid = doc.due - owed
    out = []
    for d, amount in schedule:
        take = min(amount, max(ZERO, paid))
        paid -= take
        if amount - take > 0:
            out.append((d, amount - take))
    return out


def _period(date_from, date_to):
    start = inputs.parse_date(date_from, "--from") if date_from else dt.date(2000, 1, 1)
    end = inputs.parse_date(date_to, "--to") if date_to else dt.date(2099, 12, 31)
    if end < start:
        raise InvalidValue("--to", end.isoformat(), "antérieure à --from")
    return start, end


def _signed(field, when=None):
    """Credit notes count negatively in every sales figure (raw scaled integers: see _dec);
    only the rows meeting `when`, if given (two periods summed in one pass)."""
    # SQL("-1"): a plain -1 would go through the scaled column's converter and become -100
    signed = Case(None, [(Document.kind == "credit_note", SQL("-1") * field)], field)
    if when is not None:
        signed = Case(None, [(when, signed)], SQL("0"))
    return fn.SUM(signed).coerce(False)


def _dec(raw, field) -> Decimal:
    return from_scaled(raw, field.scale)


def sales_journal(date_from=None, date_to=None):
    """Every invoice, ticket and credit note of the period with its totals per VAT rate, streamed
    (constant memory: the documents and their VAT rows are two cursors in the same order)."""
    start, end = _period(date_from, date_to)
    order = (Document.date, Document.number, Document.id)
    # the name as sealed on the document, not the customer's name of today (renamed since)
    sealed_name = fn.COALESCE(json_text(Document.customer_snapshot, "name"), Customer.name)
    docs = stream(Document.select(Document.id, Document.number, Document.kind, Document.date, Customer.code,
                                  sealed_name, in_euros(Document.tax_basis_total), in_euros(Document.tax_total),
                                  in_euros(Document.grand_total))
                  .join(Customer, on=(Document.customer == Customer.id)).where(sold(start, end)).order_by(*order))
    vats = stream(DocumentVat.select(DocumentVat.document, DocumentVat.rate, in_euros(DocumentVat.basis),
                                     in_euros(DocumentVat.amount))
                  .join(Document).where(sold(start, end)).order_by(*order, DocumentVat.rate.desc()))
    pending = next(vats, None)
    for i, n, k, d, c, nm, h, v, t in docs:
        h, v, t = (_dec(x, Document.tax_total) for x in (h, v, t))       # euros, raw from the cursor
        by_rate = []
        while pending is not None and pending[0] == i:
            by_rate.append(f"{fmt_plain(pending[1])}%:{fmt2(_dec(pending[2], DocumentVat.basis))}/"
                           f"{fmt2(_dec(pending[3], DocumentVat.amount))}")
            pending = next(vats, None)
        yield {"date": str(d)[:10], "number": n, "kind": k, "customer": c, "name": nm,
               "net": fmt2(SIGN[k] * h), "vat": fmt2(SIGN[k] * v), "total": fmt2(SIGN[k] * t), "by_rate": " ".join(by_rate)}


def vat_summary(date_from=None, date_to=None) -> list[dict]:
    start, end = _period(date_from, date_to)
    q = (DocumentVat.select(DocumentVat.category, DocumentVat.rate, _signed(in_euros(DocumentVat.basis)),
                            _signed(in_euros(DocumentVat.amount)))
         .join(Document).where(sold(start, end))
         .group_by(DocumentVat.category, DocumentVat.rate).order_by(DocumentVat.category, DocumentVat.rate.desc()))
    return [{"category": c, "rate": fmt_plain(r), "basis": fmt2(_dec(b, DocumentVat.basis)),
             "vat": fmt2(_dec(a, DocumentVat.amount))} for c, r, b, a in q.tuples()]


def payments_journal(date_from=None, date_to=None) -> list[dict]:
    """Money collected by method over a period. A cheque is collected when it goes to the bank:
    on a remittance slip it counts on the slip's date, not yet remitted on the day received."""
    start, end = _period(date_from, date_to)
    slip = (RemittanceItem.select(RemittanceItem.payment, Remittance.date.alias("day"))
            .join(Remittance).alias("slip"))
    day = fn.COALESCE(slip.c.day, Payment.date)
    collected = day.between(start, end) & Payment.method.in_(MONEY)
    q = (Payment.select(Payment.method, fn.COUNT(Payment.id), sum_of(Payment.amount))   # money, refunds negative
         .join(slip, JOIN.LEFT_OUTER, on=(slip.c.payment_id == Payment.id))
         .where(collected).group_by(Payment.method).order_by(Payment.method))
    gap = payments.euro_gap(Payment.id.in_(Payment.select(Payment.id).join(             # in euros
        slip, JOIN.LEFT_OUTER, on=(slip.c.payment_id == Payment.id)).where(collected)))
    return [{"method": m, "count": n, "amount": fmt2(a + gap.get(m, ZERO))} for m, n, a in q.tuples()]


def statement(customer_code: str, date_from=None, date_to=None) -> list[dict]:
    """Invoices, credit notes and payments of a customer with the running balance."""
    start, end = _period(date_from, date_to)
    cust = catalog.customer_by_code(customer_code)
    rows = []
    for n, k, d, t in (Document.select(Document.number, Document.kind, Document.date, Document.grand_total)
                       .where((Document.customer == cust.id) & sold(start, end)).tuples()):
        rows.append((d, 0, n, {"invoice": "Facture", "receipt": "Ticket", "credit_note": "Avoir"}[k], SIGN[k] * t))
    for seq, d, m, a, cn in (Payment.select(Payment.seq, Payment.date, Payment.method, Payment.amount,
                                            Payment.credit_note)
                             .where((Payment.customer == cust.id) & Payment.date.between(start, end)
                                    & Payment.method.in_(MONEY)).tuples()):
        # money only: a credit note applied is already counted as the credit note, customer credit
        # used is money already counted when it came in
        rows.append((d, 1, f"REG-{seq:06d}", f"Règlement ({m})" if cn is None else "Remboursement d'avoir", -a))
    rows.sort()
    out, running = [], ZERO
    for d, _, ref, label, amount in rows:
        running += amount
        out.append({"date": d.isoformat(), "ref": ref, "label": label, "debit": fmt2(amount) if amount > 0 else "",
                    "credit": fmt2(-amount) if amount < 0 else "", "balance": fmt2(running)})
    return out


AGING = (("not_due", None, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("90+", 91, None))


def aging(today: dt.date | None = None) -> list[dict]:
    """What each customer still owes, by days past due: summed by SQL per customer and bucket
    of due date; an invoice with a schedule counts each instalment at its own due date."""
    today = today or clock.today()
    out: dict[int, dict] = {}

    def add(customer_id, bucket, amount):
        row = out.setdefault(customer_id, {**{b: ZERO for b, _, _ in AGING}, "total": ZERO})
        row[bucket] += amount
        row["total"] += amount

    paid, owed = _owed()
    scheduled = Instalment.select(Instalment.document)
    whens = [(Document.due_date.is_null() | (Document.due_date >= today), AGING[0][0])]
    whens += [(Document.due_date >= today - dt.timedelta(days=hi), b) for b, lo, hi in AGING[1:] if hi]
    bucket = Case(None, whens, AGING[-1][0])
    q = (Document.select(Document.customer, bucket, fn.SUM(owed).coerce(False))
         .join(paid, JOIN.LEFT_OUTER, on=(paid.c.document_id == Document.id))
         .where((Document.kind == "invoice") & Document.status.in_(OPEN_INVOICE) & (owed > 0)
                & Document.id.not_in(scheduled))
         .group_by(SQL("1"), SQL("2")))
    for customer_id, b, cents in q.tuples():
        add(customer_id, b, from_scaled(cents, AMOUNT_SCALE))
    rows = list(_open(Document.id.in_(scheduled)))
    schedules = _schedules([d.id for d, _ in rows])
    for doc, owed_doc in rows:
        for due_date, amount in _pieces(doc, owed_doc, schedules.get(doc.id)):
            late = (today - due_date).days if due_date else 0
            add(doc.customer_id, next(b for b, lo, hi in AGING if (lo is None and late <= 0) or
                                      (lo is not None and late >= lo and (hi is None or late <= hi))), amount)
    names = dict(Customer.select(Customer.id, Customer.code).where(Customer.id.in_(list(out) or [0])).tuples())
    labels = dict(Customer.select(Customer.id, Customer.name).where(Customer.id.in_(list(out) or [0])).tuples())
    return [{"customer": names[c], "name": labels[c], **{k: fmt2(v) for k, v in r.items()}}
            for c, r in sorted(out.items(), key=lambda kv: (-kv[1]["total"], names[kv[0]]))]


def aging_totals(rows: list[dict]) -> dict:
    """bucket -> what all customers owe in it (the aging's bottom line)."""
    return {b: fmt2(sum((Decimal(r[b]) for r in rows), ZERO)) for b, _, _ in AGING}


def ranking(by: str = "customer", measure: str = "revenue", date_from=None, date_to=None, top: int = 20) -> list[dict]:
    """Customers, products or families by revenue, margin or quantity, with the same span
    before it side by side, the change and the share of the total."""
    if measure == "margin":
        permissions.require("costs.see")
    start, end = _period(date_from, date_to)
    span = end - start
    prev_start = start - span - dt.timedelta(days=1)
    figures = _rank(by, measure, prev_start, end, start)
    total = sum((now for _, now, _ in figures.values()), ZERO)
    rows = []
    for key, (label, value, before) in sorted(figures.items(), key=lambda kv: -kv[1][1])[:top]:
        if not value and not before:
            continue
        rows.append({"key": key, "label": label, "value": fmt2(value), "previous": fmt2(before),
                     "change": fmt2(value - before),
                     "share": f"{round_to(value / total * 100, 1) if total else 0}"})
    return rows


def _rank(by, measure, start, end, split):
    """key -> (label, figure from `split` to `end`, figure from `start` to the day before
    `split`): both periods in one SQL pass."""
    if by not in ("customer", "product", "family"):
        raise InvalidValue("--by", by, "customer, product ou family")
    if measure not in ("revenue", "margin", "quantity"):
        raise InvalidValue("--measure", measure, "revenue, margin ou quantity")
    sold_in = sold(start, end)
    now, before = Document.date >= split, Document.date < split
    if by == "customer" and measure == "revenue":
        f = Document.tax_basis_total
        q = (Document.select(Customer.code, Customer.name, _signed(in_euros(f), now), _signed(in_euros(f), before))
             .join(Customer, on=(Document.customer == Customer.id)).where(sold_in)
             .group_by(Customer.code, Customer.name))
        return {c: (n, _dec(v, f), _dec(p, f)) for c, n, v, p in q.tuples()}
    else:
        value = {"revenue": DocumentLine.net_amount, "quantity": DocumentLine.quantity,
                 "margin": DocumentLine.net_amount - _cost_cents()}[measure]
        scale = QUANTITY_SCALE if measure == "quantity" else AMOUNT_SCALE
        key = {"customer": (Customer.code, Customer.name), "product": (DocumentLine.code, DocumentLine.code),
               "family": (Product.family, Product.family)}[by]
        priced = DocumentLine.net_amount.is_null(False)
        if measure == "margin":             # as margins.of_lines: a line without a cost price has no margin
            priced &= DocumentLine.cost_price.is_null(False)
        q = (DocumentLine.select(key[0], key[1], _signed(value, now), _signed(value, before))
             .join(Document).join(Customer, on=(Document.customer == Customer.id))
             .switch(DocumentLine).join(Product, JOIN.LEFT_OUTER, on=(DocumentLine.product == Product.id))
             .where(sold_in & priced).group_by(key[0], key[1]))
        return {k or "—": (label or "—", from_scaled(v, scale), from_scaled(p, scale)) for k, label, v, p in q.tuples()}


def _cost_cents():
    """A line's cost in cents, rounded half up line by line as margins.of_lines does: quantity
    (10^-3) × cost price (10^-4) is in 10^-7, and integer division truncates toward zero."""
    raw = DocumentLine.quantity * DocumentLine.cost_price
    return Case(None, [(raw >= SQL("0"), (raw + SQL("50000")) / SQL("100000"))], (raw - SQL("50000")) / SQL("100000"))


def stock_levels() -> list[dict]:
    """Stock per product with what open orders reserve and the reorder level."""
    q = (Product.select(Product.code, Product.name, Product.reorder_level, sum_of(StockMove.quantity))
         .join(StockMove, JOIN.LEFT_OUTER).where(Product.stock_managed == True)  # noqa: E712
         .group_by(Product.code, Product.name, Product.reorder_level).order_by(Product.code))
    out = []
    for code, name, reorder, _ in q.tuples():
        info = availability(code)
        out.append({"product": code, "name": name, "on_hand": fmt_plain(info["on_hand"]),
                    "reserved": fmt_plain(info["reserved"]), "available": fmt_plain(info["available"]),
                    "reorder_level": fmt_plain(reorder) if reorder is not None else "",
                    "to_reorder": reorder is not None and info["available"] < reorder})
    return out


def follow_up(name: str, limit: int | None = None, days: int = 7) -> list[dict]:
    """Tracking lists: quotes to chase (expiring within `days`, expired, waiting), orders to
    deliver, deliveries to invoice, overdue invoices (the first `limit` of them, newest first,
    when a screen only shows a page)."""
    today = clock.today()
    if name == "overdue":
        return overdue(today, limit)
    spec = {"quotes-followup": dict(kind="quote", statuses=("validated",)),
            "to-deliver": dict(kind="order", statuses=("validated", "partial")),
            "to-invoice": dict(kind="delivery", statuses=("validated",))}[name]
    rows, after = [], None
    while limit is None or len(rows) < limit:
        page = listing(after_id=after, limit=min(500, limit - len(rows)) if limit else 500,
                       descending=limit is not None, **spec)
        if not page:
            break
        rows += page
        after = page[-1]["id"]
    if name == "quotes-followup":
        valid = {d.id: d.validity_date for d in Document.select(Document.id, Document.validity_date)
                 .where(Document.id.in_([r["id"] for r in rows]))}
        for r in rows:
            v = valid[r["id"]]
            r["validity_date"] = v.isoformat() if v else None
            r["state"] = "expiré" if v and v < today else (f"expire sous {days} jours"
                                                             if v and v <= today + dt.timedelta(days=days)
                                                             else "en attente")
    return [{k: v for k, v in r.items() if k != "customer_name"} | {"name": r["customer_name"]} for r in rows]


def overdue(today, limit: int | None = None) -> list[dict]:
    """Invoices with something past due — the whole of it after its due date, or an instalment
    of its schedule — with what is late, what is left in all, and since when (a page: newest
    first, read until `limit` are found)."""
    late_instalments = Instalment.select(Instalment.document).where(Instalment.due_date < today)
    scheduled = {i for (i,) in Instalment.select(Instalment.document).distinct().tuples()}
    out = []
    for doc, owed in _open((Document.due_date < today) | Document.id.in_(late_instalments), bool(limit)):
        schedule = _schedules([doc.id]).get(doc.id) if doc.id in scheduled else None
        late = [(d, a) for d, a in _pieces(doc, owed, schedule) if d and d < today]
        if not late:
            continue
        out.append({"id": doc.id, "kind": doc.kind, "number": doc.number, "status": doc.status,
                    "date": doc.date.isoformat(), "customer": doc.customer.code, "grand_total": fmt2(doc.grand_total),
                    "balance": fmt2(owed), "late": fmt2(sum((a for _, a in late), ZERO)),
                    "days_late": (today - late[0][0]).days, "name": doc.customer.name})
        if limit and len(out) >= limit:
            break
    return out


# ---- transformation follow-up -------------------------------------------------------------

def _salesperson():
    """Who a sale belongs to: the customer's salesperson, else the user who validated it."""
    return fn.COALESCE(fn.NULLIF(Customer.salesperson, ""), Document.validated_by, "")


def _first_child_dates(parent_kind: str, child_kinds, hops: int = 0):
    """parent document id -> earliest date of a validated child of those kinds reached through
    line origins: directly (hops=0), or through one or two intermediate documents (an order, an
    order then a delivery). One SQL statement."""
    P, PD, CD = DocumentLine.alias("p"), Document.alias("pd"), Document.alias("cd")
    q = P.select(P.document, fn.MIN(CD.date)).join(PD, on=(P.document == PD.id)).switch(P)
    last = P
    for i in range(hops + 1):
        nxt = DocumentLine.alias(f"l{i}")
        q = q.join(nxt, on=(nxt.origin == last.id), src=last)
        last = nxt
    q = (q.join(CD, on=(last.document == CD.id), src=last)
         .where((PD.kind == parent_kind) & CD.kind.in_(list(child_kinds)) & ~CD.status.in_(("draft", "cancelled")))
         .group_by(P.document))
    return dict(q.tuples())


def conversion(date_from=None, date_to=None, by: str = "month") -> list[dict]:
    """Quotes of the period turned into orders and into invoices (by any road: order, delivery,
    direct), per month, salesperson or customer; average days from quote to order and from
    delivery to invoice."""
    if by not in ("month", "salesperson", "customer"):
        raise InvalidValue("--by", by, "month, salesperson ou customer")
    start, end = _period(date_from, date_to)
    key = {"month": fn.SUBSTR(Document.date, 1, 7), "salesperson": _salesperson(), "customer": Customer.code}[by]
    quotes = list(Document.select(Document.id, key, Document.date).join(Customer, on=(Document.customer == Customer.id))
                  .where((Document.kind == "quote") & (Document.status != "draft") & Document.date.between(start, end))
                  .tuples())
    to_order = _first_child_dates("quote", ("order",))
    invoiced = {**_first_child_dates("quote", ("invoice",), 2), **_first_child_dates("quote", ("invoice",), 1),
                **_first_child_dates("quote", ("invoice",))}        # via order and delivery, via order, direct
    groups: dict = {}
    for doc_id, k, d in quotes:
        g = groups.setdefault(k or "—", {"quotes": 0, "ordered": 0, "invoiced": 0, "days": []})
        g["quotes"] += 1
        if doc_id in to_order:
            g["ordered"] += 1
            g["days"].append((_as_date(to_order[doc_id]) - _as_date(d)).days)
        if doc_id in invoiced:
            g["invoiced"] += 1
    deliveries = list(Document.select(Document.id, key, Document.date).join(Customer, on=(Document.customer == Customer.id))
                      .where((Document.kind == "delivery") & (Document.status != "draft")
                             & Document.date.between(start, end)).tuples())
    billed = _first_child_dates("delivery", ("invoice",))
    waits: dict = {}
    for doc_id, k, d in deliveries:
        if doc_id in billed:
            waits.setdefault(k or "—", []).append((_as_date(billed[doc_id]) - _as_date(d)).days)
    out = []
    for k in sorted(set(groups) | set(waits)):
        g = groups.get(k, {"quotes": 0, "ordered": 0, "invoiced": 0, "days": []})
        w = waits.get(k, [])
        rate = (lambda n: f"{Decimal(n * 100) / g['quotes']:.1f}" if g["quotes"] else "0.0")
        out.append({"key": k, "quotes": g["quotes"], "ordered": g["ordered"], "invoiced": g["invoiced"],
                    "order_rate": rate(g["ordered"]), "invoice_rate": rate(g["invoiced"]),
                    "days_to_order": f"{sum(g['days']) / len(g['days']):.1f}" if g["days"] else "",
                    "days_delivery_to_invoice": f"{sum(w) / len(w):.1f}" if w else ""})
    return out


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# ---- tracking lists that were missing -------------------------------------------------------

def deposits_unpaid() -> list[dict]:
    """Deposit invoices requested and not (fully) paid, with what the customer still owes."""
    paid = (PaymentAllocation.select(PaymentAllocation.document, sum_of(PaymentAllocation.amount).alias("paid"))
            .group_by(PaymentAllocation.document).alias("paid"))
    src = Document.alias("src")
    q = (Document.select(Document.id, Document.number, Document.date, Customer.code, Customer.name, src.number,
                         Document.due, fn.COALESCE(paid.c.paid, 0))
         .join(Customer, on=(Document.customer == Customer.id))
         .switch(Document).join(src, JOIN.LEFT_OUTER, on=(Document.preceding == src.id))
         .switch(Document).join(paid, JOIN.LEFT_OUTER, on=(paid.c.document_id == Document.id))
         .where((Document.kind == "invoice") & (Document.type == "deposit") & Document.status.in_(OPEN_INVOICE)
                & (Document.due - fn.COALESCE(paid.c.paid, 0) > 0))
         .order_by(Document.date, Document.id))
    out = []
    for i, n, d, c, name, source, due, cents in q.tuples():
        owed = due - from_scaled(cents, 2)
        if owed > 0:
            out.append({"id": i, "number": n, "date": d.isoformat(), "customer": c, "name": name, "for": source,
                        "amount": fmt2(due), "balance": fmt2(owed)})
    return out


def due_soon(days: int = 15, today: dt.date | None = None) -> list[dict]:
    """What falls due within `days` — invoices, or instalments of a schedule — and is not paid
    yet, soonest first."""
    today = today or clock.today()
    end = today + dt.timedelta(days=days)
    soon = Instalment.select(Instalment.document).where(Instalment.due_date.between(today, end))
    rows = list(_open(Document.due_date.between(today, end) | Document.id.in_(soon)))
    schedules = _schedules([d.id for d, _ in rows])
    out = []
    for doc, owed in rows:
        for d, amount in _pieces(doc, owed, schedules.get(doc.id)):
            if d and today <= d <= end:
                out.append({"id": doc.id, "number": doc.number, "due_date": d.isoformat(), "days_left": (d - today).days,
                            "customer": doc.customer.code, "name": doc.customer.name, "due": fmt2(amount),
                            "balance": fmt2(owed)})
    return sorted(out, key=lambda r: (r["due_date"], r["id"]))


def backorders_by(by: str) -> list[dict]:
    """What remains to deliver, summed per product or per customer."""
    if by not in ("product", "customer"):
        raise InvalidValue("--by", by, "product ou customer")
    out: dict = {}
    for r in backorders():
        k = (r["product"] if by == "product" else r["customer"]) or "—"
        row = out.setdefault(k, {"key": k, "lines": 0, "remaining": ZERO, "orders": set()})
        row["lines"] += 1
        row["remaining"] += r["remaining"]
        row["orders"].add(r["order"])
    return [{"key": r["key"], "lines": r["lines"], "orders": len(r["orders"]), "remaining": fmt_plain(r["remaining"])}
            for r in sorted(out.values(), key=lambda r: -r["remaining"])]


def moves(product_code: str, date_from=None, date_to=None) -> list[dict]:
    """A product's stock movements with the document that made each, and the running level."""
    product = catalog.product_by_code(product_code)
    start, end = _period(date_from, date_to)
    before = (StockMove.select(sum_of(StockMove.quantity))
              .where((StockMove.product == product.id) & (StockMove.date < start)).scalar())
    q = (StockMove.select(StockMove.date, StockMove.quantity, StockMove.reason, Document.number, Document.kind)
         .join(Document, JOIN.LEFT_OUTER, on=(StockMove.document == Document.id))
         .where((StockMove.product == product.id) & StockMove.date.between(start, end))
         .order_by(StockMove.date, StockMove.id))
    level, out = before, []
    for d, qty, reason, number, kind in q.tuples():
        level += qty
        out.append({"date": d.isoformat(), "quantity": fmt_plain(qty), "reason": reason, "document": number or "",
                    "kind": kind or "", "level": fmt_plain(level)})
    return out


def vat_on_receipts(date_from=None, date_to=None) -> list[dict]:
    """VAT collected through the period's payments on services (due on receipt unless the
    debits option): for each document paid in the period, its stored VAT rows prorated by the
    money received / its TTC (totals.vat_received), the part of each row that is services."""
    start, end = _period(date_from, date_to)
    received = dict(PaymentAllocation.select(PaymentAllocation.document, sum_of(PaymentAllocation.amount))
                    .join(Payment).where(Payment.date.between(start, end) & Payment.method.in_(MONEY))
                    .group_by(PaymentAllocation.document).tuples())
    ids = list(received) or [0]
    lines: dict = {}
    for doc, cat, rate, kind, base in (DocumentLine.select(DocumentLine.document, DocumentLine.vat_category,
                                                           DocumentLine.vat_rate, DocumentLine.kind,
                                                           sum_of(DocumentLine.net_amount))
                                       .where(DocumentLine.document.in_(ids) & DocumentLine.net_amount.is_null(False))
                                       .group_by(DocumentLine.document, DocumentLine.vat_category,
                                                 DocumentLine.vat_rate, DocumentLine.kind).tuples()):
            row = lines.setdefault((doc, totals.category_for(rate, cat), rate), [ZERO, ZERO])
            row[0] += base if kind in ("service", "labour", "equipment") else ZERO
            row[1] += base
    rows: dict = {}
    for doc, cat, rate, basis, amount in (DocumentVat.select(DocumentVat.document, DocumentVat.category,
                                                             DocumentVat.rate, DocumentVat.basis, DocumentVat.amount)
                                          .where(DocumentVat.document.in_(ids)).tuples()):
        rows.setdefault(doc, []).append((cat, rate, basis, amount))
    out: dict = {}
    for doc, total in Document.select(Document.id, Document.grand_total).where(Document.id.in_(ids)).tuples():
        shares = {(c, r): (v[0] / v[1] if v[1] else ZERO) for (d, c, r), v in lines.items() if d == doc}
        for cat, rate, basis, vat in totals.vat_received(rows.get(doc, []), received[doc], total, shares):
            row = out.setdefault((cat, rate), [ZERO, ZERO])
            row[0] += basis
            row[1] += vat
    return [{"category": c, "rate": fmt_plain(r), "basis": fmt2(b), "vat": fmt2(v)}
            for (c, r), (b, v) in sorted(out.items(), key=lambda kv: (kv[0][0], -kv[0][1])) if b or v]
