"""Gapless, chronological numbering, also under concurrent terminals."""
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import pytest

from tui_factu import documents, numbering, verify
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Document, Setting

WORKER = textwrap.dedent("""
    import sys
    from tui_factu import db, documents, session
    db.connect(sys.argv[1]); session.set_user("testeur")
    for i in range(int(sys.argv[3])):
        d = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "1"}])
        documents.validate(d.id)
""")


@pytest.mark.backends
def test_eight_processes_validating_fifty_invoices_each_make_400_numbers_without_gap(shop, db):
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, db, str(i), "50"],
                              stderr=subprocess.PIPE, text=True) for i in range(8)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    assert all(p.returncode == 0 for p in procs), errors
    numbers = sorted(n for (n,) in Document.select(Document.number)
                     .where(Document.kind == "invoice").tuples())
    assert len(numbers) == 400 == len(set(numbers))
    assert numbers == [f"FA2026-{i:05d}" for i in range(1, 401)]
    report = verify.run()
    assert report.ok, report.as_dict()
    assert {c.chain: c.records for c in report.chains}["invoice"] == 400


def test_a_failed_validation_consumes_no_number(shop):
    from tui_factu import catalog
    catalog.save_customer({"code": "NOSIREN", "name": "Sans Siren SARL", "address": {"city": "Paris"}})
    bad = documents.create("invoice", "NOSIREN", "2026-11-20", [{"product": "VIS"}])
    with pytest.raises(InvalidValue):
        documents.validate(bad.id)
    good = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    assert good.number == "FA2026-00001"


def test_numbers_stay_chronological(shop):
    documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    late = documents.create("invoice", "C1", "2026-11-19", [{"product": "VIS"}])
    with pytest.raises(StateError, match="antérieure au dernier numéro"):
        documents.validate(late.id)
    assert documents.get(late.id).number is None


def test_series_restart_each_year_and_patterns_are_configurable(shop):
    Setting.create(key="numbering.invoice", value=numbering.check_pattern("F-{yy}{mm}-{n:04}"))
    import datetime as dt
    from tui_factu import clock
    clock.freeze(dt.date(2026, 12, 30))
    a = documents.validate(documents.create("invoice", "C1", "2026-12-30", [{"product": "VIS"}]).id)
    clock.freeze(dt.date(2027, 1, 2))
    b = documents.validate(documents.create("invoice", "C1", "2027-01-02", [{"product": "VIS"}]).id)
    assert (a.number, b.number) == ("F-2612-0001", "F-2701-0001")
    with pytest.raises(InvalidValue, match="doit contenir"):
        numbering.check_pattern("FA-{yyyy}")
    with pytest.raises(InvalidValue, match="champ inconnu"):
        numbering.check_pattern("FA-{x}-{n}")


def test_credit_notes_and_quotes_have_their_own_series(shop):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    cn = documents.validate(documents.credit(inv.id).id, "2026-11-21")
    q = documents.validate(documents.create("quote", "C1", "2026-11-21", [{"product": "VIS"}]).id)
    assert (inv.number, cn.number, q.number) == ("FA2026-00001", "AV2026-00001", "DE2026-00001")
    assert cn.grand_total == D("15.00")
