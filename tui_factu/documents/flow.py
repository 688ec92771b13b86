"""The flow of documents: validation (number, frozen parties, totals, seal, stock, sources
advanced), transformations along the chain (quote -> order -> deliveries -> invoices, ticket ->
invoice, invoice -> credit note), "annule et remplace", and the statuses a user sets by hand.
What each kind of invoice does besides (deposits deducted, situations checked) is in the hooks
table below, not in branches spread through the code."""
import datetime as dt
import json

import peewee as pw

from .. import (catalog, deposits, einvoicing, fr, journal, ledger, margins, numbering, payments, permissions, periods,
               rates, sealing, schedules, situations, stock, totals)
from ..db import is_postgres, prepared, write
from ..errors import InvalidValue, StateError
from ..models import Billing, Document, DocumentLine, Product, utcnow
from ..money import HUNDRED, ZERO, fmt2, fmt_plain, fmt_price, sum_of
from ..session import current_user
from . import drafts, status
from .kinds import (DOCUMENT_CHAINS, KIND_LABELS, KINDS, MANUAL, PRICED_LINE_KINDS, QUOTE_VALIDITY_DAYS, STATUS_LABELS,
                    TRANSFORMS)
from .queries import adjustments_of, get, label, lines_of, may_become, remaining, to_bill_on_orders, vat_of

parse_date = drafts.parse_date
transition = status.transition


def validate(doc_id: int, date=None) -> Document:
    with write():
        if is_postgres():
            Document.select(Document.id).where(Document.id == doc_id).for_update().execute()
        doc = get(doc_id)
        permissions.require("document.credit" if doc.kind == "credit_note" else "document.validate", doc.kind)
        if doc.status != "draft":
            raise StateError(f"{label(doc)} est déjà validé", "document", label(doc))
        HOOKS.get((doc.kind, doc.type), _nothing)(doc)
        doc = get(doc_id)
        lines = lines_of(doc.id)
        _check_commercial_limits(doc, lines)
        if not any(ln.kind in PRICED_LINE_KINDS for ln in lines):
            raise InvalidValue("lines", label(doc), "le document n'a aucune ligne chiffrée")
        if date is not None:
            doc.date = parse_date(date)
        periods.check_open(doc.date, label(doc))
        if doc.currency != rates.EUR and not doc.exchange_rate:      # never sealed as if in euros
            raise InvalidValue("devise", doc.currency, f"{label(doc)} n'a pas de cours : changez sa devise ou sa date")
        _check_chain_limits(doc, lines)
        cust = catalog.customer_by_id(doc.customer_id)
        company = catalog.company()
        if doc.kind in ("invoice", "credit_note") and cust.kind != "person" and not cust.siren \
                and cust.country == "FR":
            raise InvalidValue("client.siren", cust.code,
                               "SIREN obligatoire pour facturer une entreprise française")
        number = numbering.take(numbering.SERIES[doc.kind], doc.date)
        due_date, term = doc.due_date, None
        if doc.kind in ("invoice", "credit_note") and due_date is None:
            term = catalog.term_for(cust, company)
            if doc.kind == "invoice" and cust.kind != "person":
                term.check_legal(doc.date)              # L441-10: between professionals
            due_date = term.due_date(doc.date)
        validity = doc.validity_date
        if doc.kind == "quote" and validity is None:
            validity = doc.date + dt.timedelta(days=QUOTE_VALIDITY_DAYS)
        t = _recompute(doc, lines)
        _check_not_negative(doc, t)
        customer, seller = catalog.customer_snapshot(cust), catalog.company_snapshot(company)
        einvoicing.check_issuable(doc.kind, label(doc), {row.category for row in t.vat},
                                  bool(doc.preceding_id) or any(r.get("kind") == "invoice"
                                                                for r in json.loads(doc.source_refs or "[]")),
                                  customer, seller)
        _hand_over(doc, lines)
        _freeze(doc.id, number, doc.date, due_date, validity,
                 journal.canonical(customer), journal.canonical(seller))
        journal.seal(DOCUMENT_CHAINS[doc.kind], "validate", number,
                     sealing.payload_for(doc.id))
        _move_stock(doc, lines)
        _advance_sources(doc, lines)
        AFTER.get((doc.kind, doc.type), _nothing)(get(doc_id))
        if term and len(term.steps) > 1 and doc.kind == "invoice" and doc.type == "standard":
            schedules.set_schedule(doc_id, ",".join(f"{share}%@{(day - doc.date).days}"
                                                    for share, day in term.due_dates(doc.date)))
    return get(doc_id)


