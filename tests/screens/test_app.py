"""The terminal application driven by keystrokes at 80×24 (Textual's Pilot), read as a person
reads it (the screenshot's text, the notifications) through Textual's public API only."""
from decimal import Decimal as D

import pytest

from tui_factu import documents, users
from tui_factu.models import Document

from pilot import (  # noqa: F401  (the shared Pilot helpers: tests/pilot.py; fixtures: tests/screens/conftest.py)
    editor as _editor, is_screen as _is, login as _login, notes as _notes, palette as _palette, run,
    settle as _settle, text as _text, until as _until)


def test_login_refuses_a_wrong_password_then_opens_home(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app, "faux")
            assert "incorrect" in _text(app)
            assert type(app.screen).__name__ == "LoginScreen"
            await _login(pilot, app, "secret")
            assert type(app.screen).__name__ == "HomeScreen"
            assert "Ventes du jour" in _text(app)
    run(go())


def test_quote_to_order_to_partial_delivery_to_invoice_to_credit_by_keyboard(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("d", "n")                      # quotes list, new quote
            await _settle(pilot, app)
            await pilot.press(*"C1", "enter")                # customer picker
            await _settle(pilot, app)
            await pilot.press(*"VIS", "enter")               # exact code
            await pilot.press("tab", "backspace", *"2", "enter")   # quantity of the next line
            await pilot.press(*"3760123456784", "enter")     # the same product, scanned
            await pilot.press(*"mo", "enter")                # not a code: picker, first match
            await _settle(pilot, app)
            await pilot.press("enter")
            await _settle(pilot, app)
            editor = app.screen
            assert [(ln["product"], ln["quantity"]) for ln in editor.lines] == \
                [("VIS", D("1")), ("VIS", D("2")), ("MO", D("1"))]
            assert "Total TTC 94,50 €" in _text(app)     # 82.50 HT + 7.50 + 4.50 VAT
            await pilot.press("f2")
            await _settle(pilot, app)
            await pilot.press("f9", "enter")
            await _settle(pilot, app)
            quote = Document.get(Document.kind == "quote")
            assert quote.number == "DE2026-00001" or quote.number.startswith("DE")
            assert "scellé" in _text(app)
            await pilot.press("ctrl+t", "enter")             # -> order
            await _settle(pilot, app)
            await pilot.press("f9", "enter")
            await _settle(pilot, app)
            order = Document.get(Document.kind == "order")
            assert order.status == "validated"
            await pilot.press("ctrl+t", "enter")             # -> delivery, quantities form
            await _settle(pilot, app)
            await pilot.press("enter", "ctrl+u", "1", "enter", "ctrl+u", "0", "enter")
            await _settle(pilot, app)
            await pilot.press("f9", "enter")
            await _settle(pilot, app)
            delivery = Document.get(Document.kind == "delivery")
            assert delivery.status == "validated"
            assert documents.get(order.id).status == "partial"
            assert documents.remaining(documents.get(order.id), "delivery", True) == {1: 0, 2: 1, 3: 1}
            await pilot.press("ctrl+t", "enter")             # delivery -> invoice, all of it
            await _settle(pilot, app)
            await pilot.press("enter", "enter")
            await _settle(pilot, app)
            await pilot.press("f9", "enter")
            await _settle(pilot, app)
            invoice = Document.get(Document.kind == "invoice")
            assert invoice.status == "validated" and invoice.grand_total == D("30.00")   # 2 boxes delivered
            await pilot.press("ctrl+t", "enter", "enter", "ctrl+u", "0", "enter")   # credit line 1 only
            await _settle(pilot, app)
            await pilot.press("f9", "enter")
            await _settle(pilot, app)
            credit = Document.get(Document.kind == "credit_note")
            assert credit.status == "validated" and credit.preceding_id == invoice.id
            assert credit.grand_total == D("15.00")
    run(go())


def test_unsaved_changes_ask_before_leaving(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("n")
            await _settle(pilot, app)
            await pilot.press("enter")                       # Devis
            await _settle(pilot, app)
            await pilot.press(*"P1", "enter")
            await _settle(pilot, app)
            await pilot.press(*"VIS", "enter", "escape")
            await _settle(pilot, app)
            assert "Quitter sans enregistrer" in _text(app)
            await pilot.press("n")                           # stay
            assert type(app.screen).__name__ == "EditorScreen"
            assert len(app.screen.lines) == 1
    run(go())


def test_two_terminals_on_one_draft_get_a_conflict_message(app):
    draft = documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}])

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, draft.id)
            documents.update_draft(draft.id, draft.version, lines=[{"product": "VIS", "quantity": "7"}])
            await pilot.press(*"LIVRE", "enter", "f2")
            await _settle(pilot, app)
            assert "modifié par un autre poste" in _notes(app)
        assert [ln.quantity for ln in documents.lines_of(draft.id)] == [D("7")]
    run(go())


