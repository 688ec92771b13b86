"""Hostile input everywhere a user or a file can put it: very long strings, control characters,
emoji, SQL fragments, huge and negative numbers, wrong dates, wrong encodings. Each gets a
clear refusal (a FactuError, exit code 2), the base is unchanged, the process keeps running."""
import contextlib
import io

from hypothesis import HealthCheck, given, settings, strategies as st

from tui_factu import catalog, cli, documents, exchange
from tui_factu.errors import FactuError
from tui_factu.models import AuditEntry, Customer, Document, DocumentLine, JournalRecord, Product

NASTY = st.one_of(
    st.text(max_size=40),
    st.text(min_size=300, max_size=5000),
    st.sampled_from(["'; DROP TABLE document; --", "\" OR 1=1 --", "%", "_", "\\", "\x00", "\x1b[2J", "\u202e",
                     "🧾💶", "é" * 500, "NaN", "Infinity", "-0", "1e999", "-99999999999999", "0x10", "12,5,0",
                     "2026-02-30", "31/12/1899", "9999-99-99", "", " ", "null", "[]", "{}"]),
    st.integers(min_value=-10**20, max_value=10**20), st.floats(allow_nan=True, allow_infinity=True),
    st.none(), st.booleans(), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])


def _counts():
    return tuple(m.select().count() for m in (Customer, Product, Document, DocumentLine, JournalRecord, AuditEntry))


@SETTINGS
@given(field=st.sampled_from(["code", "name", "siren", "vat_number", "email", "kind", "payment_terms_days", "address"]),
       value=NASTY, where=st.sampled_from(["customers", "products", "documents"]))
def test_a_hostile_bundle_is_refused_whole_or_imported_clean(shop, field, value, where):
    good_doc = {"kind": "invoice", "customer": "C1", "validate": True, "lines": [{"product": "VIS"}]}
    item = {"customers": {"code": "HX1", "name": "Hostile"}, "products": {"code": "HP1", "name": "H", "price": "1"},
            "documents": dict(good_doc)}[where]
    item[field if where != "documents" else {"code": "customer", "name": "reference", "siren": "date",
                                              "vat_number": "kind", "email": "notes", "kind": "lines",
                                              "payment_terms_days": "due_date", "address": "allowances"}[field]] = value
    bundle = {"format": "tui-factu/1", where: [item], **({"documents": [good_doc]} if where != "documents" else {})}
    before = _counts()
    try:
        exchange.import_bundle(bundle)
    except FactuError as e:
        assert str(e) and "Traceback" not in str(e)
        assert _counts() == before                          # all or nothing
    else:
        assert _counts() != before


@SETTINGS
@given(line=st.dictionaries(st.sampled_from(["product", "quantity", "unit_price", "discount_percent", "vat_rate",
                                             "vat_category", "unit", "kind", "description", "text", "origin",
                                             "previous_line", "deduction"]), NASTY, min_size=1, max_size=6))
def test_hostile_lines_are_refused_with_the_field_named(shop, line):
    before = _counts()
    try:
        doc = documents.create("invoice", "C1", None, [line])
    except FactuError as e:
        assert "lines[0]" in str(e) and _counts() == before         # refused, nothing written
        return
    try:
        documents.validate(doc.id)
    except FactuError as e:
        assert str(e)
    stored = [ln for ln in DocumentLine.select() if ln.unit_price is not None]
    assert all(ln.unit_price >= 0 and abs(ln.net_amount) < 10**12 for ln in stored)


@SETTINGS
@given(text=NASTY.filter(lambda v: isinstance(v, str)))
def test_search_boxes_take_anything_and_answer_a_list(shop, text):
    assert isinstance(catalog.find_customers(text, 5), list)
    assert isinstance(catalog.find_products(text, 5), list)
    assert isinstance(documents.listing(number_prefix=text[:60], limit=5), list)
    assert catalog.product_by_scan(text[:100]) is None or catalog.product_by_scan(text[:100]).code


COMMANDS = [["doc", "show"], ["doc", "new", "invoice"], ["doc", "validate"], ["doc", "transform"], ["pay"],
            ["customer", "show"], ["product", "list"], ["report", "aging"], ["report", "statement"], ["situation"],
            ["schedule"], ["deposit"], ["time", "add"], ["intervention", "add"], ["close", "day"], ["setting"],
            ["import"], ["archive"], ["verify-archive"], ["sale"], ["return"], ["plan"], ["equipment", "add"]]


@SETTINGS
@given(command=st.sampled_from(COMMANDS),
       args=st.lists(st.one_of(NASTY.filter(lambda v: isinstance(v, str) and "\x00" not in v),
                               st.sampled_from(["--percent", "--line", "--date", "--amount", "--method", "--to",
                                                "--json", "--split", "--hours", "-o"])), max_size=5))
def test_hostile_command_lines_exit_2_or_succeed_never_crash(shop, db, tmp_path_factory, command, args):
    before = _counts()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            contextlib.chdir(tmp_path_factory.mktemp("cwd")):         # files it may write land here
        code = cli.main(["--db", db, *command, *args])
    assert code in (0, 1, 2), err.getvalue()
    assert "Traceback" not in out.getvalue() + err.getvalue()
    if code == 2:
        assert err.getvalue().startswith("tui-factu : ") and _counts()[:4] == before[:4]


@SETTINGS
@given(raw=st.binary(max_size=400))
def test_any_file_given_to_import_is_read_or_refused(shop, tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("imp") / "f.json"
    path.write_bytes(raw)
    before = _counts()
    try:
        exchange.import_bundle(exchange.read_bundle(str(path)))
    except FactuError as e:
        assert str(e) and _counts() == before
