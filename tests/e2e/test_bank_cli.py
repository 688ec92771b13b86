"""`tui-factu bank` and `tui-factu writeoff` as a person (or a script) runs them, on a copy of the
demo base: a CAMT.053 made here imported once, its certain match recorded, the rest left visible."""
import json

from support import run_cli as run  # noqa: E402

IBAN = "FR7630006000011234567890189"


def _camt(entries):
    ntry = "".join(
        f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>2026-11-30</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef><BkTxCd/>"
        f"<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties>"
        f"<RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"
        for amount, side, ref, name, text in entries)
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.02\">"
            "<BkToCstmrStmt><GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-11-30T20:00:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id>"
            f"<CreDtTm>2026-11-30T20:00:00</CreDtTm><Acct><Id><IBAN>{IBAN}</IBAN></Id></Acct>"
            "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
            f"<Dt><Dt>2026-11-30</Dt></Dt></Bal>{ntry}</Stmt></BkToCstmrStmt></Document>")


def test_bank_import_match_apply_and_write_off(base, tmp_path):
    from tui_factu.bank import payment_reference
    # the demo's FA2026-00003 (Électricité Lefèvre) owes 907.38, FA2026-00007 (Garage Lambert) 395.93
    path = tmp_path / "releve.xml"
    path.write_text(_camt([("907.38", "CRDT", "R1", "ELEC LEFEVRE", f"REGLEMENT {payment_reference('FA2026-00003')}"),
                           ("395.93", "CRDT", "R2", "GARAGE LAMBERT", "VIREMENT"),
                           ("13.37", "CRDT", "R3", "QUELQU'UN", "CADEAU"),
                           ("9.99", "DBIT", "R4", "BANQUE", "FRAIS")]), encoding="utf-8")
    out = run(base, "bank", "import", str(path)).stdout
    assert out.strip() == (f"Relevé CAMT.053 importé (compte {IBAN}) : 3 crédit(s) ajouté(s) pour 1 316,68 € ; "
                           "laissés de côté : 1 débits.")
    assert "Relevé déjà importé le 01/12/2026 (CAMT.053" in run(base, "bank", "import", str(path)).stdout

    found = json.loads(run(base, "bank", "match", "--json").stdout)
    assert [(p["invoices"][0]["number"], p["rule"], p["certainty"]) for p in found["proposals"]] == \
        [("FA2026-00003", "reference", "certain"), ("FA2026-00007", "amount_name", "probable")]
    assert [u["amount"] for u in found["unmatched"]] == ["13.37"]
    out = run(base, "bank", "match", "--apply").stdout
    assert "→ FA2026-00003 (C003) certain, référence : référence de paiement FA2026-00003" in out
    assert "→ FA2026-00007 (C008) probable, montant et nom" in out
    assert "Enregistré : ligne 1 → règlement n°" in out and "1 règlement(s) enregistré(s)" in out
    assert json.loads(run(base, "doc", "show", "FA2026-00003", "--json").stdout)["balance"] == "0.00"
    assert json.loads(run(base, "doc", "show", "FA2026-00007", "--json").stdout)["balance"] == "395.93"
    run(base, "verify")
    left = json.loads(run(base, "bank", "lines", "--unmatched", "--json").stdout)
    assert [(r["amount"], r["label"], r["payment"]) for r in left] == [("395.93", "VIREMENT", None),
                                                                        ("13.37", "CADEAU", None)]
    assert "non rapprochée" in run(base, "bank", "lines").stdout

    broken = tmp_path / "casse.xml"
    broken.write_text(path.read_text(encoding="utf-8").replace("<Amt Ccy=\"EUR\">13.37</Amt>", "<Amt>13.37</Amt>"),
                      encoding="utf-8")
    r = run(base, "bank", "import", str(broken), expect=2)
    assert "relevé CAMT.053 : non conforme au schéma ISO 20022 camt.053.001.02" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = run(base, "bank", "import", str(path), "--format", "qif", expect=2)
    assert "choix invalide" in r.stderr and "camt053" in r.stderr
    assert len(json.loads(run(base, "bank", "lines", "--json").stdout)) == 3

    # FA2026-00002 owes 48.83: too much to write off, 8.83 once 40.00 are paid
    r = run(base, "writeoff", "FA2026-00002", expect=2)
    assert "au-delà du plafond de passage en pertes (15.00 €, réglage writeoff.max_amount)" in r.stderr
    run(base, "pay", "FA2026-00002", "40.00", "--method", "transfer")
    out = run(base, "writeoff", "FA2026-00002", "--reason", "reliquat").stdout
    assert out.startswith("FA2026-00002 : 8,83 € passés en pertes (règlement n°")
    shown = json.loads(run(base, "doc", "show", "FA2026-00002", "--json").stdout)
    assert (shown["balance"], shown["status"]) == ("0.00", "paid")
    run(base, "verify")
