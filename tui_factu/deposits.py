"""Deposits (acomptes): a deposit invoice (type 386, invoice series) requested on a quote or an
order as a percentage or an amount, its VAT split across the source's rates in proportion; the
final invoice then deducts each deposit rate by rate, citing its number and date, so that VAT
is never charged twice and a 100 % deposit leaves exactly 0.00 due."""
import json
from decimal import Decimal

from . import fr, permissions, totals
from .db import write
from .documents import drafts, queries
from .errors import InvalidValue, StateError
from .models import Document
from .money import HUNDRED, ZERO, check_scale, round_cents, to_decimal


def request(source_id: int, percent=None, amount=None) -> Document:
    """A draft deposit invoice for `percent` % of the source, or for `amount` incl. VAT."""
    permissions.require("document.edit", "invoice")
    src = queries.get(source_id)
    if src.kind not in ("quote", "order") or src.status in ("draft", "refused", "cancelled"):
        raise StateError(f"{queries.label(src)} : un acompte se demande sur un devis ou une commande validé",
                         "document", queries.label(src))
    from .models import DocumentLink
    if DocumentLink.select().where((DocumentLink.target == src.id)
                                   & DocumentLink.role.in_(("bills", "situation_of"))).exists():
        raise StateError(f"{queries.label(src)} est déjà facturée en partie : un acompte se demande avant de facturer "
                         "(ses factures déduisent les acomptes demandés avant elles)", "acompte", queries.label(src))
    if (percent is None) == (amount is None):
        raise InvalidValue("acompte", None, "--percent ou --amount, l'un des deux")
    vat = queries.vat_of(src.id)
    wanted = None
    if percent is not None:
        ratio = check_scale(to_decimal(percent, "--percent"), 2, "--percent") / HUNDRED
        what = f"{fr.number(ratio * HUNDRED, 2)} %"
    else:
        wanted = check_scale(to_decimal(amount, "--amount"), 2, "--amount")
        ratio = wanted / src.grand_total if src.grand_total else ZERO
        what = fr.amount(wanted, True)
    if not ZERO < ratio <= 1:
        raise InvalidValue("acompte", what, f"entre 0 et le total du document ({fr.amount(src.grand_total, True)})")
    already = sum((d.grand_total for d in of_source(src)), ZERO)
    lines = []
    for v in vat:
        basis = round_cents(v.basis * ratio)
        if basis:
            lines.append({"kind": "service", "description": f"Acompte de {what} sur {queries.label(src)} "
                                                             f"— TVA {fr.percent(v.rate)}",
                          "quantity": Decimal(1), "unit": "C62", "unit_price": basis,
                          "vat_rate": v.rate, "vat_category": v.category})
    with write():
        doc = drafts.make("invoice", src.customer_id, lines, type="deposit", reference=src.reference,
                          preceding_id=src.id, links=[("deposit_of", src.id)], what=f"acompte {what}",
                          source_refs=[{"kind": src.kind, "number": src.number, "date": src.date.isoformat()}],
                          **drafts.currency_of(src))
        t = doc.computed
        if wanted is not None and t.grand_total != wanted:
            # the cent lost in splitting the amount across rates goes to BT-114, never to a base
            Document.update(rounding=wanted - t.grand_total, due=wanted).where(Document.id == doc.id).execute()
        if already + (wanted if wanted is not None else t.grand_total) > src.grand_total:
            raise InvalidValue("acompte", what, f"les acomptes dépasseraient le total de {queries.label(src)}")
    return queries.get(doc.id)


def of_source(src: Document) -> list[Document]:
    """Validated deposit invoices of an order, or of the quotes it came from."""
    ids = [src.id]
    for ref in json.loads(src.source_refs or "[]"):
        found = Document.get_or_none(Document.number == ref.get("number"))
        if found is not None and found.kind == "quote":
            ids.append(found.id)
    return list(Document.select().where((Document.kind == "invoice") & (Document.type == "deposit")
                                        & (Document.preceding.in_(ids)) & (Document.status != "draft"))
                .order_by(Document.id))


def standing(dep: Document) -> list[tuple[str, Decimal, Decimal]]:
    """(category, rate, base) of a deposit invoice less what its own credit notes took back:
    a deposit refunded by a credit note is no longer deducted anywhere."""
    bases = {(v.category, v.rate): v.basis for v in queries.vat_of(dep.id)}
    credits = Document.select(Document.id).where((Document.preceding == dep.id) & (Document.kind == "credit_note")
                                                 & (Document.status != "draft"))
    for cn in credits:
        for v in queries.vat_of(cn.id):
            if (v.category, v.rate) in bases:
                bases[(v.category, v.rate)] -= v.basis
    return [(cat, rate, base) for (cat, rate), base in bases.items() if base > 0]


def deductions(sources) -> tuple[list[dict], list[dict]]:
    """(negative lines, references) deducting every deposit of the sources, rate by rate."""
    lines, refs = [], []
    for src in sources:
        for dep in of_source(src):
            rows = standing(dep)
            if rows:
                refs.append({"kind": "invoice", "number": dep.number, "date": dep.date.isoformat(), "deposit": True})
            for category, rate, base in rows:
                lines.append(deduction_line(dep, base, rate, category))
    return lines, refs


def deduction_line(dep: Document, base: Decimal, rate: Decimal, category: str, share: str = "",
                   carried: Decimal | None = None) -> dict:
    """The negative line that deducts (part of) a deposit at one VAT rate, citing it. Deducted
    in slices (situations), it is a VAT group of its own: the slices deduct exactly the VAT the
    deposit charged."""
    sliced = carried is not None
    vat = -totals.slice_vat(carried, -base, rate, category) if sliced else totals.deducted_vat(base, rate, category)
    return {"kind": "service", "quantity": Decimal(-1), "unit": "C62", "unit_price": base,
            "vat_rate": rate, "vat_category": category,
            "vat_group": f"deposit {dep.number}" if sliced else None, "vat_carried": carried,
            "description": f"Déduction de l'acompte {dep.number} du {fr.date(dep.date)}{share} "
                           f"— base {fr.amount(base, True)}, TVA {fr.percent(rate)} "
                           f"{fr.amount(vat, True)} déjà facturée"}


def listing(doc: Document) -> list[dict]:
    """Deposits deducted on a final invoice (or requested on a quote/order)."""
    if doc.kind in ("quote", "order"):
        deps = of_source(doc)
    else:
        numbers = [r["number"] for r in json.loads(doc.source_refs or "[]") if r.get("deposit")]
        deps = list(Document.select().where(Document.number.in_(numbers))) if numbers else []
    return [{"number": d.number, "date": d.date.isoformat(), "amount": str(d.grand_total)} for d in deps]

