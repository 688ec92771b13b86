"""What the screens show of e-invoices, read through the core: the list's state column and
filter (one query a page), the lifecycle view, the dashboard's refusals, a send that a platform
down turns into a queued flow, and the settings page's view of the secret (never read back).
Against the PA simulator (tests/pa_simulator.py), which checks every exchange."""
import os
import sqlite3
from pathlib import Path

import pytest

from tui_factu import documents, lifecycle, pa, session, users
from tui_factu.errors import FactuError
from tui_factu.models import PaFlow

AFNOR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "afnor"
if not AFNOR.exists():
    if os.environ.get("TUI_FACTU_NO_SKIP"):
        raise RuntimeError("requis en CI : ../shared/reference/afnor (fichiers OpenAPI de l'AFNOR)")
    pytest.skip("../shared/reference/afnor absent: the AFNOR OpenAPI files are beside the clone",
                allow_module_level=True)
simulator = pytest.importorskip("pa_simulator", reason="openapi-core (test extra) missing")
from test_einvoice_lifecycle import _cdar, _render  # noqa: E402  (one CDAR writer, one renderer)


@pytest.fixture
def platform(shop):
    p = simulator.Platform().start()
    urls = p.urls()
    pa.configure(urls["url"], urls["token_url"], p.client_id, p.secret, urls["directory_url"])
    yield p
    p.stop()
    assert p.errors == []


def _invoice(day="2026-11-20"):
    d = documents.create("invoice", "C1", day, [{"product": "MO", "quantity": "1"}])
    return documents.validate(d.id)


def _column(number):
    row = next(r for r in documents.listing("invoice") if r["number"] == number)
    return lifecycle.short(row.get("einvoice_status"), lifecycle.outbox_states([row["id"]]).get(row["id"]))


def test_the_state_a_list_shows_from_to_send_to_refused_and_its_filter(platform, monkeypatch):
    monkeypatch.setattr(pa, "RETRIES", 0)                  # a platform down is told at once
    sent, queued, refused, fresh = _invoice(), _invoice(), _invoice(), _invoice()
    assert [r["state"] for r in pa.send([sent.number], _render)] == ["sent"]
    port = platform.port
    platform.stop()                                         # down: queued, a French line, no exception
    report = pa.send([queued.number], _render)
    assert report[0]["state"] == "pending" and "en file d'attente" in report[0]["message"]
    assert "injoignable" in report[0]["message"]
    platform.start(port)
    pa.send([refused.number], _render)
    platform.add_lifecycle(_cdar(refused.number, refused.date.strftime("%Y%m%d"), 210, "Refusée", "732829320",
                                 reason=("REF_PRIX", "Prix non conforme")))
    pa.sync()
    assert {n: _column(n) for n in (sent.number, queued.number, refused.number, fresh.number)} == {
        sent.number: "transmise", queued.number: "en file", refused.number: "refusée", fresh.number: "à envoyer"}
    assert [r["number"] for r in documents.listing("invoice", einvoice=210)] == [refused.number]
    assert refused.number not in [r["number"] for r in documents.listing("invoice", einvoice=0)]
    assert set(dict(lifecycle.FILTERS)) <= set(lifecycle.SHORT) | {0}
    # the dashboard says what to do, and opens the document by its id
    todo = lifecycle.needing_action()
    assert [(t["number"], t["code"], t["id"]) for t in todo] == [(refused.number, 210, refused.id)]
    assert "avoir" in todo[0]["next_step"]


def test_the_outbox_of_a_page_is_one_query(platform):
    ids = [_invoice().id for _ in range(3)]
    pa.send([documents.get(i).number for i in ids], _render)
    from tui_factu import db as database
    seen = []
    connection = database.db.connection()
    assert isinstance(connection, sqlite3.Connection)
    connection.set_trace_callback(seen.append)
    try:
        states = lifecycle.outbox_states(ids)
    finally:
        connection.set_trace_callback(None)
    assert states == dict.fromkeys(ids, "sent")
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1


def test_the_lifecycle_view_says_who_said_what_and_why(platform):
    inv = _invoice()
    with pytest.raises(FactuError, match="seule une facture ou un avoir validé"):
        lifecycle.timeline(documents.create("quote", "C1", "2026-11-20", [{"product": "MO", "quantity": "1"}]).id)
    assert lifecycle.timeline(inv.id)["short"] == "à envoyer"
    pa.send([inv.number], _render)
    stamp = inv.date.strftime("%Y%m%d")
    for code, name in ((202, "Reçue"), (207, "En litige")):
        platform.add_lifecycle(_cdar(inv.number, stamp, code, name, "732829320",
                                     reason=("TX_TVA_ERR", "Taux de TVA erroné") if code == 207 else None))
    pa.sync()
    t = lifecycle.timeline(inv.id)
    assert (t["number"], t["short"], t["sent"], t["status_code"]) == (inv.number, "en litige", "sent", 207)
    assert [(r["code"], r["source"], r["user"]) for r in t["rows"]] == [(202, "plateforme", "testeur"),
                                                                         (207, "plateforme", "testeur")]
    assert t["rows"][-1]["reason"] == "TX_TVA_ERR — Taux de TVA erroné" and "litige" in t["next_step"]


def test_a_deposit_the_platform_refuses_is_on_the_dashboard(platform):
    inv = _invoice()
    platform.refuse_next = (422, "INVALID_INVOICE", "BR-FR-12 : adresse électronique absente")
    assert pa.send([inv.number], _render)[0]["state"] == "refused"
    todo = lifecycle.needing_action()
    assert [(t["number"], t["code"], t["id"]) for t in todo] == [(inv.number, None, inv.id)]
    assert "BR-FR-12" in todo[0]["next_step"] and lifecycle.timeline(inv.id)["short"] == "refus dépôt"


def test_the_secret_is_never_read_back_and_a_clerk_neither_sends_nor_configures(platform):
    view = pa.configured()
    assert view["secret_set"] is True and platform.secret not in repr(view)
    assert view["url"] == platform.urls()["url"]
    with pytest.raises(FactuError, match="adresse"):        # one bad address: nothing written
        pa.configure("https://pa.example.fr/flow", "pas-une-url", None, None)
    assert pa.configured()["url"] == platform.urls()["url"]
    # the stored secret never follows the token address to another server
    with pytest.raises(FactuError, match="saisissez à nouveau le secret"):
        pa.configure(None, "https://ailleurs.example/token", None, None)
    assert pa.configured()["token_url"] == platform.urls()["token_url"]
    pa.configure(None, platform.urls()["token_url"] + "/", None, None)     # same server: kept
    inv = _invoice()
    users.create("clerc", "sales", "secret-clerc")
    session.set_user("clerc")
    for attempt in (lambda: pa.send([inv.number], _render), pa.sync, pa.configured,
                    lambda: pa.configure("https://evil.example/flow", None, None, "mine")):
        with pytest.raises(FactuError, match="droits insuffisants"):
            attempt()
    assert not PaFlow.select().exists() and platform.outgoing() == []