def _nothing(doc: Document) -> None:
    pass


def _deposit_within_contract(doc: Document) -> None:
    """A deposit never takes the contract past its TTC, whoever validated one meanwhile."""
    source = get(doc.preceding_id)
    standing = sum((d.grand_total for d in deposits.of_source(source)), ZERO)
    if standing + doc.grand_total > source.grand_total:
        raise StateError(f"{label(doc)} : les acomptes dépasseraient le total de {label(source)} "
                         f"({fmt2(source.grand_total)})", "acompte", label(doc))


# What each kind of invoice does at validation, before it is numbered: read from the ledger what
# it carries (deposits, allowances, VAT groups), or check that what it bills still stands.
HOOKS = {
    ("invoice", "standard"): ledger.settle,
    ("invoice", "final"): ledger.settle,
    ("invoice", "deposit"): _deposit_within_contract,
    ("invoice", "progress"): situations.check_current,
    ("invoice", "retention"): situations.check_current,
}
# ...and once it is numbered: a situation's schedule holds its retention back.
AFTER = {("invoice", "progress"): situations.hold_retention}


def created_and_validated(make) -> Document:
    """Runs `make()`, which creates a draft, and validates it in the same transaction: a
    refused validation leaves no draft behind and consumes no number."""
    with write():
        return validate(make().id)


def _check_commercial_limits(doc: Document, lines) -> None:
    """Discounts above the ceiling and sales at a loss or under the margin floor need a role
    that may grant them (the editor flags them before validation)."""
    if doc.kind not in ("quote", "order", "invoice", "receipt"):
        return
    if not permissions.allowed("sell.below_floor"):
        flags = margins.of_lines(lines)["flags"]
        if flags:
            raise permissions.PermissionDenied(f"{flags[0]} — à faire valider par un responsable", "marge", None)
    ceiling = permissions.max_discount()
    if not permissions.allowed("discount.large"):
        for ln in lines:
            if ln.kind in PRICED_LINE_KINDS and ln.discount_percent > ceiling:
                raise permissions.PermissionDenied(
                    f"ligne {ln.position} : remise de {fmt_plain(ln.discount_percent)} % au-delà du plafond de "
                    f"{fmt_plain(ceiling)} % — à faire valider par un responsable", "remise", fmt_plain(ln.discount_percent))
        catalogue = dict(Product.select(Product.id, Product.price).where(
            Product.id.in_([ln.product_id for ln in lines if ln.product_id])).tuples())
        for ln in lines:                  # a price typed over the catalogue's is a discount too
            listed = catalogue.get(ln.product_id)
            if ln.kind in PRICED_LINE_KINDS and listed and ln.quantity > 0 and \
                    ln.unit_price * (HUNDRED - ln.discount_percent) < listed * (HUNDRED - ceiling):
                raise permissions.PermissionDenied(
                    f"ligne {ln.position} : prix de {fmt_price(ln.unit_price)} € au lieu de {fmt_price(listed)} €, au-delà "
                    f"du plafond de remise de {fmt_plain(ceiling)} % — à faire valider par un responsable",
                    "prix", fmt_price(ln.unit_price))
        allowances = sum((a.amount for a in adjustments_of(doc.id) if not a.is_charge), ZERO)
        base = sum((ln.net_amount for ln in lines if ln.net_amount and ln.net_amount > 0), ZERO)
        if base and allowances * HUNDRED > base * ceiling:
            raise permissions.PermissionDenied(
                f"remise de pied de {fmt2(allowances)} € au-delà du plafond de {fmt_plain(ceiling)} % — à faire "
                "valider par un responsable", "remise", fmt2(allowances))


