"""An order's billing plan (échéancier de facturation): milestones by % of the contract with
their due dates. When a milestone falls due, its invoice bills that share of every line: it is
a situation at the plan's cumulative % so far (situations.py), so each line, the deposits and
the VAT close exactly on the contract once the last milestone is invoiced."""
import datetime as dt
import re
from decimal import Decimal

from . import audit, clock, fr, inputs, situations
from .documents import queries
from .db import write
from .errors import InvalidValue, StateError
from .models import Document, Milestone
from .money import HUNDRED, ZERO, check_scale, fmt_plain, to_decimal

_PART = re.compile(r"^\s*([\d.,]+)\s*%\s*@\s*(\+?\d{1,4}|\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})\s*(?::\s*(.+))?$")


def parse(spec: str, start: dt.date) -> list[tuple[Decimal, dt.date, str]]:
    """'30%@2026-12-15:Commande,40%@+30,30%@+60' -> [(30, date, label), ...]: a date, or a
    number of days after the order; percentages of the contract that make 100 %."""
    out = []
    for item in (spec or "").split(","):
        m = _PART.match(item)
        if not m:
            raise InvalidValue("--split", item.strip(), "format 30%@2026-12-15 ou 30%@+30 (jours après la commande)")
        pct = check_scale(to_decimal(m.group(1), "--split"), 2, "--split")
        when = m.group(2)
        due = (start + dt.timedelta(days=int(when.lstrip("+")))) if when.lstrip("+").isdigit() and len(when) <= 5 \
            else inputs.parse_date(when, "--split")
        if pct <= 0:
            raise InvalidValue("--split", item.strip(), "part positive attendue")
        out.append((pct, due, (m.group(3) or "").strip()[:60]))
    if sum(p for p, _, _ in out) != HUNDRED:
        raise InvalidValue("--split", f"{fmt_plain(sum(p for p, _, _ in out))} %", "les échéances doivent faire 100 %")
    if any(b[1] < a[1] for a, b in zip(out, out[1:])):
        raise InvalidValue("--split", spec, "les échéances doivent se suivre dans le temps")
    return out


def set_plan(order_id: int, spec: str) -> list[dict]:
    from . import permissions
    permissions.require("document.edit", "order")
    with write():
        order = queries.get(order_id)
        if order.kind != "order" or order.status in ("draft", "cancelled"):
            raise StateError(f"{queries.label(order)} : un plan de facturation se pose sur une commande validée",
                             "commande", queries.label(order))
        if Milestone.select().where((Milestone.order == order.id) & Milestone.invoice.is_null(False)).exists():
            raise StateError(f"{order.number} a déjà des échéances facturées : le plan ne change plus",
                             "commande", order.number)
        if situations.has_situations(order.id):
            raise StateError(f"{order.number} est déjà facturée par situations", "commande", order.number)
        parts = parse(spec, order.date)
        old = [(m.percent, m.due_date.isoformat()) for m in Milestone.select().where(Milestone.order == order.id)]
        Milestone.delete().where(Milestone.order == order.id).execute()
        for pos, (pct, due, label) in enumerate(parts, start=1):
            Milestone.create(order=order.id, position=pos, percent=pct, due_date=due, label=label)
        audit.record("document", order.id, order.number, {"plan de facturation": (str(old) if old else None, spec)})
    return of_order(order_id)


def of_order(order_id: int) -> list[dict]:
    out, cumulative = [], ZERO
    rows = list(Milestone.select().where(Milestone.order == order_id).order_by(Milestone.position))
    for m in rows:
        cumulative += m.percent
        out.append({"position": m.position, "of": len(rows), "percent": fmt_plain(m.percent),
                    "cumulative": fmt_plain(cumulative), "due_date": m.due_date.isoformat(), "label": m.label,
                    "invoice": queries.label(m.invoice) if m.invoice_id else None})
    return out


def due(on: dt.date | None = None, order_id: int | None = None) -> list[Milestone]:
    """Milestones due by that day and not invoiced yet, oldest first."""
    q = (Milestone.select().join(Document, on=(Milestone.order == Document.id))
         .where(Milestone.invoice.is_null() & (Milestone.due_date <= (on or clock.today()))
                & (Document.status != "cancelled"))
         .order_by(Milestone.due_date, Milestone.order, Milestone.position))
    if order_id:
        q = q.where(Milestone.order == order_id)
    return list(q)


def invoice(milestone: Milestone, date=None) -> Document:
    """The draft invoice of a milestone: the contract billed up to the plan's cumulative %."""
    with write():
        m = Milestone.get_by_id(milestone.id)
        if m.invoice_id:
            raise StateError(f"l'échéance {m.position} est déjà facturée ({queries.label(m.invoice)})",
                             "échéance", m.position)
        earlier = list(Milestone.select().where((Milestone.order == m.order_id) & (Milestone.position < m.position)
                                                & Milestone.invoice.is_null()))
        if earlier:
            raise StateError(f"facturez d'abord l'échéance {earlier[0].position} de {m.order.number}",
                             "échéance", earlier[0].position)
        cumulative = sum((x.percent for x in Milestone.select().where(
            (Milestone.order == m.order_id) & (Milestone.position <= m.position))), ZERO)
        count = Milestone.select().where(Milestone.order == m.order_id).count()
        doc = situations.create(m.order_id, percent=cumulative, date=date,
                                notes=f"Échéance {m.position}/{count} du plan de facturation"
                                      + (f" ({m.label})" if m.label else "")
                                      + f" : {fr.number(m.percent, 2)} % du marché, {fr.number(cumulative, 2)} % "
                                        f"facturés au {fr.date(m.due_date)}.")
        Milestone.update(invoice=doc.id).where(Milestone.id == m.id).execute()
    return doc


def run(on=None, validate=None) -> list[Document]:
    """Invoices every milestone due by `on`; `validate(make)` (the flow's created_and_validated,
    given by the caller) validates each in its own transaction. Without it, drafts only: one
    per contract (the next waits until that one is validated)."""
    on = inputs.parse_date(on) if on else clock.today()
    made, drafted = [], set()
    for m in due(on):
        if m.order_id in drafted:
            continue
        make = (lambda m=m: invoice(m))
        made.append(validate(make) if validate else make())
        if not validate:
            drafted.add(m.order_id)
    return made
