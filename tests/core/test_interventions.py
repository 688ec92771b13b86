"""Interventions, equipment and time billing: what is invoiced is marked, never billed twice,
and the invoice lines keep their link back."""
from decimal import Decimal as D

import peewee
import pytest

from tui_factu import billing, catalog, documents, interventions, stock, timesheets
from tui_factu.errors import InvalidValue, StateError
from tui_factu.models import Billing, Setting


def _lines(doc):
    return [(ln.kind, ln.description, ln.quantity, ln.net_amount) for ln in documents.lines_of(doc.id)]


def test_a_sheet_bills_its_labour_rounded_to_the_quarter_and_its_billable_parts(shop):
    boiler = interventions.add_equipment("C1", "Chaudière", serial="CH-1", location="Cave", warranty_end="2025-12-31")
    before = stock.on_hand(catalog.product_by_code("VIS").id)
    iv = interventions.add("C1", "2026-11-20", start="08:30", end="10:05", equipment="CH-1", technician="Karim",
                           work="Joint de brûleur remplacé", parts=interventions.parse_parts(["VIS:2", "VIS:1:offert"]),
                           labour="MO")
    assert iv.minutes == 95 and billing.hours(iv.minutes) == D("1.75")
    assert stock.on_hand(catalog.product_by_code("VIS").id) == before - 3     # consumed, billed or not
    inv = interventions.invoice("C1")
    assert _lines(inv) == [
        ("section", f"Intervention {interventions.label(iv)} du 20/11/2026 — Chaudière n° CH-1 — Karim", None, None),
        ("text", "Joint de brûleur remplacé", None, None),
        ("labour", "Main d'œuvre (08:30–10:05)", D("1.75"), D("78.75")),       # 1.75 h × 45.00
        ("goods", "Vis 4×40 (boîte)", D("2"), D("25.00"))]
    assert boiler.id and interventions.listing("C1")[0]["state"].startswith("facturée")
    with pytest.raises(StateError, match="rien à facturer"):
        interventions.invoice("C1")
    documents.validate(inv.id)                   # the parts do not leave the stock a second time
    assert stock.on_hand(catalog.product_by_code("VIS").id) == before - 3


def test_under_warranty_nothing_is_billable_unless_said(shop):
    interventions.add_equipment("C1", "PAC", serial="PAC-9", warranty_end="2027-12-31")
    iv = interventions.add("C1", "2026-11-20", hours="1", equipment="PAC-9", parts=[("VIS", D("1"), True)], labour="MO")
    assert not iv.billable and not iv.parts[0].billable
    assert interventions.listing("C1")[0]["state"] == "non facturable"
    with pytest.raises(StateError, match="rien à facturer"):
        interventions.invoice("C1")


def test_grouped_by_product_hours_and_parts_add_up_with_every_link(shop):
    a = interventions.add("C1", "2026-11-20", hours="1", labour="MO", parts=[("VIS", D("2"), True)])
    b = interventions.add("C1", "2026-11-21", hours="0.5", labour="MO", parts=[("VIS", D("1"), True)])
    inv = interventions.invoice("C1", group="product")
    assert _lines(inv)[1:] == [("labour", "Main d'œuvre", D("1.5"), D("67.50")),
                               ("goods", "Vis 4×40 (boîte)", D("3"), D("37.50"))]
    assert f"{interventions.label(a)}, {interventions.label(b)}" in _lines(inv)[0][1]
    links = {(r.kind, r.entry): r.line.position for r in Billing.select().where(Billing.document == inv.id)}
    assert links == {("intervention", a.id): 2, ("intervention", b.id): 2,
                     ("part", a.parts[0].id): 3, ("part", b.parts[0].id): 3}


def test_never_billed_twice_even_behind_the_service_s_back(shop):
    iv = interventions.add("C1", "2026-11-20", hours="1", labour="MO")
    inv = interventions.invoice("C1")
    line = documents.lines_of(inv.id)[1]
    with pytest.raises(peewee.IntegrityError):
        Billing.create(kind="intervention", entry=iv.id, document=inv.id, line=line.id)
    with pytest.raises(StateError, match="déjà facturée"):
        billing.create_invoice(catalog.customer_by_code("C1"),
                               [billing.priced(catalog.product_by_code("MO"), D("1"), "x", [("intervention", iv.id)])])


def test_deleting_the_draft_or_the_line_frees_the_entry_and_edits_keep_the_links(shop):
    timesheets.add("C1", "2", project="Site A", product="MO")
    timesheets.add("C1", "1", project="Site A", product="MO")
    inv = timesheets.invoice("C1")
    lines = documents.lines_of(inv.id)
    # an edit that keeps the first line (new price) and drops the second
    kept = {"previous_line": lines[0].id, "description": lines[0].description, "quantity": "2",
            "unit_price": "50.00", "vat_rate": "10", "kind": "labour"}
    inv = documents.update_draft(inv.id, inv.version, lines=[kept, {"text": "Merci"}])
    assert timesheets.listing("C1")[0]["state"].startswith("facturée")
    assert timesheets.listing("C1")[1]["state"] == "à facturer"
    documents.delete_draft(inv.id, inv.version)
    assert {r["state"] for r in timesheets.listing("C1")} == {"à facturer"}


def test_billing_one_project_leaves_the_other_projects_time_unbilled(shop):
    timesheets.add("C1", "2", project="Site A", product="MO", date="2026-11-20")
    timesheets.add("C1", "1.25", project="Site A", product="MO", date="2026-11-21")
    other = timesheets.add("C1", "3", project="Site B", product="MO", date="2026-11-21")
    inv = timesheets.invoice("C1", project="Site A", group="project")
    assert _lines(inv) == [("labour", "Main d'œuvre — projet Site A (2 saisie(s))", D("3.25"), D("146.25"))]
    assert [r["state"] for r in timesheets.listing("C1", project="Site B")] == ["à facturer"]
    by_day = timesheets.invoice("C1", group="day")
    assert _lines(by_day) == [("labour", "Main d'œuvre — 21/11/2026 (1 saisie(s))", D("3"), D("135.00"))]
    assert billing.billed("time", [other.id]) == {other.id: f"brouillon #{by_day.id}"}


def test_durations_and_increment(shop):
    assert billing.parse_minutes("1,5") == 90
    assert billing.parse_minutes(start="09:10", end="09:30") == 20
    assert billing.hours(20) == D("0.5")
    Setting.create(key=billing.INCREMENT_KEY, value="1")
    assert billing.hours(20) == D("0.333")
    with pytest.raises(InvalidValue, match="la fin doit suivre le début"):
        billing.parse_minutes(start="10:00", end="09:00")
    with pytest.raises(InvalidValue, match="entre 0 et 24"):
        billing.parse_minutes("30")
    with pytest.raises(InvalidValue, match="HH:MM"):
        billing.parse_minutes(start="9h", end="10h")


def test_a_billed_sheet_is_not_deleted_an_unbilled_one_gives_its_parts_back(shop):
    vis = catalog.product_by_code("VIS").id
    before = stock.on_hand(vis)
    iv = interventions.add("C1", "2026-11-20", hours="1", labour="MO", parts=[("VIS", D("4"), True)])
    interventions.delete(iv.id)
    assert stock.on_hand(vis) == before
    iv = interventions.add("C1", "2026-11-20", hours="1", labour="MO")
    interventions.invoice("C1")
    with pytest.raises(StateError, match="facturée"):
        interventions.delete(iv.id)
    interventions.add_equipment("C1", "A", serial="X1")
    with pytest.raises(InvalidValue, match="déjà enregistré"):
        interventions.add_equipment("C1", "B", serial="X1")
