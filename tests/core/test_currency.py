"""Documents in another currency: the rate of the day, refused without one, sealed with it."""
from decimal import Decimal

import pytest
from support import raw_base

from tui_factu import db as database, documents, payments, rates, session, users, verify
from tui_factu.errors import FactuError, InvalidValue
from tui_factu.permissions import PermissionDenied
from tui_factu.models import Document

LINE = {"description": "Conseil", "quantity": "3", "unit_price": "100", "vat_rate": "20"}


@pytest.fixture
def usd(shop):
    rates.set_rate("USD", "2026-11-01", "0.90")
    rates.set_rate("usd", "2026-11-15", "0.92")
    rates.set_rate("USD", "2026-12-05", "0.95")          # after the documents: never used for them


def _usd_invoice(day="2026-11-20", **kw):
    return documents.validate(documents.create("invoice", "C1", day, [LINE], currency="USD", **kw).id)


def test_a_currency_without_a_rate_is_refused_and_nothing_is_created(shop):
    before = Document.select().count()
    with pytest.raises(InvalidValue) as e:
        documents.create("invoice", "C1", "2026-11-20", [LINE], currency="GBP")
    assert "aucun cours connu au 20/11/2026" in e.value.message and "rates set GBP" in e.value.message
    rates.set_rate("GBP", "2026-11-21", "1.15")          # a rate of a later day does not count
    with pytest.raises(InvalidValue):
        documents.create("invoice", "C1", "2026-11-20", [LINE], currency="GBP")
    assert Document.select().count() == before


@pytest.mark.parametrize("code", ["XYZ", "US", "€", "12A"])
def test_a_code_that_is_no_iso_4217_currency_is_refused(shop, code):
    with pytest.raises(InvalidValue, match="devise inconnue"):
        documents.create("invoice", "C1", "2026-11-20", [LINE], currency=code)
    with pytest.raises(InvalidValue, match="devise inconnue"):
        rates.set_rate(code, "2026-11-20", "1")


def test_the_rate_of_the_document_date_is_the_last_one_on_or_before_it(usd):
    assert _usd_invoice("2026-11-14").exchange_rate == Decimal("0.90")
    assert _usd_invoice("2026-11-15").exchange_rate == Decimal("0.92")
    inv = _usd_invoice("2026-11-30")
    assert inv.exchange_rate == Decimal("0.92")
    # 3 × 100 USD + 20 % = 360 USD; VAT 60 USD = 55.20 € (BT-111), TTC 331.20 €
    assert (inv.currency, inv.grand_total, inv.tax_total) == ("USD", Decimal("360.00"), Decimal("60.00"))
    assert (inv.tax_total_eur, inv.grand_total_eur, inv.tax_basis_total_eur) == (
        Decimal("55.20"), Decimal("331.20"), Decimal("276.00"))
    shown = documents.show(inv)
    assert (shown["currency"], shown["exchange_rate"], shown["vat_total_eur"]) == ("USD", "0.92", "55.20")


def test_a_rate_given_by_the_import_wins_over_the_table(usd):
    assert _usd_invoice(exchange_rate="0.9123").exchange_rate == Decimal("0.9123")
    with pytest.raises(InvalidValue, match="6 décimales au plus"):
        documents.create("invoice", "C1", None, [LINE], currency="USD", exchange_rate="0.1234567")
    with pytest.raises(InvalidValue, match="sans objet"):
        documents.create("invoice", "C1", None, [LINE], exchange_rate="0.9")


def test_a_document_in_euros_has_no_rate_and_states_its_vat_in_euros(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [LINE]).id)
    shown = documents.show(inv)
    assert (shown["currency"], shown["exchange_rate"], shown["vat_total_eur"]) == ("EUR", None, "60.00")
    assert inv.tax_total_eur is None


def test_catalogue_prices_in_euros_are_converted_at_the_rate(usd):
    doc = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}], currency="USD")
    # VIS is 12.50 € HT: 12.50 / 0.92 = 13.5870 USD
    assert documents.show(doc)["lines"][0]["unit_price"] == "13.587"


def test_the_rate_and_the_euro_totals_are_sealed_and_a_change_is_caught(usd, db):
    inv = _usd_invoice()
    assert verify.run().ok
    con = raw_base(db)
    con.execute("UPDATE document SET exchange_rate = 800000 WHERE id = ?", (inv.id,))
    con.commit()
    database.connect(db)
    report = verify.run()
    assert not report.ok and report.as_dict()["first_failure"]["ref"] == inv.number


def test_the_euro_vat_of_a_sealed_document_is_sealed_too(usd, db):
    inv = _usd_invoice()
    con = raw_base(db)
    con.execute("UPDATE document_vat SET amount_eur = amount_eur - 100 WHERE document_id = ?", (inv.id,))
    con.commit()
    database.connect(db)
    report = verify.run()
    assert not report.ok and report.as_dict()["first_failure"]["ref"] == inv.number


