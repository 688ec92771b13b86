"""What a printed document says: the frozen parties, the stored lines and totals, and every
mention the law asks for (legal-fr.md §1). PDF, Factur-X and thermal slips all render this;
none of them reads the database or computes a figure."""
import json
from dataclasses import dataclass, field
from decimal import Decimal

from . import bank, catalog, einvoicing, fr, payments, schedules, sepa, settings, situations
from . import terms as terms_mod
from .documents import queries
from .catalog import UNITS
from .models import Customer, Document, Milestone, User
from .documents.kinds import PRICED_LINE_KINDS
from .ledger import DEDUCTIONS
from .money import ZERO
from .totals import VAT_CATEGORIES, deducted_vat, exemption

TITLES = {"quote": "DEVIS", "order": "BON DE COMMANDE", "delivery": "BON DE LIVRAISON",
          "invoice": "FACTURE", "credit_note": "AVOIR", "receipt": "TICKET DE CAISSE"}
TYPE_TITLES = {"deposit": "FACTURE D'ACOMPTE", "progress": "FACTURE DE SITUATION",
               "final": "FACTURE DE SOLDE", "retention": "FACTURE DE RETENUE DE GARANTIE"}
# UNTDID 1001 (BT-3)
TYPE_CODES = {"standard": "380", "deposit": "386", "progress": "380", "final": "380", "retention": "380"}
INVOICE_KINDS = ("invoice", "credit_note")


@dataclass
class Line:
    position: int
    kind: str
    description: str
    code: str = ""
    quantity: Decimal | None = None
    unit: str = "C62"
    unit_price: Decimal | None = None
    discount_percent: Decimal = ZERO
    vat_rate: Decimal | None = None
    vat_category: str | None = None
    net_amount: Decimal | None = None
    subtotal: Decimal | None = None        # on subtotal lines
    remaining: Decimal | None = None       # delivery notes: still to deliver on the order
    barcode: str = ""
    progress: dict | None = None           # situations: contract_amount, previous/current %, previous amount
    gross_amount: Decimal | None = None    # counter tickets: the line TTC (a consumer reads TTC prices)
    gross_price: Decimal | None = None     # counter tickets: the unit price TTC

    @property
    def unit_label(self) -> str:
        return UNITS.get(self.unit, self.unit)


@dataclass
class Printed:
    id: int
    kind: str
    type: str
    title: str
    number: str | None
    status: str
    date: object
    due_date: object
    validity_date: object
    seller: dict
    customer: dict
    delivery_address: dict | None
    reference: str
    notes: str
    source_refs: list
    preceding: dict | None
    lines: list
    allowances: list
    charges: list
    vat: list                               # dicts: category, rate, basis, amount, label, exemption
    totals: dict                            # BT-106..BT-115, Decimals
    terms: object                           # terms.Term the invoice was issued under (BT-20, AAB)
    mentions: list = field(default_factory=list)
    draft: bool = False
    duplicate: bool = False
    type_code: str = "380"
    logo: str = ""                          # presentation only: the current company setting
    payments: list = field(default_factory=list)   # (method label, amount, tendered) for tickets
    situation: dict | None = None           # situations: n°, contract, retention (see situations.view)
    schedule: str = ""                      # the invoice's instalments as printed (schedules.terms_text)
    next_due: object = None                 # the first instalment not fully paid (BT-9)
    payment_notes: dict = field(default_factory=dict)   # AAB, PMD, PMT -> text (payment_notes)
    mandate: dict | None = None                         # rum, iban, creditor_id: paid by SEPA direct debit
    payment_reference: str = ""                         # RF creditor reference (bank.payment_reference)
    supply: set = field(default_factory=set)            # line kinds supplied (supply_kinds)
    settled: list = field(default_factory=list)         # payments received: date, method, label, amount, ticket
    backorder: list = field(default_factory=list)       # delivery notes: order lines not on it, still to deliver
    left: Decimal | None = None                          # what the customer still owes (payments.balance)
    currency: str = "EUR"                                # BT-5; amounts are in it
    exchange_rate: Decimal | None = None                 # euros per unit, another currency only
    totals_eur: dict | None = None                       # tax_basis_total, tax_total (BT-111), grand_total
    sold_at: str = ""                                    # counter tickets: « 01/12/2026 à 14:05 »
    cashier: str = ""                                    # counter tickets: who sold (full name, else login)

    @property
    def is_invoice(self) -> bool:
        return self.kind in INVOICE_KINDS

    @property
    def reference_label(self) -> str:
        return self.number or f"brouillon #{self.id}"

    @property
    def paid_at_issue(self) -> bool:
        """Paid before it was issued: an invoice of counter tickets (BT-113 = BT-112)."""
        t = self.totals
        return self.kind == "invoice" and t["grand_total"] > 0 and t["prepaid"] >= t["grand_total"]

    @property
    def paid_in_full(self) -> bool:
        return (self.left is not None and self.left <= 0 and self.totals["grand_total"] > 0
                and (bool(self.settled) or self.paid_at_issue))