_FROZEN = (Document.status, Document.number, Document.date, Document.due_date,
           Document.validity_date, Document.customer_snapshot, Document.seller_snapshot,
           Document.validated_at, Document.validated_by, Document.sealed)


def _freeze(doc_id, number, date, due_date, validity, customer_snapshot, seller_snapshot) -> None:
    """The validating UPDATE: number, dates, frozen parties, seal flag (compiled once)."""
    def build(*v):
        values = {f: pw.Value(x, converter=False) for f, x in zip(_FROZEN, v[:-1])}
        return Document.update(values).where(Document.id == v[-1])
    iso = (lambda d: d.isoformat() if d else None)
    prepared("document.freeze", build, "validated", number, iso(date), iso(due_date), iso(validity),
             customer_snapshot, seller_snapshot, utcnow(), current_user(), True, int(doc_id))


def _recompute(doc: Document, lines) -> totals.Totals:
    """Totals from the lines as stored, written before the row is sealed."""
    adjs = adjustments_of(doc.id)
    t = totals.compute([totals.LineIn(ln.kind, ln.quantity, ln.unit_price, ln.discount_percent,
                                      ln.vat_rate, ln.vat_category, ln.vat_group, ln.vat_carried)
                        for ln in lines],
                       [totals.AdjustmentIn(a.amount, a.vat_rate, a.vat_category, a.is_charge, a.vat_group,
                                            a.vat_carried) for a in adjs], doc.prepaid, doc.rounding)
    changed = False
    for ln, net in zip(lines, t.line_nets):
        if ln.net_amount != net:
            DocumentLine.update(net_amount=net).where(DocumentLine.id == ln.id).execute()
            changed = True
    stored = [(v.category, v.rate, v.basis, v.amount) for v in vat_of(doc.id)]
    if changed or stored != [(v.category, v.rate, v.basis, v.amount) for v in t.vat] or \
            any(getattr(doc, k) != v for k, v in t.as_dict().items()):
        drafts.store_totals(doc.id, t)
    return t


def _check_not_negative(doc: Document, t) -> None:
    """Only a credit note gives back: an allowance or a deduction larger than the lines it
    reduces would make a negative total or a negative VAT base at a rate."""
    if doc.kind == "credit_note":
        return
    if t.grand_total < 0:
        raise InvalidValue("total", fmt2(t.grand_total), f"{label(doc)} : le total serait négatif (remises de pied "
                           "ou déductions plus grandes que les lignes)")
    for row in t.vat:
        if row.basis < 0:
            raise InvalidValue(f"TVA {fr.percent(row.rate)}", fmt2(row.basis),
                               f"{label(doc)} : les remises de pied à ce taux dépassent les lignes à ce taux "
                               "(une remise se pose au taux des lignes qu'elle réduit)")


