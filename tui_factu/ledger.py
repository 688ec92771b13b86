"""The billing ledger of a contract: an order, or a quote invoiced directly.

Every route to an invoice of a contract — the order or quote invoiced at once, its deliveries
invoiced one by one or together, its milestones and situations — reads here what it has
billed and records what it bills in the invoice's own lines, links and adjustments, in the
transaction that validates it. Nothing is kept in a counter that could drift: the ledger is
read from the standing documents each time.

What a new invoice of a contract carries besides its works (`settle`, at the draft and again
at validation):

- its works lines form one VAT group per rate with everything the contract billed before
  (totals.py), so that the VAT of the invoices adds up to the contract's VAT to the cent;
- the contract's allowances and charges, pro rata to the share of the contract billed so far
  (all of them once it is billed in full), in the same groups;
- each standing deposit, rate by rate, pro rata to the share of the works billed at that rate
  (all of it once they are billed in full), each deduction line pointing at the deposit line it
  deducts: deposits are deducted whatever the route, never twice.

So, once a contract is billed in full, its invoices less its credit notes make its TTC exactly.
A contract billed by plan or by situations is not billed again through its deliveries or at
once (`conflict` names why): a plan bills shares of the whole contract, which quantities billed
on the side would bill a second time.
"""
import json
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from . import deposits, fr, totals
from .documents import drafts, queries
from .documents.kinds import PRICED_LINE_KINDS
from .db import prepared
from .errors import StateError
from .models import Document, DocumentAdjustment, DocumentLine, DocumentLink, Milestone, Progress
from .money import ZERO, round_cents

GROUP = "contract"
DEDUCTIONS = "Acomptes déjà facturés"            # the section heading the deductions
BILLING_ROLES = ("bills", "situation_of", "milestone_of")


@dataclass
class DepositLine:
    deposit: Document
    line_id: int
    key: tuple
    base: Decimal                      # what stands of it (its net less what its credit notes took back)


@dataclass
class Ledger:
    contract: Document
    lines: dict = field(default_factory=dict)         # contract line id -> DocumentLine
    contract_by_key: dict = field(default_factory=dict)
    adjustments: dict = field(default_factory=dict)   # (is_charge, key) -> amount of the contract
    works: dict = field(default_factory=dict)         # key -> works billed by standing invoices, credits taken off
    adjusted: dict = field(default_factory=dict)      # (is_charge, key) -> allowances/charges billed so far
    deposits: list = field(default_factory=list)      # DepositLine
    deducted: dict = field(default_factory=dict)      # deposit line id -> base deducted so far
    planned: bool = False                             # billed by milestones
    by_situations: bool = False
    direct: bool = False                              # billed by quantities (at once, deliveries)

    def carried(self, key) -> Decimal:
        """What the contract billed before at a VAT rate: the base its VAT group carries."""
        return self.works.get(key, ZERO) + sum((v if charge else -v) for (charge, k), v in self.adjusted.items()
                                               if k == key)

    def share(self, key, more: Decimal = ZERO) -> Decimal:
        whole = self.contract_by_key.get(key, ZERO)
        return min(Decimal(1), (self.works.get(key, ZERO) + more) / whole) if whole else Decimal(1)


def _key(category, rate) -> tuple:
    return totals.category_for(rate, category), rate


def contracts_of(doc: Document) -> list[Document]:
    """The contracts an invoice bills (its `bills`, `situation_of`, `milestone_of` links)."""
    targets = [t for (t,) in prepared("ledger.contracts", lambda d: DocumentLink.select(DocumentLink.target).where(
        (DocumentLink.document == d) & DocumentLink.role.in_(BILLING_ROLES)), doc.id)]
    return [queries.get(t) for t in dict.fromkeys(targets)]


def contract_of_lines(line_ids) -> list[Document]:
    """The orders or quotes that lines come from (directly, or through a delivery)."""
    up = DocumentLine.alias()
    sources = {d: k for d, k in DocumentLine.select(DocumentLine.document, Document.kind)
               .join(Document, on=(DocumentLine.document == Document.id))
               .where(DocumentLine.id.in_(list(line_ids) or [0])).tuples()}
    out = [d for d, k in sources.items() if k in ("order", "quote")]
    deliveries = [d for d, k in sources.items() if k == "delivery"]
    if deliveries:
        out += [d for (d,) in DocumentLine.select(up.document).join(up, on=(DocumentLine.origin == up.id))
                .where(DocumentLine.document.in_(deliveries)).tuples()]
    return [queries.get(d) for d in dict.fromkeys(out)]


