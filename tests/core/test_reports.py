"""Reports on a data set whose right answers are known."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import clock, documents, margins, payments, reports
from tui_factu.errors import InvalidValue


@pytest.fixture
def sales(shop):
    """C1: two invoices (60.00 and 30.00 TTC; 50.00 + 25.00 HT), a credit note of 15.00 TTC
    (12.50 HT); P1: one invoice of 20.99 TTC (19.90 + 1.09 at 5.5 %). Paid: 40.00 by C1."""
    a = documents.validate(documents.create("invoice", "C1", "2026-10-05", [{"product": "VIS", "quantity": "4"}],
                                            due_date="2026-10-20").id)
    b = documents.validate(documents.create("invoice", "C1", "2026-10-06", [{"product": "VIS", "quantity": "2"}],
                                            due_date=(clock.today() + dt.timedelta(days=10)).isoformat()).id)
    cn = documents.validate(documents.credit(a.id, {1: D("1")}).id, "2026-10-07")
    p = documents.validate(documents.create("invoice", "P1", "2026-10-08", [{"product": "LIVRE", "quantity": "1"}]).id)
    payments.pay([a.id], "40.00", "cheque", "2026-10-10")
    return a, b, cn, p


def test_sales_journal_and_vat_count_credit_notes_negatively(sales):
    a, b, cn, p = sales
    rows = reports.sales_journal("2026-10-01", "2026-10-31")
    assert [(r["number"], r["net"], r["total"]) for r in rows] == [
        (a.number, "50.00", "60.00"), (b.number, "25.00", "30.00"), (cn.number, "-12.50", "-15.00"),
        (p.number, "19.90", "20.99")]
    assert reports.vat_summary("2026-10-01", "2026-10-31") == [
        {"category": "S", "rate": "20", "basis": "62.50", "vat": "12.50"},
        {"category": "S", "rate": "5.5", "basis": "19.90", "vat": "1.09"}]


def test_statement_runs_the_balance(sales):
    a, b, cn, _ = sales
    rows = reports.statement("C1")
    assert [(r["ref"], r["balance"]) for r in rows] == [
        (a.number, "60.00"), (b.number, "90.00"), (cn.number, "75.00"), ("REG-000001", "35.00")]


def test_aging_buckets_what_is_still_owed(sales):
    a, b, _, p = sales
    rows = {r["customer"]: r for r in reports.aging(dt.date(2026, 11, 30))}
    late = (dt.date(2026, 11, 30) - dt.date(2026, 10, 20)).days         # 41 days: 31-60
    assert late == 41
    assert rows["C1"]["31-60"] == "20.00" and rows["C1"]["not_due"] == "30.00" and rows["C1"]["total"] == "50.00"
    assert rows["P1"]["total"] == "20.99"


def test_ranking_by_customer_with_share(sales):
    rows = reports.ranking("customer", "revenue", "2026-10-01", "2026-10-31")
    assert [(r["key"], r["value"], r["share"]) for r in rows] == [("C1", "62.50", "75.8"), ("P1", "19.90", "24.2")]
    margin = {r["key"]: r["value"] for r in reports.ranking("product", "margin", "2026-10-01", "2026-10-31")}
    assert margin == {"VIS": "27.50", "LIVRE": "7.90"}      # (12.50 − 7.00) × 5 net boxes; 19.90 − 12.00


@pytest.mark.backends
def test_margin_ranking_follows_the_documents_margin_rule(shop):
    """Each line's cost rounds to the cent (3 × 0.005 → 0.03, not 0.02), and a line without a
    cost price has no margin: the ranking says what the invoice's own margin says."""
    parts = [{"description": "Rondelle", "quantity": "1", "unit_price": "0.10", "vat_rate": "20",
              "cost_price": "0.005"}] * 3
    inv = documents.validate(documents.create("invoice", "C1", "2026-09-02", parts + [
        {"description": "Forfait", "quantity": "1", "unit_price": "10.00", "vat_rate": "20"}]).id)
    own = margins.of_lines(documents.lines_of(inv.id))["margin"]
    rows = reports.ranking("customer", "margin", "2026-09-01", "2026-09-30")
    assert own == "0.27" and [(r["key"], r["value"]) for r in rows] == [("C1", "0.27")]


def test_follow_up_lists(sales):
    overdue = reports.follow_up("overdue")
    assert [r["number"] for r in overdue] == [sales[0].number, sales[3].number]   # P1's fell due on 7/11
    assert overdue[0]["days_late"] == (clock.today() - dt.date(2026, 10, 20)).days


def test_counter_tickets_count_as_sales_once_even_when_invoiced_later(shop):
    from tui_factu import counter
    t = counter.sale(counter.parse_items(["VIS:2"]), counter.parse_payments(["cash:30"]))["document"]   # 25.00 HT
    documents.validate(documents.transform([t.id], "invoice").id)          # the invoice asked for afterwards
    today = clock.today().isoformat()
    assert [r["number"] for r in reports.sales_journal(today, today)] == [t.number]
    assert reports.vat_summary(today, today) == [{"category": "S", "rate": "20", "basis": "25.00", "vat": "5.00"}]


