"""Payment terms as French companies write them: one row per term and date, month ends and leap
years included; the legal ceiling between professionals (L441-10); the invoice's due date and
schedule from the customer's terms."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import catalog, documents, terms
from tui_factu.errors import InvalidValue

d = dt.date


@pytest.mark.parametrize("code,issued,due", [
    ("reception", d(2026, 3, 15), d(2026, 3, 15)),
    ("30j", d(2026, 1, 31), d(2026, 3, 2)),
    ("45j", d(2026, 11, 20), d(2027, 1, 4)),
    ("60j", d(2028, 1, 1), d(2028, 3, 1)),                 # 2028 is a leap year: 29 February counted
    ("30jfdm", d(2026, 1, 31), d(2026, 3, 31)),             # 2 March, then the end of March
    ("45jfdm", d(2026, 1, 15), d(2026, 3, 31)),             # 15 January + 45 days = 1 March, end of March
    ("45jfdm", d(2028, 1, 15), d(2028, 2, 29)),             # 29 Feb in a leap year
    ("30jfdm10", d(2026, 11, 20), d(2027, 1, 10)),          # 20 Dec, end of December, the 10th of January
    ("fdm30", d(2026, 1, 10), d(2026, 3, 2)),               # end of January + 30 days
    ("fdm45", d(2026, 12, 5), d(2027, 2, 14)),
    ("30j+esc2@10", d(2026, 4, 1), d(2026, 5, 1)),
])
def test_due_dates_by_term(code, issued, due):
    assert terms.parse(code).due_date(issued) == due


def test_instalments_split_to_the_cent_and_print_as_written():
    t = terms.parse("0/30/60")
    dates = t.due_dates(d(2026, 11, 30))
    assert dates == [(D("33.33"), d(2026, 11, 30)), (D("33.33"), d(2026, 12, 30)), (D("33.34"), d(2027, 1, 29))]
    assert t.label() == "Paiement en 3 fois : à réception, 30 jours, 60 jours"
    assert terms.parse("45jfdm").label() == "Paiement 45 jours fin de mois"
    assert terms.parse("30j+esc2@10").discount_text() == "Escompte de 2 % pour paiement sous 10 jours."
    assert terms.parse("30j").discount_text() == "Pas d'escompte pour paiement anticipé."


@pytest.mark.parametrize("code,issued", [("90j", d(2026, 1, 1)), ("60jfdm", d(2026, 1, 1)), ("fdm60", d(2026, 1, 10)), ("30jfdm10", d(2026, 1, 31)),
                                         ("0/30/90", d(2026, 1, 1))])
def test_beyond_the_legal_ceiling_is_refused_with_the_article(code, issued):
    with pytest.raises(InvalidValue, match="L441-10"):
        terms.parse(code).check_legal(issued)


@pytest.mark.parametrize("code", ["45jfdm", "60j", "30jfdm", "fdm30"])
def test_the_ceiling_allows_what_the_law_allows(code):
    for issued in (d(2026, 1, 31), d(2026, 2, 28), d(2028, 2, 29), d(2026, 12, 31)):
        terms.parse(code).check_legal(issued)


@pytest.mark.parametrize("code,message", [("", "code attendu"), ("30 jours", "« 30jours »"), ("30d", "« 30d »"), ("30jfdm40", "1 à 28"),
                                          ("30j+esc", "escompte"), ("30j+esc150@10", "escompte")])
def test_a_term_not_understood_says_which_part(code, message):
    with pytest.raises(InvalidValue, match=message):
        terms.parse(code)


def test_an_invoice_takes_its_customers_terms_and_schedule(shop):
    catalog.save_customer({"code": "C2", "name": "Deux SARL", "kind": "company", "siren": "552100554",
                           "payment_terms": "0/30/60", "address": {"city": "Lyon"}})
    inv = documents.validate(documents.create("invoice", "C2", "2026-11-30", [{"product": "VIS", "quantity": "3"}]).id)
    assert inv.due_date == d(2027, 1, 29)
    from tui_factu import schedules
    plan = schedules.of_invoice(inv.id)
    assert [(p["due_date"], p["amount"]) for p in plan] == [("2026-11-30", "15.00"), ("2026-12-30", "15.00"),
                                                            ("2027-01-29", "15.00")]   # 45.00 TTC
    catalog.update_company({"payment_terms": "45jfdm"})
    catalog.save_customer({"code": "C3", "name": "Trois SAS", "kind": "company", "siren": "732829320",
                           "address": {"city": "Paris"}})
    inv = documents.validate(documents.create("invoice", "C3", "2026-11-30", [{"product": "VIS"}]).id)
    assert inv.due_date == d(2027, 1, 31)
    catalog.save_customer({"code": "C4", "name": "Quatre SA", "kind": "company", "siren": "404833048",
                           "payment_terms": "90j", "address": {"city": "Paris"}})
    draft = documents.create("invoice", "C4", "2026-11-30", [{"product": "VIS"}])
    with pytest.raises(InvalidValue, match="L441-10"):
        documents.validate(draft.id)
    assert documents.get(draft.id).number is None
    with pytest.raises(InvalidValue, match="délai de paiement"):
        catalog.save_customer({"code": "C5", "name": "Cinq", "payment_terms": "trente jours"})


def test_fm_is_read_as_fdm_and_every_accepted_term_stays_within_the_law():
    from hypothesis import given, strategies as st
    assert terms.parse("45jfm").code == "45jfdm" and terms.parse("fm45").code == "fdm45"

    @given(st.sampled_from(terms.COMMON + ("45jfdm", "fdm15", "0/30", "20jfdm", "0/45jfdm")),
           st.dates(min_value=d(2020, 1, 1), max_value=d(2035, 12, 31)))
    def within(code, issued):
        t = terms.parse(code)
        try:
            t.check_legal(issued)
        except InvalidValue:
            return                                          # refused: never issued
        for share, due in t.due_dates(issued):
            assert issued <= due <= max(issued + dt.timedelta(days=60),
                                        terms._end_of_month(issued + dt.timedelta(days=45)))
        assert sum(share for share, _ in t.due_dates(issued)) == 100
    within()
