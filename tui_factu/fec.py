"""The accountant's export in the FEC layout (LPF A47 A-1): the 18 fields in order, tab or pipe
separated, one file per fiscal year named <SIREN>FEC<YYYYMMDD>.txt. Three journals: sales (each
invoice, ticket and credit note as one balanced entry, PieceRef = its number), receipts (each
payment) and miscellaneous operations (each write-off of a small balance). Lines are summed by
SQL per document, account and side; debit equals credit for every entry by construction.
Account numbers come from the settings (fec.account.*). The customer account's lines of an
invoice and of the payments that settled it carry the same letters (EcritureLet, DateLet)."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

from peewee import JOIN, SQL, fn

from . import catalog, files, journal, payments, permissions, settings
from .documents.queries import sold
from .errors import InvalidValue
from .models import (PAYMENT_METHODS, Customer, Document, DocumentAdjustment, DocumentLine, DocumentVat, Payment,
                     PaymentAllocation, Progress)
from .money import ZERO, round_cents, sum_of

FIELDS = ("JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
          "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
          "ValidDate", "Montantdevise", "Idevise")
# role -> (setting key, default account, label)
ACCOUNTS = {
    "customer": ("fec.account.customer", "Clients"),
    "goods": ("fec.account.goods", "Ventes de marchandises"),
    "services": ("fec.account.services", "Prestations de services"),
    "deposit": ("fec.account.deposit", "Clients - avances et acomptes reçus"),
    "retention": ("fec.account.retention", "Clients - retenues de garantie"),
    "allowance": ("fec.account.allowance", "Rabais, remises et ristournes accordés"),
    "charge": ("fec.account.charge", "Ports et frais accessoires facturés"),
    "rounding_gain": ("fec.account.rounding_gain", "Produits divers de gestion courante"),
    "rounding_loss": ("fec.account.rounding_loss", "Charges diverses de gestion courante"),
    "vat": ("fec.account.vat", "TVA collectée"),
    "bank": ("fec.account.bank", "Banque"),
    "cash": ("fec.account.cash", "Caisse"),
    "writeoff": ("fec.account.writeoff", "Pertes sur créances irrécouvrables"),
}
JOURNALS = {"sales": ("VT", "Ventes"), "receipts": ("BQ", "Encaissements"), "writeoffs": ("OD", "Opérations diverses")}
# payments whose entry credits the customer's account: money received, and a write-off
LETTERED = (*payments.MONEY, "writeoff")


def account(role: str) -> tuple[str, str]:
    key, label = ACCOUNTS[role]
    return settings.get(key) or settings.KNOWN[key][2], label


def vat_account(rate: Decimal) -> str:
    """The collected-VAT account of a rate: the setting fec.account.vat.<rate> if any, else the
    VAT account with the rate appended (4457120 for 20 %, 44571055 for 5.5 %)."""
    tag = format(rate.normalize(), "f").replace(".", "")
    key = f"fec.account.vat.{tag}"
    own = settings.get(key) if key in settings.KNOWN else ""
    return own or account("vat")[0] + tag


def _field(text) -> str:
    """A text field: a tab, a pipe or a line break inside it would shift every field after."""
    return " ".join(str(text or "").replace("|", " ").split())


def _amount(d: Decimal) -> str:
    return f"{d:.2f}".replace(".", ",")


def _day(d) -> str:
    return (d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)[:10])).strftime("%Y%m%d")


def export(year: int, directory: str = ".", separator: str = "\t") -> dict:
    """Writes the year's FEC; returns its path and the number of entries per journal."""
    permissions.require("archive")
    if separator not in ("\t", "|"):
        raise InvalidValue("--separator", separator, "tabulation ou |")
    if not isinstance(year, int) or not 2000 <= year <= 2099:
        raise InvalidValue("exercice", year, "année entre 2000 et 2099 attendue")
    company = catalog.company()
    if not company.siren:
        raise InvalidValue("société.siren", None, "le FEC porte le SIREN dans son nom : renseignez-le")
    start, end = dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
    path = Path(files.check_folder(directory, "FEC", "-o")) / f"{company.siren}FEC{_day(end)}.txt"
    counts = {"sales": 0, "receipts": 0, "writeoffs": 0}
    letters = lettering()
    with files.writing(path, "FEC", "-o", "w", encoding="utf-8", newline="\r\n") as f:
        f.write(separator.join(FIELDS) + "\n")

        def write(journal_key, n, date, acc, acc_label, aux, aux_label, ref, label, signed, valid, let=None,
                  devise=None):
            code, jlabel = JOURNALS[journal_key]
            debit, credit = (signed, ZERO) if signed >= 0 else (ZERO, -signed)
            letter, day = let or ("", None)
            f.write(separator.join([code, jlabel, f"{code}{n:06d}", _day(date), acc, _field(acc_label),
                                    _field(aux), _field(aux_label), _field(ref), _day(date),
                                    _field(label)[:100],
                                    _amount(debit), _amount(credit), letter, _day(day) if day else "",
                                    _day(valid), _amount(abs(devise[0])) if devise else "",
                                    devise[1] if devise else ""]) + "\n")
        counts["sales"] = _sales(write, sold(start, end), letters)
        counts["receipts"] = _receipts(write, start, end, letters)
        counts["writeoffs"] = _writeoffs(write, start, end, letters)
    journal.event("export", {"format": "FEC", "year": int(year), "file": path.name, **counts})
    return {"path": str(path), **counts}


