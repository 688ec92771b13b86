"""The editor's daily actions at the keyboard (issue #16, points 4, 6, 7), done as a person does
them at 80×24 and read as a person reads them; several actions per test (a Pilot test costs
seconds)."""
from decimal import Decimal as D

from tui_factu import documents, payments
from tui_factu.models import Document

from pilot import editor, login, notes, palette, run, settle, text


def test_a_three_line_quote_takes_its_codes_and_eight_keys_and_qty_is_on_screen(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            keys = []

            async def press(*typed, code=False):
                if not code:
                    keys.extend(typed)
                await pilot.press(*typed)
                await settle(pilot, app)
            await press("n")
            await press("enter")                                        # Nouveau → Devis
            await press(*"C1", code=True)
            await press("enter")                                        # the customer
            qty = app.screen.query_one("#qty")
            assert qty.region.width > 0 and qty.region.right <= 80      # Qté on screen, not pushed off by Code
            for code in ("VIS", "MO", "LIVRE"):
                await press(*code, code=True)
                await press("enter")
            await press("f9")
            await press("enter")                                        # yes, validate
            quote = Document.get(Document.kind == "quote")
            assert quote.status == "validated" and len(documents.lines_of(quote.id)) == 3
            assert f"{quote.number} validé et scellé." in notes(app)
            assert len(keys) <= 12, keys
    run(go())


def test_a_draft_free_line_vat_rate_subtotal_allowance_header_then_closed_from_the_palette(app):
    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            ed = await editor(pilot, app, None, "order", "C1")
            await pilot.press("f9")
            await settle(pilot, app)
            assert "Rien à valider" in notes(app)
            assert not Document.select().exists()                       # refused before anything is written
            await pilot.press("ctrl+l", *"Pose", "enter", "2", "enter", *"12,5x", "enter", "enter")
            await settle(pilot, app)
            assert "prix unitaire : nombre invalide « 12,5x »" in text(app)     # the form stays open
            await pilot.press(*"12.5", "enter", "enter")                # retyped (selected), a dot decimal
            await settle(pilot, app)
            assert [(ln["description"], ln["quantity"], ln["unit_price"]) for ln in ed.lines] == \
                [("Pose", D(2), D("12.5"))]
            await pilot.press(*"VIS", "enter", "shift+tab", "enter")    # the VIS line's form
            await settle(pilot, app)
            await pilot.press("enter", "enter", "enter", *"10x", "enter", "enter")
            await settle(pilot, app)
            assert "TVA" in text(app) and "Ligne 2" in text(app)       # a bad rate: still the form
            await pilot.press(*"10", "enter", "enter")
            await settle(pilot, app)
            assert ed.lines[1]["vat_rate"] == D(10) and ed.lines[1]["product"] == "VIS"
            await pilot.press("ctrl+b", "ctrl+f", "enter")              # subtotal; an allowance
            await settle(pilot, app)
            await pilot.press("5", "enter", "enter", "enter")
            await pilot.press("ctrl+n")
            await settle(pilot, app)
            await pilot.press(*"BC-9", "enter", *"Livrer le matin", "enter", "f2")
            await settle(pilot, app)
            order = Document.get(Document.kind == "order")
            assert f"Commande brouillon #{order.id} enregistrée." in notes(app)
            assert (order.reference, order.notes) == ("BC-9", "Livrer le matin")
            assert [(ln.kind, ln.vat_rate) for ln in documents.lines_of(order.id)] == \
                [("service", D(20)), ("goods", D(10)), ("subtotal", None)]
            assert [(a.amount, a.vat_rate, a.is_charge) for a in documents.adjustments_of(order.id)] == \
                [(D(5), D(10), False)]
            assert order.tax_basis_total == D("32.50")                 # 25 + 12.50 − 5
            await pilot.press("f9", "enter")
            await settle(pilot, app)
            assert "validée et scellée" in notes(app)
            await palette(pilot, app, "soldé", "Statut : accepté, refusé, soldé (reliquat) (ctrl+k)")
            await settle(pilot, app)
            await pilot.press("down", "enter", "enter")                # Soldée, confirmed
            await settle(pilot, app)
            assert documents.get(order.id).status == "closed"
    run(go())


def test_money_and_grouping_from_the_editor_and_a_clerk_refused_where_the_core_refuses(app):
    def validated(kind, customer, qty="1"):
        return documents.validate(documents.create(kind, customer, None, [{"product": "VIS", "quantity": qty}]).id)
    a, b = validated("invoice", "C1"), validated("invoice", "C1", "2")          # 15.00 and 30.00
    cn = documents.validate(documents.credit(validated("invoice", "P1").id).id)  # 15.00 to pay back
    d1, d2 = validated("delivery", "C1"), validated("delivery", "C1", "3")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            await palette(pilot, app, "encaisser", "Encaisser plusieurs factures d'un client")
            await settle(pilot, app)
            await pilot.press(*"C1", "enter")                           # the customer: his oldest invoice…
            await settle(pilot, app)
            assert b.number in text(app)                               # … and his other open one, to tick                               # the customer's other open invoice
            await pilot.press("down", "space", "enter")
            await settle(pilot, app)
            assert "Encaisser 2 factures — reste dû 45,00 €" in text(app)
            await pilot.press("enter", "enter", "enter")
            await settle(pilot, app)
            assert [documents.get(i).status for i in (a.id, b.id)] == ["paid", "paid"]
            await pilot.press("ctrl+u", "enter", "enter")               # cancel that payment: not a clerk's
            await settle(pilot, app)
            assert "droits insuffisants" in notes(app) and documents.get(a.id).status == "paid"
            await editor(pilot, app, cn.id)
            await pilot.press("ctrl+u", "enter")                        # refund the credit note…
            await settle(pilot, app)
            await pilot.press("enter")                                  # … in cash
            await settle(pilot, app)
            await pilot.press("enter")                                  # all that is left
            await settle(pilot, app)
            assert "Remboursement de 15,00 €" in notes(app)
            assert payments.credit_note_left(documents.get(cn.id)) == 0
            await editor(pilot, app, d1.id)
            await pilot.press("ctrl+t", "enter")                        # → invoice: with the other note?
            await settle(pilot, app)
            assert d2.number in text(app)
            await pilot.press("down", "space", "enter")
            await settle(pilot, app)
            invoice = Document.get(Document.kind == "invoice", Document.status == "draft")
            assert f"Facture brouillon #{invoice.id} créée" in notes(app)
            assert sorted(ln.quantity for ln in documents.lines_of(invoice.id) if ln.quantity) == [D(1), D(3)]
    run(go())
