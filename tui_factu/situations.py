"""Progress billing (situations de travaux) on an order, the contract.

A situation records the cumulative progress of each contract line (a % or a quantity). Its
invoice bills, line by line, the cumulative amount round(contract net × progress) less what
standing situations already billed on that line, so that at 100 % the cycle has billed each
line's contract net exactly, whatever the percentages on the way. Deposits on the contract are
deducted in proportion to the cycle's overall progress (all of them by 100 %). A credit note on
a situation credits that period only: the next situation bills from what still stands.

The retention guarantee (retenue de garantie, loi 71-584: at most 5 %) is no part of what the
situation bills: the situation bills its works in full, HT and VAT, and below its TTC the
retention — p % of that TTC — is held back from what is to pay now. It is the second
instalment of the situation's schedule, due at its release date (or when released early,
`release`): releasing it is a payment matter, not a new supply. Figures come from the one
totals module; situations made before this kept their retention as lines, and still read.
"""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import peewee as pw

from . import audit, clock, deposits, fr, inputs, journal, payments, permissions, totals
from .db import write
from .documents import drafts, queries
from .errors import InvalidValue, StateError
from .models import Document, DocumentLine, Instalment, Payment, PaymentAllocation, Progress
from .documents.kinds import PRICED_LINE_KINDS
from .money import (AMOUNT_SCALE, HUNDRED, QUANTITY_SCALE, RATE_SCALE, ZERO, check_scale, fmt2, fmt_plain, from_scaled, round_cents, round_to, to_decimal)

MAX_RETENTION = Decimal(5)
RELEASE_AFTER_DAYS = 365        # the retention falls due at most a year after acceptance of the works
STANDING = ("validated", "partly_paid", "paid")


@dataclass
class ContractLine:
    """A priced line of the contract and what standing situations billed on it."""
    id: int
    position: int
    section: int | None              # position of the section title above it
    description: str
    quantity: Decimal
    net: Decimal                     # the contract amount (BT-131 of the order line)
    vat: tuple                       # (category, rate)
    previous_percent: Decimal = ZERO
    previous_amount: Decimal = ZERO


# ---- what stands on a contract -----------------------------------------------------------

def _cycle_where(order_id: int):
    return ((Document.preceding == order_id) & (Document.kind == "invoice") & Document.status.in_(STANDING))


def _credits(order_id: int):
    """Subquery: invoice line id -> net credited by validated credit notes on the contract's
    invoices (negative lines give negative)."""
    mine = (Progress.select(Progress.line).join(Document, on=(Progress.document == Document.id))
            .where(_cycle_where(order_id)))
    return (DocumentLine.select(DocumentLine.origin.alias("origin"), pw.fn.SUM(DocumentLine.net_amount).alias("amount"))
            .join(Document, on=(DocumentLine.document == Document.id))
            .where(DocumentLine.origin.in_(mine) & (Document.kind == "credit_note") & (Document.status != "draft"))
            .group_by(DocumentLine.origin))


def _cycle_sums(order_id: int) -> list[tuple]:
    """What stands on the contract, grouped by SQL so that a long cycle costs what a short one
    does: (role, contract line, deposit, released line, VAT category, rate, net still standing,
    highest % among uncredited rows). Progress never goes down, so that highest % is the
    latest standing one."""
    cred = _credits(order_id).alias("cred")
    credited = pw.fn.COALESCE(cred.c.amount, 0)
    q = (Progress.select(Progress.role, Progress.contract_line, Progress.deposit, Progress.released_line,
                         DocumentLine.vat_category, DocumentLine.vat_rate,
                         pw.fn.SUM(DocumentLine.net_amount - credited),
                         pw.fn.MAX(pw.Case(None, [(credited == 0, Progress.percent)], None)))
         .join(DocumentLine, on=(Progress.line == DocumentLine.id))
         .switch(Progress).join(Document, on=(Progress.document == Document.id))
         .join(cred, pw.JOIN.LEFT_OUTER, on=(cred.c.origin == Progress.line), src=Progress)
         .where(_cycle_where(order_id))
         .group_by(Progress.role, Progress.contract_line, Progress.deposit, Progress.released_line,
                   DocumentLine.vat_category, DocumentLine.vat_rate))
    return [(role, cl, dep, rel, cat, rate, from_scaled(net, AMOUNT_SCALE),
             None if pct is None else from_scaled(pct, RATE_SCALE))
            for role, cl, dep, rel, cat, rate, net, pct in q.tuples()]