def test_command_palette_finds_screens_by_french_name(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _palette(pilot, app, "factures", "Factures")
            await _settle(pilot, app)
            assert type(app.screen).__name__ == "DocumentList"
            assert app.screen.kind == "invoice"
    run(go())


def test_a_too_small_terminal_shows_a_message(app):
    async def go():
        async with app.run_test(size=(60, 20), notifications=True) as pilot:
            await _until(pilot, lambda: _is(app, "LoginScreen"))
            await _settle(pilot, app)
            assert "Terminal trop petit" in _text(app)
            await pilot.resize_terminal(80, 24)
            await _until(pilot, lambda: app.size == (80, 24))
            await _settle(pilot, app)
            assert "Terminal trop petit" not in _text(app)
            assert "Mot de passe" in _text(app)
    run(go())


def test_keys_do_not_act_on_a_screen_too_small_to_be_seen(app):
    quote = documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}])

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, quote.id)
            await pilot.resize_terminal(60, 20)
            await _until(pilot, lambda: "Terminal trop petit" in _text(app))
            await pilot.press("f9", "enter", "enter", "f12", "ctrl+p")        # what validated a quote
            await _settle(pilot, app)
            assert _is(app, "EditorScreen") and Document.get_by_id(quote.id).status == "draft"
            await pilot.resize_terminal(80, 24)
            await _until(pilot, lambda: "Terminal trop petit" not in _text(app))
            assert app.screen.focused is not None                   # the focus comes back
    run(go())


