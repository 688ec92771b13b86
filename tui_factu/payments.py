"""Collecting payments (encaisser): one payment spread over invoices of a customer, partial
payments, overpayment kept as customer credit (cash: change given back), and cancellation as a
sealed counter-entry, never a delete. Every payment is a record of the `payment` chain.

The one balance is here: what a customer owes on a document is its TTC less what was prepaid
(BT-113: deposits, a ticket paid at the counter) less its payments — credit notes applied and
customer credit used being payments by another means (`balance`, and `owed_sql` for reports
that sum it over many documents); what falls due by a date follows the invoice's schedule
(`due_by`). Money moved between documents (customer credit used, a credit note applied) is
never counted as money received (`MONEY`)."""
from decimal import Decimal

from . import catalog, clock, journal, periods, permissions, settings
from .db import is_postgres, write
from .documents.queries import get, label
from .documents.status import transition
from .inputs import parse_date
from .session import current_user
from .errors import InvalidValue, NotFound, StateError
from .documents.kinds import PAYMENT_STATUSES
from .models import PAYMENT_METHODS, Customer, Document, Instalment, Payment, PaymentAllocation
from .money import ZERO, check_scale, fmt2, round_cents, sum_of, to_decimal

OPEN = ("validated", "partly_paid", "paid")
MONEY = ("cash", "card", "cheque", "transfer", "direct_debit")   # money in or out; "credit" and "credit_note" move it
# Code monétaire et financier, L112-6 and D112-3: no debt over 1 000 € paid in cash, 15 000 € for
# an individual whose tax home is abroad, paying for personal needs.
CASH_LIMIT, CASH_LIMIT_ABROAD = Decimal(1000), Decimal(15000)


def paid(doc_id: int) -> Decimal:
    return (PaymentAllocation.select(sum_of(PaymentAllocation.amount))
            .where(PaymentAllocation.document == doc_id).scalar())


def balance(doc: Document) -> Decimal:
    """What the customer still owes on a document: TTC − prepaid (BT-115 with its rounding)
    less what payments settled (money, a credit note applied, customer credit used)."""
    return doc.due - paid(doc.id)


def paid_sql():
    """A subquery (document_id, paid) for reports that sum balances over many documents."""
    return (PaymentAllocation.select(PaymentAllocation.document, sum_of(PaymentAllocation.amount).alias("paid"))
            .group_by(PaymentAllocation.document))


def euro_gap(where) -> dict:
    """method -> what the payments meeting `where` add in euros beyond their amounts: a payment of
    a foreign-currency invoice is in its currency, worth round(amount × rate) euros per
    allocation at the invoice's rate (as the FEC books it); 0 for payments in euros."""
    gap: dict = {}
    for method, amount, rate in (PaymentAllocation.select(Payment.method, PaymentAllocation.amount,
                                                          Document.exchange_rate)
                                 .join(Payment).switch(PaymentAllocation).join(Document)
                                 .where(where & Document.exchange_rate.is_null(False)).tuples()):
        gap[method] = gap.get(method, ZERO) + round_cents(amount * rate) - amount
    return gap


def due_by(doc: Document, on) -> Decimal:
    """What should have been paid on a document by `on`: its instalments due by then (the
    schedule), else all of it once its due date has come; less what was paid."""
    instalments = list(Instalment.select(Instalment.due_date, Instalment.amount)
                       .where(Instalment.document == doc.id).order_by(Instalment.position).tuples())
    left = paid(doc.id)
    if not instalments:
        return max(ZERO, doc.due - left) if doc.due_date is None or doc.due_date <= on else ZERO
    late = ZERO
    for d, amount in instalments:              # payments fill the instalments in order
        take = min(amount, max(ZERO, left))
        left -= take
        if d <= on:
            late += amount - take
    return late