def _standing_invoices(contract_id: int, but: int | None = None):
    """Ids of the contract's validated invoices (situations, milestones included)."""
    q = (DocumentLink.select(DocumentLink.document).join(Document, on=(DocumentLink.document == Document.id))
         .where((DocumentLink.target == contract_id) & DocumentLink.role.in_(BILLING_ROLES)
                & (Document.kind == "invoice") & (Document.status != "draft")))
    return [i for (i,) in q.tuples() if i != but]


def _credited(line_ids) -> dict:
    """invoice line id -> net its validated credit notes gave back (as a positive amount)."""
    if not line_ids:
        return {}
    q = (DocumentLine.select(DocumentLine.origin, pw.fn.SUM(DocumentLine.net_amount))
         .join(Document, on=(DocumentLine.document == Document.id))
         .where(DocumentLine.origin.in_(list(line_ids)) & (Document.kind == "credit_note")
                & (Document.status != "draft")).group_by(DocumentLine.origin))
    return {origin: DocumentLine.net_amount.python_value(total) for origin, total in q.tuples()}


def read(contract: Document, but: int | None = None) -> Ledger:
    """The contract and what stands on it (the draft `but` left out)."""
    led = Ledger(contract)
    for ln in queries.lines_of(contract.id):
        if ln.kind in PRICED_LINE_KINDS:
            led.lines[ln.id] = ln
            key = _key(ln.vat_category, ln.vat_rate)
            led.contract_by_key[key] = led.contract_by_key.get(key, ZERO) + ln.net_amount
    for a in queries.adjustments_of(contract.id):
        k = (a.is_charge, _key(a.vat_category, a.vat_rate))
        led.adjustments[k] = led.adjustments.get(k, ZERO) + a.amount
    invoices = _standing_invoices(contract.id, but)
    led.planned = Milestone.select().where(Milestone.order == contract.id).exists()
    if invoices:
        types = {t for (t,) in Document.select(Document.type).where(Document.id.in_(invoices)).tuples()}
        led.by_situations = "progress" in types
        led.direct = bool(types & {"standard", "final"})
        _read_works(led, invoices)
        _read_adjusted(led, invoices)
    _read_deposits(led, invoices)
    return led


def _read_works(led: Ledger, invoices) -> None:
    """Works billed per rate: lines billing a contract line (directly, through a delivery, or as
    a situation's progress), less what credit notes gave back."""
    contract_ids = list(led.lines) or [0]
    via = DocumentLine.alias()
    direct = (DocumentLine.select(DocumentLine.id, DocumentLine.vat_category, DocumentLine.vat_rate,
                                  DocumentLine.net_amount)
              .join(via, pw.JOIN.LEFT_OUTER, on=(DocumentLine.origin == via.id))
              .where(DocumentLine.document.in_(invoices) & (DocumentLine.origin.in_(contract_ids)
                                                            | via.origin.in_(contract_ids))))
    progress = (DocumentLine.select(DocumentLine.id, DocumentLine.vat_category, DocumentLine.vat_rate,
                                    DocumentLine.net_amount)
                .join(Progress, on=(Progress.line == DocumentLine.id))
                .where(DocumentLine.document.in_(invoices) & (Progress.role == "work")))
    rows = list(direct.tuples()) + list(progress.tuples())
    credited = _credited([r[0] for r in rows])
    for line_id, category, rate, net in rows:
        key = _key(category, rate)
        led.works[key] = led.works.get(key, ZERO) + net - credited.get(line_id, ZERO)


def _read_adjusted(led: Ledger, invoices) -> None:
    credits = [i for (i,) in DocumentLink.select(DocumentLink.document).join(
        Document, on=(DocumentLink.document == Document.id)).where(
        DocumentLink.target.in_(invoices) & (DocumentLink.role == "credits") & (Document.status != "draft")).tuples()]
    for doc_ids, sign in ((invoices, 1), (credits, -1)):
        for a in DocumentAdjustment.select().where(DocumentAdjustment.document.in_(doc_ids or [0])):
            k = (a.is_charge, _key(a.vat_category, a.vat_rate))
            led.adjusted[k] = led.adjusted.get(k, ZERO) + sign * a.amount


