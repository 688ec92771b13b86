"""E-invoices by keyboard at 80×24, against the PA simulator: the list's state column, sending
and syncing by key, the lifecycle view (Ctrl+O from the list and the editor), the refusal on the
dashboard that opens its invoice, and the platform's settings whose secret is never shown."""
import os
from pathlib import Path

import pytest

from tui_factu import documents, pa

from pilot import is_screen, login, palette, run, settle, text, notes, until

AFNOR = Path(__file__).resolve().parents[3] / "shared" / "reference" / "afnor"
if not AFNOR.exists():
    if os.environ.get("TUI_FACTU_NO_SKIP"):
        raise RuntimeError("requis en CI : ../shared/reference/afnor (fichiers OpenAPI de l'AFNOR)")
    pytest.skip("../shared/reference/afnor absent: the AFNOR OpenAPI files are beside the clone",
                allow_module_level=True)
simulator = pytest.importorskip("pa_simulator", reason="openapi-core (test extra) missing")


@pytest.fixture
def platform(shop):
    p = simulator.Platform().start()
    urls = p.urls()
    pa.configure(urls["url"], urls["token_url"], p.client_id, p.secret, urls["directory_url"])
    yield p
    p.stop()
    assert p.errors == []


def test_send_sync_see_the_refusal_and_its_history_by_keyboard(admin_app, platform):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
    from test_einvoice_lifecycle import _cdar
    app = admin_app
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "MO", "quantity": "1"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            await pilot.press("f")                                   # the invoices
            await until(pilot, lambda: inv.number in text(app) and "à envoyer" in text(app))
            assert "E-facture" in text(app)
            await pilot.press("t")                                   # sent, in a worker
            await until(pilot, lambda: "transmise à la plateforme" in notes(app))
            await until(pilot, lambda: "transmise" in text(app).split(inv.number)[1].splitlines()[0])
            platform.add_lifecycle(_cdar(inv.number, "20261120", 210, "Refusée", "732829320",
                                         reason=("REF_PRIX", "Prix non conforme")))
            await pilot.press("r")                                   # the statuses come back
            await until(pilot, lambda: "statut(s) nouveau(x)" in notes(app))
            await until(pilot, lambda: "refusée" in text(app).split(inv.number)[1].splitlines()[0])
            await pilot.press("e")                                   # only the refused ones
            await until(pilot, lambda: is_screen(app, "Choice"))
            await pilot.press(*["down"] * 8, "enter")
            await until(pilot, lambda: "e-facture refusée" in text(app) and inv.number in text(app))
            await pilot.press("ctrl+o")
            await until(pilot, lambda: is_screen(app, "EinvoiceScreen") and "REF_PRIX" in text(app))
            assert "À faire" in text(app) and "avoir" in text(app)
            await pilot.press("escape", "escape")                    # home: the refusal, Enter opens it
            await until(pilot, lambda: f"⚠ {inv.number} refusée" in text(app))
            await pilot.press(*["down"] * 5, "enter")
            await until(pilot, lambda: is_screen(app, "EditorScreen") and getattr(app.screen, "number", None))
            await pilot.press("ctrl+o")                              # from the editor too
            await until(pilot, lambda: is_screen(app, "EinvoiceScreen"))
            await pilot.press("escape", "escape")
            await settle(pilot, app)
            await palette(pilot, app, "agréée : par", "Plateforme agréée : paramètres (facture électronique)")
            await until(pilot, lambda: is_screen(app, "SecretForm"))
            assert "••• (enregistré)" in text(app) and platform.secret not in text(app)
            assert app.screen.query_one("#f-secret").value == ""
    run(go())


def test_a_page_of_the_list_reads_its_states_in_three_queries_whatever_its_length(shop):
    """The list, its statuses and its outbox: one query each for the page, never one a row."""
    import sqlite3
    from tui_factu import db as database
    from screens.lists import DocumentList
    numbers = [documents.validate(documents.create("invoice", "C1", "2026-11-20",
                                                   [{"product": "MO", "quantity": "1"}]).id).number for _ in range(12)]
    pa.queue(numbers[:6], lambda doc: (b"%PDF-1.7 fake", f"{doc.number}.pdf"))     # queued, never sent here
    screen = DocumentList("invoice")
    seen = []
    connection = database.db.connection()
    assert isinstance(connection, sqlite3.Connection)
    connection.set_trace_callback(seen.append)
    try:
        rows = screen.fetch(None, 100)
    finally:
        connection.set_trace_callback(None)
    states = {key[2]: cells[4] for key, cells in rows}
    assert [states[n] for n in numbers] == ["en file"] * 6 + ["à envoyer"] * 6
    assert 2 <= len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) <= 3
