"""The editor of a document in another currency: its amounts with the currency's symbol, its VAT
in euros once stored, and the currency chosen for a new draft."""
from decimal import Decimal

from pilot import editor, login, notes, run, settle, text, until

from tui_factu import documents, rates


def test_the_editor_shows_a_dollar_invoice_and_makes_a_dollar_draft(app):
    rates.set_rate("USD", "2026-11-01", "0.92")
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [
        {"description": "Conseil", "quantity": "3", "unit_price": "100", "vat_rate": "20"}], currency="USD").id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            await editor(pilot, app, inv.id)
            await until(pilot, lambda: "360,00 $US" in text(app))
            assert "TVA 55,20 € à 0,92 €/USD" in text(app) and "Devise  USD" in text(app)
            app.pop_screen()
            await editor(pilot, app, None, "invoice", "C1")
            app.screen.query_one("#currency").focus()
            await pilot.press("backspace", "backspace", "backspace", *"usd")
            app.screen.query_one("#code").focus()
            await pilot.press(*"VIS", "enter")
            await until(pilot, lambda: "USD au cours du jour" in text(app))
            await pilot.press("f2")
            await settle(pilot, app)
            await until(pilot, lambda: "enregistré" in notes(app))
            assert "Total TTC 16,31 $US" in text(app)                 # 13.587 USD + 20 %
    run(go())
    draft = documents.get(inv.id + 1)
    assert (draft.currency, draft.exchange_rate) == ("USD", Decimal("0.92"))
    assert documents.lines_of(draft.id)[0].unit_price == Decimal("13.587")    # 12.50 € at 0.92
    assert draft.tax_total_eur == Decimal("2.50")                             # 2.72 USD