def _credited(order_id: int, line_ids) -> dict:
    q = _credits(order_id).where(DocumentLine.origin.in_(list(line_ids) or [0]))
    return {origin: from_scaled(amount, AMOUNT_SCALE) for origin, amount in q.tuples()}


def _retention_lines_held(order_id: int) -> list:
    """The retention rows with their lines and documents (a few per situation)."""
    return list(Progress.select(Progress, DocumentLine, Document)
                .join(DocumentLine, on=(Progress.line == DocumentLine.id), attr="line")
                .switch(Progress).join(Document, on=(Progress.document == Document.id), attr="document")
                .where(_cycle_where(order_id) & (Progress.role == "retention"))
                .order_by(Document.situation_no, DocumentLine.position))


@dataclass
class Cycle:
    order: Document
    lines: list                       # ContractLine, in contract order
    count: int                        # situations validated so far
    deducted: dict                    # (deposit id, category, rate) -> base deducted so far
    retained: dict                    # (category, rate) -> retention base held back so far
    released: dict                    # (category, rate) -> retention base released so far
    retention_rows: list              # (progress row, held base, category, rate, document)
    last_retention: Decimal | None
    last_release: dt.date | None


def cycle(order_id: int) -> Cycle:
    """The contract and everything that stands on it, in a handful of queries whatever the
    number of situations (long cycles stay fast)."""
    order = queries.get(order_id)
    if order.kind != "order":
        raise StateError(f"{queries.label(order)} n'est pas une commande : les situations se font sur "
                         "une commande (le marché)", "document", queries.label(order))
    contract, section = [], None
    for ln in queries.lines_of(order.id):
        if ln.kind == "section":
            section = ln.position
        elif ln.kind in PRICED_LINE_KINDS:
            contract.append(ContractLine(ln.id, ln.position, section, ln.description, ln.quantity, ln.net_amount,
                                         (totals.category_for(ln.vat_rate, ln.vat_category), ln.vat_rate)))
    by_id = {c.id: c for c in contract}
    released: dict[int, Decimal] = {}
    released_by_rate: dict = {}
    deducted: dict = {}
    retained: dict = {}
    for role, contract_line, deposit, released_line, category, rate, standing, percent in _cycle_sums(order.id):
        if role == "work" and contract_line in by_id:
            c = by_id[contract_line]
            c.previous_amount, c.previous_percent = standing, percent if percent is not None else ZERO
        elif role == "deposit":
            deducted[(deposit, category, rate)] = -standing
        elif role == "retention":
            retained[(category, rate)] = retained.get((category, rate), ZERO) - standing
        elif role == "release":
            released[released_line] = released.get(released_line, ZERO) + standing
            released_by_rate[(category, rate)] = released_by_rate.get((category, rate), ZERO) + standing
    held_rows = _retention_lines_held(order.id)
    credited = _credited(order.id, [r.line_id for r in held_rows])
    retention_rows = []
    for r in held_rows:
        held = -(r.line.net_amount - credited.get(r.line_id, ZERO)) - released.get(r.line_id, ZERO)
        retention_rows.append((r, held, r.line.vat_category, r.line.vat_rate, r.document))
    situations = (Document.select(pw.fn.COUNT(Document.id))
                  .where(_cycle_where(order.id) & (Document.type == "progress")).scalar())
    last_retention = last_release = None
    for d in Document.select(Document.retention_percent, Document.retention_release).where(
            (Document.preceding == order.id) & (Document.type == "progress") & Document.status.in_(STANDING)) \
            .order_by(Document.situation_no.desc()).limit(1):
        last_retention, last_release = d.retention_percent, d.retention_release
    return Cycle(order, contract, situations, deducted, retained, released_by_rate, retention_rows,
                 last_retention, last_release)


