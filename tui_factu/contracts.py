"""Recurring invoices: contracts billed every month, quarter or year (calendar periods), in
advance or after the period, with a prorata when the contract starts or ends inside a period.

`run(on)` bills every period due by `on` that is not billed yet: the period is reserved first
(ContractInvoice, unique per contract and period), so running twice, or from two terminals at
once, never bills a period twice. The invoice is dated the day of the run (numbers stay
chronological); its lines say which period they bill."""
import calendar
import datetime as dt
from decimal import Decimal

import peewee as pw

from . import catalog, clock, fr, permissions, pricing, session
from .db import write
from .documents import drafts
from .errors import InvalidValue, NotFound
from .inputs import parse_date
from .models import Contract, ContractInvoice, ContractLine, Product
from .money import round_to, to_decimal

EVERY = {"month": 1, "quarter": 3, "year": 12}
LABELS = {"month": "mensuel", "quarter": "trimestriel", "year": "annuel"}


def _add_months(day: dt.date, n: int) -> dt.date:
    month = day.month - 1 + n
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def period_of(every: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar period holding `day`: its month, its quarter, its year."""
    months = EVERY[every]
    first_month = ((day.month - 1) // months) * months + 1
    start = day.replace(month=first_month, day=1)
    return start, _add_months(start, months) - dt.timedelta(days=1)


def add(customer: str, every: str, start, lines: list[dict], end=None, in_advance: bool = True,
        reference: str = "") -> Contract:
    """lines: [{"product": CODE, "quantity": "1", "unit_price": None|"49.90"}]."""
    permissions.require("document.edit", "invoice")
    if every not in EVERY:
        raise InvalidValue("--every", every, "month, quarter ou year")
    cust = catalog.customer_by_code(customer)
    start, end = parse_date(start, "--start"), parse_date(end, "--end") if end else None
    if end and end < start:
        raise InvalidValue("--end", end.isoformat(), "avant le début du contrat")
    if not lines:
        raise InvalidValue("lignes", None, "au moins un produit (CODE[:QTÉ[:PRIX]])")
    checked = []
    for i, ln in enumerate(lines, start=1):
        product = catalog.product_by_code(ln["product"])
        qty = to_decimal(ln.get("quantity") or "1", f"ligne {i} : quantité")
        if qty <= 0:
            raise InvalidValue(f"ligne {i} : quantité", str(qty), "positive attendue")
        price = to_decimal(ln["unit_price"], f"ligne {i} : prix") if ln.get("unit_price") else None
        if price is not None and price < 0:
            raise InvalidValue(f"ligne {i} : prix", str(price), "positif attendu")
        checked.append((product, qty, price))
    with write():
        c = Contract.create(customer=cust.id, every=every, start=start, end=end, in_advance=in_advance,
                            reference=catalog.clean_text("référence", reference, 60), user=session.current_user())
        for pos, (product, qty, price) in enumerate(checked, start=1):
            ContractLine.create(contract=c.id, position=pos, product=product.id, quantity=qty, unit_price=price)
    return c


def periods(c: Contract, until: dt.date):
    """(period start, end, covered from, covered to, billing date) of the contract, in order, up
    to the periods whose billing date is on or before `until`."""
    start, _ = period_of(c.every, c.start)
    while True:
        p_start, p_end = period_of(c.every, start)
        if c.end and p_start > c.end:
            return
        covered = (max(p_start, c.start), min(p_end, c.end) if c.end else p_end)
        billing = p_start if c.in_advance else p_end + dt.timedelta(days=1)
        if c.in_advance and c.start > p_start:
            billing = c.start
        if billing > until:
            return
        yield p_start, p_end, covered[0], covered[1], billing
        start = p_end + dt.timedelta(days=1)


def _lines(c: Contract, p_start: dt.date, p_end: dt.date, c_from: dt.date, c_to: dt.date) -> list[dict]:
    days, covered = (p_end - p_start).days + 1, (c_to - c_from).days + 1
    ratio = Decimal(covered) / Decimal(days)
    what = f"du {fr.date(c_from)} au {fr.date(c_to)}"
    if covered < days:
        what += f", prorata {covered}/{days} jours"
    out = []
    for ln in ContractLine.select(ContractLine, Product).join(Product).where(ContractLine.contract == c.id) \
            .order_by(ContractLine.position):
        # the contract's price, else what the customer pays that day (pricing: lists, discount)
        priced = None if ln.unit_price is not None else pricing.price_for(c.customer, ln.product, ln.quantity, c_from)
        price = ln.unit_price if priced is None else priced.unit_price
        out.append({"product": ln.product.code, "description": f"{ln.product.name} ({what})",
                    "quantity": str(ln.quantity), "unit_price": str(round_to(price * ratio, 4)),
                    "discount_percent": str(priced.discount_percent) if priced else "0"})
    return out


def run(on: dt.date | None = None, validate: bool = False) -> list[dict]:
    """Bills what is due by `on`; returns the invoices made (none: [])."""
    permissions.require("document.edit", "invoice")
    on = on or clock.today()
    made = []
    # read whole before writing: an open read would pin an old snapshot (SQLite: busy at once)
    todo = list(Contract.select().where((Contract.active == True) & (Contract.start <= on)).order_by(Contract.id))  # noqa: E712
    for c in todo:
        for p_start, p_end, c_from, c_to, _billing in periods(c, on):
            try:
                made += _bill(c, p_start, p_end, c_from, c_to, on, validate)
            except _AlreadyBilled:           # the other terminal billed it a moment ago
                continue
    return made


def _bill(c: Contract, p_start, p_end, c_from, c_to, on, validate: bool) -> list[dict]:
    from .documents import flow
    with write():
        if ContractInvoice.select().where((ContractInvoice.contract == c.id)
                                          & (ContractInvoice.period_start == p_start)).exists():
            return []
        doc = drafts.create("invoice", c.customer_id, on, _lines(c, p_start, p_end, c_from, c_to),
                            reference=c.reference or f"Contrat n° {c.id}", notes=f"Contrat {LABELS[c.every]} n° {c.id}")
        try:
            with write():                       # a savepoint: the period is reserved, or taken
                ContractInvoice.create(contract=c.id, period_start=p_start, period_end=p_end, document=doc.id)
        except pw.IntegrityError:
            raise _AlreadyBilled() from None    # the whole transaction goes: no draft left behind
        if validate:
            doc = flow.validate(doc.id, on)
        return [{"contract": c.id, "customer": c.customer.code, "period": [p_start.isoformat(), p_end.isoformat()],
                 "id": doc.id, "number": doc.number, "total": str(doc.grand_total)}]


class _AlreadyBilled(Exception):
    pass


def listing() -> list[dict]:
    out = []
    for c in Contract.select().order_by(Contract.id):
        billed = {ci.period_start for ci in c.invoices}
        upcoming = next((p for p in periods(c, dt.date(9999, 1, 1)) if p[0] not in billed), None)
        out.append({"id": c.id, "customer": c.customer.code, "every": c.every, "start": c.start.isoformat(),
                    "end": c.end.isoformat() if c.end else None, "in_advance": c.in_advance, "active": c.active,
                    "billed": len(billed), "next_invoice": upcoming[4].isoformat() if upcoming else None})
    return out


def get(contract_id: int) -> Contract:
    c = Contract.get_or_none(Contract.id == contract_id)
    if c is None:
        raise NotFound(f"contrat inconnu « {contract_id} »", "contrat", contract_id)
    return c
