"""Exact money, and the one totals module against EN 16931 (BR-CO-10 to BR-CO-17)."""
from decimal import Decimal as D

import pytest
from hypothesis import given, settings, strategies as st

from tui_factu import totals
from tui_factu.errors import InvalidValue
from tui_factu.money import CENT, round_cents, sum_of, to_decimal
from tui_factu.totals import AdjustmentIn, LineIn


def test_a_million_lines_of_ten_cents_sum_exactly_in_sql(db):
    """money.py: a REAL column would give 100000.00000000186; scaled integers give the cent."""
    from tui_factu.models import Customer, Document, DocumentLine, db as pdb
    c = Customer.create(code="S", name="S", name_key="s")
    doc = Document.create(kind="invoice", date="2026-11-27", customer=c.id)
    with pdb.atomic():
        pdb.execute_sql("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000)"
                        " INSERT INTO document_line (document_id, position, kind, net_amount, quantity,"
                        " unit, discount_percent, code, description)"
                        " SELECT ?, i, 'service', 10, 1000, 'C62', 0, '', '' FROM n", (doc.id,))
    total = DocumentLine.select(sum_of(DocumentLine.net_amount)).scalar()
    assert total == D("100000.00")
    assert str(total) == "100000.00"


def test_input_refuses_garbage_with_the_field_named():
    with pytest.raises(InvalidValue, match="prix : nombre invalide « 12,5,0 »"):
        to_decimal("12,5,0", "prix")
    with pytest.raises(InvalidValue, match="nombre invalide"):
        to_decimal("NaN", "prix")
    assert to_decimal("1 234,56", "prix") == D("1234.56")


def test_simple_invoice_figures():
    t = totals.compute([LineIn("goods", D("3"), D("12.50"), D("10"), D("20")),
                        LineIn("text"),
                        LineIn("labour", D("1.5"), D("45"), D("0"), D("10")),
                        LineIn("goods", D("1"), D("19.90"), D("0"), D("5.5"))],
                       [AdjustmentIn(D("10.00"), D("20"))])
    assert t.line_nets == (D("33.75"), None, D("67.50"), D("19.90"))
    assert t.line_total == D("121.15")
    assert t.allowance_total == D("10.00")
    assert t.tax_basis_total == D("111.15")
    by_rate = {(v.category, v.rate): (v.basis, v.amount) for v in t.vat}
    assert by_rate[("S", D("20"))] == (D("23.75"), D("4.75"))
    assert by_rate[("S", D("10"))] == (D("67.50"), D("6.75"))
    assert by_rate[("S", D("5.5"))] == (D("19.90"), D("1.09"))
    assert t.tax_total == D("12.59")
    assert t.grand_total == D("123.74")
    assert t.due == D("123.74")


def test_vat_is_rounded_per_rate_on_the_summed_base_not_per_line():
    # Three lines of 0.35 at 20 %: per line 0.07 × 3 = 0.21, per rate round(1.05 × 0.2) = 0.21;
    # with 0.33: per line 0.07 × 3 = 0.21 but per rate round(0.99 × 0.2) = 0.20 (the right one).
    t = totals.compute([LineIn("goods", D("1"), D("0.33"), D("0"), D("20"))] * 3)
    assert t.tax_total == D("0.20")


def test_reverse_charge_carries_no_vat_and_its_mention():
    t = totals.compute([LineIn("labour", D("10"), D("50"), D("0"), D("0"), "AE")])
    assert t.tax_total == D("0.00")
    assert t.vat[0].category == "AE"
    assert totals.exemption(t.vat[0].category, {}) == ("Autoliquidation", "VATEX-EU-AE")


def test_subtotal_lines_show_the_running_sum_since_the_last_section():
    t = totals.compute([LineIn("section"), LineIn("goods", D("2"), D("5"), D("0"), D("20")),
                        LineIn("goods", D("1"), D("3"), D("0"), D("20")), LineIn("subtotal"),
                        LineIn("section"), LineIn("service", D("1"), D("7"), D("0"), D("20")),
                        LineIn("subtotal")])
    assert t.subtotals[3] == D("13.00")
    assert t.subtotals[6] == D("7.00")
    assert t.line_total == D("20.00")


amounts = st.decimals(min_value=D("0.01"), max_value=D("99999.99"), places=2)
quantities = st.decimals(min_value=D("0.001"), max_value=D("9999"), places=3)
rates = st.sampled_from([(D("20"), "S"), (D("10"), "S"), (D("5.5"), "S"), (D("2.1"), "S"),
                         (D("0"), "Z"), (D("0"), "E"), (D("0"), "AE")])
lines = st.builds(lambda q, p, d, r: LineIn("goods", q, p, d, r[0], r[1]), quantities, amounts,
                  st.sampled_from([D("0"), D("5"), D("10"), D("33.33"), D("100")]), rates)
adjustments = st.builds(lambda a, r, c: AdjustmentIn(a, r[0], r[1], c), amounts, rates, st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(lines, min_size=1, max_size=30), st.lists(adjustments, max_size=3),
       st.decimals(min_value=D("0"), max_value=D("500"), places=2))