def _check_contract(order: Document) -> None:
    if order.status in ("draft", "cancelled"):
        raise StateError(f"{queries.label(order)} : la commande doit être validée (et non annulée)",
                         "commande", queries.label(order))
    if queries.adjustments_of(order.id):
        raise StateError(f"{order.number} porte des remises ou frais de pied : reportez-les en lignes "
                         "pour la facturer par situations", "commande", order.number)
    rest = queries.remaining(order, "invoice")
    ordered = {ln.position: ln.quantity for ln in queries.lines_of(order.id) if ln.kind in PRICED_LINE_KINDS}
    if any(rest.get(pos, q) < q for pos, q in ordered.items()):
        raise StateError(f"{order.number} est déjà facturée en partie hors situations : "
                         "la facturation à l'avancement part d'une commande non facturée", "commande", order.number)


def has_situations(order_id: int) -> bool:
    return Document.select().where((Document.preceding == order_id) & (Document.kind == "invoice")
                                   & (Document.type == "progress")).exists()


# ---- entering progress -------------------------------------------------------------------

def parse_pairs(specs, name: str, scale: int = 2) -> dict[int, Decimal]:
    """['2:40', '5:100'] -> {2: 40, 5: 100} (positions from 1, as printed)."""
    out = {}
    for spec in specs or ():
        pos, sep, value = str(spec).partition(":")
        if not sep or not pos.strip().isdigit():
            raise InvalidValue(name, spec, "format N:VALEUR attendu (ex. 2:40)")
        out[int(pos)] = check_scale(to_decimal(value.strip().rstrip("%"), name), scale, name)
    return out


def _percent(value, where: str) -> Decimal:
    p = check_scale(to_decimal(value, where), 2, where)
    if not ZERO <= p <= HUNDRED:
        raise InvalidValue(where, value, "avancement entre 0 et 100 %")
    return p


def progress_targets(c: Cycle, percent=None, lines=None, sections=None, quantities=None) -> dict:
    """contract line id -> (cumulative %, cumulative quantity or None), from what the user gave:
    a global %, a % per section title, a % per line, a quantity per line (applied in that
    order). Lines not named keep their previous progress."""
    by_pos = {ln.position: ln for ln in c.lines}
    section_positions = {ln.section for ln in c.lines if ln.section}
    out = {ln.id: (ln.previous_percent, None) for ln in c.lines}
    if percent is not None:
        p = _percent(percent, "--percent")
        out = {ln.id: (p, None) for ln in c.lines}
    for pos, value in (sections or {}).items():
        if pos not in section_positions:
            raise InvalidValue("--section", pos, f"aucun titre de section à la ligne {pos} de {c.order.number}")
        p = _percent(value, f"section {pos}")
        out.update({ln.id: (p, None) for ln in c.lines if ln.section == pos})
    for pos, value in (lines or {}).items():
        if pos not in by_pos:
            raise InvalidValue("--line", pos, f"{c.order.number} n'a pas de ligne chiffrée n° {pos}")
        out[by_pos[pos].id] = (_percent(value, f"ligne {pos}"), None)
    for pos, value in (quantities or {}).items():
        if pos not in by_pos:
            raise InvalidValue("--quantity", pos, f"{c.order.number} n'a pas de ligne chiffrée n° {pos}")
        ln = by_pos[pos]
        q = check_scale(to_decimal(value, f"ligne {pos}"), QUANTITY_SCALE, f"ligne {pos}")
        if not ZERO <= q <= ln.quantity:
            raise InvalidValue(f"ligne {pos}", fmt_plain(q), f"quantité entre 0 et {fmt_plain(ln.quantity)} (marché)")
        out[ln.id] = (round_to(q / ln.quantity * HUNDRED, 2) if ln.quantity else HUNDRED, q)
    return out


