"""Sales targets (objectifs de vente): revenue excl. VAT for the business, per salesperson or per
product family, by year, quarter or month; achievement to date, the projection to the end of
the period pro rata of the days gone, green or red. Revenue is the sales journal's (invoices and
tickets, credit notes negative), summed by SQL."""
import calendar
import csv
import datetime as dt
import io

from peewee import fn

from . import clock, audit, permissions
from .db import write
from .errors import InvalidValue
from .models import Customer, Document, DocumentLine, Product, Target
from .money import AMOUNT_SCALE, ZERO, check_scale, fmt2, round_cents, to_decimal

SCOPES = {"overall": "ensemble", "salesperson": "commercial", "family": "famille"}
PERIODS = ["Y"] + [f"Q{i}" for i in range(1, 5)] + [f"M{i:02d}" for i in range(1, 13)]
ALIASES = {"A": "Y", "ANNEE": "Y", "ANNÉE": "Y", **{f"T{i}": f"Q{i}" for i in range(1, 5)},
           **{f"{i:02d}": f"M{i:02d}" for i in range(1, 13)}, **{str(i): f"M{i:02d}" for i in range(1, 13)}}


def span(year: int, period: str) -> tuple[dt.date, dt.date]:
    if period == "Y":
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    if period.startswith("Q"):
        q = int(period[1])
        first = dt.date(year, 3 * q - 2, 1)
        return first, dt.date(year, 3 * q, calendar.monthrange(year, 3 * q)[1])
    m = int(period[1:])
    return dt.date(year, m, 1), dt.date(year, m, calendar.monthrange(year, m)[1])


def clean(year, scope, key, period, amount, where: str = "objectif") -> dict:
    try:
        y = int(str(year).strip())
    except ValueError:
        raise InvalidValue(f"{where}.année", year, "année attendue (ex. 2026)") from None
    if not 2000 <= y <= 2099:
        raise InvalidValue(f"{where}.année", year, "entre 2000 et 2099")
    scope = str(scope).strip().lower()
    scope = {"ensemble": "overall", "commercial": "salesperson", "vendeur": "salesperson", "famille": "family"}.get(scope, scope)
    if scope not in SCOPES:
        raise InvalidValue(f"{where}.portée", scope, "overall, salesperson ou family")
    key = "" if scope == "overall" else str(key or "").strip()[:60]
    if scope != "overall" and not key:
        raise InvalidValue(f"{where}.clé", key, "précisez " + {"salesperson": "le commercial", "family": "la famille"}[scope])
    p = str(period).strip().upper()
    p = ALIASES.get(p, p)
    if p not in PERIODS:
        raise InvalidValue(f"{where}.période", period, "Y (année), Q1…Q4 (trimestre) ou M01…M12 (mois)")
    value = check_scale(to_decimal(amount, f"{where}.montant"), AMOUNT_SCALE, f"{where}.montant")
    if value <= 0:
        raise InvalidValue(f"{where}.montant", amount, "doit être positif")
    return {"year": y, "scope": scope, "key": key, "period": p, "amount": value}


def set_target(year, scope, key, period, amount) -> Target:
    permissions.require("targets.edit")
    values = clean(year, scope, key, period, amount)
    with write():
        old = Target.get_or_none((Target.year == values["year"]) & (Target.scope == values["scope"])
                                 & (Target.key == values["key"]) & (Target.period == values["period"]))
        Target.insert(**values).on_conflict(
            conflict_target=[Target.year, Target.scope, Target.key, Target.period],
            update={Target.amount: values["amount"]}).execute()
        label = f"{values['year']} {values['scope']} {values['key']} {values['period']}".strip()
        audit.record("target", 0, label, {"objectif": (old.amount if old else None, values["amount"])})
    return Target.get((Target.year == values["year"]) & (Target.scope == values["scope"])
                      & (Target.key == values["key"]) & (Target.period == values["period"]))


def import_csv(text: str) -> int:
    """year;scope;key;period;amount rows (a header line, semicolons or commas, French decimals):
    all or nothing."""
    permissions.require("targets.edit")
    sample = text[:2000]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    if rows and rows[0] and rows[0][0].strip().lower() in ("year", "année", "annee"):
        rows = rows[1:]
    cleaned = []
    for i, r in enumerate(rows, start=1):
        if len(r) != 5:
            raise InvalidValue(f"ligne {i}", delimiter.join(r)[:80], "5 colonnes attendues : année;portée;clé;période;montant")
        cleaned.append(clean(*r, where=f"ligne {i}"))
    with write():
        for values in cleaned:
            set_target(values["year"], values["scope"], values["key"], values["period"], values["amount"])
    return len(cleaned)


def _revenue(scope: str, start: dt.date, end: dt.date) -> dict:
    """key -> revenue excl. VAT over the span ("" for the whole business)."""
    from .reports import _dec, _salesperson, _signed, sold
    if scope == "family":
        q = (DocumentLine.select(Product.family, _signed(DocumentLine.net_amount))
             .join(Document).switch(DocumentLine).join(Product, on=(DocumentLine.product == Product.id))
             .where(sold(start, end) & DocumentLine.net_amount.is_null(False)).group_by(Product.family))
        return {k: _dec(v, DocumentLine.net_amount) for k, v in q.tuples()}
    key = _salesperson() if scope == "salesperson" else fn.COALESCE("", "")
    q = (Document.select(key, _signed(Document.tax_basis_total)).join(Customer, on=(Document.customer == Customer.id))
         .where(sold(start, end)).group_by(key))
    return {k or "": _dec(v, Document.tax_basis_total) for k, v in q.tuples()}


def achievement(year: int | None = None, today: dt.date | None = None) -> list[dict]:
    today = today or clock.today()
    year = int(year or today.year)
    out = []
    cache: dict = {}
    for t in Target.select().where(Target.year == year).order_by(Target.scope, Target.key, Target.period):
        start, end = span(t.year, t.period)
        upto = min(end, today)
        if today < start:
            done, projection, status = ZERO, None, "à venir"
        else:
            k = (t.scope, start, upto)
            if k not in cache:
                cache[k] = _revenue(t.scope, start, upto)
            done = cache[k].get(t.key, ZERO)
            elapsed, total = (upto - start).days + 1, (end - start).days + 1
            projection = round_cents(done * total / elapsed) if elapsed else ZERO
            status = "vert" if projection >= t.amount else "rouge"
        out.append({"scope": t.scope, "key": t.key, "period": t.period, "target": fmt2(t.amount),
                    "achieved": fmt2(done), "percent": f"{done * 100 / t.amount:.1f}",
                    "projection": fmt2(projection) if projection is not None else "", "status": status})
    return out
