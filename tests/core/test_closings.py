"""Daily, monthly and yearly closings: figures on a known data set, sealed, and nothing dated
inside a closed period afterwards."""
import datetime as dt
from decimal import Decimal as D

import pytest

from tui_factu import clock, closings, counter, documents, journal, models, payments, users, verify
from tui_factu.errors import StateError
from tui_factu.models import Closing
from tui_factu.permissions import PermissionDenied

TODAY = clock.today()


def _day():
    """Two tickets, an invoice, a return, and an invoice made from a ticket (counted once)."""
    t1 = counter.sale(counter.parse_items(["VIS:2"]), counter.parse_payments(["cash:40"]))["document"]      # 30.00
    counter.sale(counter.parse_items(["LIVRE"]), counter.parse_payments(["card:20.99"]))                     # 20.99
    inv = documents.validate(documents.create("invoice", "C1", TODAY, [{"product": "MO", "quantity": "2"}]).id)  # 99.00
    payments.pay([inv.id], "99", "transfer")
    counter.return_sale(t1.number, {1: D("1")})                                                              # −15.00
    documents.validate(documents.transform([counter.sale(counter.parse_items(["VIS"]),
                                                         counter.parse_payments(["cash:15"]))["document"].id],
                                           "invoice").id)                                                      # 15.00
    return t1


def test_a_day_closing_has_the_right_figures_and_forbids_entries_inside_it(shop):
    _day()
    c = closings.close("day")
    z = closings.view(c)
    assert (z["kind"], z["label"], c.seq) == ("day", TODAY.isoformat(), 1)
    assert (z["sales"], z["returns"], z["grand_total"]) == ("164.99", "15.00", "149.99")
    rates = {(v["category"], v["rate"]): v for v in z["vat"]}
    assert rates[("S", "20")]["sales_basis"] == "37.50" and rates[("S", "20")]["returns_basis"] == "12.50"
    assert rates[("S", "10")]["sales_vat"] == "9.00" and rates[("S", "5.5")]["total"] == "20.99"
    assert z["payments"] == {"card": "20.99", "cash": "30.00", "transfer": "99.00"}    # 45 received − 15 paid back
    assert z["perpetual"] == "149.99" and z["perpetual_absolute"] == "179.99"
    assert z["documents"] == {"credit_note": 1, "invoice": 1, "receipt": 3}
    record = journal.JournalRecord.get((journal.JournalRecord.chain == "closing") & (journal.JournalRecord.seq == 1))
    assert record.payload == c.payload and verify.run().ok
    with pytest.raises(StateError, match="appartient à une période close"):
        counter.sale(counter.parse_items(["VIS"]), counter.parse_payments(["cash:15"]))
    inv = documents.create("invoice", "C1", TODAY, [{"product": "VIS"}])
    with pytest.raises(StateError, match="close jusqu'au"):
        documents.validate(inv.id)
    with pytest.raises(StateError, match="période close"):
        payments.cancel(1)                                                 # a counter-entry dated today
    with pytest.raises(StateError, match="déjà faite"):
        closings.close("day")


def test_periods_close_in_order_and_only_once_they_are_over(shop):
    with pytest.raises(StateError, match="n'est pas terminée"):
        closings.close("day", TODAY + dt.timedelta(days=1))
    with pytest.raises(StateError, match="n'est pas terminée"):
        closings.close("year", TODAY.replace(month=12, day=31) + dt.timedelta(days=1))
    last_month = TODAY.replace(day=1) - dt.timedelta(days=1)
    closings.close("month", last_month)
    earlier = last_month.replace(day=1) - dt.timedelta(days=1)
    with pytest.raises(StateError, match="dans l'ordre"):
        closings.close("month", earlier)
    assert closings.default_date("month", dt.date(2026, 12, 15)) == dt.date(2026, 11, 30)
    assert closings.default_date("year", dt.date(2026, 12, 31)) == dt.date(2026, 12, 31)
    assert closings.period("year", dt.date(2026, 6, 1))[2] == "2026"


def test_a_closing_altered_or_deleted_behind_the_app_is_seen(shop, db):
    _day()
    c = closings.close("day")
    models.db.execute_sql("DROP TRIGGER closing_no_update")
    Closing.update(payload=c.payload.replace('"149.99"', '"49.99"')).where(Closing.id == c.id).execute()
    report = verify.run()
    assert not report.ok and "clôture day" in report.as_dict()["first_failure"]["error"]
    models.db.execute_sql("DROP TRIGGER closing_no_delete")
    Closing.delete().execute()
    assert "clôture n° 1 supprimée" in verify.run().as_dict()["first_failure"]["error"]


def test_yesterday_not_closed_is_reminded_and_only_some_roles_close(shop):
    yesterday = TODAY - dt.timedelta(days=1)
    documents.validate(documents.create("invoice", "C1", yesterday, [{"product": "VIS"}]).id)
    assert "n'est pas clôturée" in closings.reminder()
    closings.close("day", yesterday)
    assert closings.reminder() is None
    users.create("caisse", "sales", "x")
    from tui_factu import session
    session.set_user("caisse")
    with pytest.raises(PermissionDenied, match="clôturer"):
        closings.close("day")