def _check_chain_limits(doc: Document, lines) -> None:
    """Nothing delivered, invoiced or credited beyond what its source holds."""
    by_source: dict[int, list] = {}
    for ln in lines:
        # a deduction points at the deposit line it deducts: the ledger keeps its amount in bounds
        if ln.origin_id and not (doc.kind == "invoice" and ln.quantity is not None and ln.quantity < 0):
            by_source.setdefault(ln.origin_id, []).append(ln)
    if not by_source:
        if doc.kind == "credit_note" and doc.preceding_id:
            _check_credit_total(doc)
        return
    sources = {s.id: s for s in DocumentLine.select().where(DocumentLine.id.in_(list(by_source)))}
    source_docs = {}
    for sid, src in sources.items():
        sdoc = source_docs.get(src.document_id) or get(src.document_id)
        source_docs[src.document_id] = sdoc
        if sdoc.customer_id != doc.customer_id or doc.kind not in TRANSFORMS.get(sdoc.kind, ()) \
                or sdoc.status == "draft":
            raise InvalidValue(f"ligne {by_source[sid][0].position}", label(sdoc),
                               "origine incompatible (autre client, brouillon ou type de document)")
        target = "delivery" if doc.kind == "delivery" else doc.kind
        rest = remaining(sdoc, target)
        # `remaining` counts this draft too: add it back to see what it may take.
        mine = sum((ln.quantity for ln in by_source[sid]), ZERO)
        allowed = rest.get(src.position, ZERO) + mine
        if mine > allowed:
            verb = {"delivery": "livrer", "invoice": "facturer", "credit_note": "créditer",
                    "order": "commander"}.get(doc.kind, "reprendre")
            raise InvalidValue(f"ligne {by_source[sid][0].position}", fmt_plain(mine),
                               f"quantité supérieure au reste à {verb} ({fmt_plain(allowed)}) "
                               f"sur {label(sdoc)}")
        if doc.kind == "credit_note":
            credited = sum((ln.net_amount for ln in by_source[sid]), ZERO)
            if credited > src.net_amount:
                raise InvalidValue(f"ligne {by_source[sid][0].position}", fmt2(credited),
                                   f"montant supérieur à la ligne facturée ({fmt2(src.net_amount)})")
    if doc.kind == "invoice":
        _check_orders_billed(by_source, {sid: (src, source_docs[src.document_id].kind)
                                         for sid, src in sources.items()})
    if doc.kind == "credit_note" and doc.preceding_id:
        _check_credit_total(doc)


def _check_orders_billed(by_source: dict, sources: dict) -> None:
    """What an invoice bills of an order — directly and through its delivery notes — stays
    within what the order still has to bill: a note does not bill goods the order billed whole.
    sources: source line id -> (line, its document's kind)."""
    mine: dict = {}
    for sid, lns in by_source.items():
        src, kind = sources[sid]
        order_line = src.origin_id if kind == "delivery" else (sid if kind == "order" else None)
        if order_line:
            mine[order_line] = mine.get(order_line, ZERO) + sum((ln.quantity for ln in lns), ZERO)
    if not any(kind == "delivery" for _, kind in sources.values()):
        return
    left = to_bill_on_orders(list(mine))              # this draft counted in: negative is too much
    for order_line, qty in mine.items():
        if left.get(order_line, ZERO) < 0:
            raise InvalidValue("quantité", fmt_plain(qty), "la commande a déjà facturé ces marchandises "
                               f"(reste à facturer {fmt_plain(left[order_line] + qty)})")


def _check_credit_total(doc: Document) -> None:
    invoice = get(doc.preceding_id)
    already = (Document.select(sum_of(Document.grand_total))
               .where((Document.preceding == invoice.id) & (Document.kind == "credit_note")
                      & (Document.status != "draft")).scalar())
    if already + doc.grand_total > invoice.grand_total:
        raise InvalidValue("avoir", fmt2(doc.grand_total),
                           f"dépasse le reste créditable de {invoice.number} "
                           f"({fmt2(invoice.grand_total - already)})")


NO_GOODS = ("deposit", "progress", "retention")      # they bill money, not goods


def _hand_over(doc: Document, lines) -> None:
    """An invoice drawn from an order hands over at the counter what the order still has to
    deliver, no more: goods a delivery note or an earlier invoice (even one corrected since by a
    credit note that took nothing back) already handed over do not leave the stock twice."""
    if doc.kind != "invoice" or not any(ln.origin_id for ln in lines):
        return
    from_order = dict(DocumentLine.select(DocumentLine.id, DocumentLine.document)
                      .join(Document).where(DocumentLine.id.in_([ln.origin_id for ln in lines if ln.origin_id] or [0])
                                            & (Document.kind == "order")).tuples())
    left: dict = {}
    for ln in lines:
        order_id = from_order.get(ln.origin_id)
        if order_id is None or ln.quantity is None or ln.quantity <= 0:
            continue
        if order_id not in left:
            order = get(order_id)
            by_position = remaining(order, "delivery", validated_only=True)
            left[order_id] = {o.id: by_position.get(o.position, ZERO) for o in lines_of(order_id)}
        rest = left[order_id]
        ln.handed_over = max(ZERO, min(ln.quantity, rest.get(ln.origin_id, ZERO)))
        rest[ln.origin_id] = rest.get(ln.origin_id, ZERO) - ln.handed_over
        DocumentLine.update(handed_over=ln.handed_over).where(DocumentLine.id == ln.id).execute()