def test_a_key_the_role_may_not_use_says_so(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            assert "Paramètres" not in _text(app)                  # not offered in the footer
            await pilot.press("s")
            await _until(pilot, lambda: "Droits insuffisants : « Paramètres »" in _notes(app))
            assert _is(app, "HomeScreen")
    run(go())


def test_document_list_pages_by_key_and_opens_read_only(app):
    for i in range(130):
        documents.validate(documents.create("invoice", "P1", "2026-11-20", [{"product": "DEPL"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("f")
            await _settle(pilot, app)
            table = app.screen.query_one("VirtualTable")
            assert len(table.rows) == 100                    # one keyset page, not everything
            assert "FA2026-00130" in _text(app)
            await pilot.press("pagedown", *(["pagedown"] * 10))
            await _settle(pilot, app)
            assert len(table.rows) == 130
            await pilot.press("home", "enter")
            await _settle(pilot, app)
            assert "scellé" in _text(app)
            assert app.screen.readonly
    run(go())


def test_customer_form_refuses_a_bad_siren_in_french(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("k")
            await _settle(pilot, app)
            await pilot.press(*"cli")
            await _settle(pilot, app)
            assert "C1" in _text(app) and "Client Un SARL" in _text(app)
            await pilot.press("ctrl+n")
            await _settle(pilot, app)
            form = app.screen
            assert type(form).__name__ == "Form"
            form.query_one("#f-code").value = "NEW"
            form.query_one("#f-name").value = "Nouvelle SARL"
            form.query_one("#f-siren").value = "123456789"
            await pilot.press("ctrl+s")
            await _settle(pilot, app)
            assert app.screen is form                               # still open, nothing typed lost
            assert "numéro SIREN invalide" in _text(app) and form.query_one("#f-name").value == "Nouvelle SARL"
            assert form.focused is form.query_one("#f-siren")       # the message under the field named
            form.query_one("#f-siren").value = ""
            await pilot.press("ctrl+s")
            await _until(pilot, lambda: "« NEW » enregistré" in _notes(app))
    run(go())


def test_help_lists_the_keys(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("f1")
            await _until(pilot, lambda: _is(app, "HelpScreen"))
            await _settle(pilot, app)
            shot = _text(app)
            assert "Ctrl+P" in shot and "Factures" in shot
    run(go())


def test_the_editor_shows_available_stock_of_the_highlighted_line(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, None, "order", "C1")
            await pilot.press(*"VIS", "enter")
            await pilot.press("shift+tab", "shift+tab")      # to the lines
            await _settle(pilot, app)
            app.screen.query_one("DataTable").focus()
            app.screen.query_one("DataTable").move_cursor(row=0)
            await _settle(pilot, app)
            assert "Stock VIS : 100, réservé 0, dispo 100" in _text(app)
    run(go())


def test_collecting_cash_on_an_invoice_shows_the_change(app):
    inv = documents.validate(documents.create("invoice", "P1", "2026-11-20", [{"product": "DEPL"}]).id)  # 42.00

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, inv.id)
            await pilot.press("ctrl+e")
            await _settle(pilot, app)
            await pilot.press("ctrl+u", *"50", "enter", "enter", "enter")
            await _settle(pilot, app)
            assert "Monnaie à rendre : 8,00 €" in _notes(app)
            assert "Payée" in _text(app)
    run(go())


def test_a_deposit_requested_from_an_order_opens_its_invoice(app):
    order = documents.validate(documents.create("order", "C1", "2026-11-20",
                                                [{"product": "VIS", "quantity": "8"}]).id)   # 120.00 TTC

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, order.id)
            await pilot.press("f10", "enter", "enter")          # 30 %
            await _settle(pilot, app)
            assert "36,00 € TTC" in _notes(app)
            assert "Facture" in _text(app) and app.screen.kind == "invoice"
    run(go())


def test_counter_sale_of_three_scanned_items_in_four_keystrokes_beyond_the_codes(app, tmp_path):
    from tui_factu import printing
    from tui_factu.models import Document
    printing.set_printer("comptoir", f"file://{tmp_path / 'ticket.bin'}", columns=42)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("f12")                                    # 1
            await _settle(pilot, app)
            for code in ("3760123456784", "LIVRE", "DEPL"):
                await pilot.press(*code, "enter")                      # the codes, as a scanner types them
            assert "À PAYER" in _text(app)
            await pilot.press("enter")                                  # 2: empty code -> payment
            await _settle(pilot, app)
            await pilot.press("ctrl+u", *"100", "enter", "enter")       # 3, 4 (amount typed here)
            await _settle(pilot, app)
            await _settle(pilot, app)
            ticket = Document.get(Document.kind == "receipt")
            assert ticket.status == "paid" and ticket.number == "TK2026-000001"
            assert "MONNAIE À RENDRE" in _notes(app)
        assert b"TICKET DE CAISSE" in (tmp_path / "ticket.bin").read_bytes()
    run(go())


def test_a_burst_of_keys_read_at_once_keeps_its_order(app):
    """A scanner, or keys that queue behind a busy moment over SSH, reach the app in one read:
    three scans and a corrected code must come out as typed, not merged or shuffled."""
    from textual import events

    def burst(text):
        named = {"\r": "enter", "\x7f": "backspace"}
        for ch in text:                                 # posted without waiting, as one read
            app.post_message(events.Key(named.get(ch, ch), ch))

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("f12")
            await _settle(pilot, app)
            burst("VIS\rLIVRE\rVIS\rDEPX\x7fL\r")
            await _settle(pilot, app)
            lines = {ln["product"]: ln["quantity"] for ln in app.screen.lines}
            assert lines == {"VIS": 2, "LIVRE": 1, "DEPL": 1}
            assert isinstance(app.screen, CounterScreen)       # no payment opened by a stray Enter
    from screens.counter import CounterScreen
    run(go())


def test_links_view_shows_the_chain_and_opens_a_document(app):
    quote = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    order = documents.validate(documents.transform([quote.id], "order").id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, order.id)
            await pilot.press("f3")
            await _until(pilot, lambda: _is(app, "LinksScreen"))
            await _settle(pilot, app)
            shot = _text(app)
            assert quote.number in shot and order.number in shot and "à livrer 4, à facturer 4" in shot
            await pilot.press("up", "enter")                 # the quote
            await _until(pilot, lambda: _is(app, "EditorScreen") and app.screen.doc_id != order.id)
            await _settle(pilot, app)
            assert app.screen.doc_id == quote.id
            assert app.screen.number == quote.number
    run(go())


def test_settings_change_the_numbering_and_add_a_printer(admin_app, tmp_path):
    app = admin_app

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _palette(pilot, app, "paramètres", "Paramètres")
            await _settle(pilot, app)
            assert "Identité de la société" in _text(app)
            await pilot.press("down", "enter")              # numbering
            await _settle(pilot, app)
            app.screen.query_one("#f-invoice").value = "F{yy}-{n:04}"
            await pilot.press("ctrl+s")
            await _settle(pilot, app)
            await pilot.press("down", "enter")              # printers
            await _settle(pilot, app)
            form = app.screen
            form.query_one("#f-name").value = "comptoir"
            form.query_one("#f-url").value = f"file://{tmp_path / 'lp'}"
            await pilot.press("ctrl+s")
            await _settle(pilot, app)
            await _settle(pilot, app)
        from tui_factu import numbering, printing
        assert numbering.pattern("invoice") == "F{yy}-{n:04}"
        assert "comptoir" in printing.printers()
        assert b"page de test" in (tmp_path / "lp").read_bytes()
    run(go())


def test_duplicate_opens_an_unsaved_copy(app):
    quote = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS", "quantity": "3"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, quote.id)
            await pilot.press("ctrl+d")
            await _settle(pilot, app)
            copy = app.screen
            assert copy.doc_id is None and copy.dirty and copy.lines[0]["quantity"] == D("3")
            assert "modifié" in _text(app)
            await pilot.press("f2")
            await _settle(pilot, app)
        assert Document.select().where(Document.kind == "quote").count() == 2
    run(go())


def test_a_credit_note_is_imputed_on_an_invoice_from_its_editor(app):
    first = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    cn = documents.validate(documents.credit(first.id, {1: D("2")}).id)                     # 30.00
    other = documents.validate(documents.create("invoice", "C1", "2026-11-21", [{"product": "VIS", "quantity": "1"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, cn.id)
            await pilot.press("ctrl+e")
            await _settle(pilot, app)
            await pilot.press(*other.number, "enter", "enter")
            await _settle(pilot, app)
            assert "Avoir imputé : 15,00 €" in _notes(app)
        assert documents.get(other.id).status == "paid"
    run(go())


def test_list_filters_by_customer_and_sorts_by_date(app):
    documents.validate(documents.create("invoice", "P1", "2026-11-02", [{"product": "DEPL"}]).id)
    documents.validate(documents.create("invoice", "C1", "2026-11-03", [{"product": "DEPL"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("f")
            await _settle(pilot, app)
            assert len(app.screen.query_one("VirtualTable").rows) == 2
            await pilot.press("c")
            await _settle(pilot, app)
            await pilot.press(*"P1", "enter")
            await _settle(pilot, app)
            rows = app.screen.query_one("VirtualTable").rows
            assert [cells[2][:2] for _, cells in rows] == ["P1"] and "client P1" in _text(app)
            await pilot.press("o")
            await _settle(pilot, app)
            assert "(par date)" in _text(app)
    run(go())


def test_typing_a_code_suggests_the_product(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, None, "quote", "C1")
            await pilot.press(*"liv")
            await _settle(pilot, app)
            assert "↳ LIVRE  Livre  19,90 € HT" in _text(app)
    run(go())


def test_a_fast_code_and_enter_in_the_picker_chooses_that_code(app):
    from tui_factu import catalog
    for i in range(2, 8):
        catalog.save_customer({"code": f"C{i}", "name": f"Client {i}", "kind": "person"})

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, None, "quote")
            await pilot.press(*"C5", "enter")               # no pause: the list may not have refreshed
            await _settle(pilot, app)
            assert app.screen.customer_code == "C5"
    run(go())


def test_a_situation_by_keyboard_section_percent_then_validated(app):
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [
        {"kind": "section", "description": "Lot 1 — Gros œuvre"},
        {"description": "Maçonnerie", "quantity": "1", "unit_price": "1000.00", "vat_rate": "20"},
        {"description": "Dalle", "quantity": "10", "unit_price": "50.00", "vat_rate": "20"},
        {"kind": "section", "description": "Lot 2 — Isolation"},
        {"description": "Combles", "quantity": "100", "unit_price": "20.00", "vat_rate": "5.5"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, order.id)
            await pilot.press("f11")
            await _settle(pilot, app)
            assert "Situation n° 1" in _text(app) and "Lot 1 — Gros œuvre" in _text(app)
            await pilot.press("enter", *"40", "enter")             # the section row: 40 % on Lot 1
            await _settle(pilot, app)
            assert "600,00" in _text(app)                          # 400 + 200 this period
            await pilot.press("down", "down", "down", "down", "enter", "ctrl+u", "enter", *"25", "enter")  # Combles: 25 of 100
            await _settle(pilot, app)
            await pilot.press("r", "ctrl+u", *"5", "enter")        # 5 % retention
            await _settle(pilot, app)
            assert "retenue 5 %" in _text(app)
            await pilot.press("f9", "enter")
            await _settle(pilot, app)
            await _settle(pilot, app)
            inv = Document.get((Document.type == "progress") & (Document.preceding == order.id))
            assert (inv.status, inv.situation_no, inv.retention_percent) == ("validated", 1, D("5"))
            view = documents.show(inv)
            assert {p["contract_position"]: p["amount"] for p in view["progress"]} == \
                {2: "400.00", 3: "200.00", 5: "500.00"}
            assert app.screen.doc_id == inv.id and "Situation n° 1" in _notes(app)
    run(go())


def test_interventions_recorded_chosen_and_invoiced_by_keyboard(app):
    from tui_factu import interventions
    interventions.add_equipment("C1", "Chaudière", serial="CH-7")
    first = interventions.add("C1", "2026-11-20", hours="1", labour="MO", equipment="CH-7")
    interventions.add("C1", "2026-11-21", hours="2", labour="MO")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("i")
            await _settle(pilot, app)
            await pilot.press(*"C1", "enter")                        # the customer picker
            await _settle(pilot, app)
            assert "INT-" in _text(app) and "Chaudière" in _text(app) and "à facturer" in _text(app)
            await pilot.press("n", *"2026-11-22", "enter", *"08:00", "enter", *"09:20", "enter", "enter",
                              *"CH-7", "enter", "enter", *"Purge", "enter", *"VIS:2", "enter", *"MO", "enter", "enter")
            await _settle(pilot, app)
            assert "INT-00003 enregistrée (facturable)" in _notes(app)
            rows = interventions.listing("C1")
            assert rows[0]["hours"] == "1.5" and rows[0]["parts"][0]["product"] == "VIS"
            # rows are newest first; space chooses and moves down: the new sheet and the first one
            await pilot.press("space", "down", "space")
            await pilot.press("f", "enter")
            await _settle(pilot, app)
            await _settle(pilot, app)
            assert app.screen.kind == "invoice"
            billed = {r["ref"]: r["state"] for r in interventions.listing("C1")}
            assert billed["INT-00002"] == "à facturer"
            assert billed["INT-00003"].startswith("facturée") and billed[interventions.label(first)].startswith("facturée")
    run(go())


def test_time_entered_then_billed_by_project(app):
    from tui_factu import timesheets

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("t")
            await _settle(pilot, app)
            await pilot.press(*"C1", "enter")
            await _settle(pilot, app)
            for hours in ("2", "1,25"):
                await pilot.press("n", *hours, "enter", "enter", "enter", "enter", *"Site A", "enter", "enter",
                                  *"MO", "enter", "enter")
                await _settle(pilot, app)
            assert [r["minutes"] for r in timesheets.listing("C1")] == [120, 75]
            await pilot.press("f", "down", "enter")                  # "une ligne par projet et tarif"
            await _settle(pilot, app)
            await _settle(pilot, app)
            assert app.screen.kind == "invoice"
            assert [ln["quantity"] for ln in app.screen.lines] == [D("3.25")]
    run(go())


def test_an_invoice_schedule_and_an_order_plan_from_the_editor(app):
    from tui_factu import plans, schedules
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "8"}]).id)
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [{"product": "VIS", "quantity": "8"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, inv.id)
            await pilot.press("ctrl+g", "ctrl+u", *"50%@0,50%@30", "enter")
            await _settle(pilot, app)
            assert [r["amount"] for r in schedules.of_invoice(inv.id)] == ["60.00", "60.00"]
            assert "Échéances : 20/11/2026 60,00" in _notes(app)
            await pilot.press("escape")
            await _editor(pilot, app, order.id)
            await pilot.press("ctrl+g", "enter", "ctrl+u", *"25%@0,75%@+90", "enter")
            await _settle(pilot, app)
            assert [r["percent"] for r in plans.of_order(order.id)] == ["25", "75"]
            await pilot.press("ctrl+g", "down", "enter")             # invoice the milestone due now
            await _settle(pilot, app)
            assert app.screen.kind == "invoice" and app.screen.doc_type == "progress"
            assert plans.of_order(order.id)[0]["invoice"] == f"Facture brouillon #{app.screen.doc_id}"
    run(go())


def test_a_return_at_the_counter_by_keyboard(app):
    from tui_factu import counter
    ticket = counter.sale(counter.parse_items(["VIS:3"]), counter.parse_payments(["cash:45"]))["document"]

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("f12")
            await _settle(pilot, app)
            await pilot.press(*"LIVRE", "enter", "ctrl+d", "enter")       # a sale typed then voided: nothing written
            await _settle(pilot, app)
            assert Document.select().where(Document.kind == "receipt").count() == 1
            await pilot.press("f6", *ticket.number, "enter")
            await _settle(pilot, app)
            assert "rendu possible : 3" in _text(app)
            await pilot.press("ctrl+u", "1", "enter", "enter")           # one box back, refunded in cash
            await _settle(pilot, app)
            assert "REMBOURSER 15,00 €" in _notes(app)
            back = Document.get(Document.kind == "credit_note")
            assert (back.preceding_id, back.grand_total) == (ticket.id, D("15.00"))
    run(go())


def test_ctrl_x_deletes_the_line_while_typing_codes(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            editor = await _editor(pilot, app, None, "quote", "C1")
            await pilot.press(*"VIS", "enter", *"DEPL", "enter")
            assert app.focused.id == "code" and len(editor.lines) == 2
            await pilot.press("ctrl+x")                     # the cursor is on the last line added
            assert [ln["product"] for ln in editor.lines] == ["VIS"]
    run(go())


def test_screens_hide_and_refuse_what_the_role_may_not_do(shop):
    users.create("patron", "admin", "x")
    users.create("clerc", "sales", "secret")
    users.create("quai", "warehouse", "secret")
    draft = documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}])
    from screens.app import FactuApp
    app = FactuApp("clerc")

    async def clerk():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            assert "Paramètres" not in _text(app)                   # hidden from the footer
            await _palette(pilot, app, "paramètres", "Paramètres")
            await _settle(pilot, app)
            assert type(app.screen).__name__ == "HomeScreen"
            assert "Droits insuffisants : les paramètres" in _notes(app)
    run(clerk())
    warehouse = FactuApp("quai")

    async def quai():
        async with warehouse.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, warehouse)
            await _editor(pilot, warehouse, draft.id)
            assert "Valider" not in _text(warehouse) and "Encaisser" not in _text(warehouse)
            await pilot.press("f9")
            await _settle(pilot, warehouse)
            assert documents.get(draft.id).status == "draft"
    run(quai())


def test_closing_the_day_from_its_screen_after_the_reminder(shop):
    import datetime as dt
    from screens.app import FactuApp
    from tui_factu import clock, closings
    yesterday = clock.today() - dt.timedelta(days=1)          # the frozen today, not the calendar's
    documents.validate(documents.create("invoice", "C1", yesterday, [{"product": "VIS"}]).id)
    users.create("compta", "accountant", "secret")
    app = FactuApp("compta")                     # a clerk may not close: the accountant does

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            assert "n'est pas clôturée" in _notes(app)
            app.closings()
            await _settle(pilot, app)
            await pilot.press("j", "enter")                              # today, confirmed
            await _settle(pilot, app)
            assert closings.closed_until() == clock.today()
            assert "Clôture journalière" in _notes(app) and "journalière" in _text(app)
            await pilot.press("enter")
            await _settle(pilot, app)
            assert "Grand total perpétuel 15,00" in _text(app)
    run(go())


def test_an_archive_made_and_checked_from_its_screen(shop, tmp_path):
    from screens.app import FactuApp
    documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    users.create("patron", "admin", "secret")
    app = FactuApp("patron")
    path = tmp_path / "a.zip"

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            app.archives()
            await _settle(pilot, app)
            await pilot.press("a", "ctrl+u", *"2026", "enter", "ctrl+u", *str(path), "enter")
            await _settle(pilot, app)
            assert "Archive écrite" in _text(app) and path.exists()
            await pilot.press("v", "ctrl+u", *str(path), "enter")
            await _settle(pilot, app)
            assert "Archive intacte : 1 document(s)" in _text(app)
    run(go())


def test_hostile_text_in_the_editor_fields_is_refused_and_the_app_keeps_running(app):
    hostile = ["'; DROP TABLE document; --", "\x1b[2J\x07", "🧾" * 50, "9" * 40, "-5", "2026-02-30", "é" * 3000]

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            editor = await _editor(pilot, app, None, "quote", "C1")
            await pilot.press(*"VIS", "enter")
            before = Document.select().count()
            for value in hostile:
                editor.query_one("#date").value = value
                await pilot.press("f2")
                await _settle(pilot, app)
            assert Document.select().count() == before               # no date of these saved a draft
            assert "date invalide" in _notes(app)
            editor.query_one("#date").value = "2026-11-20"
            editor.query_one("#reference").value = "é" * 3000
            await pilot.press("f2")
            await _settle(pilot, app)
            assert "reference" in _notes(app) and Document.select().count() == before
            for value in hostile:
                editor.query_one("#qty").value = value
                editor.query_one("#code").value = value[:200]
                editor.query_one("#code").focus()
                await pilot.press("enter")
                await _settle(pilot, app)
                if type(app.screen).__name__ != "EditorScreen":      # no such product: the picker, Escape
                    await pilot.press("escape")
                    await _settle(pilot, app)
            assert [ln["product"] for ln in editor.lines] == ["VIS"]
            assert type(app.screen).__name__ == "EditorScreen"
    run(go())


def test_who_changed_this_price_from_the_product_and_the_events(app):
    from tui_factu import catalog, session
    users.create("chef", "manager")
    session.set_user("chef")
    catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "13.90"})

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("p")
            await _settle(pilot, app)
            await pilot.press(*"VIS", "enter")                       # the search, then the list
            await _settle(pilot, app)
            await pilot.press("ctrl+o")
            await _settle(pilot, app)
            shot = _text(app)
            assert "Historique" in shot and "chef" in shot and "price" in shot
            assert "12.5" in shot and "13.9" in shot                  # from what to what
            await pilot.press("e")
            await _settle(pilot, app)
            assert "Journal des événements" in _text(app) and "connexion" in _text(app)
    run(go())


def test_reports_from_the_menu_with_a_chart_and_a_document_opened(shop, tmp_path):
    from screens.app import FactuApp
    from tui_factu import targets
    users.create("chef", "manager", "secret")
    documents.validate(documents.create("invoice", "C1", "2026-01-05", [{"product": "VIS"}], due_date="2026-01-20").id)
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "8"}]).id)
    documents.validate(documents.create("invoice", "P1", None, [{"product": "VIS", "quantity": "2"}]).id)
    app = FactuApp("chef")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("e")
            await _settle(pilot, app)
            await pilot.press("down", "down", "down", "down", "down", "enter")  # the ranking
            await _settle(pilot, app)
            shot = _text(app)
            assert "Palmarès" in shot and "par client" in shot and "█" in shot
            assert "Client Un SARL" in shot and "81,8" in shot                  # 112.50 of 137.50 HT
            await pilot.press("b")
            await _settle(pilot, app)
            assert "par produit" in _text(app)
            await pilot.press("x", "ctrl+u", *str(tmp_path / "r.csv"), "enter", "enter")
            await _settle(pilot, app)
            assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").startswith("key;label;value")
            await pilot.press("escape")
            await pilot.press("up", "enter")                                    # the aging (one overdue invoice)
            await _settle(pilot, app)
            assert "> 90 j" in _text(app) and "15,00" in _text(app)
            await pilot.press("escape", "down", "down", "down", "down", "down", "enter")   # the overdue invoices
            await _settle(pilot, app)
            await pilot.press("enter")
            await _settle(pilot, app)
            assert app.screen.__class__.__name__ == "EditorScreen" and app.screen.number.startswith("FA2026")
            await pilot.press("escape", "escape", "up", "up", "enter", "n", *"2026", "enter", "enter", "enter",
                              "enter", "ctrl+u", *"1000", "enter")              # a target, from its report
            await _settle(pilot, app)
            assert [t["target"] for t in targets.achievement(2026)] == ["1000.00"]
    run(go())


