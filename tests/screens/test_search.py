"""Finding things as a person looks for them: any part of a number, a code or a name, from the
palette (Ctrl+P) and the search fields, and a word when nothing matches."""
from tui_factu import documents

from pilot import is_screen, login, notes, palette, run, text, until


def test_the_palette_opens_a_document_by_the_end_of_its_number_and_a_customer_by_part_of_a_name(app):
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "DEPL"}]).id)
    tail = inv.number[-5:]                        # "00001": what a customer reads out on the phone

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await login(pilot, app)
            await palette(pilot, app, tail, f"Facture {inv.number} — Client Un SARL — 42,00 €")
            await until(pilot, lambda: is_screen(app, "EditorScreen") and app.screen.number == inv.number)
            await pilot.press("escape")
            await palette(pilot, app, "particul", "Client P1 — Jeanne Particulier")
            await until(pilot, lambda: is_screen(app, "CustomersScreen") and "Jeanne Particulier" in text(app))
            search = app.screen.query_one("#search")
            search.value = "zzz"
            await until(pilot, lambda: "aucun résultat" in text(app))
            await pilot.press("escape")
            await palette(pilot, app, "ivre", "Produit LIVRE — Livre")
            await until(pilot, lambda: is_screen(app, "ProductsScreen") and "19,90" in text(app))
    run(go())


def test_the_palette_and_ctrl_c_speak_french(app):
    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await login(pilot, app)
            await pilot.press("ctrl+c")
            await until(pilot, lambda: "Ctrl+Q pour quitter" in notes(app))
            await pilot.press("ctrl+p")
            await until(pilot, lambda: is_screen(app, "Palette"))
            assert "Écran, n° de document, client ou produit" in text(app)
            await pilot.press(*"wxqz")
            await until(pilot, lambda: "aucun résultat" in text(app))
    run(go())


def test_a_list_finds_a_document_by_part_of_its_customer_s_name_or_says_none(app):
    mine = documents.validate(documents.create("invoice", "P1", "2026-11-20", [{"product": "DEPL"}]).id)
    documents.validate(documents.create("invoice", "C1", "2026-11-21", [{"product": "VIS"}]).id)

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await login(pilot, app)
            app.open_list("invoice")
            await until(pilot, lambda: is_screen(app, "DocumentList") and "Client Un" in text(app))
            await pilot.press("slash", *"particul")
            await until(pilot, lambda: mine.number in text(app) and "Client Un" not in text(app))
            await pilot.press(*"zzz")
            await until(pilot, lambda: "aucun résultat" in text(app))
    run(go())


def test_the_editor_and_the_counter_start_a_line_at_the_customer_s_price_and_say_why(app):
    from tui_factu import catalog, pricing
    pricing.set_item("PRO", "VIS", "11.00")
    catalog.update_customer("C1", {"pricelist": "PRO"})

    async def go():
        from pilot import editor
        async with app.run_test(size=(80, 24)) as pilot:
            await login(pilot, app)
            await pilot.press("f12", *"VIS", "enter")                 # a walk-in: the catalogue
            await until(pilot, lambda: is_screen(app, "CounterScreen") and "VIS : prix catalogue" in text(app))
            await pilot.press("f4", *"C1", "enter")                    # the customer named after the scan
            await until(pilot, lambda: "VIS : prix liste PRO" in text(app) and "11,00" in text(app))
            await pilot.press("ctrl+d")
            app.pop_screen()
            screen = await editor(pilot, app, None, "quote", "C1")
            await pilot.press(*"VIS", "enter")
            await until(pilot, lambda: "VIS : prix liste PRO" in text(app))
            assert screen.lines[0]["unit_price"] == 11
    run(go())
    assert pricing.for_customer(None, catalog.product_by_code("VIS")).rule == "prix catalogue"   # walk-in
