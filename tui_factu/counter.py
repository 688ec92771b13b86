"""The counter sale (vente comptoir): codes in, payment, a validated and sealed document, stock
moved, in one transaction. A walk-in customer gets a ticket in its own series; a known business
customer gets an invoice at once. Nothing is written if the payment does not cover the sale."""
from decimal import Decimal

from . import catalog, clock, payments
from .documents import drafts, flow, queries
from .db import write
from .errors import InvalidValue
from .models import PAYMENT_METHODS, Customer
from .money import QUANTITY_SCALE, ZERO, check_scale, to_decimal

WALK_IN = "COMPTOIR"


def walk_in() -> Customer:
    c = Customer.get_or_none(Customer.code == WALK_IN)
    return c or catalog.save_customer({"code": WALK_IN, "name": "Client comptoir", "kind": "person"})


def read_scan(text: str):
    """What a clerk types or scans where a code goes (the counter, the editor): 'VIS',
    '3*VIS' or 'VIS*3' (three of them), a barcode for the code. -> (product or None, quantity
    or None when none was typed, the code as typed). A barcode is digits too: '3*376…' and
    '376…*3' both mean three, the side that is a product being the code. A bad quantity is
    refused; an unknown code is not (None: the caller says so where it was typed)."""
    text = (text or "").strip()
    if "*" not in text:
        return catalog.product_by_scan(text), None, text
    left, _, right = (part.strip() for part in text.partition("*"))
    readings = [(code, qty) for qty, code in ((left, right), (right, left)) if _is_number(qty) and code]
    if not readings:
        raise InvalidValue("quantité", text, "3*CODE ou CODE*3 attendu")
    for code, qty in readings:
        product = catalog.product_by_scan(code)
        if product is not None:
            return product, _quantity(qty, text), code
    code, qty = readings[0]
    return None, _quantity(qty, text), code


def _is_number(text: str) -> bool:
    try:
        to_decimal(text, "quantité")
    except InvalidValue:
        return False
    return True


def _quantity(text: str, typed: str) -> Decimal:
    quantity = check_scale(to_decimal(text, "quantité"), QUANTITY_SCALE, "quantité")
    if quantity <= 0:
        raise InvalidValue("quantité", typed, "doit être positive")
    return quantity


def parse_items(specs) -> list[dict]:
    """['VIS', 'LIVRE:2', '3*VIS'] -> lines; a code may be a barcode."""
    lines = []
    for spec in specs:
        code, _, qty = str(spec).partition(":")
        product, typed, code = read_scan(code)
        if product is None:
            raise InvalidValue("article", code, "code ou code-barres inconnu")
        lines.append({"product": product.code, "quantity": qty or str(typed or 1)})
    if not lines:
        raise InvalidValue("articles", None, "au moins un article")
    return lines


def parse_payments(specs) -> list[tuple[str, Decimal]]:
    """['cash:50', 'carte:12,40'] -> [(method, amount)]"""
    out = []
    for spec in specs:
        said, _, amount = str(spec).partition(":")
        method = payments.method_of(said)
        if method not in PAYMENT_METHODS or method in ("credit", "credit_note", "writeoff", "direct_debit"):
            raise InvalidValue("--pay", spec, "MODE:MONTANT avec espèces, carte, chèque ou virement "
                                              "(ou cash, card, cheque, transfer)")
        value = check_scale(to_decimal(amount, "--pay"), 2, "--pay")
        if value <= 0:
            raise InvalidValue("--pay", spec, "montant positif attendu")
        out.append((method, value))
    if not out:
        raise InvalidValue("--pay", None, "au moins un paiement (ex. cash:20)")
    return out


def sale(lines: list[dict], pays: list[tuple[str, Decimal]], customer: str | None = None) -> dict:
    with write():
        cust = catalog.customer_by_code(customer) if customer else walk_in()
        kind = "invoice" if cust.kind != "person" and cust.code != WALK_IN else "receipt"
        doc = flow.validate(drafts.create(kind, cust.code, clock.today(), lines).id)
        total = doc.due
        given = sum((a for _, a in pays), ZERO)
        if given < total:
            raise InvalidValue("paiement", str(given), f"insuffisant : {total} à payer")
        left, change = total, ZERO
        for i, (method, amount) in enumerate(pays):
            if left <= 0:
                raise InvalidValue("paiement", f"{method}:{amount}", "de trop : la vente est déjà payée")
            if method != "cash" and amount > left:
                raise InvalidValue("paiement", f"{method}:{amount}", f"dépasse le reste à payer ({left})")
            done = payments.pay([doc.id], amount, method)
            change += done["change"]
            left -= done["amount"]
        return {"document": queries.get(doc.id), "total": total, "change": change}


def refund_method(ticket) -> str:
    """The way the customer paid the ticket (the first payment's method), cash otherwise."""
    from .models import Payment, PaymentAllocation
    row = (Payment.select(Payment.method).join(PaymentAllocation)
           .where((PaymentAllocation.document == ticket.id) & (Payment.amount > 0)
                  & (Payment.method.in_(("cash", "card", "cheque", "transfer"))))
           .order_by(Payment.seq).first())
    return row.method if row else "cash"


def return_sale(ticket_ref: str, quantities: dict | None = None, method: str | None = None,
                restock: bool = True) -> dict:
    """A return at the counter: a credit note on the ticket (whole: the sale is voided; chosen
    lines and quantities: a return), the goods back in stock, the money paid back. Sealed
    counter-entries in one transaction; the ticket itself never changes."""
    with write():
        ticket = queries.resolve(ticket_ref)
        if ticket.kind not in ("receipt", "invoice") or ticket.status == "draft":
            raise InvalidValue("ticket", ticket_ref, "ticket ou facture validé attendu")
        credit = flow.validate(flow.credit(ticket.id, quantities, restock).id)
        method = payments.method_of(method) if method else refund_method(ticket)
        done = payments.refund(credit.id, None, method)
    return {"credit_note": credit, "refunded": done["amount"], "method": method}