def _read_deposits(led: Ledger, invoices) -> None:
    """Standing deposit lines of the contract, and what invoices deducted of each so far (by the
    lines that point at them, or by a situation's deposit rows for those made before)."""
    lines = []
    for dep in deposits.of_source(led.contract):
        for ln in queries.lines_of(dep.id):
            if ln.kind in PRICED_LINE_KINDS:
                lines.append(DepositLine(dep, ln.id, _key(ln.vat_category, ln.vat_rate), ln.net_amount))
    if not lines:
        return
    credited = _credited([d.line_id for d in lines])
    for d in lines:
        d.base -= credited.get(d.line_id, ZERO)
    led.deposits = [d for d in lines if d.base > 0]
    ids = [d.line_id for d in lines]
    deductions = list(DocumentLine.select(DocumentLine.id, DocumentLine.origin, DocumentLine.net_amount)
                      .join(Document, on=(DocumentLine.document == Document.id))
                      .where(DocumentLine.origin.in_(ids) & (Document.kind == "invoice")
                             & (Document.status != "draft")).tuples())
    back = _credited([i for i, _, _ in deductions])
    for line_id, origin, net in deductions:
        led.deducted[origin] = led.deducted.get(origin, ZERO) - net + back.get(line_id, ZERO)   # both negative
    if invoices:                   # situations made before deductions pointed at their deposit line
        for dep_id, category, rate, net in (
                Progress.select(Progress.deposit, DocumentLine.vat_category, DocumentLine.vat_rate,
                                DocumentLine.net_amount)
                .join(DocumentLine, on=(Progress.line == DocumentLine.id))
                .where(Progress.document.in_(invoices) & (Progress.role == "deposit")
                       & DocumentLine.origin.is_null()).tuples()):
            for d in lines:
                if d.deposit.id == dep_id and d.key == _key(category, rate):
                    led.deducted[d.line_id] = led.deducted.get(d.line_id, ZERO) - net


# ---- what a new invoice carries ---------------------------------------------------------------

def conflict(led: Ledger, doc_type: str) -> str | None:
    """Why an invoice of this type cannot bill the contract now, or None."""
    number = led.contract.number
    if doc_type in ("standard", "final") and led.planned:
        return (f"{number} est facturée par son plan de facturation (tui-factu plan --run) : ses livraisons et "
                "ses lignes ne se facturent pas en plus")
    if doc_type in ("standard", "final") and led.by_situations:
        return f"{number} est facturée par situations (tui-factu situation {number}) : rien en plus"
    return None


def check_billable(contracts, doc_type: str = "standard") -> None:
    """Refuses, before anything is drafted, to bill contracts another way than they are billed."""
    for c in contracts:
        why = conflict(read(c), doc_type)
        if why:
            raise StateError(why, "commande", c.number)