def view(doc: Document | int, duplicate: bool = False) -> Printed:
    if isinstance(doc, int):
        doc = queries.get(doc)
    lines = queries.lines_of(doc.id)
    if doc.customer_snapshot:
        customer = json.loads(doc.customer_snapshot)
    else:
        customer = catalog.customer_snapshot(Customer.get_by_id(doc.customer_id))
    seller = _completed(json.loads(doc.seller_snapshot), doc.kind) if doc.seller_snapshot else catalog.company_snapshot()
    subtotals = _subtotals(lines)
    remaining, backorder = _order_remaining(lines) if doc.kind == "delivery" else ({}, [])
    barcodes = _barcodes(lines)
    out_lines = [Line(ln.position, ln.kind, ln.description, ln.code, ln.quantity, ln.unit,
                      ln.unit_price, ln.discount_percent or ZERO, ln.vat_rate, ln.vat_category,
                      ln.net_amount, subtotals.get(ln.position), remaining.get(ln.id),
                      barcodes.get(ln.product_id, "")) for ln in lines]
    adjs = queries.adjustments_of(doc.id)
    vat = [{"category": v.category, "rate": v.rate, "basis": v.basis, "amount": v.amount,
            "label": VAT_CATEGORIES.get(v.category, v.category),
            "exemption": exemption(v.category, seller), "basis_eur": v.basis_eur, "amount_eur": v.amount_eur}
           for v in queries.vat_of(doc.id)]
    preceding = None
    if doc.preceding_id:
        p = queries.get(doc.preceding_id)
        preceding = {"number": p.number, "date": p.date, "kind": p.kind}
    cust_row = Customer.get_by_id(doc.customer_id)
    terms = _terms(customer, seller, cust_row)
    title = TYPE_TITLES.get(doc.type, TITLES[doc.kind]) if doc.kind == "invoice" else TITLES[doc.kind]
    situation = None
    if doc.kind == "invoice" and doc.type in ("progress", "retention"):
        situation = situations.view(doc)
        situation["milestone"] = Milestone.select().where(Milestone.invoice == doc.id).exists()
        if situation["milestone"]:
            title = "FACTURE D'ÉCHÉANCE"
        by_pos = {r["position"]: r for r in situation["progress"]}
        for ln in out_lines:
            ln.progress = by_pos.get(ln.position)
    p = Printed(
        id=doc.id, kind=doc.kind, type=doc.type, title=title, number=doc.number, status=doc.status,
        date=doc.date, due_date=doc.due_date, validity_date=doc.validity_date, seller=seller,
        customer=customer, delivery_address=customer.get("delivery_address"),
        reference=doc.reference, notes=doc.notes, source_refs=json.loads(doc.source_refs or "[]"),
        preceding=preceding, lines=out_lines,
        allowances=[a for a in adjs if not a.is_charge], charges=[a for a in adjs if a.is_charge],
        vat=vat, totals={k: getattr(doc, k) for k in ("line_total", "allowance_total", "charge_total",
                                                      "tax_basis_total", "tax_total", "grand_total",
                                                      "prepaid", "rounding", "due")},
        terms=terms, draft=doc.status == "draft",
        duplicate=duplicate and doc.status != "draft",
        type_code="381" if doc.kind == "credit_note" else TYPE_CODES.get(doc.type, "380"),
        logo=catalog.company().logo_path, payments=_payments(doc), situation=situation,
        schedule=schedules.terms_text(doc.id) if doc.kind == "invoice" and doc.number else "",
        next_due=payments.next_due_date(doc) if doc.kind == "invoice" and doc.number else doc.due_date,
        supply=supply_kinds(doc, lines), backorder=backorder, mandate=_mandate(doc),
        payment_reference=bank.payment_reference(doc.number) if doc.kind == "invoice" and doc.number else "",
        currency=doc.currency, exchange_rate=doc.exchange_rate,
        totals_eur={"tax_basis_total": doc.tax_basis_total_eur, "tax_total": doc.tax_total_eur,
                    "grand_total": doc.grand_total_eur} if doc.exchange_rate else None)
    if doc.kind in ("invoice", "receipt") and doc.status != "draft":
        p.settled, p.left = settlement(doc, p.source_refs), payments.balance(doc)
    if doc.kind == "receipt":
        _consumer_ticket(p, doc)
    p.payment_notes = payment_notes(p)
    p.mentions = mentions(p)
    return p


