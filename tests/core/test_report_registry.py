"""One registry of reports (tui_factu/report_registry.py) read by the command line and the
screen: the same names, option words and rows at both edges."""
import contextlib
import io
import json

import pytest

from tui_factu import catalog, cli, documents, payments, targets
from tui_factu.errors import FactuError
from tui_factu.report_registry import MENU, OPTIONS, PERIOD, REPORTS, Params, run


def _report_parser():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sub.choices["report"]


def test_the_report_command_is_built_from_the_registry():
    parser = _report_parser()
    by_dest = {a.dest: a for a in parser._actions}
    assert tuple(by_dest["name"].choices) == tuple(REPORTS)
    flags = [s for a in parser._actions for s in a.option_strings if s not in ("-h", "--help")]
    assert flags == [o.flag for o in OPTIONS.values() if o.flag.startswith("--")] + ["--json", "--csv", "--fr"]
    for o in OPTIONS.values():
        assert by_dest[o.name].default == o.default
        if o.choices:
            assert tuple(by_dest[o.name].choices) == tuple(c.value for c in o.choices)


def test_every_report_names_options_and_choices_the_registry_knows():
    assert set(MENU) <= set(REPORTS) and all(REPORTS[name].menu for name in MENU)
    for r in REPORTS.values():
        assert set(r.options) <= set(OPTIONS), r.name
        assert set(r.required) <= set(r.options) and set(r.screen) <= set(r.options), r.name
        for option, values in r.choices.items():
            assert set(values) <= {c.value for c in OPTIONS[option].choices}, r.name
        assert r.drills == () or r.drills[0] in REPORTS
        assert all(option.label for option in OPTIONS.values())


def test_a_report_without_its_subject_is_refused_in_french_before_computing():
    with pytest.raises(FactuError) as e:
        run("statement", Params())
    assert (str(e.value), e.value.field) == ("report statement : --customer CODE attendu", "--customer")
    with pytest.raises(FactuError, match="report genealogy REF attendu"):
        run("genealogy", Params())


@pytest.fixture
def busy(shop):
    """Something in every report: invoices paid and not, a credit note, quotes, an order half
    delivered, a delivery to invoice, a deposit to pay, a target, a product to reorder."""
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-05", [{"product": "VIS", "quantity": "4"}],
                                              due_date="2026-10-20").id)
    service = documents.validate(documents.create("invoice", "P1", None, [{"product": "DEPL", "quantity": "2"}],
                                                  due_date="2026-12-10").id)
    documents.validate(documents.credit(inv.id, {1: 1}).id)
    payments.pay([inv.id], "20.00", "cheque", "2026-10-10")
    payments.pay([service.id], "42.00", "cheque")                       # VAT on receipts: half of it
    quote = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS", "quantity": "6"}]).id)
    documents.validate(documents.create("quote", "P1", "2026-11-21", [{"product": "LIVRE"}]).id)
    order = documents.validate(documents.transform([quote.id], "order").id)
    documents.validate(documents.transform([order.id], "delivery", {1: 2}).id)
    from tui_factu import deposits
    documents.validate(deposits.request(order.id, "30", None).id)
    targets.set_target(2026, "overall", "", "Y", "1000")
    catalog.save_product({"code": "LIVRE", "name": "Livre", "price": "19.90", "vat_rate": "5.5", "reorder_level": "20"})
    return inv


def test_every_column_a_screen_shows_is_a_key_of_the_rows_the_command_line_prints(busy):
    """A column the screen names but the rows lack would show empty: the registry's columns
    are checked against the rows, asked as the screen first asks them."""
    subjects = {"customer": "C1", "product": "VIS", "ref": busy.number}
    with_rows = []
    for r in REPORTS.values():
        params = Params(**r.first(), **{o: subjects[o] for o in r.options if o in subjects})
        rows = list(run(r.name, params))
        if rows:
            with_rows.append(r.name)
            missing = {c.key for c in r.columns} - set(rows[0])
            assert not missing, f"{r.name} : {missing}"
    assert set(with_rows) == set(REPORTS)


def test_the_command_line_prints_the_registry_rows(busy, db):
    from tui_factu import users
    users.create("compta", "accountant", os_link=users.os_account())        # this OS account, as `init` links it
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["--db", db, "report", "vat", "--on", "receipts", "--json"]) == 0
    assert json.loads(out.getvalue()) == run("vat", Params(on="receipts")) != []
    assert set(PERIOD) <= set(REPORTS["vat"].options)