def test_stock_drills_down_to_the_moves_and_their_documents_and_the_fec_is_exported(shop, tmp_path):
    from screens.app import FactuApp
    from screens.reports import ReportView
    users.create("compta", "admin", "secret")
    order = documents.validate(documents.create("order", "C1", None, [{"product": "VIS", "quantity": "6"}]).id)
    delivery = documents.validate(documents.transform([order.id], "delivery").id)
    app = FactuApp("compta")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            app.push_screen(ReportView("stock"))
            await _settle(pilot, app)
            assert "LIVRE" in _text(app) and "VIS" in _text(app)
            await pilot.press("down", "enter")                      # VIS: its moves
            await _settle(pilot, app)
            shot = _text(app)
            assert "Mouvements de stock" in shot and delivery.number in shot and "livraison" in shot
            await pilot.press("down", "enter")                      # the delivery that took six out
            await _settle(pilot, app)
            assert app.screen.doc_id == delivery.id
            app.archives()
            await _settle(pilot, app)
            await pilot.press("f", "enter", "ctrl+u", *str(tmp_path), "enter")
            await _settle(pilot, app)
            assert "FEC écrit" in _text(app) and list(tmp_path.glob("732829320FEC*.txt"))
    run(go())


def test_a_customer_statement_from_the_reports_menu(app):
    from tui_factu import payments
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "2"}]).id)
    payments.pay([inv.id], "10", "cheque")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("e", "down", "down", "down", "enter")
            await _settle(pilot, app)
            await pilot.press(*"C1", "enter")
            await _settle(pilot, app)
            shot = _text(app)
            assert "Relevé de compte client" in shot and inv.number in shot and "20,00" in shot   # 30 − 10
            await pilot.press("down", "enter")                  # the payment: no document to open
            await _settle(pilot, app)
            assert "n'est pas un document à ouvrir" in _notes(app)
    run(go())