def cumulative_amount(ln: ContractLine, percent: Decimal, quantity: Decimal | None) -> Decimal:
    """What the cycle has billed on a line once it reaches this progress."""
    if quantity is not None and ln.quantity:
        return round_cents(ln.net * quantity / ln.quantity)
    return round_cents(ln.net * percent / HUNDRED)


def _retention_rate(value, c: Cycle) -> Decimal:
    if value is None:
        return c.last_retention or ZERO
    r = check_scale(to_decimal(value, "--retention"), 2, "--retention")
    if not ZERO <= r <= MAX_RETENTION:
        raise InvalidValue("--retention", value, "retenue de garantie entre 0 et 5 % (loi du 16 juillet 1971)")
    return r


def create(order_id: int, percent=None, lines=None, sections=None, quantities=None, retention=None,
           release_date=None, date=None, notes: str = "") -> Document:
    """A draft progress invoice (situation n) on the contract."""
    permissions.require("document.edit", "invoice")
    with write():
        c = cycle(order_id)
        order = c.order
        _check_contract(order)
        draft = Document.get_or_none((Document.preceding == order.id) & (Document.type == "progress")
                                     & (Document.status == "draft"))
        if draft is not None:
            raise StateError(f"la situation brouillon #{draft.id} de {order.number} existe déjà : "
                             "validez-la ou supprimez-la d'abord", "situation", f"#{draft.id}")
        date = inputs.parse_date(date or clock.today())
        targets = progress_targets(c, percent, lines, sections, quantities)
        rate, release = _retention_terms(c, retention, release_date, date)
        content, periods, deductions = _build(c, targets, rate, release)
        if not any(periods.values()):
            raise StateError(f"aucun avancement sur {order.number} depuis la situation n° {c.count}",
                             "avancement", None)
        doc = drafts.make("invoice", order.customer_id, [ln for ln, _ in content], type="progress", date=date,
                          **drafts.currency_of(order, date),
                          reference=order.reference, preceding_id=order.id, notes=notes,
                          source_refs=_refs(order, c, deductions),
                          links=[("situation_of", order.id)] + [("deducts_deposit", p["deposit"])
                                                                for _, p in deductions if p.get("deposit")],
                          what=f"situation n° {c.count + 1} sur {order.number}")
        Document.update(situation_no=c.count + 1, retention_percent=rate or None,
                        retention_release=release if rate else None).where(Document.id == doc.id).execute()
        t = doc.computed
        if t.grand_total < 0:
            raise StateError(f"les déductions (acomptes, retenue) dépassent la situation n° {c.count + 1} "
                             f"({fr.amount(t.grand_total, True)})", "situation", None)
        _store_progress(doc.id, [p for _, p in content])
    return queries.get(doc.id)


def _retention_terms(c: Cycle, retention, release_date, date: dt.date) -> tuple[Decimal, dt.date | None]:
    """The retention rate (the contract's so far unless given) and its release date."""
    rate = _retention_rate(retention, c)
    if release_date:
        return rate, inputs.parse_date(release_date, "--release-date")
    if retention is None and c.last_release:
        return rate, c.last_release
    return rate, date + dt.timedelta(days=RELEASE_AFTER_DAYS)


def _build(c: Cycle, targets: dict, rate: Decimal, release) -> tuple[list, dict, list]:
    """(line, progress row) pairs of the situation, the period billed per contract line, and
    the deposit deductions already included in the lines."""
    content, periods = _work_lines(c, targets)
    deductions = _deposit_lines(c, targets)
    if deductions:
        content = content + [({"kind": "section", "description": "Déductions"}, None)] + deductions
    return content, periods, deductions