def _consumer_ticket(p: Printed, doc) -> None:
    """What a French till receipt shows a consumer: prices all taxes included, the date and time
    of the sale, the cashier (legal-fr.md §1, B2C tickets; the VAT it includes per rate stays in
    p.vat)."""
    for ln in p.lines:
        if ln.net_amount is not None and ln.vat_rate is not None:
            ln.gross_amount = ln.net_amount + deducted_vat(ln.net_amount, ln.vat_rate, ln.vat_category)
            ln.gross_price = ln.unit_price + deducted_vat(ln.unit_price, ln.vat_rate, ln.vat_category)
    p.sold_at = fr.local_datetime(doc.validated_at or doc.created_at)
    who = doc.validated_by or doc.created_by or ""
    user = User.get_or_none(User.name == who) if who else None
    p.cashier = (user.full_name or user.name) if user else who


def _payments(doc) -> list:
    if doc.kind not in ("invoice", "receipt") or doc.status == "draft":
        return []
    from .models import PAYMENT_METHODS, Payment, PaymentAllocation
    rows = (PaymentAllocation.select(PaymentAllocation.amount, Payment.method, Payment.tendered).join(Payment)
            .where(PaymentAllocation.document == doc.id).order_by(Payment.seq).tuples())
    return [(PAYMENT_METHODS.get(m, m), a, t) for a, m, t in rows]


def settlement(doc, source_refs) -> list[dict]:
    """The payments a document received, in order: its own, and for an invoice of counter
    tickets those of its tickets (what its BT-113 says was paid). A cancelled payment and its
    counter-entry are left out: together they paid nothing."""
    from .models import PAYMENT_METHODS, Payment, PaymentAllocation
    ids = {doc.id: None}
    tickets = [r["number"] for r in source_refs if r.get("kind") == "receipt"]
    if tickets and doc.prepaid:
        ids.update({i: n for i, n in Document.select(Document.id, Document.number)
                    .where(Document.number.in_(tickets)).tuples()})
    rows = list(PaymentAllocation.select(PaymentAllocation.document, PaymentAllocation.amount, Payment.id,
                                         Payment.date, Payment.method, Payment.cancels)
                .join(Payment).where(PaymentAllocation.document.in_(list(ids))).order_by(Payment.seq).tuples())
    cancelled = {c for *_, c in rows if c}
    return [{"date": day, "method": method, "label": PAYMENT_METHODS.get(method, method), "amount": amount,
             "ticket": ids[document]}
            for document, amount, pid, day, method, cancels in rows if not cancels and pid not in cancelled]


def paid_text(p: Printed) -> list[str]:
    """One line per payment received: « Payé le 01/12/2026 (Carte) : 30,00 € »."""
    return [f"Payé le {fr.date(s['date'])} ({s['label']}"
            + (f", ticket {s['ticket']}" if s["ticket"] else "") + f") : {fr.amount(s['amount'], True)}"
            for s in p.settled]


def _subtotals(lines) -> dict:
    out, running = {}, ZERO
    for ln in lines:
        if ln.kind == "subtotal":
            out[ln.position] = running
            running = ZERO
        elif ln.kind == "section":
            running = ZERO
        elif ln.kind in PRICED_LINE_KINDS and ln.net_amount is not None:
            running += ln.net_amount
    return out