def test_an_expired_quote_is_transformed_only_when_confirmed_and_an_order_closed_from_the_editor(app):
    quote = documents.validate(documents.create("quote", "C1", "2026-10-01", [{"product": "VIS"}]).id)
    order = documents.validate(documents.create("order", "C1", None, [{"product": "VIS", "quantity": "3"}]).id)
    documents.validate(documents.transform([order.id], "delivery", {1: D(1)}).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, quote.id, "quote")
            assert "Expiré" in _text(app)
            await pilot.press("ctrl+t")
            await _settle(pilot, app)
            assert "a expiré le 31/10/2026" in _text(app)
            await pilot.press("n")                               # no: nothing made
            await _settle(pilot, app)
            assert not Document.select().where(Document.kind == "order", Document.id != order.id).exists()
            await pilot.press("ctrl+t", "o", "enter")            # yes, then -> order
            await _settle(pilot, app)
            assert Document.select().where(Document.kind == "order", Document.id != order.id).count() == 1
            await _editor(pilot, app, order.id, "order")
            await pilot.press("ctrl+k", "down", "enter")         # Soldée
            await _settle(pilot, app)
            assert "Soldée" in _text(app)                        # the question names it
            await pilot.press("enter")
            await _settle(pilot, app)
            assert documents.get(order.id).status == "closed"
            assert documents.backorders() == []
    run(go())


