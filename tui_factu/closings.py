"""Periodic closings (clôtures journalière, mensuelle, annuelle — ISCA "conservation"): the
period's sales and returns per VAT rate, the receipts per payment method, the period's grand
total and the perpetual grand totals, sealed in their own chain. Once a period is closed,
nothing is validated, paid or cancelled with a date inside it."""
import calendar
import datetime as dt
import json
from decimal import Decimal

from peewee import fn

from . import clock, inputs, journal, payments, permissions
from .db import is_postgres, write
from .documents.queries import sold
from .errors import InvalidValue, NotFound, StateError
from .models import Closing, Document, DocumentVat, JournalRecord, Payment, db
from .session import current_user
from .money import ZERO, fmt2, fmt_plain, sum_in_euros, sum_of

from .payments import MONEY
from .periods import KINDS, LOCK, closed_until
CHAIN = "closing"


def period(kind: str, on: dt.date) -> tuple[dt.date, dt.date, str]:
    if kind == "day":
        return on, on, on.isoformat()
    if kind == "month":
        last = calendar.monthrange(on.year, on.month)[1]
        return on.replace(day=1), on.replace(day=last), f"{on.year}-{on.month:02d}"
    if kind == "year":
        return dt.date(on.year, 1, 1), dt.date(on.year, 12, 31), str(on.year)
    raise InvalidValue("clôture", kind, "day, month ou year")


def default_date(kind: str, today: dt.date) -> dt.date:
    """Today for a day; the latest complete month or year otherwise (the current one on its
    last day)."""
    if kind == "day":
        return today
    start, end, _ = period(kind, today)
    return today if end == today else start - dt.timedelta(days=1)


def totals(start: dt.date, end: dt.date) -> dict:
    """The period's figures from the stored totals, by SQL: sales (invoices and tickets) and
    returns (credit notes) per VAT rate, in euros, receipts per payment method."""
    sales: dict = {}
    for kind, cat, rate, basis, tax in (
            DocumentVat.select(Document.kind, DocumentVat.category, DocumentVat.rate,
                               sum_in_euros(DocumentVat.basis), sum_in_euros(DocumentVat.amount))
            .join(Document).where(sold(start, end))
            .group_by(Document.kind, DocumentVat.category, DocumentVat.rate).tuples()):
        row = sales.setdefault((cat, rate), {"sales": [ZERO, ZERO], "returns": [ZERO, ZERO]})
        side = row["returns" if kind == "credit_note" else "sales"]
        side[0] += basis
        side[1] += tax
    by_rate = [{"category": cat, "rate": fmt_plain(rate), "sales_basis": fmt2(v["sales"][0]),
                "sales_vat": fmt2(v["sales"][1]), "returns_basis": fmt2(v["returns"][0]),
                "returns_vat": fmt2(v["returns"][1]),
                "total": fmt2(v["sales"][0] + v["sales"][1] - v["returns"][0] - v["returns"][1])}
               for (cat, rate), v in sorted(sales.items(), key=lambda kv: (kv[0][0], -kv[0][1]))]
    counts = dict(Document.select(Document.kind, fn.COUNT(Document.id)).where(sold(start, end))
                  .group_by(Document.kind).tuples())
    ttc = dict(Document.select(Document.kind, sum_in_euros(Document.grand_total)).where(sold(start, end))
               .group_by(Document.kind).tuples())
    sales_ttc = ttc.get("invoice", ZERO) + ttc.get("receipt", ZERO)
    returns_ttc = ttc.get("credit_note", ZERO)
    received = Payment.date.between(start, end) & Payment.method.in_(MONEY)       # money only
    gap = payments.euro_gap(received)                                             # in euros
    methods = {m: fmt2(a + gap.get(m, ZERO)) for m, a in Payment.select(Payment.method, sum_of(Payment.amount))
               .where(received).group_by(Payment.method).order_by(Payment.method).tuples()}
    return {"vat": by_rate, "payments": methods, "documents": {k: counts[k] for k in sorted(counts)},
            "sales": fmt2(sales_ttc), "returns": fmt2(returns_ttc), "grand_total": fmt2(sales_ttc - returns_ttc)}