def preview(order_id: int, lines=None, quantities=None, retention=None) -> dict:
    """What the next situation would bill, line by line and in total, without writing
    anything (the screen shows it as the user types)."""
    c = cycle(order_id)
    targets = progress_targets(c, None, lines, None, quantities)
    rate, release = _retention_terms(c, retention, None, clock.today())
    content, periods, deductions = _build(c, targets, rate, release)
    t = totals.compute([totals.LineIn(ln["kind"], ln.get("quantity"), ln.get("unit_price"), ZERO,
                                      ln.get("vat_rate"), ln.get("vat_category"), ln.get("vat_group"),
                                      ln.get("vat_carried")) for ln, _ in content])
    contract = sum((ln.net for ln in c.lines), ZERO)
    billed = sum((ln.previous_amount + periods[ln.id] for ln in c.lines), ZERO)
    return {"situation": c.count + 1, "order": c.order.number, "retention": rate,
            "lines": [{"position": ln.position, "section": ln.section, "description": ln.description,
                       "contract_amount": ln.net, "quantity": ln.quantity, "previous_percent": ln.previous_percent,
                       "percent": targets[ln.id][0], "period": periods[ln.id]} for ln in c.lines],
            "sections": {p: d for p, d in ((ln.position, ln.description) for ln in queries.lines_of(c.order.id)
                                           if ln.kind == "section")},
            "totals": t, "progress": (billed / contract * HUNDRED) if contract else ZERO,
            "deposits": sum((ln["unit_price"] for ln, p in deductions if p["role"] == "deposit"), ZERO),
            "retained": retention_of(t.grand_total, rate)}


def _work_lines(c: Cycle, targets: dict):
    """(line, progress) pairs for every contract line (titles and texts copied), and the period
    billed per contract line."""
    by_id = {ln.id: ln for ln in c.lines}
    carried: dict = {}
    for ln in c.lines:
        carried[ln.vat] = carried.get(ln.vat, ZERO) + ln.previous_amount
    content, periods = [], {}
    for src in queries.lines_of(c.order.id):
        if src.kind not in PRICED_LINE_KINDS:
            content.append(({"kind": src.kind, "description": src.description}, None))
            continue
        ln = by_id[src.id]
        pct, qty = targets[ln.id]
        if pct < ln.previous_percent:
            raise InvalidValue(f"ligne {ln.position}", f"{fr.number(pct)} %",
                               f"l'avancement cumulé ne peut pas baisser (déjà {fr.number(ln.previous_percent)} % ; "
                               "pour revenir en arrière, faites un avoir sur la situation)")
        period = cumulative_amount(ln, pct, qty) - ln.previous_amount
        if period < 0:
            raise InvalidValue(f"ligne {ln.position}", fmt2(period), "la période serait négative")
        periods[ln.id] = period
        content.append(({"kind": src.kind, "product": src.product_id, "code": src.code,
                         "description": src.description, "quantity": Decimal(1), "unit": "C62",
                         "unit_price": period, "discount_percent": ZERO, "vat_rate": src.vat_rate,
                         "vat_category": src.vat_category, "vat_group": "works", "vat_carried": carried[ln.vat],
                         "cost_price": (round_cents(src.cost_price * src.quantity * period / ln.net)
                                        if src.cost_price is not None and ln.net else None)},
                        {"role": "work", "contract_line": ln.id, "percent": pct, "quantity": qty,
                         "contract_amount": ln.net, "previous_percent": ln.previous_percent,
                         "previous_amount": ln.previous_amount}))
    return content, periods


def shares(c: Cycle, targets: dict) -> dict:
    """(VAT category, rate) -> the cycle's progress on the works at that rate once these targets
    are billed: cumulative amount over contract amount. A deposit's base at a rate is deducted
    in that proportion, so a deduction never outruns the works it goes with."""
    contract, done = {}, {}
    lines = {ln.id: ln for ln in c.lines}
    for src in queries.lines_of(c.order.id):
        if src.id in lines:
            key = (totals.category_for(src.vat_rate, src.vat_category), src.vat_rate)
            ln = lines[src.id]
            contract[key] = contract.get(key, ZERO) + ln.net
            done[key] = done.get(key, ZERO) + cumulative_amount(ln, *targets[ln.id])
    return {k: done[k] / contract[k] if contract[k] else ZERO for k in contract}