def _order_remaining(lines) -> tuple[dict, list]:
    """For each delivery line from an order: what is still to deliver on that order line; and
    the order lines this note does not carry at all that are still to deliver (backorder)."""
    origins = [ln.origin_id for ln in lines if ln.origin_id]
    if not origins:
        return {}, []
    from .models import DocumentLine
    out = {}
    src = {s.id: s for s in DocumentLine.select().where(DocumentLine.id.in_(origins))}
    orders = {}
    for ln in lines:
        s = src.get(ln.origin_id)
        if s is None:
            continue
        if s.document_id not in orders:
            orders[s.document_id] = queries.remaining(queries.get(s.document_id), "delivery",
                                                        validated_only=True)
        out[ln.id] = max(ZERO, orders[s.document_id].get(s.position, ZERO))
    backorder = []
    for order_id, rest in orders.items():
        for ol in queries.lines_of(order_id):
            if ol.kind in PRICED_LINE_KINDS and ol.id not in src and rest.get(ol.position, ZERO) > 0:
                backorder.append(Line(ol.position, ol.kind, ol.description, ol.code, ZERO, ol.unit,
                                      remaining=rest[ol.position]))
    return out, backorder


def _barcodes(lines) -> dict:
    from .models import Product
    ids = [ln.product_id for ln in lines if ln.product_id]
    if not ids:
        return {}
    return {p.id: p.barcode for p in Product.select(Product.id, Product.barcode).where(Product.id.in_(ids))}


def supply_kinds(doc: Document, lines) -> set[str]:
    """What is supplied, goods or services: a deposit pays for its order's lines; a final
    invoice's deductions of deposits are not a supply."""
    if doc.type == "deposit" and doc.preceding_id:
        lines = queries.lines_of(doc.preceding_id)
    kinds, deducting = set(), False
    for ln in lines:
        if ln.kind == "section":
            deducting = ln.description == DEDUCTIONS
        elif ln.kind in PRICED_LINE_KINDS and not deducting:
            kinds.add(ln.kind)
    return kinds


def nature(p: Printed) -> str:
    letter = einvoicing.nature_letter(p.supply)
    return {"M": "Livraison de biens et prestation de services", "B": "Livraison de biens",
            "S": "Prestation de services"}[letter]


def seller_lines(seller: dict) -> list[str]:
    """The identity block every document carries (name, form, capital, RCS, SIREN, VAT)."""
    out = []
    form = seller.get("legal_form") or ""
    capital = seller.get("capital")
    if form:
        out.append(f"{form}" + (f" au capital de {fr.amount(Decimal(capital), True)}" if capital else ""))
    if seller.get("siren"):
        rcs = f"RCS {seller['rcs_city']} " if seller.get("rcs_city") else "SIREN "
        out.append(rcs + " ".join([seller["siren"][:3], seller["siren"][3:6], seller["siren"][6:]]))
    if seller.get("siret"):
        out.append(f"SIRET {seller['siret']}")
    if seller.get("vat_number"):
        out.append(f"N° TVA intracommunautaire {seller['vat_number']}")
    return out


# The seller's legal identity a document cannot be issued without (legal-fr.md §1.2 n° 4-6,
# Code de commerce R123-237/238, CGI 242 nonies A): (label, `company set` key, kinds).
IDENTITY_KINDS = ("invoice", "credit_note", "receipt")
IDENTITY = (("raison sociale", "name", None), ("adresse", "line1", None), ("code postal", "postcode", None),
            ("ville", "city", None), ("SIREN", "siren", IDENTITY_KINDS),
            ("forme juridique", "legal_form", IDENTITY_KINDS), ("capital social", "capital", IDENTITY_KINDS),
            ("numéro de TVA intracommunautaire", "vat_number", IDENTITY_KINDS))
CAPITAL_FORMS = catalog.COMPANY_FORMS


def _identity_value(seller: dict, key: str):
    return (seller.get("address") or {}).get(key) if key in ("line1", "postcode", "city") else seller.get(key)