def close(kind: str, on=None) -> Closing:
    """Closes the period of `kind` containing `on` (see default_date)."""
    permissions.require("period.close")
    today = clock.today()
    on = inputs.parse_date(on, "date") if on else default_date(kind, today)
    start, end, label = period(kind, on)
    if end > today:
        raise StateError(f"la période {label} n'est pas terminée (elle finit le {end.strftime('%d/%m/%Y')})",
                         "clôture", label)
    with write():
        if is_postgres():
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (LOCK,))
        if Closing.get_or_none((Closing.kind == kind) & (Closing.label == label)):
            raise StateError(f"la clôture {KINDS[kind]} {label} est déjà faite", "clôture", label)
        later = Closing.select().where((Closing.kind == kind) & (Closing.period_start > end)).first()
        if later:
            raise StateError(f"la clôture {KINDS[kind]} {later.label} est déjà faite : les clôtures se font dans "
                             "l'ordre", "clôture", label)
        figures = totals(start, end)
        since = totals(dt.date(2000, 1, 1), end)          # the perpetual totals, from the beginning
        payload = {"format": 2, "kind": kind, "label": label, "start": start.isoformat(), "end": end.isoformat(),
                   **figures, "perpetual": since["grand_total"],
                   "perpetual_absolute": fmt2(Decimal(since["sales"]) + Decimal(since["returns"])),
                   "closed_at": clock.now().isoformat(),
                   "user": current_user(), "anchor": heads()}
        seq = journal.seal(CHAIN, kind, label, payload)
        c = Closing.create(seq=seq, kind=kind, label=label, period_start=start, period_end=end,
                           payload=journal.canonical(payload), closed_at=payload["closed_at"], user=current_user())
    return c


def get(seq) -> Closing:
    c = Closing.get_or_none(Closing.seq == int(seq)) if str(seq).isdigit() else None
    if c is None:
        raise NotFound(f"clôture inconnue « {seq} »", "clôture", seq)
    return c


def view(c: Closing) -> dict:
    return json.loads(c.payload)


def listing(kind: str | None = None, limit: int = 200) -> list[dict]:
    q = Closing.select().order_by(Closing.period_end.desc(), Closing.seq.desc())
    if kind:
        q = q.where(Closing.kind == kind)
    return [{"seq": c.seq, "kind": c.kind, "label": c.label, "user": c.user, **view(c)} for c in q.limit(limit)]


def reminder(today: dt.date | None = None) -> str | None:
    """A word when yesterday saw sales or payments and is not closed."""
    today = today or clock.today()
    yesterday = today - dt.timedelta(days=1)
    until = closed_until()
    if until is not None and until >= yesterday:
        return None
    busy = (Document.select().where(sold(yesterday, yesterday)).exists()
            or Payment.select().where(Payment.date == yesterday).exists())
    if not busy:
        return None
    return (f"La journée du {yesterday.strftime('%d/%m/%Y')} n'est pas clôturée : "
            f"tui-factu close day {yesterday.isoformat()} (ou l'écran Clôtures).")


def heads() -> dict:
    """chain -> {seq, hash} of every chain's last record: sealed into the closing and printed
    on its Z ticket, the tail of the journal is published where the base cannot reach it."""
    last = (JournalRecord.select(JournalRecord.chain, fn.MAX(JournalRecord.seq).alias("seq"))
            .group_by(JournalRecord.chain))
    rows = (JournalRecord.select(JournalRecord.chain, JournalRecord.seq, JournalRecord.hash)
            .join(last, on=((JournalRecord.chain == last.c.chain) & (JournalRecord.seq == last.c.seq))).tuples())
    return {chain: {"seq": seq, "hash": digest} for chain, seq, digest in rows if chain != CHAIN}


FIGURES = ("vat", "payments", "documents", "sales", "returns", "grand_total")


def recount(payload: dict) -> dict:
    """figure -> (sealed, now) for every figure of a closing that the period's documents and
    payments no longer give (for `verify`)."""
    now = totals(dt.date.fromisoformat(payload["start"]), dt.date.fromisoformat(payload["end"]))
    return {k: (payload.get(k), now[k]) for k in FIGURES if k in payload and payload[k] != now[k]}


def payloads():
    """(seq, label, payload, row) of every closing as its row is now (for `verify`)."""
    for c in Closing.select().order_by(Closing.seq):
        yield c.seq, f"{c.kind} {c.label}", json.loads(c.payload), c