def test_vat_on_receipts_reads_the_same_on_screen_and_on_the_command_line(app):
    """One registry: the screen's « sur les encaissements » is `report vat --on receipts`."""
    from tui_factu import payments
    from tui_factu.report_registry import Params, run as report
    inv = documents.validate(documents.create("invoice", "P1", None, [{"product": "DEPL", "quantity": "2"}]).id)
    payments.pay([inv.id], "42.00", "cheque")                   # half of a service: half its VAT is due

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("e", "down", "enter")
            await _settle(pilot, app)
            assert "TVA collectée" in _text(app) and "sur les factures" in _text(app) and "14,00" in _text(app)
            await pilot.press("m")
            await _settle(pilot, app)
            assert "sur les encaissements" in _text(app) and "7,00" in _text(app)
            assert app.screen.rows == report("vat", Params(on="receipts", date_from="2026-01-01",
                                                           date_to="2026-12-01")) != []
    run(go())


def test_x_exports_every_row_of_a_follow_up_list_not_only_the_page_shown(app, tmp_path, monkeypatch):
    from screens.reports import ReportView
    monkeypatch.setattr(ReportView, "SHOWN", 1)
    made = [documents.validate(documents.create("invoice", "C1", "2026-10-0" + str(day), [{"product": "VIS"}],
                                                due_date="2026-10-20").id) for day in (1, 2, 3)]

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            app.push_screen(ReportView("overdue"))
            await _settle(pilot, app)
            assert "1 premières lignes (x : tout exporter)" in _text(app)
            assert made[-1].number in _text(app)                    # the newest first on screen
            await pilot.press("x", "ctrl+u", *str(tmp_path / "o.csv"), "enter", "enter")
            await _settle(pilot, app)
            assert "3 ligne(s) écrite(s)" in _notes(app)
    run(go())
    lines = (tmp_path / "o.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[2] for line in lines[1:]] == [d.number for d in made]    # as `report overdue --csv`


def test_a_payment_runs_in_a_worker_and_the_keys_typed_meanwhile_wait_for_it(app, monkeypatch):
    """The UI thread stays free while the core writes (the screen says so); a key typed then
    acts once the payment is shown, not on the document while it changes."""
    import threading
    from tui_factu import payments
    inv = documents.validate(documents.create("invoice", "P1", "2026-11-20", [{"product": "DEPL"}]).id)  # 42.00
    started, go_on, threads = threading.Event(), threading.Event(), []
    real_pay = payments.pay

    def slow_pay(*args, **kwargs):
        threads.append(threading.current_thread())
        started.set()
        assert go_on.wait(10)
        return real_pay(*args, **kwargs)
    monkeypatch.setattr(payments, "pay", slow_pay)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, inv.id)
            await pilot.press("ctrl+e")
            await _settle(pilot, app)
            await pilot.press("ctrl+u", *"50", "enter", "enter", "enter")
            await _until(pilot, started.is_set)
            await _until(pilot, lambda: "Encaissement en cours…" in _text(app))
            await pilot.press("f3")                             # typed while the core writes
            assert type(app.screen).__name__ == "Busy"          # nothing opened on the changing document
            go_on.set()
            await _settle(pilot, app)
            assert threads and threads[0] is not threading.main_thread()
            assert "Monnaie à rendre : 8,00 €" in _notes(app)
            assert type(app.screen).__name__ == "LinksScreen"   # the key, after the payment
        assert documents.get(inv.id).status == "paid"
    run(go())