def _move_stock(doc: Document, lines) -> None:
    """Only what moves goods moves stock: a delivery, a ticket or an invoice that is itself the
    delivery, the return of a credit note; never a deposit, a situation or a milestone."""
    if doc.kind not in ("delivery", "invoice", "credit_note", "receipt") or doc.type in NO_GOODS:
        return
    if doc.kind == "credit_note" and (not doc.returns_goods or get(doc.preceding_id).type in NO_GOODS):
        return
    origin_kinds = {}
    if doc.kind == "invoice":
        ids = [ln.origin_id for ln in lines if ln.origin_id]
        if ids:
            origin_kinds = dict(DocumentLine.select(DocumentLine.id, Document.kind)
                                .join(Document).where(DocumentLine.id.in_(ids)).tuples())
    # parts of an intervention left the stock when it was recorded
    parts = {line for (line,) in prepared("flow.parts", lambda d: Billing.select(Billing.line).where(
        (Billing.document == d) & (Billing.kind == "part")), doc.id)}
    sign = 1 if doc.kind == "credit_note" else -1
    managed = stock.managed_among({ln.product_id for ln in lines if ln.kind == "goods" and ln.product_id})
    reason = {"delivery": "livraison", "invoice": "vente comptoir", "credit_note": "retour",
              "receipt": "vente comptoir"}[doc.kind]
    stock.move_many([(ln.product_id, sign * (ln.quantity if ln.handed_over is None else ln.handed_over),
                      doc.date, reason, doc.id, ln.id)
                     for ln in lines if ln.kind == "goods" and ln.product_id in managed and ln.id not in parts
                     and ln.handed_over != 0
                     # a delivery note or a ticket already took out what its invoice lines bill
                     and not (doc.kind == "invoice" and origin_kinds.get(ln.origin_id) in ("delivery", "receipt"))])


def _notes_of(order: Document) -> list[Document]:
    line = DocumentLine.alias()
    ids = {d for (d,) in DocumentLine.select(DocumentLine.document)
           .join(line, on=(DocumentLine.origin == line.id)).join(Document, on=(DocumentLine.document == Document.id))
           .where((line.document == order.id) & (Document.kind == "delivery") & (Document.status == "validated"))
           .tuples()}
    return [get(i) for i in sorted(ids)]


def _advance_sources(doc: Document, lines) -> None:
    """Sources' statuses follow what their validated children now cover."""
    ids = [ln.origin_id for ln in lines if ln.origin_id]
    if not ids:
        return
    src_docs = {d for (d,) in DocumentLine.select(DocumentLine.document)
                .where(DocumentLine.id.in_(ids)).tuples()}
    for sid in src_docs:
        src = get(sid)
        if src.kind == "quote" and src.status in ("validated", "expired"):
            transition(src, "accepted")
        elif src.kind == "order":
            if src.status in ("validated", "partial", "delivered"):
                rest = remaining(src, "delivery", validated_only=True)
                left = any(q > 0 for q in rest.values())
                done = any(q < ln for q, ln in zip(rest.values(), _ordered(src)))
                new = "partial" if left and done else ("delivered" if not left else src.status)
                if new != src.status:
                    transition(src, new)
            if doc.kind == "invoice":          # billed whole, its delivery notes' goods with it
                for note in _notes_of(src):
                    if all(q <= 0 for q in may_become(note, "invoice", validated_only=True).values()):
                        transition(note, "invoiced")
        elif src.kind == "delivery" and src.status == "validated":
            if all(q <= 0 for q in may_become(src, "invoice", validated_only=True).values()):
                transition(src, "invoiced")
        elif src.kind == "receipt" and src.status == "paid" and doc.kind == "invoice":
            transition(src, "invoiced")


