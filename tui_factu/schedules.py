"""Billing schedules (échéanciers): an invoice's amount due split into instalments whose
amounts always sum exactly to it; payments fill the instalments in order."""
import datetime as dt
import re
from decimal import Decimal

from . import audit, fr, payments, permissions
from .db import write
from .documents.queries import get, label
from .errors import InvalidValue, StateError
from .models import Instalment
from .money import HUNDRED, ZERO, check_scale, fmt2, round_cents, to_decimal

_PART = re.compile(r"^\s*([\d.,]+)\s*(%?)\s*@\s*(\d{1,3})\s*$")


def parse(spec: str) -> list[tuple[Decimal, bool, int]]:
    """'30%@0,40%@30,30%@60' -> [(30, True, 0), ...]; '100@0' is an amount."""
    parts = []
    for item in (spec or "").split(","):
        m = _PART.match(item)
        if not m:
            raise InvalidValue("--split", item.strip(), "format 30%@0,40%@30 (pourcentage ou montant @ jours)")
        value = check_scale(to_decimal(m.group(1), "--split"), 2, "--split")
        if value <= 0:
            raise InvalidValue("--split", item.strip(), "part positive attendue")
        parts.append((value, m.group(2) == "%", int(m.group(3))))
    return parts


def split(total: Decimal, parts) -> list[Decimal]:
    """Amounts to the cent; the last instalment takes what the roundings left, so the sum is
    always exactly the total."""
    percents = [v for v, is_pct, _ in parts if is_pct]
    fixed = sum((v for v, is_pct, _ in parts if not is_pct), ZERO)
    if percents and sum(percents) != HUNDRED and not fixed:
        raise InvalidValue("--split", f"{sum(percents)} %", "les pourcentages doivent faire 100 %")
    if fixed > total:
        raise InvalidValue("--split", fmt2(fixed), f"dépasse le montant dû ({fmt2(total)})")
    rest = total - fixed
    amounts = [round_cents(rest * v / sum(percents)) if is_pct else v for v, is_pct, _ in parts]
    if not percents and fixed != total:
        raise InvalidValue("--split", fmt2(fixed), f"les montants doivent faire le total dû ({fmt2(total)})")
    amounts[-1] += total - sum(amounts, ZERO)
    return amounts


def set_schedule(doc_id: int, spec: str) -> list[dict]:
    """Splits what remains to pay on a validated invoice into instalments (days counted from
    the invoice date). What was paid already stands first, as a settled instalment; a
    situation's retention keeps its own instalment, due at its release."""
    permissions.require("document.edit", "invoice")
    parts = parse(spec)
    with write():
        doc = get(doc_id)
        if doc.kind != "invoice" or doc.status == "draft":
            raise StateError(f"{label(doc)} : un échéancier se pose sur une facture validée", "document", label(doc))
        settled = payments.paid(doc.id)
        kept = list(Instalment.select().where((Instalment.document == doc.id) & (Instalment.retention == True)))  # noqa: E712
        rest = doc.due - settled - sum((i.amount for i in kept), ZERO)
        if rest <= 0:
            raise StateError(f"{doc.number} : plus rien à échelonner (reste {fmt2(doc.due - settled)})",
                             "document", doc.number)
        amounts = split(rest, parts)
        old = [(i.due_date.isoformat(), fmt2(i.amount)) for i in Instalment.select().where(Instalment.document == doc.id)]
        Instalment.delete().where(Instalment.document == doc.id).execute()
        rows = ([(doc.date, settled, None, False)] if settled > 0 else [])
        rows += [(doc.date + dt.timedelta(days=days), amount, value if is_pct else None, False)
                 for (value, is_pct, days), amount in zip(parts, amounts)]
        rows += [(i.due_date, i.amount, i.percent, True) for i in kept]
        for pos, (due, amount, percent, retention) in enumerate(rows, start=1):
            Instalment.create(document=doc.id, position=pos, due_date=due, amount=amount, percent=percent,
                              retention=retention)
        audit.record("document", doc.id, doc.number, {"échéancier": (str(old) if old else None, spec)})
    return of_invoice(doc_id)


def of_invoice(doc_id: int) -> list[dict]:
    """Instalments with what payments covered, filled in order."""
    left = payments.paid(doc_id)
    out = []
    for i in Instalment.select().where(Instalment.document == doc_id).order_by(Instalment.position):
        covered = max(ZERO, min(i.amount, left))
        left -= covered
        out.append({"due_date": i.due_date.isoformat(), "amount": fmt2(i.amount), "paid": fmt2(covered),
                    "retention": i.retention})
    return out


def terms_text(doc_id: int) -> str:
    """The schedule as the invoice prints it (and its e-invoice carries, BT-20)."""
    rows = of_invoice(doc_id)
    return "Échéancier : " + " ; ".join(
        f"{fr.date(r['due_date'])} {fr.amount(Decimal(r['amount']), True)}"
        + (" (retenue de garantie)" if r["retention"] else "") + (" — réglé" if r["paid"] == r["amount"] else "")
        for r in rows) + "." if rows else ""