def test_a_refused_write_says_why_in_french_and_gives_the_editor_back(app):
    order = documents.validate(documents.create("order", "C1", "2026-11-20",
                                                [{"product": "VIS", "quantity": "8"}]).id)   # 120.00 TTC

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await _editor(pilot, app, order.id)
            await pilot.press("f10", "ctrl+u", *"150", "enter", "enter")
            await _settle(pilot, app)
            assert "acompte : entre 0 et le total du document (120,00 €) « 150 % »" in _notes(app)
            assert type(app.screen).__name__ == "EditorScreen" and app.screen.doc_id == order.id
            await pilot.press("f10", "enter", "enter")          # the editor takes keys again: 30 %
            await _settle(pilot, app)
            assert "36,00 € TTC" in _notes(app) and app.screen.kind == "invoice"
        assert Document.select().where(Document.type == "deposit").count() == 1
    run(go())


def test_a_code_scanned_while_the_draft_saves_is_added_to_the_saved_draft(app, monkeypatch):
    """F2 then a scan at once: the scan waits for the save and lands on the draft as saved. It
    used to be added during the save and wiped by the reload that followed it."""
    import threading
    started, go_on = threading.Event(), threading.Event()
    real_create = documents.create

    def slow_create(*args, **kwargs):
        started.set()
        assert go_on.wait(10)
        return real_create(*args, **kwargs)
    monkeypatch.setattr(documents, "create", slow_create)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            editor = await _editor(pilot, app, None, "quote", "C1")
            await pilot.press(*"VIS", "enter", "f2")
            await _until(pilot, started.is_set)
            await pilot.press(*"LIVRE", "enter", "ctrl+p")      # scanned while the draft is written
            assert type(app.screen).__name__ == "Busy"          # even Ctrl+P (a priority key) waits
            go_on.set()
            await _settle(pilot, app)
            assert "enregistré" in _notes(app)
            assert [ln["product"] for ln in editor.lines] == ["VIS", "LIVRE"] and editor.dirty
            assert [type(s).__name__ for s in app.screen_stack[-2:]] == ["EditorScreen", "Palette"]
            await pilot.press("escape")
            await _settle(pilot, app)
            assert "modifié" in _text(app)
        assert [ln.code for ln in documents.lines_of(Document.get(Document.kind == "quote").id)] == ["VIS"]
    run(go())