def _ordered(order: Document):
    return [ln.quantity for ln in lines_of(order.id) if ln.kind in PRICED_LINE_KINDS]


def set_status(doc_id: int, new: str) -> Document:
    """The moves a user makes (kinds.MANUAL): a quote accepted, refused or expired; an order
    cancelled, or closed when what remains of it will not be delivered ("solder le reliquat":
    its backorders and reservations drop; audited and sealed as every status)."""
    with write():
        doc = get(doc_id)
        permissions.require("document.validate", doc.kind)
        allowed = MANUAL.get(doc.kind, ())
        if new not in allowed:
            raise InvalidValue("statut", new, f"pour {KIND_LABELS[doc.kind].lower()} : "
                               + (", ".join(allowed) if allowed else "aucun changement à la main"))
        if doc.kind == "order" and new == "cancelled" and doc.status != "validated":
            raise StateError(f"{label(doc)} est livrée en partie : soldez le reliquat (closed) au lieu de l'annuler",
                             "statut", new)
        transition(doc, new)
    return get(doc_id)


# ---- transformations -----------------------------------------------------------------------

def transform(source_ids, to_kind: str, quantities: dict | None = None, force: bool = False) -> Document:
    """Copies what remains of one or several validated sources into a new draft, with line
    origin links. quantities: source line position -> quantity (single source only). A quote
    past its validity is transformed only when the user says so (force)."""
    source_ids = list(source_ids)
    if to_kind in KINDS:
        permissions.require("document.credit" if to_kind == "credit_note" else "document.edit", to_kind)
    sources = [get(i) for i in source_ids]
    if not sources:
        raise InvalidValue("source", None, "aucun document source")
    kinds = {s.kind for s in sources}
    if to_kind not in KINDS:
        raise InvalidValue("--to", to_kind, "type de document inconnu (" + ", ".join(KINDS) + ")")
    for s in sources:
        if to_kind not in TRANSFORMS.get(s.kind, ()):
            allowed = ", ".join(TRANSFORMS.get(s.kind, ())) or "aucun"
            raise StateError(f"{label(s)} ({KIND_LABELS[s.kind].lower()}) ne peut pas devenir "
                             f"« {to_kind} » (possible : {allowed})", "--to", to_kind)
        if s.status == "draft":
            raise StateError(f"{label(s)} est un brouillon : validez-le d'abord", "document", label(s))
        if s.status in ("refused", "cancelled", "closed"):
            raise StateError(f"{label(s)} est {STATUS_LABELS[s.status].lower()}", "document", label(s))
        if status.shown(s) == "expired" and not force:
            raise StateError(f"{label(s)} a expiré le {s.validity_date.strftime('%d/%m/%Y')} : le transformer quand même "
                             "(--force) ou refaire un devis", "devis", label(s))
    if len({s.customer_id for s in sources}) > 1:
        raise InvalidValue("sources", ", ".join(label(s) for s in sources),
                           "les documents regroupés doivent avoir le même client")
    if quantities and len(sources) > 1:
        raise InvalidValue("--line", None, "les quantités par ligne demandent un seul document source")
    if len(kinds) > 1:
        raise InvalidValue("sources", None, "les documents regroupés doivent être du même type")
    if len({s.currency for s in sources}) > 1:
        raise InvalidValue("sources", ", ".join(f"{label(s)} ({s.currency})" for s in sources),
                           "les documents regroupés doivent être dans la même devise")
    if to_kind == "invoice":
        ledger.check_billable(ledger.contract_of_lines(
            [ln.id for s in sources for ln in lines_of(s.id) if ln.kind in PRICED_LINE_KINDS]))
    new_lines = []
    # delivery notes invoiced: together no more than their orders still have to bill
    order_left = to_bill_on_orders([ln.origin_id for s in sources if s.kind == "delivery" for ln in lines_of(s.id)
                                    if ln.origin_id]) if to_kind == "invoice" else {}
    for src in sources:
        rest = may_become(src, to_kind)
        src_lines = lines_of(src.id)
        positions = {ln.position for ln in src_lines}
        for pos in (quantities or {}):
            if pos not in positions:
                raise InvalidValue("--line", pos, f"{label(src)} n'a pas de ligne n° {pos} "
                                   f"(lignes 1 à {len(src_lines)})")
        if len(sources) > 1 and src_lines:
            new_lines.append({"kind": "section", "description": f"{KIND_LABELS[src.kind]} {src.number} "
                              f"du {src.date.strftime('%d/%m/%Y')}"})
        for ln in src_lines:
            if quantities is not None and quantities and ln.position not in quantities:
                continue
            if ln.kind not in PRICED_LINE_KINDS:
                new_lines.append({"kind": ln.kind, "description": ln.description})
                continue
            left = rest.get(ln.position, ZERO)
            if ln.quantity < 0:
                # a deduction (deposit, retention): a credit note takes it back whole with the
                # lines it goes with, so that it credits what the invoice billed
                if to_kind != "credit_note" or left >= 0:
                    continue
                qty = left
            else:
                qty = quantities.get(ln.position, left) if quantities else left
                if quantities and qty > left:
                    raise InvalidValue(f"ligne {ln.position}", fmt_plain(qty),
                                       f"quantité supérieure au reste ({fmt_plain(left)}) sur {label(src)}")
                if ln.origin_id in order_left:
                    qty = min(qty, order_left[ln.origin_id])
                    order_left[ln.origin_id] -= max(qty, ZERO)
                if qty <= 0:
                    continue
            new_lines.append({"kind": ln.kind, "product": ln.product_id, "code": ln.code,
                              "description": ln.description, "quantity": qty, "unit": ln.unit,
                              "unit_price": ln.unit_price, "discount_percent": ln.discount_percent,
                              "vat_rate": ln.vat_rate, "vat_category": ln.vat_category,
                              "cost_price": ln.cost_price, "origin": ln.id,
                              "vat_group": ln.vat_group, "vat_carried": ln.vat_carried})
    if not any(ln["kind"] in PRICED_LINE_KINDS and ln["quantity"] > 0 for ln in new_lines):
        verb = {"delivery": "livrer", "invoice": "facturer", "credit_note": "créditer"}.get(to_kind, "reprendre")
        raise StateError(f"rien à {verb} sur " + ", ".join(label(s) for s in sources),
                         "document", label(sources[0]))
    first = sources[0]
    adjustments = []
    if len(sources) == 1 and not quantities and (to_kind, first.kind) in (("order", "quote"), ("credit_note", "invoice"),
                                                                          ("credit_note", "receipt")):
        # Document-level allowances and charges follow a whole transformation (an invoice of a
        # contract takes its share of them from the ledger).
        adjustments = [{"is_charge": a.is_charge, "amount": a.amount, "vat_rate": a.vat_rate,
                        "vat_category": a.vat_category, "reason": a.reason, "vat_group": a.vat_group,
                        "vat_carried": a.vat_carried} for a in adjustments_of(first.id)]
    refs = [{"kind": s.kind, "number": s.number, "date": s.date.isoformat()} for s in sources]
    prepaid = ZERO
    if to_kind == "invoice" and kinds == {"receipt"}:
        prepaid = sum((payments.paid(s.id) for s in sources), ZERO)      # the ticket was paid at the counter
    links = [("credits", first.id)] if to_kind == "credit_note" else []
    if to_kind == "invoice":
        links += [("invoices_ticket", s.id) for s in sources if s.kind == "receipt"]
        links += [("bills", c.id) for c in ledger.contract_of_lines([ln["origin"] for ln in new_lines
                                                                    if ln.get("origin")])]
    # the same currency; a credit note at the rate of what it credits, else the rate of today
    currency = ({"currency": first.currency, "exchange_rate": first.exchange_rate} if to_kind == "credit_note"
                else drafts.currency_of(first))
    with write():
        doc = drafts.make(to_kind, first.customer_id, new_lines, adjustments, prepaid=prepaid, **currency,
                          reference=first.reference, notes=first.notes if to_kind != "credit_note" else "",
                          preceding_id=first.id if to_kind == "credit_note" else None, source_refs=refs,
                          links=links, what=f"{KIND_LABELS[to_kind]} depuis " + ", ".join(s.number for s in sources))
        ledger.settle(doc)                   # deposits, allowances and charges: the ledger's share of them
        doc = get(doc.id)
        if doc.grand_total < 0:
            raise StateError(f"les acomptes déduits ({fmt2(-sum((ln.net_amount for ln in lines_of(doc.id) if ln.net_amount and ln.net_amount < 0), ZERO))} HT) "
                             "dépassent le total de la facture : faites un avoir sur l'acompte", "acomptes", None)
    return doc