def test_business_rules_hold_on_random_documents(ls, adjs, prepaid):
    t = totals.compute(ls, adjs, prepaid)
    nets = [n for n in t.line_nets if n is not None]
    for n in nets:                                                     # BR-DEC: 2 decimals
        assert n == n.quantize(CENT)
    assert t.line_total == sum(nets, D(0))                             # BR-CO-10
    assert t.allowance_total == sum((a.amount for a in adjs if not a.is_charge), D(0))  # BR-CO-11
    assert t.charge_total == sum((a.amount for a in adjs if a.is_charge), D(0))         # BR-CO-12
    assert t.tax_basis_total == t.line_total - t.allowance_total + t.charge_total       # BR-CO-13
    assert t.tax_total == sum((v.amount for v in t.vat), D(0))         # BR-CO-14
    assert t.grand_total == t.tax_basis_total + t.tax_total            # BR-CO-15
    assert t.due == t.grand_total - t.prepaid + t.rounding             # BR-CO-16
    for v in t.vat:                                                    # BR-CO-17, exactly
        assert v.amount == (v.basis * v.rate / 100).quantize(CENT, rounding="ROUND_HALF_UP") \
            or v.category != "S"
    assert sum((v.basis for v in t.vat), D(0)) == t.tax_basis_total    # BR-S-08 per category


@settings(max_examples=200, deadline=None)
@given(st.lists(lines, min_size=1, max_size=10), st.sampled_from([D("10"), D("30"), D("33.33"), D("50"), D("100")]))
def test_deposit_plus_final_equals_the_supply_to_the_cent(ls, percent):
    """Whatever the rates and the percentage, deposit + final invoice = the whole supply."""
    whole = totals.compute(ls)
    deposit_lines = [LineIn("service", D("1"), (v.basis * percent / 100).quantize(CENT, rounding="ROUND_HALF_UP"),
                            D("0"), v.rate, v.category) for v in whole.vat]
    deposit = totals.compute([d for d in deposit_lines if d.unit_price])
    final = totals.compute(list(ls) + [LineIn("service", D("-1"), d.unit_price, D("0"), d.vat_rate, d.vat_category)
                                       for d in deposit_lines if d.unit_price])
    assert deposit.grand_total + final.grand_total == whole.grand_total
    assert deposit.tax_total + final.tax_total == whole.tax_total
    for v in final.vat:                                   # BR-CO-17 within the EN 16931 tolerance
        assert abs(v.amount - v.basis * v.rate / 100) <= 1


@given(st.decimals(min_value=D("0.01"), max_value=D("999999.99"), places=2),
       st.lists(st.integers(min_value=1, max_value=10_000), min_size=1, max_size=12),
       st.sampled_from([D("20"), D("10"), D("5.5"), D("2.1")]))
@settings(max_examples=300, deadline=None)
def test_an_amount_billed_in_slices_carries_exactly_the_vat_of_the_whole(whole, weights, rate):
    """A contract's works over its situations (or a deposit deducted pro rata): each invoice
    taxes its slice with the base the group billed before, and the slices' VAT adds up to the
    VAT of the whole, where rounding each slice on its own drifts by a cent."""
    cuts = [(whole * sum(weights[:i + 1]) / sum(weights)).quantize(CENT) for i in range(len(weights))]
    slices = [b - a for a, b in zip([D("0.00")] + cuts[:-1], cuts)]
    carried, vat = D("0.00"), D("0.00")
    for part in slices:
        t = totals.compute([LineIn("service", D(1), part, D(0), rate, "S", "works", carried)])
        vat += t.tax_total
        assert abs(t.tax_total - round_cents(part * rate / 100)) <= CENT     # BR-CO-17 holds
        carried += part
    assert vat == round_cents(whole * rate / 100)          # half-up, the rule of the whole module


def test_one_rounding_helper_half_up_everywhere():
    """Money is rounded by money.round_to / round_cents (half up) and nowhere else: a bare
    quantize() or Python's round() rounds half to even, a cent off on ...5 amounts."""
    import io
    import tokenize
    from pathlib import Path
    root = Path(__file__).resolve().parents[2]
    found = []
    for folder in ("tui_factu", "printers", "screens"):
        for path in (root / folder).rglob("*.py"):
            if path.name in ("money.py", "totals.py"):
                continue
            tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
            for before, tok, after in zip(tokens, tokens[1:], tokens[2:]):
                called = after.type == tokenize.OP and after.string == "("
                if called and tok.type == tokenize.NAME and (
                        tok.string == "quantize" and before.string == "."
                        or tok.string == "round" and before.string != "."):
                    found.append(f"{path.relative_to(root)}:{tok.start[0]}")
    assert not found, "\n".join(found)
    from tui_factu.money import round_cents, round_to
    assert round_cents(D("0.125")) == D("0.13") and round_to(D("2.5"), 0) == D("3")   # half up, not to even


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=D("-1e9"), max_value=D("1e9"), places=4, allow_nan=False, allow_infinity=False))
def test_french_display_is_babels_with_its_locale_and_patterns_parsed_once(value):
    """fr.py keeps babel's French formatting (the reference here) while parsing the locale and
    each pattern once, not on every figure printed."""
    from babel.numbers import format_decimal
    from tui_factu import fr

    def babel(v, fmt):
        return format_decimal(v, format=fmt, locale="fr_FR").replace("\u202f", " ").replace("\xa0", " ")
    assert fr.amount(value) == babel(round_cents(value), "#,##0.00")
    assert fr.number(value) == babel(value, "#,##0.###")
    assert fr.percent(value) == babel(value, "#,##0.##") + " %"