def test_a_draft_opens_unmodified_and_leaves_without_a_question(app):
    """Opening a draft dated another day, or with a reference, marked it « modifié » (the
    values loaded into its fields counted as typed) and Escape asked to confirm."""
    draft = documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}], reference="BC-7")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            editor = await _editor(pilot, app, draft.id)
            assert "modifié" not in _text(app) and not editor.dirty
            await pilot.press("escape")
            await _settle(pilot, app)
            assert _is(app, "HomeScreen")
            editor = await _editor(pilot, app, draft.id)
            editor.query_one("#reference").focus()
            await pilot.press("8")                               # a change typed: it counts
            await _settle(pilot, app)
            assert "modifié" in _text(app) and editor.dirty
            await pilot.press("escape")
            await _settle(pilot, app)
            assert "Quitter sans enregistrer" in _text(app)
    run(go())


def test_saving_a_customer_from_its_form_keeps_what_the_form_does_not_show(app):
    from tui_factu import catalog
    catalog.update_customer("C1", {"payment_terms": "45jfdm"})

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await _login(pilot, app)
            await pilot.press("k")
            await _settle(pilot, app)
            await pilot.press(*"C1")
            await _settle(pilot, app)
            app.screen.edit("C1")
            await _settle(pilot, app)
            form = app.screen
            assert type(form).__name__ == "Form"
            form.query_one("#f-phone").value = "01 02 03 04 05"
            await pilot.press("ctrl+s")
            await _settle(pilot, app)
            assert "enregistré" in _notes(app)
    run(go())
    c = catalog.customer_by_code("C1")
    assert (c.phone, c.payment_terms, c.city) == ("01 02 03 04 05", "45jfdm", "Lyon")
