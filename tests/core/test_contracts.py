"""Recurring invoices against the clock: calendar periods, a prorata at the start and the end,
29 February, billing in advance or after the period; a period is billed once, whether the run
happens twice or from several terminals at the same moment (SQLite and PostgreSQL)."""
import datetime as dt
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import pytest

from tui_factu import catalog, contracts, documents
from tui_factu.errors import InvalidValue
from tui_factu.models import ContractInvoice, Document

d = dt.date


def _lines(made):
    return [(ln["description"], ln["net_amount"]) for m in made
            for ln in documents.show(documents.get(m["id"]))["lines"]]


def test_a_month_contract_from_mid_month_with_a_leap_february(shop):
    catalog.save_product({"code": "ABO", "name": "Abonnement maintenance", "kind": "service", "price": "29.00",
                          "vat_rate": "20"})
    contracts.add("C1", "month", "2028-02-15", [{"product": "ABO", "quantity": "1"}], end="2028-04-10")
    made = contracts.run(d(2028, 2, 15))
    assert [m["period"] for m in made] == [["2028-02-01", "2028-02-29"]]
    assert _lines(made) == [("Abonnement maintenance (du 15/02/2028 au 29/02/2028, prorata 15/29 jours)", "15.00")]
    assert contracts.run(d(2028, 2, 20)) == []                         # the same period: once
    made = contracts.run(d(2028, 4, 30))                              # March, then April ends on the 10th
    assert [m["period"][0] for m in made] == ["2028-03-01", "2028-04-01"]
    assert [n for _, n in _lines(made)] == ["29.00", "9.67"]          # 29 × 10/30
    assert "prorata 10/30 jours" in _lines(made)[1][0]
    assert contracts.run(d(2029, 1, 1)) == []                         # ended


def test_quarters_in_arrears_and_a_year_in_advance(shop):
    contracts.add("C1", "quarter", "2026-01-01", [{"product": "MO", "quantity": "2", "unit_price": "40"}],
                  in_advance=False)
    assert contracts.run(d(2026, 3, 31)) == []                        # billed once the quarter is over
    made = contracts.run(d(2026, 4, 1))
    assert [m["period"] for m in made] == [["2026-01-01", "2026-03-31"]]
    year = contracts.add("C1", "year", "2026-07-01", [{"product": "VIS", "quantity": "1"}])
    made = contracts.run(d(2026, 7, 1))
    assert [(m["contract"], m["period"]) for m in made] == [(1, ["2026-04-01", "2026-06-30"]),     # Q2, after it
                                                            (year.id, ["2026-01-01", "2026-12-31"])]
    made = made[1:]
    assert "prorata 184/365 jours" in _lines(made)[0][0]


def test_validated_invoices_and_refusals(shop):
    contracts.add("C1", "month", "2026-11-01", [{"product": "VIS", "quantity": "3"}])
    made = contracts.run(d(2026, 12, 1), validate=True)
    assert [m["number"] for m in made] == ["FA2026-00001", "FA2026-00002"]
    assert [documents.get(m["id"]).date for m in made] == [d(2026, 12, 1)] * 2    # issued the day of the run
    with pytest.raises(InvalidValue, match="month, quarter ou year"):
        contracts.add("C1", "week", "2026-11-01", [{"product": "VIS"}])
    with pytest.raises(InvalidValue, match="avant le début"):
        contracts.add("C1", "month", "2026-11-01", [{"product": "VIS"}], end="2026-10-01")
    row = contracts.listing()[0]
    assert (row["billed"], row["next_invoice"]) == (2, "2027-01-01")


WORKER = textwrap.dedent("""
    import datetime, os, sys, time
    from tui_factu import contracts, db, session
    db.connect(sys.argv[1]); session.set_user("testeur")
    while not os.path.exists(sys.argv[2]):
        time.sleep(0.005)
    print(len(contracts.run(datetime.date(2026, 12, 1), validate=True)))
""")


@pytest.mark.backends
def test_terminals_running_at_once_bill_each_period_once(shop, db, tmp_path):
    for customer in ("C1", "P1"):
        contracts.add(customer, "month", "2026-09-01", [{"product": "VIS", "quantity": "1"}])
    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db, str(go)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    go.write_text("")
    out = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in out]
    assert sum(int(o) for o, _ in out) == 8                           # 2 contracts × Sept..Dec, once
    assert ContractInvoice.select().count() == 8
    numbers = [n for (n,) in Document.select(Document.number).where(Document.kind == "invoice").tuples()]
    assert len(numbers) == 8 and None not in numbers and len(set(numbers)) == 8
    assert sum((doc.grand_total for doc in Document.select()), D(0)) == D("8") * D("15.00")