def next_due_date(doc: Document):
    """The date of the first instalment not fully paid (filled in order), else the due date."""
    left = paid(doc.id)
    for d, amount in Instalment.select(Instalment.due_date, Instalment.amount).where(
            Instalment.document == doc.id).order_by(Instalment.position).tuples():
        if left < amount:
            return d
        left -= amount
    return doc.due_date


def credit(customer_id: int) -> Decimal:
    """Money received from the customer and not yet settling any invoice (credit notes apart):
    what an overpayment left, usable later by the method "credit"."""
    received = (Payment.select(sum_of(Payment.amount))
                .where((Payment.customer == customer_id) & (Payment.method != "credit")
                       & Payment.credit_note.is_null()).scalar())
    used = (PaymentAllocation.select(sum_of(PaymentAllocation.amount)).join(Payment)
            .where((Payment.customer == customer_id) & Payment.credit_note.is_null()).scalar())
    return received - used


def credit_note_left(doc: Document) -> Decimal:
    """What a credit note can still settle or refund: its total less what was applied to
    invoices (method credit_note, positive) and paid out (other methods, negative amounts).
    A counter-entry keeps its original's method with the opposite sign, so it gives back."""
    applied = (Payment.select(sum_of(Payment.amount))
               .where((Payment.credit_note == doc.id) & (Payment.method == "credit_note")).scalar())
    paid_out = (Payment.select(sum_of(Payment.amount))
                .where((Payment.credit_note == doc.id) & (Payment.method != "credit_note")).scalar())
    return doc.grand_total - applied + paid_out


def _lock(doc_ids) -> None:
    """Row locks on the documents a payment settles (PostgreSQL): two terminals paying the same
    invoice wait for each other instead of both allocating its balance."""
    if is_postgres() and doc_ids:
        list(Document.select(Document.id).where(Document.id.in_(sorted(doc_ids))).order_by(Document.id).for_update())


def _status_after(doc: Document) -> str:
    settled = paid(doc.id)
    if settled <= 0:
        return "validated"
    return "paid" if settled >= doc.due else "partly_paid"


def _refresh_statuses(doc_ids) -> None:
    """Payments move a document between validated, partly paid and paid; a ticket already
    invoiced on request keeps that status (its invoice carries what it was paid)."""
    for doc_id in doc_ids:
        doc = get(doc_id)
        new = _status_after(doc)
        if new != doc.status and doc.status in PAYMENT_STATUSES:
            transition(doc, new)


def _check_cash(customer: Customer, invoices, cash: Decimal) -> None:
    """The legal ceiling on cash: what these documents received in cash, this payment included."""
    abroad = customer.kind == "person" and (customer.country or "FR") != "FR"
    limit = CASH_LIMIT_ABROAD if abroad else CASH_LIMIT
    before = (PaymentAllocation.select(sum_of(PaymentAllocation.amount)).join(Payment)
              .where(PaymentAllocation.document.in_([i.id for i in invoices]) & (Payment.method == "cash"))
              .scalar())
    if before + cash > limit:
        raise InvalidValue("espèces", fmt2(before + cash),
                           f"paiement en espèces limité à {fmt2(limit)} € par dette (Code monétaire et financier, "
                           f"art. L112-6 et D112-3{' ; non-résident : 15 000 €' if abroad else ''}) — le reste par "
                           "carte, chèque ou virement")


def payload(p: Payment, allocations) -> dict:
    """What the seal covers; rebuilt from the rows by `verify`."""
    return {"format": 1, "date": p.date.isoformat() if hasattr(p.date, "isoformat") else str(p.date),
            "customer": p.customer.code, "method": p.method, "amount": fmt2(p.amount),
            "tendered": fmt2(p.tendered), "reference": p.reference, "bank": p.bank,
            "cancels": p.cancels.seq if p.cancels_id else None,
            "credit_note": p.credit_note.number if p.credit_note_id else None,
            "allocations": [{"invoice": a.document.number, "amount": fmt2(a.amount)} for a in allocations]}