def _deposit_lines(c: Cycle, targets: dict) -> list:
    """Each standing deposit deducted rate by rate in proportion to the works billed at that
    rate (all of it once the works are billed in full)."""
    by_rate = shares(c, targets)
    out = []
    for dep in deposits.of_source(c.order):
        for category, rate, base in deposits.standing(dep):
            share = by_rate.get((category, rate), ZERO)
            before = c.deducted.get((dep.id, category, rate), ZERO)
            due = round_cents(base * share) - before
            if due > 0:
                line = deposits.deduction_line(dep, due, rate, category,
                                               f" ({fr.number(share * HUNDRED, 2)} % de {fr.amount(base, True)} HT)",
                                               carried=before)
                out.append((line, {"role": "deposit", "deposit": dep.id}))
    return out


def retention_of(grand_total: Decimal, percent) -> Decimal:
    """The retention held on a situation: percent % of its TTC (the one way it is computed)."""
    return round_cents(grand_total * percent / HUNDRED) if percent and grand_total > 0 else ZERO


def hold_retention(doc: Document) -> None:
    """At validation: the situation's schedule — what is to pay now, and the retention due at
    its release date (a schedule set by hand later splits what then remains)."""
    held = retention_of(doc.grand_total, doc.retention_percent)
    if not held or doc.type != "progress":
        return
    Instalment.delete().where(Instalment.document == doc.id).execute()
    Instalment.create(document=doc.id, position=1, due_date=doc.due_date or doc.date, amount=doc.due - held)
    Instalment.create(document=doc.id, position=2, due_date=doc.retention_release, amount=held,
                      percent=doc.retention_percent, retention=True)


def _refs(order: Document, c: Cycle, deductions) -> list:
    refs = [{"kind": "order", "number": order.number, "date": order.date.isoformat()}]
    seen = set()
    for _, prog in deductions:
        if prog.get("deposit") and prog["deposit"] not in seen:
            seen.add(prog["deposit"])
            dep = queries.get(prog["deposit"])
            refs.append({"kind": "invoice", "number": dep.number, "date": dep.date.isoformat(), "deposit": True})
    return refs


def _store_progress(doc_id: int, rows) -> None:
    ids = [i for (i,) in DocumentLine.select(DocumentLine.id).where(DocumentLine.document == doc_id)
           .order_by(DocumentLine.position).tuples()]
    blank = dict.fromkeys(("contract_line", "deposit", "released_line", "percent", "quantity",
                           "contract_amount", "previous_percent", "previous_amount"))
    # insert_many takes its columns from the first row: every row carries them all
    Progress.insert_many([{**blank, "document": doc_id, "line": line_id, **row}
                          for line_id, row in zip(ids, rows) if row]).execute()


def check_current(doc: Document) -> None:
    """At validation: the draft must still bill from what stands now (another terminal may have
    validated a situation of the same contract since), else it would bill twice."""
    if doc.type == "retention":
        c = cycle(doc.preceding_id)
        held = {r.line_id: h for r, h, *_ in c.retention_rows}
        for p in _rows_of(doc.id):
            if p.line.net_amount > held.get(p.released_line_id, ZERO):
                raise StateError("la retenue libérée par ce brouillon ne l'est plus entièrement : recréez-le",
                                 "situation", queries.label(doc))
        return
    c = cycle(doc.preceding_id)
    stale = doc.situation_no != c.count + 1
    by_id = {ln.id: ln for ln in c.lines}
    for p in Progress.select().where((Progress.document == doc.id) & (Progress.role == "work")):
        ln = by_id.get(p.contract_line_id)
        stale = stale or ln is None or ln.previous_amount != p.previous_amount
    if stale:
        raise StateError(f"une autre situation de {c.order.number} a été validée depuis ce brouillon : "
                         "supprimez-le et recréez la situation (rien n'a été facturé deux fois)",
                         "situation", queries.label(doc))


# ---- releasing the retention -------------------------------------------------------------

