"""The bank screen at 80×24 driven by keys: a statement imported by its path (a wrong one said in
French), its lines with their proposals, one confirmed with Entrée, the stranger left visible."""
from tui_factu import documents, payments

from pilot import login, notes, palette, run, settle, text, until


def _camt(entries) -> str:
    """A camt.053.001.02 statement: (bank reference, amount, payer, remittance text)."""
    ntry = "".join(
        f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>2026-11-30</Dt></BookgDt><ValDt><Dt>2026-11-30</Dt></ValDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
        "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
        f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><RltdPties><Dbtr><Nm>{payer}</Nm></Dbtr>"
        f"</RltdPties><RmtInf><Ustrd>{ustrd}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for ref, amount, payer, ustrd in entries)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"
            "<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-30T20:00:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>"
            "<CreDtTm>2026-11-30T20:00:00</CreDtTm><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>"
            "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
            f"<Dt><Dt>2026-11-30</Dt></Dt></Bal>{ntry}</Stmt></BkToCstmrStmt></Document>\n")


def test_a_statement_imported_then_a_match_confirmed_with_enter(admin_app):
    from tui_factu import files
    app = admin_app
    inv = documents.validate(documents.create("invoice", "P1", "2026-11-05", [{"product": "LIVRE"}]).id)   # 20.99
    path = files.default_folder() / "releve.xml"          # the folder the screen proposes: the name is typed
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_camt([("E1", "20.99", "MME JEANNE PARTICULIER", "Merci"), ("E2", "25.00", "INCONNU SA", "DON")]))

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            await palette(pilot, app, "banque", "Banque : relevés et rapprochement")
            await settle(pilot, app)
            assert "Aucune ligne à rapprocher" in text(app)
            await pilot.press("i", *"absent.xml", "enter", "enter", "enter")
            await settle(pilot, app)
            assert "relevé introuvable" in notes(app)
            await pilot.press("i", *path.name, "enter", "enter", "enter")
            await settle(pilot, app)
            assert "Relevé CAMT.053 importé : 2 crédit(s) pour 45,99 €" in notes(app)
            await until(pilot, lambda: "probable" in text(app))
            screen = text(app)
            assert inv.number in screen and "INCONNU SA" in screen and "aucune" in screen
            assert "montant et nom" in screen                       # why it is proposed, under the table
            await pilot.press("enter")                             # the probable one, first
            await until(pilot, lambda: "Enregistrer le virement de 20,99 €" in text(app))
            await pilot.press("enter")
            await settle(pilot, app)
            assert f"20,99 € sur {inv.number}" in notes(app)
            await until(pilot, lambda: "probable" not in text(app))
            assert "INCONNU SA" in text(app)                        # the stranger stays in sight
            depth = len(app.screen_stack)
            await pilot.press("s")
            await until(pilot, lambda: type(app.screen).__name__ == "SepaScreen")
            await pilot.press("b")
            await until(pilot, lambda: type(app.screen).__name__ == "BankScreen")
            assert len(app.screen_stack) == depth                  # one desk, not a pile for Escape
        assert documents.get(inv.id).status == "paid" and payments.balance(documents.get(inv.id)) == 0
    run(go())


def test_a_clerk_is_kept_out_of_the_bank_but_takes_the_cheques_to_it(app):
    """The sales clerk may not see the statements (refused in French, nothing opened) but may
    make the remittance slip of the cheques he collected, with its PDF."""
    from tui_factu import files, remittances
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    payments.pay([inv.id], "60.00", "cheque", "2026-11-22", "CHQ 0001234", "LCL")

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            await palette(pilot, app, "banque", "Banque : relevés et rapprochement")
            await settle(pilot, app)
            assert "Droits insuffisants : le rapprochement bancaire" in notes(app)
            assert type(app.screen).__name__ == "HomeScreen"
            await palette(pilot, app, "remises", "Remises de chèques : bordereaux")
            await until(pilot, lambda: "CHQ 0001234" in text(app))
            await pilot.press("r", *"LCL", "enter", "enter", "enter")          # today, the PDF where proposed
            await settle(pilot, app)
            assert "Bordereau RC2026-00001 : 1 chèque(s), 60,00 €" in notes(app)
            await until(pilot, lambda: "Bordereau RC2026-00001" in text(app) and "CHQ 0001234" not in text(app))
    run(go())
    assert remittances.pending() == []
    assert (files.default_folder() / "remise-2026-12-01.pdf").read_bytes().startswith(b"%PDF")
