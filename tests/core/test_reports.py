"""Reports on a data set whose right answers are known."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import documents, payments, reports


@pytest.fixture
def sales(shop):
    """C1: two invoices (60.00 and 30.00 TTC; 50.00 + 25.00 HT), a credit note of 15.00 TTC
    (12.50 HT); P1: one invoice of 20.99 TTC (19.90 + 1.09 at 5.5 %). Paid: 40.00 by C1."""
    a = documents.validate(documents.create("invoice", "C1", "2026-10-05", [{"product": "VIS", "quantity": "4"}],
                                            due_date="2026-10-20").id)
    b = documents.validate(documents.create("invoice", "C1", "2026-10-06", [{"product": "VIS", "quantity": "2"}],
                                            due_date=(dt.date.today() + dt.timedelta(days=10)).isoformat()).id)
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


def test_follow_up_lists(sales):
    overdue = reports.follow_up("overdue")
    assert [r["number"] for r in overdue] == [sales[0].number, sales[3].number]   # P1's fell due on 7/11
    assert overdue[0]["days_late"] == (dt.date.today() - dt.date(2026, 10, 20)).days
