"""The tables. Money and quantities are scaled integers (money.py); dates are ISO dates.

Document kinds and statuses are declared in documents/kinds.py; documents/status.py writes them.
"""

import peewee as pw

from . import clock
from .money import EXCHANGE_SCALE, AmountField, PriceField, QuantityField, RateField, ScaledField

db = pw.DatabaseProxy()

PRODUCT_KINDS = ("goods", "service", "labour", "equipment")
def utcnow() -> str:
    return clock.now().isoformat()
# columns added by a migration carry their default in the DDL too: raw inserts (the bench)
_EMPTY = pw.SQL("DEFAULT ''")


class Base(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class SchemaInfo(Base):
    version = pw.IntegerField()


class Company(Base):
    """The seller's legal identity: one row (id 1)."""
    name = pw.CharField(default="")
    legal_form = pw.CharField(default="")
    capital = AmountField(null=True)
    siren = pw.CharField(default="")
    siret = pw.CharField(default="")
    rcs_city = pw.CharField(default="")
    vat_number = pw.CharField(default="")
    line1 = pw.CharField(default="")
    line2 = pw.CharField(default="")
    postcode = pw.CharField(default="")
    city = pw.CharField(default="")
    country = pw.CharField(default="FR")
    email = pw.CharField(default="")
    phone = pw.CharField(default="")
    iban = pw.CharField(default="")
    bic = pw.CharField(default="")
    payment_terms_days = pw.IntegerField(default=30)
    late_penalty_rate = RateField(default=0)     # % a year; 0 means "taux BCE + 10 points"
    recovery_indemnity = pw.TextField(default="")
    vat_on_debits = pw.BooleanField(default=False)
    sole_trader = pw.BooleanField(default=False)   # prints "EI" next to the name
    logo_path = pw.CharField(default="")
    always_sign = pw.BooleanField(default=False)
    signing_key_id = pw.CharField(null=True)         # v12: the company's key, pinned at its first seal
    signing_public_key = pw.TextField(null=True)
    einvoice_address = pw.CharField(default="", constraints=[_EMPTY])      # v14: BT-34 (empty: the SIREN)
    vat_franchise = pw.BooleanField(default=False, constraints=[pw.SQL("DEFAULT FALSE")])  # v14: franchise en base (art. 293 B du CGI)
    vat_exemption = pw.CharField(default="", constraints=[_EMPTY])         # v14: the article of its exempt operations (E)
    payment_terms = pw.CharField(default="", constraints=[_EMPTY])         # v16: a terms code (terms.py); empty: payment_terms_days


class Setting(Base):
    key = pw.CharField(primary_key=True)
    value = pw.TextField()


class User(Base):
    name = pw.CharField(unique=True)
    full_name = pw.CharField(default="")
    role = pw.CharField(default="sales")
    password_hash = pw.CharField(null=True)
    os_account = pw.CharField(null=True, unique=True)
    active = pw.BooleanField(default=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.CharField(null=True)
    created_at = pw.CharField(default=utcnow)


class Customer(Base):
    code = pw.CharField(unique=True)
    name = pw.CharField()
    name_key = pw.CharField(index=True)     # lower case, no accents: prefix search
    kind = pw.CharField(default="company")  # company | person | public (B2G, through Chorus Pro)
    siren = pw.CharField(default="")
    siret = pw.CharField(default="")
    vat_number = pw.CharField(default="")
    email = pw.CharField(default="")
    phone = pw.CharField(default="")
    line1 = pw.CharField(default="")
    line2 = pw.CharField(default="")
    postcode = pw.CharField(default="")
    city = pw.CharField(default="")
    country = pw.CharField(default="FR")
    delivery_name = pw.CharField(default="")
    delivery_line1 = pw.CharField(default="")
    delivery_line2 = pw.CharField(default="")
    delivery_postcode = pw.CharField(default="")
    delivery_city = pw.CharField(default="")
    delivery_country = pw.CharField(default="")
    payment_terms_days = pw.IntegerField(null=True)
    einvoice_address = pw.CharField(default="", constraints=[_EMPTY])     # v14: BT-49 (empty: the SIREN)
    service_code = pw.CharField(default="", constraints=[_EMPTY])         # v14: a public buyer's service code (BT-10)
    payment_terms = pw.CharField(default="", constraints=[_EMPTY])        # v16: a terms code (terms.py); empty: the days, else the company's
    pricelist = pw.CharField(default="", constraints=[_EMPTY])            # v21: its own price list (pricing.py)
    price_group = pw.CharField(default="", constraints=[_EMPTY])          # v21: a customer group with its list
    discount_percent = RateField(default=0, constraints=[pw.SQL("DEFAULT 0")])  # v21: its default discount
    salesperson = pw.CharField(default="")
    notes = pw.TextField(default="")
    active = pw.BooleanField(default=True)


class Product(Base):
    code = pw.CharField(unique=True)
    name = pw.CharField()
    name_key = pw.CharField(index=True)
    barcode = pw.CharField(default="", index=True)
    family = pw.CharField(default="", index=True)
    kind = pw.CharField(default="goods")
    unit = pw.CharField(default="C62")      # UN/ECE rec 20
    price = PriceField(default=0)
    cost = PriceField(default=0)
    vat_rate = RateField(default=20)
    vat_category = pw.CharField(default="S")
    stock_managed = pw.BooleanField(default=False)
    active = pw.BooleanField(default=True)
    reorder_level = QuantityField(null=True)      # since schema v2


class Sequence(Base):
    """Next number of a series for a period (the year when the pattern shows it)."""
    series = pw.CharField()
    period = pw.CharField(default="")
    next_value = pw.IntegerField(default=1)
    last_date = pw.DateField(null=True)

    class Meta:
        primary_key = pw.CompositeKey("series", "period")


class Document(Base):
    kind = pw.CharField()
    type = pw.CharField(default="standard")
    status = pw.CharField(default="draft")
    number = pw.CharField(null=True, unique=True)
    date = pw.DateField()
    due_date = pw.DateField(null=True)
    validity_date = pw.DateField(null=True)
    customer = pw.ForeignKeyField(Customer, backref="documents", on_delete="RESTRICT")
    customer_snapshot = pw.TextField(null=True)   # frozen legal data, JSON, set at validation
    seller_snapshot = pw.TextField(null=True)
    reference = pw.CharField(default="")          # customer's purchase-order reference
    notes = pw.TextField(default="")
    currency = pw.CharField(default="EUR")
    source_refs = pw.TextField(default="[]")      # JSON [{kind, number, date}] of origin documents
    preceding = pw.ForeignKeyField("self", null=True, backref="successors", on_delete="RESTRICT")
    returns_goods = pw.BooleanField(default=True)
    version = pw.IntegerField(default=1)
    line_total = AmountField(default=0)           # BT-106
    allowance_total = AmountField(default=0)      # BT-107
    charge_total = AmountField(default=0)         # BT-108
    tax_basis_total = AmountField(default=0)      # BT-109
    tax_total = AmountField(default=0)            # BT-110
    grand_total = AmountField(default=0)          # BT-112
    prepaid = AmountField(default=0)              # BT-113
    rounding = AmountField(default=0)             # BT-114
    due = AmountField(default=0)                  # BT-115
    sealed = pw.BooleanField(default=False)
    created_at = pw.CharField(default=utcnow)
    created_by = pw.CharField(default="")
    validated_at = pw.CharField(null=True)
    validated_by = pw.CharField(null=True)
    situation_no = pw.IntegerField(null=True)             # v7: n° of a progress invoice in its contract
    retention_percent = RateField(null=True)              # v7: retenue de garantie held on it
    retention_release = pw.DateField(null=True)           # v7: when that retention falls due
    # v22: a document in another currency (BT-5 = currency): euros per unit, the VAT total in
    # euros (BT-111) and what reports and the FEC book in euros; all NULL for a document in EUR
    exchange_rate = ScaledField(EXCHANGE_SCALE, null=True)
    tax_basis_total_eur = AmountField(null=True)
    tax_total_eur = AmountField(null=True)
    grand_total_eur = AmountField(null=True)

    class Meta:
        indexes = ((("kind", "id"), False), (("kind", "status", "id"), False),
                   (("customer", "id"), False), (("date", "id"), False))


class DocumentLine(Base):
    document = pw.ForeignKeyField(Document, backref="lines", on_delete="CASCADE")
    position = pw.IntegerField()
    kind = pw.CharField(default="goods")
    product = pw.ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    code = pw.CharField(default="")
    description = pw.TextField(default="")
    quantity = QuantityField(null=True)
    unit = pw.CharField(default="C62")
    unit_price = PriceField(null=True)
    discount_percent = RateField(default=0)
    vat_rate = RateField(null=True)
    vat_category = pw.CharField(null=True)
    cost_price = PriceField(null=True)
    net_amount = AmountField(null=True)           # BT-131
    origin = pw.ForeignKeyField("self", null=True, backref="derived", on_delete="RESTRICT")
    vat_group = pw.CharField(null=True)           # v7: a slice of an amount billed over several
    vat_carried = AmountField(null=True)          # documents, and the base billed before (totals)
    handed_over = QuantityField(null=True)        # v13: what an invoice drawn from an order handed
                                                  # over at the counter (flow._hand_over)

    class Meta:
        indexes = ((("document", "position"), True),)


class DocumentAdjustment(Base):
    """Document-level allowance (BG-20) or charge (BG-21)."""
    document = pw.ForeignKeyField(Document, backref="adjustments", on_delete="CASCADE")
    position = pw.IntegerField()
    is_charge = pw.BooleanField(default=False)
    amount = AmountField()
    vat_rate = RateField()
    vat_category = pw.CharField(default="S")
    reason = pw.CharField(default="")
    vat_group = pw.CharField(null=True)           # v13: billed in slices with lines of the same group
    vat_carried = AmountField(null=True)          # (a contract's share: ledger.py, totals.py)


class DocumentVat(Base):
    """The stored VAT breakdown (BG-23) of a document: one row per category and rate."""
    document = pw.ForeignKeyField(Document, backref="vat_rows", on_delete="CASCADE")
    category = pw.CharField()
    rate = RateField()
    basis = AmountField()
    amount = AmountField()
    basis_eur = AmountField(null=True)            # v22: in euros, for a document in another currency
    amount_eur = AmountField(null=True)


class DocumentLink(Base):
    """A typed link from a document to another (v13): a credit note to what it credits, an
    invoice to the deposits it deducts, the invoice it replaces, the ticket it invoices, a
    situation to its contract... (documents/kinds.LINK_ROLES). Written with the draft, guarded
    with the document once sealed; `source_refs` stays only as the printed, sealed copy."""
    document = pw.ForeignKeyField(Document, backref="links", on_delete="CASCADE")
    target = pw.ForeignKeyField(Document, backref="linked_from", on_delete="RESTRICT")
    role = pw.CharField()

    class Meta:
        indexes = ((("document", "role"), False), (("target", "role"), False))


class JournalRecord(Base):
    """Append-only, chained and signed (journal.py)."""
    chain = pw.CharField()
    seq = pw.IntegerField()
    action = pw.CharField()
    ref = pw.CharField(default="", index=True)
    payload = pw.TextField()
    prev_signature = pw.TextField(default="")
    hash = pw.CharField()
    signature = pw.TextField()
    key_id = pw.CharField()
    format_version = pw.IntegerField(default=1)
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")

    class Meta:
        indexes = ((("chain", "seq"), True),)


PROGRESS_ROLES = ("work", "deposit", "retention", "release")


class Progress(Base):
    """What a line of a progress invoice (situation) bills of its contract (v7): the contract
    line and the cumulative progress entered (work), the deposit it deducts (deposit), the
    retention it holds back (retention), or the retention line it releases (release)."""
    document = pw.ForeignKeyField(Document, backref="progress", on_delete="CASCADE")
    line = pw.ForeignKeyField(DocumentLine, unique=True, on_delete="CASCADE")
    role = pw.CharField(default="work")
    contract_line = pw.ForeignKeyField(DocumentLine, null=True, backref="situations", on_delete="RESTRICT")
    deposit = pw.ForeignKeyField(Document, null=True, on_delete="RESTRICT")
    released_line = pw.ForeignKeyField(DocumentLine, null=True, backref="releases", on_delete="RESTRICT")
    percent = RateField(null=True)                # cumulative progress, %
    quantity = QuantityField(null=True)           # cumulative quantity, when entered as such
    contract_amount = AmountField(null=True)      # the contract line's net
    previous_percent = RateField(null=True)
    previous_amount = AmountField(null=True)      # billed on that line by earlier situations

    class Meta:
        indexes = ((("contract_line", "document"), False), (("released_line",), False))


class AuditEntry(Base):
    at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")
    entity = pw.CharField()
    entity_id = pw.IntegerField()
    ref = pw.CharField(default="")
    field = pw.CharField()
    old = pw.TextField(null=True)
    new = pw.TextField(null=True)

    class Meta:
        indexes = ((("entity", "entity_id"), False), (("user",), False))


class StockMove(Base):
    product = pw.ForeignKeyField(Product, backref="moves", on_delete="RESTRICT")
    quantity = QuantityField()                    # signed: + in, - out
    document = pw.ForeignKeyField(Document, null=True, on_delete="RESTRICT")
    line = pw.ForeignKeyField(DocumentLine, null=True, on_delete="RESTRICT")
    date = pw.DateField()
    reason = pw.CharField(default="")

    class Meta:
        indexes = ((("product", "date"), False),)


class PrintJob(Base):
    """A print queue entry: the rendered bytes are kept, so a retry never loses or changes them."""
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")
    what = pw.CharField()                         # slip | receipt | test
    ref = pw.CharField(default="", index=True)    # document number
    printer = pw.CharField()                      # URL
    data = pw.BlobField()
    state = pw.CharField(default="pending", index=True)   # pending | printed | failed
    error = pw.TextField(default="")
    attempts = pw.IntegerField(default=0)
    printed_at = pw.CharField(null=True)


PAYMENT_METHODS = {"cash": "Espèces", "card": "Carte", "cheque": "Chèque", "transfer": "Virement",
                   "direct_debit": "Prélèvement SEPA",
                   "credit": "Crédit client", "credit_note": "Avoir imputé", "writeoff": "Passage en pertes"}


class Payment(Base):
    """Money received (or, negative, a cancellation): sealed in the `payment` chain."""
    seq = pw.IntegerField(unique=True)            # the payments chain's record number
    customer = pw.ForeignKeyField(Customer, on_delete="RESTRICT")
    date = pw.DateField()
    method = pw.CharField()
    amount = AmountField()                        # what was kept (change given back excluded)
    tendered = AmountField(null=True)             # cash handed over
    reference = pw.CharField(default="")
    bank = pw.CharField(default="")
    cancels = pw.ForeignKeyField("self", null=True, unique=True, on_delete="RESTRICT")
    credit_note = pw.ForeignKeyField(Document, null=True, backref="applications", on_delete="RESTRICT")  # v5
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class PaymentAllocation(Base):
    payment = pw.ForeignKeyField(Payment, backref="allocations", on_delete="RESTRICT")
    document = pw.ForeignKeyField(Document, backref="allocations", on_delete="RESTRICT")
    amount = AmountField()

    class Meta:
        indexes = ((("document",), False),)


class Instalment(Base):
    """One due date of an invoice's billing schedule (échéancier)."""
    document = pw.ForeignKeyField(Document, backref="instalments", on_delete="CASCADE")
    position = pw.IntegerField()
    due_date = pw.DateField()
    amount = AmountField()
    percent = RateField(null=True)
    retention = pw.BooleanField(default=False)   # v13: a situation's retention guarantee, due at its release

    class Meta:
        indexes = ((("document", "position"), True),)


class Equipment(Base):
    """A customer's equipment register (v8): what we install, service or hire out."""
    customer = pw.ForeignKeyField(Customer, backref="equipment", on_delete="RESTRICT")
    name = pw.CharField()
    serial = pw.CharField(default="", index=True)
    location = pw.CharField(default="")
    installed_on = pw.DateField(null=True)
    warranty_end = pw.DateField(null=True)
    notes = pw.TextField(default="")
    active = pw.BooleanField(default=True)


class Intervention(Base):
    """An intervention sheet (v8): who worked when, on what, what was done and consumed."""
    customer = pw.ForeignKeyField(Customer, backref="interventions", on_delete="RESTRICT")
    equipment = pw.ForeignKeyField(Equipment, null=True, backref="interventions", on_delete="RESTRICT")
    date = pw.DateField()
    start = pw.CharField(default="")              # HH:MM
    end = pw.CharField(default="")
    minutes = pw.IntegerField()
    technician = pw.CharField(default="")
    work_done = pw.TextField(default="")
    labour = pw.ForeignKeyField(Product, null=True, on_delete="RESTRICT")   # priced per hour
    billable = pw.BooleanField(default=True)      # the labour; parts say their own
    created_at = pw.CharField(default=utcnow)
    created_by = pw.CharField(default="")

    class Meta:
        indexes = ((("customer", "date"), False),)


class InterventionPart(Base):
    intervention = pw.ForeignKeyField(Intervention, backref="parts", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, on_delete="RESTRICT")
    quantity = QuantityField()
    billable = pw.BooleanField(default=True)


class TimeEntry(Base):
    """Time spent for a customer, on a project (v8)."""
    customer = pw.ForeignKeyField(Customer, backref="time_entries", on_delete="RESTRICT")
    project = pw.CharField(default="", index=True)
    date = pw.DateField()
    minutes = pw.IntegerField()
    person = pw.CharField(default="")
    description = pw.TextField(default="")
    product = pw.ForeignKeyField(Product, null=True, on_delete="RESTRICT")  # the hourly rate
    billable = pw.BooleanField(default=True)
    created_at = pw.CharField(default=utcnow)
    created_by = pw.CharField(default="")

    class Meta:
        indexes = ((("customer", "date"), False),)


BILLED_KINDS = ("intervention", "part", "time")


class Billing(Base):
    """Which invoice line bills an intervention's labour, a part or a time entry (v8). One row
    per entry, unique: the database itself refuses to bill an entry twice. Removing the line
    (or the draft) frees the entry."""
    kind = pw.CharField()
    entry = pw.IntegerField()
    document = pw.ForeignKeyField(Document, backref="billings", on_delete="CASCADE")
    line = pw.ForeignKeyField(DocumentLine, backref="billings", on_delete="CASCADE")

    class Meta:
        indexes = ((("kind", "entry"), True),)


class Milestone(Base):
    """A step of an order's billing plan (v9): a share of the contract, invoiced when due."""
    order = pw.ForeignKeyField(Document, backref="milestones", on_delete="CASCADE")
    position = pw.IntegerField()
    percent = RateField()                         # this milestone's share of the contract
    due_date = pw.DateField()
    label = pw.CharField(default="")
    invoice = pw.ForeignKeyField(Document, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("order", "position"), True), (("due_date",), False))


class Closing(Base):
    """A daily, monthly or yearly closing (v10): the period's totals and the perpetual grand
    total, sealed in the `closing` chain; nothing is validated or paid inside it afterwards."""
    seq = pw.IntegerField(unique=True)            # its record in the closing chain
    kind = pw.CharField()                         # day | month | year
    label = pw.CharField()                        # 2026-11-30, 2026-11, 2026
    period_start = pw.DateField()
    period_end = pw.DateField(index=True)
    payload = pw.TextField()                      # the sealed totals (canonical JSON)
    closed_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")

    class Meta:
        indexes = ((("kind", "label"), True),)


class Target(Base):
    """A sales target (v11): revenue excl. VAT for the whole business, a salesperson or a product
    family, over a year, a quarter or a month."""
    year = pw.IntegerField()
    scope = pw.CharField()                        # overall | salesperson | family
    key = pw.CharField(default="")                # the salesperson or the family ("" overall)
    period = pw.CharField()                       # Y | Q1..Q4 | M01..M12
    amount = AmountField()

    class Meta:
        indexes = ((("year", "scope", "key", "period"), True),)


class EinvoiceStatus(Base):
    """One lifecycle status of an issued invoice or credit note (v15; XP Z12-012, CDAR): from
    the platform, from a file, or set by us (212 « encaissée »). Each is also sealed in the
    events chain."""
    document = pw.ForeignKeyField(Document, backref="einvoice_statuses", on_delete="RESTRICT")
    code = pw.IntegerField(index=True)            # 200 déposée … 212 encaissée, 213 rejetée, 220 annulée
    at = pw.CharField()                           # when the status was set (ISO, UTC)
    reason_code = pw.CharField(default="")
    reason = pw.TextField(default="")
    action = pw.TextField(default="")             # what the buyer asks (« Créer une facture rectificative »)
    amounts = pw.TextField(default="{}")          # JSON {MEN: "1200.00", …}
    source = pw.CharField()                       # pa | file | self
    message_id = pw.CharField(index=True)         # the CDAR's own id (MDT-4): a message applies once
    flow_id = pw.CharField(default="")
    recorded_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class PaFlow(Base):
    """The Plateforme Agréée outbox (v15): what is to be sent, with the exact bytes, so a PA
    that is down loses nothing and a retry never sends something else; trackingId is unique,
    so a flow is never deposited twice."""
    document = pw.ForeignKeyField(Document, backref="pa_flows", on_delete="RESTRICT")
    what = pw.CharField()                         # invoice | status
    status_code = pw.IntegerField(null=True)      # for a status message (212)
    syntax = pw.CharField()                       # Factur-X | CII | UBL | CDAR
    tracking_id = pw.CharField(unique=True)
    file_name = pw.CharField()
    data = pw.BlobField()
    sha256 = pw.CharField()
    state = pw.CharField(default="pending", index=True)   # pending | sent | refused
    flow_id = pw.CharField(default="")
    attempts = pw.IntegerField(default=0)
    error = pw.TextField(default="")
    created_at = pw.CharField(default=utcnow)
    sent_at = pw.CharField(null=True)
    user = pw.CharField(default="")


class Reminder(Base):
    """A payment reminder (relance, v17) of one invoice at one level, once: proposed by
    `dunning run`, then sent (by mail or on paper) or not."""
    document = pw.ForeignKeyField(Document, backref="reminders", on_delete="RESTRICT")
    level = pw.IntegerField()                     # 1 courtesy, 2 letter, 3 formal notice (dunning.levels)
    date = pw.DateField()                         # the day it fell due
    days_late = pw.IntegerField()
    balance = AmountField()                       # what was owed that day
    channel = pw.CharField(default="")            # mail | paper | "" (proposed only)
    sent_at = pw.CharField(null=True)
    user = pw.CharField(default="")

    class Meta:
        indexes = ((("document", "level"), True),)


class Dispute(Base):
    """An invoice in dispute (litige, v17): set by hand or by the platform's status 207; while
    open, no reminder goes out."""
    document = pw.ForeignKeyField(Document, backref="disputes", on_delete="RESTRICT")
    opened_at = pw.CharField(default=utcnow)
    reason = pw.TextField(default="")
    source = pw.CharField(default="manual")       # manual | pa
    closed_at = pw.CharField(null=True)
    user = pw.CharField(default="")


class MailOut(Base):
    """The outbox (v17): a message with its exact bytes (RFC 5322, attachments included), so a
    server that is down loses nothing and a retry sends the same message, once."""
    ref = pw.CharField(default="", index=True)    # the document's number, a reminder, …
    what = pw.CharField()                         # document | reminder | test
    to = pw.TextField()
    subject = pw.TextField()
    message_id = pw.CharField(unique=True)        # Message-ID: never the same message twice
    data = pw.BlobField()
    state = pw.CharField(default="pending", index=True)   # pending | sent | failed
    attempts = pw.IntegerField(default=0)
    error = pw.TextField(default="")
    created_at = pw.CharField(default=utcnow)
    sent_at = pw.CharField(null=True)
    user = pw.CharField(default="")


class BankStatement(Base):
    """An imported bank statement (v18): once per file (its sha256) and per statement id."""
    account = pw.CharField(default="")            # IBAN
    statement_id = pw.CharField(default="")       # the bank's own id (camt.053 Stmt/Id), when it has one
    format = pw.CharField()                       # camt053 | ofx | csv
    sha256 = pw.CharField(unique=True)
    date = pw.DateField(null=True)
    imported_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class BankLine(Base):
    """A credit on the account, to be matched with invoices (v18)."""
    statement = pw.ForeignKeyField(BankStatement, backref="lines", on_delete="RESTRICT")
    key = pw.CharField(unique=True)               # account + bank reference, or a hash of the line: no line twice
    date = pw.DateField()
    amount = AmountField()
    label = pw.TextField(default="")
    reference = pw.CharField(default="")          # end-to-end / remittance information
    counterparty = pw.CharField(default="")
    payment = pw.ForeignKeyField(Payment, null=True, on_delete="RESTRICT")   # once matched
    set_aside = pw.BooleanField(default=False)    # its proposal put aside by the user (v23)


class Mandate(Base):
    """A SEPA direct debit mandate (v18): the creditor's reference (RUM), the debtor's IBAN."""
    customer = pw.ForeignKeyField(Customer, backref="mandates", on_delete="RESTRICT")
    rum = pw.CharField(unique=True)
    iban = pw.CharField()
    bic = pw.CharField(default="")
    signed_on = pw.DateField()
    recurring = pw.BooleanField(default=True)
    first_used = pw.DateField(null=True)          # FRST until the first collection, RCUR after
    active = pw.BooleanField(default=True)
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class Remittance(Base):
    """A cheque remittance slip (bordereau de remise, v18) for one bank."""
    number = pw.CharField(unique=True)
    bank = pw.CharField(default="")
    date = pw.DateField()
    total = AmountField()
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class RemittanceItem(Base):
    remittance = pw.ForeignKeyField(Remittance, backref="items", on_delete="RESTRICT")
    payment = pw.ForeignKeyField(Payment, unique=True, on_delete="RESTRICT")     # a cheque goes on one slip


class SepaDebit(Base):
    """One direct debit sent to the bank in a pain.008 file (v19): recorded as a payment on the
    collection date; a return (R-transaction) cancels that payment and reopens the invoice."""
    document = pw.ForeignKeyField(Document, backref="debits", on_delete="RESTRICT")
    mandate = pw.ForeignKeyField(Mandate, on_delete="RESTRICT")
    end_to_end_id = pw.CharField(unique=True)
    amount = AmountField()
    collection_date = pw.DateField()
    sequence = pw.CharField()                      # FRST | RCUR | OOFF
    payment_seq = pw.IntegerField(null=True)       # the payment it recorded
    state = pw.CharField(default="sent")           # sent | returned
    reason = pw.CharField(default="")
    file_sha256 = pw.CharField(default="")
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class Contract(Base):
    """A recurring invoice (v20): a maintenance contract, a rental, a subscription."""
    customer = pw.ForeignKeyField(Customer, backref="contracts", on_delete="RESTRICT")
    every = pw.CharField()                        # month | quarter | year (calendar periods)
    start = pw.DateField()
    end = pw.DateField(null=True)
    in_advance = pw.BooleanField(default=True)    # billed at the start of the period, else after it
    reference = pw.CharField(default="")
    active = pw.BooleanField(default=True)
    created_at = pw.CharField(default=utcnow)
    user = pw.CharField(default="")


class ContractLine(Base):
    contract = pw.ForeignKeyField(Contract, backref="lines", on_delete="CASCADE")
    position = pw.IntegerField()
    product = pw.ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    quantity = QuantityField()
    unit_price = PriceField(null=True)            # empty: the product's price on the day it is billed


class ContractInvoice(Base):
    """One period of a contract billed (v20): unique, so a run twice, or two at once, bills once."""
    contract = pw.ForeignKeyField(Contract, backref="invoices", on_delete="RESTRICT")
    period_start = pw.DateField()
    period_end = pw.DateField()
    document = pw.ForeignKeyField(Document, on_delete="RESTRICT")
    created_at = pw.CharField(default=utcnow)

    class Meta:
        indexes = ((("contract", "period_start"), True),)


class PriceList(Base):
    """A price list (v21), for customers who name it or for a customer group."""
    code = pw.CharField(unique=True)
    name = pw.CharField(default="")
    group = pw.CharField(default="", index=True)  # the customer group it serves ("" : named by customers)


class PriceListItem(Base):
    """A price or a discount for a product or a family, from a quantity, between two dates."""
    pricelist = pw.ForeignKeyField(PriceList, backref="items", on_delete="CASCADE")
    product = pw.ForeignKeyField(Product, null=True, on_delete="RESTRICT")
    family = pw.CharField(default="")
    price = PriceField(null=True)
    discount_percent = RateField(null=True)
    min_qty = QuantityField(default=1)
    valid_from = pw.DateField(null=True)
    valid_to = pw.DateField(null=True)


class ExchangeRate(Base):
    """v22: euros per unit of a currency from a day on (the most recent on or before a date applies)."""
    currency = pw.CharField()
    day = pw.DateField()
    rate = ScaledField(EXCHANGE_SCALE)

    class Meta:
        indexes = ((("currency", "day"), True),)


TABLES = [SchemaInfo, Company, Setting, User, Customer, Product, Sequence, Document,
          DocumentLine, DocumentAdjustment, DocumentVat, DocumentLink, JournalRecord, AuditEntry, StockMove, PrintJob, Payment, PaymentAllocation,
          Instalment, Progress, Equipment, Intervention, InterventionPart, TimeEntry, Billing, Milestone, Closing, Target,
          EinvoiceStatus, PaFlow, Reminder, Dispute, MailOut, BankStatement, BankLine, Mandate, Remittance,
          RemittanceItem, SepaDebit, Contract, ContractLine, ContractInvoice,
          PriceList, PriceListItem, ExchangeRate]