def test_the_guard_trigger_refuses_a_new_rate_on_a_sealed_document(usd):
    inv = _usd_invoice()
    with pytest.raises(Exception, match="scellé"):
        Document.update(exchange_rate=Decimal("0.5")).where(Document.id == inv.id).execute()


def test_a_credit_note_keeps_the_currency_and_the_rate_of_its_invoice(usd):
    inv = _usd_invoice("2026-11-20")
    rates.set_rate("USD", "2026-11-25", "0.99")
    cn = documents.validate(documents.credit(inv.id).id)
    assert (cn.currency, cn.exchange_rate, cn.tax_total_eur) == ("USD", Decimal("0.92"), Decimal("55.20"))


def test_changing_a_draft_currency_or_date_takes_the_rate_of_that_day(usd):
    doc = documents.create("invoice", "C1", "2026-11-20", [LINE])
    doc = documents.update_draft(doc.id, doc.version, {"currency": "USD"})
    assert (doc.currency, doc.exchange_rate, doc.tax_total_eur) == ("USD", Decimal("0.92"), Decimal("55.20"))
    doc = documents.update_draft(doc.id, doc.version, {"date": "2026-11-10"})
    assert (doc.exchange_rate, doc.tax_total_eur) == (Decimal("0.90"), Decimal("54.00"))
    doc = documents.update_draft(doc.id, doc.version, {"currency": "EUR"})
    assert (doc.exchange_rate, doc.tax_total_eur) == (None, None)


def test_documents_of_two_currencies_are_not_invoiced_together(usd):
    a = documents.validate(documents.create("delivery", "C1", "2026-11-20", [LINE], currency="USD").id)
    b = documents.validate(documents.create("delivery", "C1", "2026-11-20", [LINE]).id)
    with pytest.raises(InvalidValue, match="même devise"):
        documents.transform([a.id, b.id], "invoice")
    inv = documents.transform([a.id], "invoice")
    assert (inv.currency, inv.exchange_rate) == ("USD", Decimal("0.92"))


def test_rates_import_is_all_or_nothing_and_names_the_bad_line(usd, tmp_path):
    good = tmp_path / "ok.csv"
    good.write_text("devise;date;cours\nGBP;2026-11-01;1,15\nCHF;01/11/2026;1.07\n")
    assert [r["currency"] for r in rates.import_csv(str(good))] == ["GBP", "CHF"]
    bad = tmp_path / "bad.csv"
    bad.write_text("JPY;2026-11-01;0.0062\nGBP;2026-11-02;abc\n")
    with pytest.raises(FactuError, match="ligne 2 : cours : nombre invalide"):
        rates.import_csv(str(bad))
    assert not [r for r in rates.listing() if r["currency"] == "JPY"]


def test_a_sales_clerk_may_not_set_a_rate(usd, tmp_path):
    users.create("caisse", "sales", "secret")
    session.set_user("caisse")
    with pytest.raises(PermissionDenied, match="saisir les cours des devises"):
        rates.set_rate("USD", "2026-11-20", "0.01")
    with pytest.raises(PermissionDenied, match="saisir les cours des devises"):      # nor through a document
        documents.create("invoice", "C1", "2026-11-20", [LINE], currency="USD", exchange_rate="0.0001")
    assert documents.create("invoice", "C1", "2026-11-20", [LINE], currency="USD").exchange_rate == Decimal("0.92")
    (tmp_path / "r.csv").write_text("USD;2026-11-20;0.01\n")
    with pytest.raises(PermissionDenied):
        rates.import_csv(str(tmp_path / "r.csv"))
    assert rates.rate_on("USD", documents.parse_date("2026-11-20")) == Decimal("0.92")


@pytest.mark.backends
def test_reports_count_a_foreign_currency_document_in_euros(usd):
    from tui_factu import reports
    _usd_invoice("2026-12-01")
    documents.validate(documents.create("invoice", "C1", "2026-12-01", [LINE]).id)      # 360 € of which 60 € VAT
    assert reports.vat_summary("2026-12-01", "2026-12-01") == [
        {"category": "S", "rate": "20", "basis": "576.00", "vat": "115.20"}]           # 276 + 300, 55.20 + 60
    usd_row = next(r for r in reports.sales_journal("2026-12-01", "2026-12-01") if r["vat"] == "55.20")
    assert (usd_row["net"], usd_row["total"], usd_row["by_rate"]) == ("276.00", "331.20", "20%:276.00/55.20")
    assert reports.dashboard()["sales_today"] == (2, Decimal("576.00"))


def _fec_rows(tmp_path):
    from tui_factu import fec
    fec.export(2026, str(tmp_path))
    lines = next(tmp_path.glob("*FEC*.txt")).read_text(encoding="utf-8").splitlines()
    return [ln.split("\t") for ln in lines[1:]]


def _n(text):
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


