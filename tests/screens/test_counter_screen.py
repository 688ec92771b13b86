"""The counter at scanner speed, as a clerk uses it at 80×24: a quantity with the code, an
unknown code said where it was typed without taking the next scan, the change to give kept on
screen, a return's ticket printed, and the keys a sale costs counted."""
from decimal import Decimal as D

from pilot import login, run, settle, text, until
from tui_factu import printing
from tui_factu.models import Document

SCANS = ("3760123456784", "3*LIVRE", "DEPL")            # a barcode, a quantity, a code


def test_a_counter_sale_costs_the_codes_and_four_keys_and_a_bad_code_takes_no_scan(app, tmp_path):
    from screens.counter import CounterScreen
    printing.set_printer("comptoir", f"file://{tmp_path / 'ticket.bin'}", columns=42)
    keys = []                                           # every key that is not a code or the amount given

    async def press(pilot, *pressed, counted=True):
        keys.extend(pressed if counted else ())
        await pilot.press(*pressed)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            await press(pilot, "f12")
            await settle(pilot, app)
            await press(pilot, *"0*VIS", "enter", counted=False)             # a bad quantity: said, nothing sold
            await settle(pilot, app)
            assert "quantité" in text(app) and app.focused.value == "0*VIS" and app.screen.lines == []
            await press(pilot, *"NOPE", "enter", counted=False)             # a scan the base does not know
            await settle(pilot, app)
            assert isinstance(app.screen, CounterScreen)                      # no dialog to take the next scan
            assert "code inconnu : NOPE" in text(app) and app.focused.value == "NOPE"
            for code in SCANS:                                                # the next scan replaces it
                await press(pilot, *code, "enter", counted=False)
            await settle(pilot, app)
            assert "code inconnu" not in text(app)
            assert [(ln["product"], ln["quantity"]) for ln in app.screen.lines] == [("VIS", 1), ("LIVRE", 3), ("DEPL", 1)]
            await press(pilot, "enter")                                       # empty code: pay
            await settle(pilot, app)
            await press(pilot, *"150", counted=False)                         # the note given replaces the total
            await press(pilot, "enter", "enter")                              # cash, confirmed
            await until(pilot, lambda: "MONNAIE À RENDRE" in text(app))
            await settle(pilot, app)
            ticket = Document.get(Document.kind == "receipt")
            assert (ticket.status, ticket.grand_total) == ("paid", D("119.98"))     # 15 + 62.98 + 42
            assert keys == ["f12", "enter", "enter", "enter"]                  # the codes + 4 keys (≤ 5)
            assert "TK2026-000001 payé 119,98 € — MONNAIE À RENDRE : 30,02 €" in text(app)

            await pilot.press(*"2*VIS", "enter")                              # the next sale starts: still shown
            await settle(pilot, app)
            assert "MONNAIE À RENDRE : 30,02 €" in text(app) and "À PAYER 30,00 €" in text(app)
            await pilot.press("ctrl+d", "enter")
            await pilot.press("f6", *ticket.number, "enter")                  # a return of one book
            await settle(pilot, app)
            await pilot.press("ctrl+u", "0", "enter", "ctrl+u", "1", "enter", "ctrl+u", "0", "enter", "enter")
            await until(pilot, lambda: "REMBOURSER 20,99 €" in text(app))
            await settle(pilot, app)
            back = Document.get(Document.kind == "credit_note")
            await pilot.press(*"2*LIV", "f2")                                 # a search on purpose keeps the quantity
            await until(pilot, lambda: type(app.screen).__name__ == "ProductPicker")
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, CounterScreen) and app.screen.lines)
            assert [(ln["product"], ln["quantity"]) for ln in app.screen.lines] == [("LIVRE", 2)]
        assert back.number.encode() in (tmp_path / "ticket.bin").read_bytes()     # its ticket is printed
    run(go())