def credit(invoice_id: int, quantities: dict | None = None, returns_goods: bool = True) -> Document:
    """A draft credit note for the whole invoice, or chosen lines and quantities."""
    inv = get(invoice_id)
    if inv.kind not in ("invoice", "receipt"):
        raise StateError(f"{label(inv)} n'est pas une facture : seule une facture ou un ticket se crédite",
                         "document", label(inv))
    doc = transform([invoice_id], "credit_note", quantities)
    if not returns_goods:
        Document.update(returns_goods=False).where(Document.id == doc.id).execute()
    return get(doc.id)


def replace(invoice_id: int) -> tuple[Document, Document]:
    """"Annule et remplace": the invoice is cancelled by a full credit note (validated) and a
    draft copy of it, citing it as replaced, is made ready to correct. The original stays as
    it was sealed; the copy bills what the original billed (the credit note gave it back), so
    its lines keep their origins and the ledger gives it the same share of its contract."""
    permissions.require("document.credit", "credit_note")
    with write():
        inv = get(invoice_id)
        if inv.kind != "invoice" or inv.status == "draft" or inv.type not in ("standard", "final"):
            raise StateError(f"{label(inv)} : seule une facture validée (ni acompte ni situation) s'annule et se "
                             "remplace", "document", label(inv))
        cn = validate(credit(inv.id, returns_goods=False).id)      # a correction: no goods come back
        lines = [{"kind": ln.kind, "product": ln.product_id, "code": ln.code, "description": ln.description,
                  "quantity": ln.quantity, "unit": ln.unit, "unit_price": ln.unit_price,
                  "discount_percent": ln.discount_percent, "vat_rate": ln.vat_rate, "vat_category": ln.vat_category,
                  "cost_price": ln.cost_price, "origin": ln.origin_id} for ln in lines_of(inv.id)]
        adjustments = [{"is_charge": a.is_charge, "amount": a.amount, "vat_rate": a.vat_rate,
                        "vat_category": a.vat_category, "reason": a.reason} for a in adjustments_of(inv.id)
                       if a.vat_group is None]          # a contract's share comes from its ledger again
        refs = [{"kind": "invoice", "number": inv.number, "date": inv.date.isoformat(), "replaces": True}]
        refs += [r for r in json.loads(inv.source_refs or "[]") if r.get("kind") != "invoice" or r.get("deposit")]
        doc = drafts.make("invoice", inv.customer_id, lines, adjustments, type=inv.type, reference=inv.reference,
                          notes=inv.notes, source_refs=refs, currency=inv.currency, exchange_rate=inv.exchange_rate,
                          links=[("replaces", inv.id)] + [(link.role, link.target_id) for link in inv.links
                                                          if link.role in ("deducts_deposit", "bills")],
                          what=f"remplace {inv.number}, annulée par {cn.number}")
        ledger.settle(doc)
    return cn, get(doc.id)