def release(order_id: int, date=None) -> dict:
    """Releases every retention still held on the contract's situations: each falls due on
    `date` (today by default: the works were accepted without reservation, or a bank guarantee
    replaces it) — the customer now pays it. Audited, and a technical event."""
    permissions.require("payment.collect")
    on = inputs.parse_date(date or clock.today())
    with write():
        order = queries.get(order_id)
        rows = list(Instalment.select(Instalment, Document).join(Document, on=(Instalment.document == Document.id))
                    .where((Document.preceding == order.id) & (Document.type == "progress")
                           & (Document.status != "draft") & (Instalment.retention == True)  # noqa: E712
                           & (Instalment.due_date > on)))
        if not rows:
            raise StateError(f"aucune retenue de garantie à libérer sur {order.number} (déjà exigible ou aucune)",
                             "retenue", order.number)
        total = ZERO
        for r in rows:
            Instalment.update(due_date=on).where(Instalment.id == r.id).execute()
            audit.record("document", r.document.id, r.document.number,
                         {"retenue de garantie exigible le": (r.due_date.isoformat(), on.isoformat())})
            total += r.amount
        journal.event("retention_released", {"order": order.number, "date": on.isoformat(), "amount": fmt2(total)},
                      order.number)
    return {"order": order.number, "date": on, "amount": total,
            "situations": [r.document.number for r in rows]}


def retention_held(doc: Document, on=None) -> tuple[Decimal, Decimal, Decimal]:
    """(held back on a situation, still held unpaid, released but unpaid): its retention
    instalments less what payments covered of them (the schedule is filled in order); one is
    released once its due date has come (`on`, today by default)."""
    on = on or clock.today()
    rows = list(Instalment.select().where(Instalment.document == doc.id).order_by(Instalment.position))
    held = sum((r.amount for r in rows if r.retention), ZERO)
    left = payments.paid(doc.id)
    still, released = ZERO, ZERO
    for r in rows:
        take = min(r.amount, max(ZERO, left))
        left -= take
        if r.retention and r.due_date > on:
            still += r.amount - take
        elif r.retention:
            released += r.amount - take
    return held, still, released


# ---- views -------------------------------------------------------------------------------

def _rows_of(doc_id: int) -> list:
    """A situation's progress rows with their invoice lines, in line order."""
    return list(Progress.select(Progress, DocumentLine)
                .join(DocumentLine, on=(Progress.line == DocumentLine.id), attr="line")
                .where(Progress.document == doc_id).order_by(DocumentLine.position))


def view(doc: Document) -> dict:
    """`doc show --json` of a situation: its number in the cycle, the progress of each line and
    the retention it holds (with what of it is still held)."""
    if doc.type not in ("progress", "retention"):
        return {}
    rows = _rows_of(doc.id)
    contract = {ln.id: ln.position for ln in DocumentLine.select(DocumentLine.id, DocumentLine.position)
                .where(DocumentLine.id.in_([r.contract_line_id for r in rows if r.contract_line_id] or [0]))}
    progress = [{"position": r.line.position, "contract_position": contract.get(r.contract_line_id),
                 "contract_amount": fmt2(r.contract_amount), "previous_percent": fmt_plain(r.previous_percent),
                 "percent": fmt_plain(r.percent), "previous_amount": fmt2(r.previous_amount),
                 "cumulative_amount": fmt2(r.previous_amount + r.line.net_amount), "amount": fmt2(r.line.net_amount)}
                for r in rows if r.role == "work"]
    out = {"situation": doc.situation_no, "progress": progress}
    if doc.type == "progress":
        held = retained = ZERO
        if doc.status != "draft":
            c = cycle(doc.preceding_id)           # situations made before: the retention was lines
            held = sum((held_ttc(r.line, h) for r, h, *_, d in c.retention_rows if d.id == doc.id), ZERO)
        for r in rows:
            if r.role == "retention":
                retained += held_ttc(r.line, -r.line.net_amount)
        if not retained:
            retained = retention_of(doc.grand_total, doc.retention_percent)
            held = retention_held(doc)[1] if doc.status != "draft" else retained
        out["retention"] = {"percent": fmt_plain(doc.retention_percent) if doc.retention_percent else None,
                            "amount": fmt2(retained),
                            "release_date": doc.retention_release.isoformat() if doc.retention_release else None,
                            "held": fmt2(held if doc.status != "draft" else retained),
                            "to_pay_now": fmt2(doc.due - retained)}
    return out


