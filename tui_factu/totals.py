"""Every figure of a document, computed once, the EN 16931 way (ARCHITECTURE.md, "Where each rule lives").

Line net (BT-131) = round(quantity × unit price × (1 − discount %), 2); VAT base per category
and rate (BT-116) = line nets ± document allowances/charges of that rate; VAT per rate (BT-117)
= round(base × rate, 2); BT-109 = BT-106 − BT-107 + BT-108; BT-110 = Σ BT-117;
BT-112 = BT-109 + BT-110; BT-115 = BT-112 − BT-113 + BT-114. Screens, PDF, Factur-X,
slips and reports read these figures; none computes them another way.

A line with a negative net deducts something already invoiced (a deposit on a final invoice):
the VAT it deducts is the VAT that was charged on it, round(|net| × rate), taken from the VAT
of the full supply. So VAT is never charged twice and the cents add up across the deposit and
the final invoice (BR-CO-17 holds within the EN 16931 tolerance).

An amount billed in slices over several invoices (a contract's works over its situations, a
deposit deducted pro rata, a retention held back then released) is a VAT *group*: its lines
carry the base the group billed before (`vat_carried`), and their VAT is round((carried +
slice) × rate) − round(carried × rate). Over the slices the VAT is then exactly the VAT of the
whole, where rounding each slice would drift by a cent.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from .money import HUNDRED, ZERO, round_cents

VAT_RATES = (Decimal("20"), Decimal("10"), Decimal("5.5"), Decimal("2.1"), Decimal("0"))
VAT_CATEGORIES = {
    "S": "Taux normal",
    "Z": "Taux zéro",
    "E": "Exonéré",
    "AE": "Autoliquidation",
    "K": "Livraison intracommunautaire",
    "G": "Exportation hors UE",
    "O": "Hors champ de la TVA",
}
# Mention printed (BT-120) and code (BT-121) for the categories that carry no VAT.
EXEMPTIONS = {
    "E": ("Exonération de TVA, art. 261 du CGI", ""),      # the company's own article: exemption()
    "AE": ("Autoliquidation", "VATEX-EU-AE"),
    "K": ("Exonération de TVA, article 262 ter I du CGI", "VATEX-EU-IC"),
    "G": ("Exonération de TVA, article 262 I du CGI", "VATEX-EU-G"),
    "O": ("Opération non soumise à la TVA", "VATEX-EU-O"),
}
FRANCHISE = ("TVA non applicable, art. 293 B du CGI", "VATEX-FR-FRANCHISE")


def exemption(category: str, seller: dict) -> tuple[str, str] | None:
    """The mention (BT-120) and code (BT-121) of a category without VAT, by the seller's case:
    art. 293 B only for a company in franchise en base; an exempt operation (E) of a
    VAT-registered company names its own article (company setting vat_exemption)."""
    if category != "E":
        return EXEMPTIONS.get(category)
    if "vat_franchise" not in seller:          # sealed before v14: what those documents printed
        return FRANCHISE
    if seller["vat_franchise"]:
        return FRANCHISE
    return (seller.get("vat_exemption") or EXEMPTIONS["E"][0], "")


def category_for(rate: Decimal, category: str | None) -> str:
    """Default category: S for a positive rate, Z for 0 %."""
    if category:
        return category
    return "S" if rate and rate > 0 else "Z"


def deducted_vat(amount: Decimal, rate: Decimal, category: str) -> Decimal:
    """The VAT carried by a deducted amount (a deposit deducted, a retention held back): the VAT
    it was, or will be, charged with — the same figure on both documents."""
    return round_cents(amount * rate / HUNDRED) if category in TAXED else ZERO


def slice_vat(carried: Decimal, amount: Decimal, rate: Decimal, category: str) -> Decimal:
    """VAT of a slice of a group (signed like the slice): the VAT of the group so far, less
    the VAT of what it billed before."""
    size = abs(amount)
    tax = deducted_vat(carried + size, rate, category) - deducted_vat(carried, rate, category)
    return tax if amount >= 0 else -tax


TAXED = ("S", "L", "M")


def line_net(quantity: Decimal, unit_price: Decimal, discount_percent: Decimal = ZERO) -> Decimal:
    """BT-131, rounded once."""
    return round_cents(quantity * unit_price * (HUNDRED - (discount_percent or ZERO)) / HUNDRED)


@dataclass(frozen=True)
class LineIn:
    kind: str
    quantity: Decimal | None = None
    unit_price: Decimal | None = None
    discount_percent: Decimal = ZERO
    vat_rate: Decimal | None = None
    vat_category: str | None = None
    vat_group: str | None = None          # lines billing slices of one amount (see above)
    vat_carried: Decimal | None = None    # base the group billed on earlier documents

    @property
    def priced(self) -> bool:
        return self.kind in ("goods", "service", "labour", "equipment")


@dataclass(frozen=True)
class AdjustmentIn:
    amount: Decimal
    vat_rate: Decimal
    vat_category: str | None = None
    is_charge: bool = False
    vat_group: str | None = None          # an allowance or charge billed in slices with lines of its group
    vat_carried: Decimal | None = None


@dataclass(frozen=True)
class VatRow:
    category: str
    rate: Decimal
    basis: Decimal     # BT-116
    amount: Decimal    # BT-117


@dataclass(frozen=True)
class Totals:
    line_nets: tuple            # BT-131 per line (None for text/section/subtotal lines)
    subtotals: tuple            # running subtotal shown on subtotal lines (None elsewhere)
    line_total: Decimal         # BT-106
    allowance_total: Decimal    # BT-107
    charge_total: Decimal       # BT-108
    tax_basis_total: Decimal    # BT-109
    tax_total: Decimal          # BT-110
    grand_total: Decimal        # BT-112
    prepaid: Decimal            # BT-113
    rounding: Decimal           # BT-114
    due: Decimal                # BT-115
    vat: tuple = field(default_factory=tuple)   # VatRow, sorted by category then rate desc

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in TOTAL_KEYS}


TOTAL_KEYS = ("line_total", "allowance_total", "charge_total", "tax_basis_total", "tax_total",
              "grand_total", "prepaid", "rounding", "due")


def compute(lines, adjustments=(), prepaid: Decimal = ZERO, rounding: Decimal = ZERO) -> Totals:
    nets, subtotals = [], []
    bases: dict[tuple[str, Decimal], Decimal] = {}
    sliced: dict[tuple[str, Decimal], Decimal] = {}       # key -> base of lines taxed apart
    slice_tax: dict[tuple[str, Decimal], Decimal] = {}    # key -> the VAT of those lines
    groups: dict[tuple, list] = {}                        # (key, group) -> [carried, Σ nets]
    running = ZERO
    for ln in lines:
        if ln.kind == "subtotal":
            nets.append(None)
            subtotals.append(running)
            running = ZERO
            continue
        subtotals.append(None)
        if ln.kind == "section":
            running = ZERO
        if not ln.priced:
            nets.append(None)
            continue
        net = line_net(ln.quantity, ln.unit_price, ln.discount_percent)
        nets.append(net)
        running += net
        rate = ln.vat_rate if ln.vat_rate is not None else ZERO
        key = (category_for(rate, ln.vat_category), rate)
        bases[key] = bases.get(key, ZERO) + net
        if ln.vat_group:
            group = groups.setdefault((key, ln.vat_group), [ln.vat_carried or ZERO, ZERO])
            group[1] += net
        elif net < 0:
            sliced[key] = sliced.get(key, ZERO) + net
            slice_tax[key] = slice_tax.get(key, ZERO) - deducted_vat(-net, rate, key[0])
    allowances = charges = ZERO
    for adj in adjustments:
        amount = round_cents(adj.amount)
        key = (category_for(adj.vat_rate, adj.vat_category), adj.vat_rate)
        signed = amount if adj.is_charge else -amount
        bases[key] = bases.get(key, ZERO) + signed
        if adj.vat_group:
            group = groups.setdefault((key, adj.vat_group), [adj.vat_carried or ZERO, ZERO])
            group[1] += signed
        if adj.is_charge:
            charges += amount
        else:
            allowances += amount
    for (key, _), (carried, total) in groups.items():
        sliced[key] = sliced.get(key, ZERO) + total
        slice_tax[key] = slice_tax.get(key, ZERO) + slice_vat(carried, total, key[1], key[0])
    vat_rows = []
    for (cat, rate), basis in sorted(bases.items(), key=lambda kv: (kv[0][0], -kv[0][1])):
        tax = ZERO
        if cat in TAXED:
            apart = sliced.get((cat, rate), ZERO)
            tax = deducted_vat(basis - apart, rate, cat) + slice_tax.get((cat, rate), ZERO)
        vat_rows.append(VatRow(cat, rate, round_cents(basis), tax))
    line_total = sum((n for n in nets if n is not None), ZERO)
    tax_basis = line_total - allowances + charges
    tax_total = sum((v.amount for v in vat_rows), ZERO)
    grand = tax_basis + tax_total
    prepaid = round_cents(prepaid)
    rounding = round_cents(rounding)
    return Totals(tuple(nets), tuple(subtotals), round_cents(line_total), round_cents(allowances),
                  round_cents(charges), round_cents(tax_basis), round_cents(tax_total),
                  round_cents(grand), prepaid, rounding, round_cents(grand - prepaid + rounding),
                  tuple(vat_rows))


def vat_received(rows, paid: Decimal, grand_total: Decimal, shares=None) -> list[tuple]:
    """VAT on receipts: what a payment of `paid` on a document of `grand_total` collected, its
    stored VAT rows (category, rate, basis, amount) prorated by paid / TTC — the VAT that was
    charged, allowances and charges included, never recomputed from lines. `shares`: for each
    (category, rate), the part of the row that is services (VAT on receipts applies to them;
    goods are due on delivery). Returns (category, rate, basis, VAT)."""
    if not grand_total:
        return []
    out = []
    for category, rate, basis, amount in rows:
        part = (shares or {}).get((category, rate), Decimal(1))
        out.append((category, rate, round_cents(basis * part * paid / grand_total),
                    round_cents(amount * part * paid / grand_total)))
    return out


@dataclass(frozen=True)
class Euros:
    """A foreign-currency document's figures in euros (BT-6 = EUR): the VAT total is BT-111.
    Each total is converted once, round(amount × rate), and the VAT rows are spread so that they
    add up to it exactly (the FEC and the VAT report must balance to the cent)."""
    tax_basis_total: Decimal
    tax_total: Decimal          # BT-111
    grand_total: Decimal
    vat: tuple                  # (basis, amount) in euros, in the order of Totals.vat


def _spread(parts, total: Decimal) -> list:
    """Each part converted, the last one taking the cent the roundings left over."""
    out = list(parts)
    if out:
        out[-1] += total - sum(out, ZERO)
    return out


def in_euros(tax_total: Decimal, grand_total: Decimal, vat_rows, rate: Decimal) -> Euros:
    """vat_rows: anything with .basis and .amount (VatRow, stored DocumentVat rows)."""
    tax = round_cents(tax_total * rate)
    grand = round_cents(grand_total * rate)
    bases = _spread([round_cents(v.basis * rate) for v in vat_rows], grand - tax)
    amounts = _spread([round_cents(v.amount * rate) for v in vat_rows], tax)
    return Euros(grand - tax, tax, grand, tuple(zip(bases, amounts)))