def _by_document(query) -> dict:
    out: dict = {}
    for doc, *rest in query.tuples():
        out.setdefault(doc, []).append(rest)
    return out


def _letters(n: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: the letters of a lettering group."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def lettering() -> dict:
    """EcritureLet and DateLet of the customer account's lines, from the allocations: an invoice
    and the payments that settled it — a payment over several invoices joins them in one
    group, a cancelled payment and its counter-entry stay in it and sum to nothing — get the
    same letters when their lines on the customer account balance to zero, dated the day of
    the group's last payment. The letters come from the group's first payment number, so every
    export gives a group the same ones. A group with a credit note applied or customer credit
    used (no line on the customer account here) stays unlettered, as does an invoice not paid
    in full. Returns {("doc", id) | ("pay", id): (letters, date)}."""
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x
    for pid, did in PaymentAllocation.select(PaymentAllocation.payment, PaymentAllocation.document).tuples():
        a, b = find(("pay", pid)), find(("doc", did))
        if a != b:
            parent[a] = b
    allocated = PaymentAllocation.select(PaymentAllocation.document)
    docs = {i: (-1 if kind == "credit_note" else 1) * (total + rounding)
            for i, kind, total, rounding in Document.select(Document.id, Document.kind, Document.grand_total,
                                                            Document.rounding)
            .where(Document.id.in_(allocated) & (Document.status != "draft")).tuples()}
    pays = {i: rest for i, *rest in Payment.select(Payment.id, Payment.seq, Payment.date, Payment.method, Payment.amount)
            .where(Payment.id.in_(PaymentAllocation.select(PaymentAllocation.payment))).tuples()}
    groups: dict = {}
    for node in list(parent):
        groups.setdefault(find(node), []).append(node)
    out = {}
    for members in groups.values():
        left, seqs, days = ZERO, [], []
        for kind, i in members:
            if kind == "doc":
                if i not in docs:
                    break
                left += docs[i]
            else:
                seq, day, method, amount = pays[i]
                if method not in LETTERED:
                    break
                left -= amount
                seqs.append(seq)
                days.append(day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day)[:10]))
        else:
            if left == 0 and seqs:
                let = (_letters(min(seqs)), max(days))
                out.update({m: let for m in members})
    return out