def _record(fields: dict, allocations: list[tuple[Document, Decimal]]) -> Payment:
    """Seals and writes one payment; the chain's record number is the payment's number."""
    periods.check_open(fields["date"], "le règlement")
    journal.lock_chain("payment")                 # the number below is taken under the lock
    head = Payment.select(Payment.seq).order_by(Payment.seq.desc()).limit(1).scalar() or 0
    p = Payment(seq=head + 1, user=current_user(), **fields)
    rows = [PaymentAllocation(document=d, amount=a) for d, a in allocations]
    seq = journal.seal("payment", "payment", f"REG-{head + 1:06d}", payload(p, rows))
    p.seq = seq
    p.save(force_insert=True)
    for row in rows:
        row.payment = p
        row.save(force_insert=True)
    return p


# What a person types for a mode: the code, its French name, or a short form (accents ignored).
_SAID = {"especes": "cash", "esp": "cash", "liquide": "cash", "carte": "card", "cb": "card",
         "carte bancaire": "card", "cheque": "cheque", "chq": "cheque", "virement": "transfer", "vir": "transfer",
         "prelevement": "direct_debit", "prelevement sepa": "direct_debit", "avoir client": "credit",
         "credit client": "credit"}


def method_of(text: str) -> str:
    """« espèces », « Carte », « CB », « cash » → the mode's code; anything else is returned as
    typed, for the caller to refuse by name."""
    import unicodedata
    key = "".join(c for c in unicodedata.normalize("NFKD", str(text or "").strip().lower())
                  if not unicodedata.combining(c))
    return key if key in PAYMENT_METHODS else _SAID.get(key, str(text or "").strip())


def pay(invoice_ids, amount, method: str, date=None, reference: str = "", bank: str = "") -> dict:
    """Spreads `amount` over the listed invoices in order. Returns what happened, for display."""
    permissions.require("payment.collect")
    amount = check_scale(to_decimal(amount, "montant"), 2, "montant")
    if amount <= 0:
        raise InvalidValue("montant", amount, "doit être positif")
    method = method_of(method)
    if method not in PAYMENT_METHODS or method == "writeoff":
        raise InvalidValue("--method", method, "modes : " + ", ".join(m for m in PAYMENT_METHODS if m != "writeoff"))
    date = parse_date(date or clock.today())
    reference = catalog.clean_text("--reference", reference, 60)     # printed on receipts: no control codes
    bank = catalog.clean_text("--bank", bank, 60)
    if not invoice_ids:
        raise InvalidValue("factures", None, "au moins une facture à régler")
    with write():
        _lock(invoice_ids)
        invoices = [get(i) for i in invoice_ids]
        for inv in invoices:
            if inv.kind not in ("invoice", "receipt") or inv.status not in OPEN:
                raise StateError(f"{label(inv)} n'est pas une facture validée : rien à encaisser",
                                 "facture", label(inv))
        if len({inv.customer_id for inv in invoices}) > 1:
            raise InvalidValue("factures", ", ".join(i.number for i in invoices),
                               "un règlement ne couvre que les factures d'un même client")
        # A payment is in the currency of what it settles (balance in that currency); the
        # customer's credit is in euros, so a foreign-currency payment never turns into it.
        currencies = {inv.currency for inv in invoices}
        if len(currencies) > 1:
            raise InvalidValue("factures", ", ".join(f"{i.number} ({i.currency})" for i in invoices),
                               "un règlement ne couvre que des factures d'une même devise")
        foreign = currencies != {"EUR"}
        if foreign and (method == "credit" or amount > sum((balance(i) for i in invoices), ZERO)):
            raise InvalidValue("montant", fmt2(amount),
                               f"règlement en {invoices[0].currency} : au plus le reste dû, ni crédit client "
                               "ni trop-perçu (le crédit client est en euros)")
        customer = Customer.get_by_id(invoices[0].customer_id)
        if method == "credit" and amount > credit(customer.id):
            raise InvalidValue("montant", fmt2(amount),
                               f"dépasse le crédit du client ({fmt2(credit(customer.id))})")
        left, allocations = amount, []
        for inv in invoices:
            take = min(balance(inv), left)
            if take > 0:
                allocations.append((inv, take))
                left -= take
        if not allocations:
            raise StateError("ces factures sont déjà réglées", "factures", ", ".join(i.number for i in invoices))
        change = ZERO
        kept = amount
        if left > 0 and method in ("cash", "credit"):
            change, kept = (left, amount - left) if method == "cash" else (ZERO, amount - left)
        if method == "cash":
            _check_cash(customer, invoices, kept)
        p = _record({"customer": customer.id, "date": date, "method": method, "amount": kept,
                     "tendered": amount if method == "cash" else None, "reference": reference,
                     "bank": bank}, allocations)
        _refresh_statuses([inv.id for inv, _ in allocations])
        return {"payment": p.seq, "amount": kept, "change": change,
                "credit": credit(customer.id), "allocations": [(inv.number, a) for inv, a in allocations]}