@pytest.mark.backends
def test_the_fec_books_in_euros_with_the_amount_in_currency_and_its_code(usd, tmp_path):
    inv = _usd_invoice()
    payments.pay([inv.id], "100.00", "transfer", "2026-11-25")
    rows = _fec_rows(tmp_path)
    entry = [r for r in rows if r[0] == "VT" and r[8] == inv.number]
    # customer 331.20 € debit (360 USD), revenue 276.00 € (300 USD), VAT 55.20 € (60 USD): balanced in euros
    assert [(r[4][:3], _n(r[11]) - _n(r[12]), r[16], r[17]) for r in entry] == [
        ("411", Decimal("331.20"), "360,00", "USD"), ("706", Decimal("-276.00"), "300,00", "USD"),
        ("445", Decimal("-55.20"), "60,00", "USD")]
    receipt = [r for r in rows if r[0] == "BQ"]           # 100 USD at the invoice's rate: 92.00 €
    assert [(_n(r[11]) - _n(r[12]), r[16], r[17]) for r in receipt] == [
        (Decimal("92.00"), "100,00", "USD"), (Decimal("-92.00"), "100,00", "USD")]
    euro = [r for r in rows if r[0] == "VT" and r[8] != inv.number]
    assert all(r[16] == r[17] == "" for r in euro)


def test_the_fec_entry_of_a_foreign_document_balances_to_the_cent(usd, tmp_path):
    lines = [{"description": f"Article {i}", "quantity": "1", "unit_price": p, "vat_rate": v}
             for i, (p, v) in enumerate((("10.01", "20"), ("33.33", "5.5"), ("7.77", "10"), ("0.05", "20")))]
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", lines, currency="USD",
                                              exchange_rate="0.923457").id)
    entry = [r for r in _fec_rows(tmp_path) if r[8] == inv.number]
    assert sum((_n(r[11]) - _n(r[12]) for r in entry), Decimal(0)) == 0
    assert _n(entry[0][11]) == inv.grand_total_eur
    assert sum((_n(r[12]) for r in entry if r[4].startswith("445")), Decimal(0)) == inv.tax_total_eur


def test_a_payment_of_a_foreign_invoice_stays_in_its_currency(usd):
    inv = _usd_invoice()
    eur = documents.validate(documents.create("invoice", "C1", "2026-11-20", [LINE]).id)
    with pytest.raises(InvalidValue, match="même devise"):
        payments.pay([inv.id, eur.id], "10", "transfer")
    with pytest.raises(InvalidValue, match="au plus le reste dû"):
        payments.pay([inv.id], "360.01", "transfer")
    with pytest.raises(InvalidValue, match="au plus le reste dû"):
        payments.pay([inv.id], "10", "credit")
    payments.pay([inv.id], "300", "transfer")
    assert payments.balance(documents.get(inv.id)) == Decimal("60.00")      # USD


def test_the_cost_snapshot_is_in_the_document_currency_so_margins_compare_like_with_like(usd):
    eur = documents.lines_of(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)[0]
    doc = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}], currency="USD")
    line = documents.lines_of(doc.id)[0]
    assert line.cost_price == (eur.cost_price / Decimal("0.92")).quantize(Decimal("0.0001"))
    assert line.unit_price == Decimal("13.587") and eur.unit_price == Decimal("12.50")


def test_a_deposit_on_a_dollar_order_is_in_dollars(usd):
    from tui_factu import deposits
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [LINE], currency="USD").id)
    dep = deposits.request(order.id, percent="30")
    assert (dep.currency, dep.exchange_rate, dep.grand_total) == ("USD", Decimal("0.92"), Decimal("108.00"))


@pytest.mark.backends
def test_a_closing_counts_a_dollar_invoice_in_euros(usd):
    from tui_factu import closings
    payments.pay([_usd_invoice("2026-11-20").id], "100", "cheque", "2026-11-20")
    payments.pay([documents.validate(documents.create("invoice", "C1", "2026-11-20", [LINE]).id).id], "10", "cheque",
                 "2026-11-20")
    figures = closings.totals(documents.parse_date("2026-11-20"), documents.parse_date("2026-11-20"))
    assert figures["grand_total"] == "691.20" and figures["vat"][0]["sales_vat"] == "115.20"     # 331.20 + 360
    assert figures["payments"] == {"cheque": "102.00"}                  # 100 USD at 0.92 + 10 €
    from tui_factu import reports
    assert reports.payments_journal("2026-11-20", "2026-11-20") == [{"method": "cheque", "count": 2, "amount": "102.00"}]


def test_the_mail_of_a_dollar_invoice_says_dollars(usd):
    from tui_factu import mail
    mail.configure("127.0.0.1", "2525", "starttls", "", "factures@atelier.example", "")
    inv = _usd_invoice()
    payments.pay([inv.id], "60", "transfer", "2026-11-25")
    p = mail.prepare(inv.number, to="compta@client.example")
    assert "360,00 $US TTC, reste à payer 300,00 $US" in p["subject"]