def test_conversion_of_quotes_into_orders_and_invoices_by_road(shop):
    from tui_factu import clock
    clock.freeze(dt.date(2026, 10, 12))               # the quotes are still valid

    def quote(date, customer="C1"):
        return documents.validate(documents.create("quote", customer, date, [{"product": "VIS", "quantity": "2"}]).id)
    q1, q2, q3, q4 = quote("2026-10-01"), quote("2026-10-02"), quote("2026-10-03"), quote("2026-10-04", "P1")
    o1 = documents.validate(documents.transform([q1.id], "order").id, "2026-10-05")         # 4 days to order
    d1 = documents.validate(documents.transform([o1.id], "delivery").id, "2026-10-06")
    documents.validate(documents.transform([d1.id], "invoice").id, "2026-10-09")            # 3 days to invoice
    o2 = documents.validate(documents.transform([q2.id], "order").id, "2026-10-10")         # 8 days, not invoiced
    documents.validate(documents.transform([q3.id], "invoice").id, "2026-10-11")            # invoiced directly
    assert o2 and q4
    rows = {r["key"]: r for r in reports.conversion("2026-10-01", "2026-10-31", by="customer")}
    assert (rows["C1"]["quotes"], rows["C1"]["ordered"], rows["C1"]["invoiced"]) == (3, 2, 2)
    assert (rows["C1"]["order_rate"], rows["C1"]["invoice_rate"]) == ("66.7", "66.7")
    assert rows["C1"]["days_to_order"] == "6.0" and rows["C1"]["days_delivery_to_invoice"] == "3.0"
    assert (rows["P1"]["quotes"], rows["P1"]["order_rate"]) == (1, "0.0")
    assert [r["key"] for r in reports.conversion("2026-10-01", "2026-10-31")] == ["2026-10"]


def test_targets_achievement_projection_and_csv_import(shop):
    from tui_factu import catalog, targets
    catalog.save_customer({"code": "C1", "name": "Client Un SARL", "salesperson": "marie"})
    documents.validate(documents.create("invoice", "C1", "2026-01-10", [{"product": "VIS", "quantity": "8"}]).id)  # 100 HT
    documents.validate(documents.create("invoice", "P1", "2026-01-20", [{"product": "MO", "quantity": "2"}]).id)   # 90 HT
    assert targets.import_csv("année;portée;clé;période;montant\n2026;overall;;M01;200\n"
                              "2026;commercial;marie;T1;1 000,00\n") == 2
    rows = {(r["scope"], r["key"], r["period"]): r for r in targets.achievement(2026, dt.date(2026, 1, 31))}
    month = rows[("overall", "", "M01")]
    assert (month["achieved"], month["projection"], month["status"]) == ("190.00", "190.00", "rouge")
    q1 = rows[("salesperson", "marie", "Q1")]
    assert (q1["achieved"], q1["percent"], q1["status"]) == ("100.00", "10.0", "rouge")
    assert q1["projection"] == f"{D(100) * 90 / 31:.2f}"                  # 31 days gone of 90
    with pytest.raises(InvalidValue, match="ligne 1.*la famille"):
        targets.import_csv("2026;family;;Y;5\n")
    with pytest.raises(InvalidValue, match="ligne 2.période"):
        targets.import_csv("2026;overall;;M02;100\n2026;overall;;M13;100\n")
    assert len(targets.achievement(2026)) == 2                           # all or nothing: neither was added


def test_the_fec_has_18_fields_balanced_entries_and_its_name(shop, tmp_path):
    from tui_factu import deposits, fec
    order = documents.validate(documents.create("order", "C1", "2026-10-01", [{"product": "VIS", "quantity": "8"},
                                                                            {"product": "MO", "quantity": "2"}]).id)
    dep = documents.validate(deposits.request(order.id, percent="30").id, "2026-10-02")
    payments.pay([dep.id], str(dep.due), "transfer", "2026-10-03")
    final = documents.validate(documents.transform([order.id], "invoice").id, "2026-10-20")
    documents.validate(documents.credit(final.id, {1: D("1")}).id, "2026-10-21")
    done = fec.export(2026, str(tmp_path))
    assert done["path"].endswith("732829320FEC20261231.txt") and (done["sales"], done["receipts"]) == (3, 1)
    lines = (tmp_path / "732829320FEC20261231.txt").read_text(encoding="utf-8").splitlines()
    head, rows = lines[0].split("\t"), [ln.split("\t") for ln in lines[1:]]
    assert head == list(fec.FIELDS) and all(len(r) == 18 for r in rows)
    entries: dict = {}
    for r in rows:
        entries.setdefault(r[2], D(0))
        entries[r[2]] += D(r[11].replace(",", ".")) - D(r[12].replace(",", "."))
    assert set(entries.values()) == {D(0)}                                      # every entry balanced
    assert [r[2] for r in rows if r[0] == "VT"][0] == "VT000001"
    deposit_lines = [r for r in rows if r[4] == "419100"]
    assert deposit_lines and all(r[8] in (dep.number, final.number) for r in deposit_lines)
    bank = [r for r in rows if r[0] == "BQ"]
    assert [(b[4], b[11], b[12]) for b in bank] == [("512000", str(dep.due).replace(".", ","), "0,00"),
                                                     ("411000", "0,00", str(dep.due).replace(".", ","))]


def test_aging_totals_per_bucket(sales):
    rows = reports.aging()
    totals = reports.aging_totals(rows)
    assert sum(D(v) for v in totals.values()) == sum(D(r["total"]) for r in rows)


@pytest.mark.backends
def test_the_sales_journal_names_the_customer_as_sealed_on_the_invoice(sales):
    """A customer renamed after the invoice: the journal keeps the name the invoice bears."""
    from tui_factu import catalog
    catalog.update_customer("C1", {"name": "Autre Nom SAS"})
    names = {r["number"]: r["name"] for r in reports.sales_journal("2026-10-01", "2026-10-31")}
    assert names[sales[0].number] == "Client Un SARL"