def _sales(write, where, letters) -> int:
    """One entry per sold document: the customer debited what it owes, revenue and VAT credited
    (a credit note the other way round). Each line goes to the account of what it is: goods,
    services, a deposit (invoiced or deducted), a retention held back or released."""
    # a line's role in a situation, or that of the line it credits (joined, not a subquery per
    # line: PostgreSQL refuses to group by a subquery that reads the line; '' inlined, so that
    # the grouped expression is the selected one)
    own, credited = Progress.alias("own"), Progress.alias("credited")
    role_of = fn.COALESCE(own.role, credited.role, SQL("''"))
    docs = list(Document.select(Document.id, Document.kind, Document.type, Document.number, Document.date,
                                Document.grand_total, Document.rounding, Customer.code, Customer.name,
                                Document.validated_at, Document.currency, Document.exchange_rate,
                                Document.grand_total_eur)
                .join(Customer, on=(Document.customer == Customer.id)).where(where)
                .order_by(Document.date, Document.number).tuples())
    ids = [d[0] for d in docs] or [0]
    kinds = _by_document(DocumentLine.select(DocumentLine.document, DocumentLine.kind, role_of.alias("role"),
                                             Document.type, sum_of(DocumentLine.net_amount))
                         .join(Document).switch(DocumentLine)
                         .join(own, JOIN.LEFT_OUTER, on=(own.line == DocumentLine.id))
                         .join(credited, JOIN.LEFT_OUTER, on=(credited.line == DocumentLine.origin))
                         .where(DocumentLine.document.in_(ids) & DocumentLine.net_amount.is_null(False))
                         .group_by(DocumentLine.document, DocumentLine.kind, role_of, Document.type,
                                   DocumentLine.net_amount < 0))
    adjs = _by_document(DocumentAdjustment.select(DocumentAdjustment.document, DocumentAdjustment.is_charge,
                                                  sum_of(DocumentAdjustment.amount))
                        .where(DocumentAdjustment.document.in_(ids))
                        .group_by(DocumentAdjustment.document, DocumentAdjustment.is_charge))
    vats = _by_document(DocumentVat.select(DocumentVat.document, DocumentVat.rate, sum_of(DocumentVat.amount),
                                           sum_of(DocumentVat.amount_eur))
                        .where(DocumentVat.document.in_(ids)).group_by(DocumentVat.document, DocumentVat.rate))
    n = 0
    for doc_id, kind, type_, number, date, total, rounding, code, name, validated, currency, rate, total_eur in docs:
        n += 1
        sign = -1 if kind == "credit_note" else 1
        label = f"{ {'credit_note': 'Avoir', 'receipt': 'Ticket'}.get(kind, 'Facture')} {number} {name}"[:100]
        valid = validated or date
        acc, acc_label = account("customer")
        rows = [(acc, acc_label, code, name, sign * (total + rounding), letters.get(("doc", doc_id)), None)]
        for line_kind, role, doc_type, net in kinds.get(doc_id, ()):
            target = ("deposit" if doc_type == "deposit" or role == "deposit" or (net < 0 and not role)
                      else "retention" if role in ("retention", "release")
                      else "goods" if line_kind == "goods" else "services")
            rows.append((*account(target), "", "", -sign * net, None, None))
        for is_charge, amount in adjs.get(doc_id, ()):
            rows.append((*account("charge" if is_charge else "allowance"), "", "", -sign * (amount if is_charge else -amount),
                         None, None))
        for vat_rate, amount, amount_eur in vats.get(doc_id, ()):
            if amount:
                rows.append((vat_account(vat_rate), f"TVA collectée {vat_rate.normalize():f} %", "", "", -sign * amount,
                             None, -sign * amount_eur))
        if rounding:
            rows.append((*account("rounding_gain" if rounding > 0 else "rounding_loss"), "", "", -sign * rounding,
                         None, None))
        if rate:
            rows = _in_euros(rows, rate, sign * total_eur + round_cents(sign * rounding * rate))
        for a, a_label, aux, aux_label, signed, let, eur in rows:
            write("sales", n, date, a, a_label, aux, aux_label, number, label, eur if rate else signed, valid, let,
                  (signed, currency) if rate else None)
    return n