def missing_identity(seller: dict, kind: str) -> list[tuple[str, str]]:
    """(label, company-set key) of each part of the seller's identity this kind of document
    needs and the seller lacks: name and address on every document; SIREN, legal form, share
    capital (of a company with one) and VAT number on invoices, credit notes and tickets (an
    EI has no legal form or capital, a company under the VAT franchise no VAT number)."""
    out = []
    for label, key, kinds in IDENTITY:
        if kinds and kind not in kinds:
            continue
        if key == "legal_form" and seller.get("sole_trader"):
            continue
        if key == "capital" and (seller.get("sole_trader")
                                 or (seller.get("legal_form") or "").upper().split(" ")[0] not in CAPITAL_FORMS):
            continue
        if key == "vat_number" and seller.get("vat_franchise"):
            continue
        if not str(_identity_value(seller, key) or "").strip():
            out.append((label, key))
    return out


def _completed(frozen: dict, kind: str) -> dict:
    """A seller frozen with an incomplete identity (validated right after `init`, before
    `company set`: such a document could not be issued) takes the parts it lacks from the
    company as it is now, at its first issuance; nothing it has is replaced."""
    if not missing_identity(frozen, kind):
        return frozen
    now = catalog.company_snapshot()
    seller = dict(frozen, address=dict(frozen.get("address") or {}))
    for key in ("name", "legal_form", "capital", "siren", "siret", "rcs_city", "vat_number", "sole_trader"):
        if not seller.get(key):
            seller[key] = now.get(key)
    for key, value in now["address"].items():
        if not seller["address"].get(key):
            seller["address"][key] = value
    return seller


def check_identity(p: Printed) -> None:
    """Refuses to issue (PDF, print, e-invoice) a document that would lack part of its
    seller's legal identity, naming the missing fields and the command that sets them."""
    missing = missing_identity(p.seller, p.kind)
    if missing:
        from .errors import StateError
        raise StateError(f"identité de la société incomplète pour émettre {p.reference_label} : "
                         + ", ".join(label for label, _ in missing) + " manquant(s) — "
                         + "tui-factu company set " + " ".join(f"{key}=…" for _, key in missing),
                         "société", ", ".join(key for _, key in missing))


def seller_name(seller: dict) -> str:
    return seller.get("name", "") + (" EI" if seller.get("sole_trader") else "")


def _terms(customer: dict, seller: dict, cust_row):
    """The terms frozen with the parties at validation (snapshots since v16), else the live ones."""
    if "payment_terms" in customer:
        return terms_mod.choose(customer.get("payment_terms"), customer.get("payment_terms_days"),
                                seller.get("payment_terms", ""), seller.get("payment_terms_days"))
    return catalog.term_for(cust_row)


def _mandate(doc) -> dict | None:
    """A customer with an active SEPA mandate pays its invoices by direct debit."""
    if doc.kind != "invoice":
        return None
    m = sepa.mandate_of(doc.customer_id)
    return {"rum": m.rum, "iban": m.iban, "creditor_id": settings.get("sepa.creditor_id")} if m else None


def payment_notes(p: Printed) -> dict[str, str]:
    """The three payment mentions every invoice and credit note carries (Code de commerce L441-9;
    in the e-invoice, notes with these subject codes: XP Z12-012 BR-FR-05)."""
    rate = Decimal(p.seller.get("late_penalty_rate") or "0")
    indemnity = p.seller.get("recovery_indemnity") or catalog.DEFAULT_INDEMNITY
    if p.customer.get("kind") == "person":
        indemnity = "Pas d'indemnité forfaitaire pour frais de recouvrement : client non professionnel."
    return {"AAB": p.terms.discount_text() if p.terms else "Pas d'escompte pour paiement anticipé.",
            "PMD": "En cas de retard de paiement, pénalités au taux annuel de "
                   + (fr.percent(rate) if rate else "trois fois le taux d'intérêt légal") + ", exigibles sans rappel.",
            "PMT": indemnity}


CREDITED = {"invoice": "facture", "receipt": "ticket de caisse"}