def writeoff(doc_id: int, reason: str = "") -> dict:
    """Writes off what a customer still owes on an invoice (passage en pertes) when it is small
    (`writeoff.max_amount`): an allocation of the method "writeoff", sealed in the payment chain
    like any payment (cancelled the same way), in the FEC against the bad-debts account."""
    permissions.require("payment.writeoff")
    reason = catalog.clean_text("--reason", reason, 60)
    with write():
        _lock([doc_id])
        inv = get(doc_id)
        if inv.kind != "invoice" or inv.status not in OPEN:
            raise StateError(f"{label(inv)} n'est pas une facture validée : rien à passer en pertes",
                             "facture", label(inv))
        left = balance(inv)
        if left <= 0:
            raise StateError(f"{inv.number} est déjà réglée : rien à passer en pertes", "facture", inv.number)
        ceiling = to_decimal(settings.get("writeoff.max_amount"), "writeoff.max_amount")
        if left > ceiling:
            raise InvalidValue("reste dû", fmt2(left), f"{inv.number} : au-delà du plafond de passage en pertes "
                               f"({fmt2(ceiling)} €, réglage writeoff.max_amount) : relancez ou faites un avoir")
        p = _record({"customer": inv.customer_id, "date": clock.today(), "method": "writeoff", "amount": left,
                     "tendered": None, "reference": reason or "passage en pertes", "bank": ""}, [(inv, left)])
        _refresh_statuses([inv.id])
        return {"payment": p.seq, "invoice": inv.number, "amount": left}


def cancel(seq: int, reason: str = "") -> dict:
    """A counter-entry that reverses a payment and its allocations; the original stays."""
    permissions.require("payment.cancel")
    reason = catalog.clean_text("--reference", reason, 60)
    with write():
        journal.lock_chain("payment")             # a payment is cancelled once, whoever asks
        original = Payment.get_or_none(Payment.seq == seq)
        if original is None:
            raise NotFound(f"règlement inconnu « {seq} »", "règlement", seq)
        if original.cancels_id or Payment.get_or_none(Payment.cancels == original.id):
            raise StateError(f"le règlement n° {seq} est déjà une annulation ou déjà annulé",
                             "règlement", seq)
        allocations = [(a.document, -a.amount) for a in original.allocations]
        for doc, _ in allocations:
            if doc.status == "invoiced":          # its invoice says it was paid (BT-113): that stands
                raise StateError(f"le règlement n° {seq} paie le ticket {doc.number}, facturé depuis : faites un avoir "
                                 "sur la facture plutôt", "règlement", seq)
        p = _record({"customer": original.customer_id, "date": clock.today(), "method": original.method,
                     "amount": -original.amount, "tendered": None, "reference": reason[:60] or f"annule {seq}",
                     "bank": "", "cancels": original.id, "credit_note": original.credit_note_id}, allocations)
        _refresh_statuses([d.id for d, _ in allocations])
        return {"payment": p.seq, "cancels": seq}