def held_ttc(line: DocumentLine, held: Decimal) -> Decimal:
    """TTC of what is still held of a retention line: its base with the VAT it carries
    (in proportion when part of it was released)."""
    base = -line.net_amount
    if held <= 0 or base <= 0:
        return ZERO
    vat = -totals.slice_vat(line.vat_carried or ZERO, line.net_amount, line.vat_rate, line.vat_category)
    return held + (vat if held == base else round_cents(vat * held / base))


def statement(order_id: int) -> dict:
    """The décompte: the contract, every situation (with credit notes and payments), the
    deposits, the retention held and released, and where the cycle stands."""
    balance, paid = payments.balance, payments.paid
    c = cycle(order_id)
    order = c.order
    docs = list(Document.select().where((Document.preceding == order.id) & (Document.kind == "invoice")
                                        & (Document.status != "draft"))
                .order_by(Document.date, Document.id))
    credit_notes = {}
    for cn in Document.select().where(Document.preceding.in_([d.id for d in docs] or [0])
                                      & (Document.kind == "credit_note") & (Document.status != "draft")):
        credit_notes.setdefault(cn.preceding_id, []).append(cn)
    held_by_doc: dict[int, Decimal] = {}
    released = ZERO
    for r, h, cat, rate, d in c.retention_rows:         # situations made before: retention lines
        held_by_doc[d.id] = held_by_doc.get(d.id, ZERO) + held_ttc(r.line, h)
    for d in docs:
        if d.type == "progress" and d.id not in held_by_doc:
            _, held_by_doc[d.id], due = retention_held(d)
            released += due
    items = []
    for d in docs:
        credited = credit_notes.get(d.id, [])
        items.append({"type": d.type, "situation": d.situation_no, "number": d.number, "date": d.date.isoformat(),
                      "tax_basis_total": fmt2(d.tax_basis_total), "grand_total": fmt2(d.grand_total),
                      "paid": fmt2(paid(d.id)), "balance": fmt2(balance(d)),
                      "retention_held": fmt2(held_by_doc.get(d.id, ZERO)) if d.type == "progress" else None,
                      "credit_notes": [{"number": cn.number, "date": cn.date.isoformat(),
                                        "grand_total": fmt2(cn.grand_total)} for cn in credited]})
    billed = sum((ln.previous_amount for ln in c.lines), ZERO)
    contract_total = sum((ln.net for ln in c.lines), ZERO)
    received = []
    for a in (PaymentAllocation.select(PaymentAllocation, Payment, Document).join(Payment)
              .switch(PaymentAllocation).join(Document)
              .where(PaymentAllocation.document.in_([d.id for d in docs] or [0])).order_by(Payment.seq)):
        received.append({"payment": a.payment.seq, "date": a.payment.date.isoformat(), "method": a.payment.method,
                         "invoice": a.document.number, "amount": fmt2(a.amount)})
    held = sum(held_by_doc.values(), ZERO)
    return {"order": order.number, "date": order.date.isoformat(), "customer": order.customer.code,
            "contract": {"tax_basis_total": fmt2(order.tax_basis_total), "grand_total": fmt2(order.grand_total)},
            "situations": c.count, "progress_percent": fmt2(billed / contract_total * HUNDRED) if contract_total else "0.00",
            "works_billed": fmt2(billed), "invoices": items, "payments": received,
            "deposits": deposits.listing(order),
            "retention": {"percent": fmt_plain(c.last_retention) if c.last_retention else None,
                          "held": fmt2(held), "released_unpaid": fmt2(released),
                          "release_date": c.last_release.isoformat() if c.last_release else None},
            "invoiced": fmt2(sum((d.grand_total for d in docs), ZERO)
                             - sum((cn.grand_total for cns in credit_notes.values() for cn in cns), ZERO)),
            "paid": fmt2(sum((paid(d.id) for d in docs), ZERO)),
            "balance": fmt2(sum((balance(d) for d in docs), ZERO))}