def settle(doc: Document) -> None:
    """Recomputes what a draft invoice of one or several contracts carries besides its works —
    the VAT groups, the allowances and charges, the deposit deductions — from the ledgers as
    they stand now, and stores the draft again. The works lines (what the user kept or edited)
    stay as they are; the deductions and the contracts' allowances and charges are the ledger's."""
    if doc.kind != "invoice" or doc.type not in ("standard", "final"):
        return
    contracts = contracts_of(doc)
    if not contracts:
        return
    lines = queries.lines_of(doc.id)
    items = {ln.id: _as_dict(ln) for ln in lines}
    ledgers = [read(c, but=doc.id) for c in contracts]
    deposit_lines = {d.line_id for led in ledgers for d in led.deposits} | {i for led in ledgers for i in led.deducted}
    kept = [ln for ln in lines if ln.origin_id not in deposit_lines
            and not (ln.kind == "section" and ln.description == DEDUCTIONS)]
    adjustments = [_adjustment_dict(a) for a in queries.adjustments_of(doc.id) if a.vat_group is None]
    minus, deducted = [], set()
    for led in ledgers:
        why = conflict(led, doc.type)
        if why:
            raise StateError(why, "commande", led.contract.number)
        group = f"{GROUP} {led.contract.number}"
        billed: dict = {}
        chains = _contract_line_of([ln for ln in kept if ln.origin_id], led)
        for ln in kept:
            if ln.id in chains and ln.kind in PRICED_LINE_KINDS:
                key = _key(ln.vat_category, ln.vat_rate)
                billed[key] = billed.get(key, ZERO) + ln.net_amount
                items[ln.id].update(vat_group=group, vat_carried=led.carried(key))
        whole = sum(led.contract_by_key.values(), ZERO)
        done = sum(led.works.values(), ZERO) + sum(billed.values(), ZERO)
        share_all = min(Decimal(1), done / whole) if whole else Decimal(1)
        for (charge, key), amount in sorted(led.adjustments.items(), key=lambda kv: (kv[0][0], kv[0][1][0], -kv[0][1][1])):
            # pro rata to the works billed at its rate (an allowance never outgrows the lines it
            # reduces), or to the whole where the contract has no line at that rate
            share = led.share(key, billed.get(key, ZERO)) if led.contract_by_key.get(key) else share_all
            due = round_cents(amount * share) - led.adjusted.get((charge, key), ZERO)
            if due > 0:
                adjustments.append({"is_charge": charge, "amount": due, "vat_rate": key[1], "vat_category": key[0],
                                    "reason": ("Frais" if charge else "Remise") + f" de {led.contract.number}"
                                              + (f" ({fr.number(share * 100, 2)} %)" if share < 1 else ""),
                                    "vat_group": group, "vat_carried": led.carried(key)})
        for d in led.deposits:
            share = led.share(d.key, billed.get(d.key, ZERO)) if led.contract_by_key.get(d.key) else share_all
            before = led.deducted.get(d.line_id, ZERO)
            due = min(d.base, round_cents(d.base * share)) - before
            if due > 0:
                line = deposits.deduction_line(d.deposit, due, d.key[1], d.key[0],
                                               "" if share >= 1 else f" ({fr.number(share * 100, 2)} %)", carried=before)
                line["origin"] = d.line_id
                minus.append(line)
                deducted.add(d.deposit)
    content = [items[ln.id] for ln in kept]
    if minus:
        content += [{"kind": "section", "description": DEDUCTIONS}] + minus
    drafts.store_content(doc, content, adjustments)
    refs = [r for r in json.loads(doc.source_refs or "[]") if not r.get("deposit")]
    refs += [{"kind": "invoice", "number": d.number, "date": d.date.isoformat(), "deposit": True}
             for d in sorted(deducted, key=lambda d: d.id)]
    Document.update(type="final" if minus else "standard", source_refs=json.dumps(refs)).where(
        Document.id == doc.id).execute()
    DocumentLink.delete().where((DocumentLink.document == doc.id) & (DocumentLink.role == "deducts_deposit")).execute()
    if deducted:
        DocumentLink.insert_many([{"document": doc.id, "target": d.id, "role": "deducts_deposit"}
                                  for d in sorted(deducted, key=lambda d: d.id)]).execute()


def _adjustment_dict(a: DocumentAdjustment) -> dict:
    return {"is_charge": a.is_charge, "amount": a.amount, "vat_rate": a.vat_rate, "vat_category": a.vat_category,
            "reason": a.reason, "vat_group": a.vat_group, "vat_carried": a.vat_carried}


def _contract_line_of(lines, led: Ledger) -> dict:
    """invoice line id -> the contract line it bills (directly or through a delivery line)."""
    origins = {ln.id: ln.origin_id for ln in lines}
    up = dict(DocumentLine.select(DocumentLine.id, DocumentLine.origin)
              .where(DocumentLine.id.in_(list(origins.values()) or [0])).tuples())
    out = {}
    for line_id, origin in origins.items():
        if origin in led.lines:
            out[line_id] = origin
        elif up.get(origin) in led.lines:
            out[line_id] = up[origin]
    return out


def _as_dict(ln: DocumentLine) -> dict:
    return {"kind": ln.kind, "product": ln.product_id, "code": ln.code, "description": ln.description,
            "quantity": ln.quantity, "unit": ln.unit, "unit_price": ln.unit_price,
            "discount_percent": ln.discount_percent, "vat_rate": ln.vat_rate, "vat_category": ln.vat_category,
            "cost_price": ln.cost_price, "origin": ln.origin_id, "vat_group": ln.vat_group,
            "vat_carried": ln.vat_carried, "previous_line": ln.id}