def apply_credit(credit_id: int, invoice_id: int, amount=None) -> dict:
    """Settles an open invoice with a credit note of the same customer (whole or in part)."""
    permissions.require("payment.collect")
    with write():
        _lock([credit_id, invoice_id])
        cn, inv = get(credit_id), get(invoice_id)
        if cn.kind != "credit_note" or cn.status == "draft":
            raise StateError(f"{label(cn)} n'est pas un avoir validé", "avoir", label(cn))
        if inv.kind != "invoice" or inv.status not in OPEN:
            raise StateError(f"{label(inv)} n'est pas une facture validée", "facture", label(inv))
        if cn.customer_id != inv.customer_id:
            raise InvalidValue("avoir", cn.number, "l'avoir et la facture doivent être du même client")
        left, owed = credit_note_left(cn), balance(inv)
        if left <= 0:
            raise StateError(f"l'avoir {cn.number} est entièrement utilisé", "avoir", cn.number)
        if owed <= 0:
            raise StateError(f"{inv.number} est déjà réglée", "facture", inv.number)
        use = min(left, owed) if amount is None else check_scale(to_decimal(amount, "montant"), 2, "montant")
        if use <= 0 or use > left or use > owed:
            raise InvalidValue("montant", fmt2(use), f"entre 0,01 et {fmt2(min(left, owed))} "
                               f"(reste de l'avoir {fmt2(left)}, reste dû {fmt2(owed)})")
        p = _record({"customer": cn.customer_id, "date": clock.today(), "method": "credit_note", "amount": use,
                     "tendered": None, "reference": cn.number, "bank": "", "credit_note": cn.id}, [(inv, use)])
        _refresh_statuses([inv.id])
        return {"payment": p.seq, "amount": use, "left": credit_note_left(cn), "balance": balance(get(inv.id))}


def refund(credit_id: int, amount, method: str) -> dict:
    """Pays out (part of) what remains of a credit note: money leaving, sealed like any payment."""
    permissions.require("payment.collect")
    method = method_of(method)
    if method not in ("cash", "card", "cheque", "transfer"):
        raise InvalidValue("--method", method, "espèces, carte, chèque ou virement (cash, card, cheque, transfer)")
    with write():
        _lock([credit_id])
        cn = get(credit_id)
        if cn.kind != "credit_note" or cn.status == "draft":
            raise StateError(f"{label(cn)} n'est pas un avoir validé", "avoir", label(cn))
        left = credit_note_left(cn)
        out = left if amount is None else check_scale(to_decimal(amount, "montant"), 2, "montant")
        if out <= 0 or out > left:
            raise InvalidValue("montant", fmt2(out), f"entre 0,01 et le reste de l'avoir ({fmt2(left)})")
        p = _record({"customer": cn.customer_id, "date": clock.today(), "method": method, "amount": -out,
                     "tendered": None, "reference": f"remboursement {cn.number}", "bank": "",
                     "credit_note": cn.id}, [])
        return {"payment": p.seq, "amount": out, "left": credit_note_left(cn)}


def of_invoice(doc_id: int) -> list[dict]:
    rows = (PaymentAllocation.select(PaymentAllocation, Payment).join(Payment)
            .where(PaymentAllocation.document == doc_id).order_by(Payment.seq))
    return [{"payment": a.payment.seq, "date": a.payment.date.isoformat(), "method": a.payment.method,
             "amount": fmt2(a.amount), "reference": a.payment.reference} for a in rows]


def payloads():
    """(ref, payload) of every payment as its rows are now (for `verify`)."""
    allocations: dict[int, list] = {}
    for a in PaymentAllocation.select().order_by(PaymentAllocation.id):
        allocations.setdefault(a.payment_id, []).append(a)
    for p in Payment.select().order_by(Payment.seq):
        yield p.seq, f"REG-{p.seq:06d}", payload(p, allocations.get(p.id, []))
