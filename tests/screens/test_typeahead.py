"""Keys typed ahead, in one burst (a scanner, a lagging SSH link): each reaches the screen or
the dialog it was typed for, in order, as when typed slowly. The keys are posted to the app all
at once, none awaited, as the terminal driver does with one read."""
from decimal import Decimal as D

from textual import events

from pilot import editor, login, notes, run, settle, text, until
from tui_factu import documents
from tui_factu.models import Document

CHARACTERS = {"enter": "\r", "backspace": "\x7f", "escape": "\x1b"}


def burst(app, *keys):
    """Every key at once, in one read: none waits for the one before to act."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else CHARACTERS.get(key)))


def test_a_burst_fills_the_line_form_the_payment_and_the_credit_note_settle_as_slow_typing(app):
    draft = documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}])
    invoice = documents.validate(documents.create("invoice", "P1", "2026-11-20", [{"product": "DEPL"}]).id)  # 42
    first = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    credit = documents.validate(documents.credit(first.id, {1: D("2")}).id)                                  # 30
    other = documents.validate(documents.create("invoice", "C1", "2026-11-21", [{"product": "VIS"}]).id)     # 15

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            screen = await editor(pilot, app, draft.id)
            burst(app, *"LIVRE*2", "enter")                     # a quantity with the code, as at the counter
            await until(pilot, lambda: len(screen.lines) == 2)
            screen.query_one("DataTable").focus()
            screen.query_one("DataTable").move_cursor(row=0)
            await until(pilot, lambda: app.focused is screen.query_one("DataTable"))
            burst(app, "enter", "6", "ctrl+s", "ctrl+s")        # the line form, its quantity, OK, save
            await until(pilot, lambda: documents.get(draft.id).version > draft.version)
            await settle(pilot, app)
            assert [ln.quantity for ln in documents.lines_of(draft.id)] == [D(6), D(2)]
            assert screen.query_one("#code").value == ""

            await editor(pilot, app, invoice.id)
            burst(app, "ctrl+e", *"50", "enter", "enter", "enter")   # amount, cash, no reference
            await until(pilot, lambda: "Monnaie à rendre : 8,00 €" in notes(app))
            await settle(pilot, app)
            assert "Payée" in text(app)

            await editor(pilot, app, credit.id)
            burst(app, "ctrl+e", *other.number, "enter", "enter")   # the invoice it settles, all of it
            await until(pilot, lambda: "Avoir imputé : 15,00 €" in notes(app))
        assert documents.get(other.id).status == "paid"
    run(go())


def test_a_whole_counter_sale_in_one_burst(app):
    """The password, F12, scans, the payment and its amount typed without waiting: the same
    sale as slow typing, and the next customer's scan, typed while the first is being
    recorded, is his."""
    from screens.counter import CounterScreen
    from screens.pickers import Form

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            burst(app, *"secret", "enter", "f12", *"2*VIS", "enter", *"LIVRE", "enter", *"DEPX", "backspace", "L",
                  "enter", "enter", *"100", "enter", "enter", *"LIVRE", "enter")
            await until(pilot, lambda: isinstance(app.screen, (CounterScreen, Form)))
            await until(pilot, lambda: Document.select().where(Document.kind == "receipt").count() == 1)
            await settle(pilot, app)
            ticket = Document.get(Document.kind == "receipt")
            assert ticket.status == "paid" and ticket.grand_total == D("92.99")     # 2 × 15 + 20.99 + 42 TTC
            assert isinstance(app.screen, CounterScreen)
            assert [(ln["product"], ln["quantity"]) for ln in app.screen.lines] == [("LIVRE", 1)]
            assert "MONNAIE À RENDRE : 7,01 €" in text(app)
    run(go())