def _in_euros(rows, rate: Decimal, customer: Decimal) -> list:
    """A foreign-currency entry booked in euros: the customer at the document's euro total, the
    VAT at its stored euro figures (BT-111), the other lines converted at the document's rate,
    the last one taking the cent that keeps the entry balanced."""
    first, *rest = rows
    vat = [r for r in rest if r[6] is not None]
    converted = [(*r[:6], round_cents(r[4] * rate)) for r in rest if r[6] is None]
    if converted:
        gap = -(customer + sum((r[6] for r in vat), ZERO) + sum((r[6] for r in converted), ZERO))
        converted[-1] = (*converted[-1][:6], converted[-1][6] + gap)
    return [(*first[:6], customer)] + converted + vat


def _receipts(write, start, end, letters) -> int:
    """One entry per payment of money (cash to the till, the rest to the bank) against the
    customer; credit notes applied and customer credit used move no money and are left out."""
    n = 0
    refs = _by_document(PaymentAllocation.select(PaymentAllocation.payment, Document.number)
                        .join(Document).join_from(PaymentAllocation, Payment)
                        .where(Payment.date.between(start, end)))
    foreign = _by_document(PaymentAllocation.select(PaymentAllocation.payment, PaymentAllocation.amount,
                                                    Document.currency, Document.exchange_rate)
                           .join(Document).join_from(PaymentAllocation, Payment)
                           .where(Payment.date.between(start, end) & Document.exchange_rate.is_null(False)))
    for pid, seq, date, method, amount, code, name, created in (
            Payment.select(Payment.id, Payment.seq, Payment.date, Payment.method, Payment.amount, Customer.code,
                           Customer.name, Payment.created_at)
            .join(Customer).where(Payment.date.between(start, end)
                                  & Payment.method.in_(payments.MONEY))
            .order_by(Payment.seq).tuples()):
        n += 1
        ref = f"REG-{seq:06d}"
        label = (f"{PAYMENT_METHODS[method]} {name} " + " ".join(r[0] for r in refs.get(pid, ())))[:100]
        money, money_label = account("cash" if method == "cash" else "bank")
        cust, cust_label = account("customer")
        devise, eur = None, amount
        if pid in foreign:    # paid in the invoice's currency: booked at the invoice's rate
            eur = sum((round_cents(a * r) for a, _c, r in foreign[pid]), ZERO)
            devise = (amount, foreign[pid][0][1])
        write("receipts", n, date, money, money_label, "", "", ref, label, eur, created, None, devise)
        write("receipts", n, date, cust, cust_label, code, name, ref, label, -eur, created, letters.get(("pay", pid)),
              devise and (-amount, devise[1]))
    return n


def _writeoffs(write, start, end, letters) -> int:
    """One entry per write-off (a counter-entry the other way round): the bad-debts account
    debited, the customer credited."""
    n = 0
    refs = _by_document(PaymentAllocation.select(PaymentAllocation.payment, Document.number)
                        .join(Document).join_from(PaymentAllocation, Payment)
                        .where(Payment.date.between(start, end) & (Payment.method == "writeoff")))
    for pid, seq, date, amount, code, name, created in (
            Payment.select(Payment.id, Payment.seq, Payment.date, Payment.amount, Customer.code, Customer.name,
                           Payment.created_at)
            .join(Customer).where(Payment.date.between(start, end) & (Payment.method == "writeoff"))
            .order_by(Payment.seq).tuples()):
        n += 1
        ref = f"REG-{seq:06d}"
        label = (f"{PAYMENT_METHODS['writeoff']} {name} " + " ".join(r[0] for r in refs.get(pid, ())))[:100]
        loss, loss_label = account("writeoff")
        cust, cust_label = account("customer")
        write("writeoffs", n, date, loss, loss_label, "", "", ref, label, amount, created)
        write("writeoffs", n, date, cust, cust_label, code, name, ref, label, -amount, created, letters.get(("pay", pid)))
    return n