def mentions(p: Printed) -> list[str]:
    """What the printed document says besides its lines and totals. A credit note owes the
    customer: it cites what it credits (CGI 289 I-5) and carries none of the payment-term
    mentions (due date, penalties, recovery indemnity) — those stay in its e-invoice only,
    where BR-FR-05 asks for them (payment_notes, printers/facturx.py)."""
    out = []
    if p.kind == "credit_note" and p.preceding:
        what = CREDITED.get(p.preceding.get("kind"), "facture")
        out.append(f"Avoir sur {what} n° {p.preceding['number']} du {fr.date(p.preceding['date'])}")
    for ref in p.source_refs:
        if ref.get("kind") == "invoice" and p.kind == "invoice" and ref.get("replaces"):
            out.append(f"Annule et remplace la facture n° {ref['number']} du {fr.date(ref['date'])}")
    if p.situation and p.type == "progress" and not p.situation.get("milestone"):
        contract = next((r for r in p.source_refs if r.get("kind") == "order"), None)
        out.append(f"Situation de travaux n° {p.situation['situation']}"
                   + (f" du marché {contract['number']} du {fr.date(contract['date'])}" if contract else "")
                   + " : montants cumulés, moins ce que les situations précédentes ont facturé.")
        r = p.situation.get("retention") or {}
        if r.get("percent"):
            out.append(f"Retenue de garantie de {r['percent']} % du TTC (loi n° 71-584 du 16 juillet 1971) : "
                       f"{fr.amount(Decimal(r['amount']), True)} retenus sur cette situation"
                       + (f", net à payer {fr.amount(Decimal(r['to_pay_now']), True)}" if r.get("to_pay_now") else "")
                       + f" ; la retenue est exigible le {fr.date(r['release_date'])} sauf réserves.")
    if p.type == "retention":
        out.append("Libération de la retenue de garantie retenue sur les situations citées.")
    if p.kind == "quote":
        if p.validity_date:
            out.append(f"Devis valable jusqu'au {fr.date(p.validity_date)}.")
        out.append("Devis gratuit. Bon pour accord : date, signature et cachet du client.")
    if p.is_invoice:
        out.append(f"Nature des opérations : {nature(p)}.")
    if p.kind == "invoice" and not p.paid_at_issue:
        # paid when issued, nothing was ever owed: no terms, penalties or indemnity on the paper
        # (paid_text says how it was paid; the e-invoice keeps its notes, BR-FR-05)
        notes = p.payment_notes
        if p.schedule:
            out.append(p.schedule + " " + notes["AAB"])
        elif p.due_date:
            out.append(f"{p.terms.label()}, échéance le {fr.date(p.due_date)}. " + notes["AAB"])
        if p.payment_reference and not p.mandate and p.seller.get("iban") and p.totals["due"] > 0:
            out.append(f"Par virement, rappelez la référence {p.payment_reference}.")
        if p.mandate:
            out.append(f"Paiement par prélèvement SEPA (mandat {p.mandate['rum']}, compte …{p.mandate['iban'][-4:]}) : "
                       f"prélevé à l'échéance, le {fr.date(p.next_due or p.due_date)} (préavis).")
        out.append(notes["PMD"])
        if p.customer.get("kind") != "person":
            out.append(notes["PMT"])
    if p.is_invoice and p.seller.get("vat_on_debits"):
        out.append("Option pour le paiement de la taxe d'après les débits.")
    for v in p.vat:
        if v["exemption"]:
            text = v["exemption"][0]
            if v["category"] == "AE":
                text = "Autoliquidation — TVA due par le preneur assujetti (art. 283-2 nonies du CGI)"
            if text not in out:
                out.append(text)
    return out


def payment_view(seq: int) -> dict:
    """A payment receipt (reçu de paiement): who paid what, how, for which invoices."""
    from .errors import NotFound
    from .models import PAYMENT_METHODS, Payment, PaymentAllocation
    p = Payment.get_or_none(Payment.seq == seq)
    if p is None:
        raise NotFound(f"règlement inconnu « {seq} »", "règlement", seq)
    allocations = [(a.document.number, a.amount) for a in
                   PaymentAllocation.select().where(PaymentAllocation.payment == p.id).order_by(PaymentAllocation.id)]
    return {"number": f"REG-{p.seq:06d}", "date": p.date, "seller": catalog.company_snapshot(),
            "customer": catalog.customer_snapshot(p.customer), "method": PAYMENT_METHODS.get(p.method, p.method),
            "amount": p.amount, "tendered": p.tendered,
            "change": (p.tendered - p.amount) if p.tendered and p.tendered > p.amount else ZERO,
            "reference": p.reference, "bank": p.bank, "allocations": allocations,
            "cancels": f"REG-{p.cancels.seq:06d}" if p.cancels_id else None,
            "credit": p.amount - sum((a for _, a in allocations), ZERO)}
