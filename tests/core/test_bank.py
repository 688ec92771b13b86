"""Bank statements: CAMT.053, OFX and CSV files made here, imported whole or not at all and once;
credits matched by payment reference, amount and name, grouped and partial payments; the
certain ones recorded as sealed payments; the match of 1 000 lines against 10 000 invoices."""
import time
from decimal import Decimal as D

import pytest

from tui_factu import bank, documents, payments, session, settings, users, verify
from tui_factu.errors import FactuError, InvalidValue
from tui_factu.models import BankLine, BankStatement, Payment
from tui_factu.permissions import PermissionDenied

IBAN = "FR7630006000011234567890189"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.{}"


def _party(version, name):
    return f"<Dbtr><Nm>{name}</Nm></Dbtr>" if version == "02" else f"<Dbtr><Pty><Nm>{name}</Nm></Pty></Dbtr>"


def camt(entries, version="02", msg="MSG-1", account=IBAN, currency="EUR"):
    """A camt.053 statement: entries are dicts (amount, side, ref, name, ustrd, rf, e2e, txs, status)."""
    status = (lambda s: f"<Sts>{s}</Sts>") if version == "02" else (lambda s: f"<Sts><Cd>{s}</Cd></Sts>")
    domain = "<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>"
    out = []
    for e in entries:
        txs = e.get("txs") or [e]
        details = []
        for t in txs:
            amount = (f"<AmtDtls><TxAmt><Amt Ccy=\"{currency}\">{t['amount']}</Amt></TxAmt></AmtDtls>" if version == "02"
                      else f"<Amt Ccy=\"{currency}\">{t['amount']}</Amt>") if e.get("txs") else ""
            rmt = "".join(f"<Ustrd>{u}</Ustrd>" for u in t.get("ustrd", []))
            if t.get("rf"):
                rmt += ("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>"
                        f"<Ref>{t['rf']}</Ref></CdtrRefInf></Strd>")
            refs = f"<Refs><EndToEndId>{t.get('e2e', 'NOTPROVIDED')}</EndToEndId></Refs>"
            if version == "02" and e.get("txs"):          # 001.02: the amount comes after the references
                details.append(f"<TxDtls>{refs}{amount}<RltdPties>{_party(version, t.get('name', 'X'))}</RltdPties>"
                               f"{'<RmtInf>' + rmt + '</RmtInf>' if rmt else ''}</TxDtls>")
            else:
                details.append(f"<TxDtls>{refs}{amount}<RltdPties>{_party(version, t.get('name', 'X'))}</RltdPties>"
                               f"{'<RmtInf>' + rmt + '</RmtInf>' if rmt else ''}</TxDtls>")
        out.append(f"<Ntry><Amt Ccy=\"{currency}\">{e['amount']}</Amt><CdtDbtInd>{e.get('side', 'CRDT')}</CdtDbtInd>"
                   f"{status(e.get('status', 'BOOK'))}<BookgDt><Dt>{e.get('date', '2026-11-30')}</Dt></BookgDt>"
                   f"<ValDt><Dt>{e.get('date', '2026-11-30')}</Dt></ValDt><AcctSvcrRef>{e['ref']}</AcctSvcrRef>"
                   f"{domain}<NtryDtls>{''.join(details)}</NtryDtls></Ntry>")
    balance = ("<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">1000.00</Amt>"
               "<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-30</Dt></Dt></Bal>")
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{NS.format(version)}\"><BkToCstmrStmt>"
            f"<GrpHdr><MsgId>{msg}</MsgId><CreDtTm>2026-11-30T20:00:00</CreDtTm></GrpHdr>"
            f"<Stmt><Id>{msg}-S</Id>{'<ElctrncSeqNb>1</ElctrncSeqNb>' if version == '02' else ''}"
            f"<CreDtTm>2026-11-30T20:00:00</CreDtTm><Acct><Id><IBAN>{account}</IBAN></Id><Ccy>EUR</Ccy></Acct>"
            f"{balance}{''.join(out)}</Stmt></BkToCstmrStmt></Document>\n")


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def _statement(invoices):
    """Six entries: a payment reference (RF), amount and name, a grouped payment, a debit,
    a stranger, a partial payment citing the invoice number."""
    a, e = invoices["a"], invoices["e"]
    return camt([
        {"amount": "30.00", "ref": "E1", "name": "CLIENT UN SARL", "rf": bank.payment_reference(a.number)},
        {"amount": "20.99", "ref": "E2", "name": "MME JEANNE PARTICULIER", "ustrd": ["Merci"]},
        {"amount": "91.50", "ref": "E3", "name": "CLIENT UN", "ustrd": ["REGLEMENT FACTURES NOVEMBRE"]},
        {"amount": "12.00", "ref": "E4", "side": "DBIT", "name": "BANQUE", "ustrd": ["FRAIS TENUE DE COMPTE"]},
        {"amount": "25.00", "ref": "E5", "name": "INCONNU SA", "ustrd": ["DON"]},
        {"amount": "30.00", "ref": "E6", "name": "J PARTICULIER", "ustrd": [f"ACOMPTE {e.number}"]},
    ])


def _by_line(done):
    rows = {}
    for p in done["proposals"]:
        rows[BankLine.get_by_id(p["line"]).key.rsplit(":", 1)[1]] = p
    return rows


def test_payment_reference_is_an_rf_creditor_reference():
    from stdnum import iso11649
    ref = bank.payment_reference("FA2026-00012")
    assert ref == "RF73FA202600012" and iso11649.is_valid(ref)
    assert bank.payment_reference("X" * 22) == ""


@pytest.mark.backends
def test_camt053_imported_once_and_matched_by_reference_name_and_group(invoices, tmp_path):
    path = _write(tmp_path, "releve.xml", _statement(invoices))
    done = bank.import_file(path)
    assert (done["status"], done["format"], done["account"], done["lines"], done["total"]) == \
        ("imported", "camt053", IBAN, 5, "197.49")
    assert done["left_out"] == {"débits": 1}
    again = bank.import_file(path)                               # the same file: nothing
    assert (again["status"], again["lines"]) == ("already", 0)
    assert BankLine.select().count() == 5 and BankStatement.select().count() == 1
    # the next day's statement repeats E1 (same bank reference) and brings one new line
    later = _write(tmp_path, "releve2.xml", camt([
        {"amount": "30.00", "ref": "E1", "name": "CLIENT UN SARL", "rf": bank.payment_reference(invoices["a"].number)},
        {"amount": "7.00", "ref": "E7", "name": "PERSONNE", "date": "2026-12-01"}], version="08", msg="MSG-2"))
    done = bank.import_file(later, "camt053")
    assert (done["lines"], done["known"]) == (1, 1)

    found = bank.match()
    rows = _by_line(found)
    a, b, c, d, e = (invoices[k].number for k in "abcde")
    assert (rows["E1"]["rule"], rows["E1"]["certainty"], [i["number"] for i in rows["E1"]["invoices"]]) == \
        ("reference", "certain", [a])
    assert "référence de paiement" in rows["E1"]["reason"] and "montant exact" in rows["E1"]["reason"]
    assert (rows["E2"]["rule"], rows["E2"]["certainty"], rows["E2"]["invoices"][0]["number"], rows["E2"]["customer"]) == \
        ("amount_name", "probable", d, "P1")
    assert (rows["E3"]["rule"], rows["E3"]["certainty"], sorted(i["number"] for i in rows["E3"]["invoices"])) == \
        ("grouped", "probable", [b, c])
    assert (rows["E6"]["rule"], rows["E6"]["certainty"], rows["E6"]["invoices"][0]["number"]) == \
        ("partial_reference", "probable", e)
    assert "30.00 sur 60.00" in rows["E6"]["reason"]
    assert sorted(u["amount"] for u in found["unmatched"]) == ["25.00", "7.00"]
    assert found["applied"] == [] and Payment.select().count() == 0          # proposing records nothing

    applied = bank.match(apply=True)
    assert [(x["invoices"], x["amount"]) for x in applied["applied"]] == [([a], "30.00")]
    p = Payment.get(Payment.seq == applied["applied"][0]["payment"])
    assert (p.method, p.date.isoformat(), p.amount) == ("transfer", "2026-11-30", D("30.00"))
    assert p.reference == bank.payment_reference(a)
    assert documents.get(invoices["a"].id).status == "paid"
    assert BankLine.get(BankLine.key.endswith(":E1")).payment_id == p.id
    assert documents.get(invoices["b"].id).status == "validated"              # probable: left to the user
    assert verify.run().ok
    assert bank.match(apply=True)["applied"] == []                           # nothing twice
    left = bank.lines(unmatched_only=True)
    assert len(left) == 5 and all(r["payment"] is None for r in left)
    everything = {r["line"]: r for r in bank.lines()}
    assert [r["invoices"] for r in everything.values() if r["payment"]] == [[a]]


def test_grouped_references_are_certain_and_a_second_line_for_the_same_invoice_is_not(invoices, tmp_path):
    b, c = invoices["b"].number, invoices["c"].number
    bank.import_file(_write(tmp_path, "g.xml", camt([
        {"amount": "91.50", "ref": "G1", "name": "CLIENT UN SARL", "ustrd": [f"FACTURES {b} ET {c}"]},
        {"amount": "49.50", "ref": "G2", "name": "CLIENT UN SARL", "ustrd": [f"VIR-{b}"]}])))
    rows = _by_line(bank.match())
    assert (rows["G1"]["rule"], rows["G1"]["certainty"]) == ("grouped_reference", "certain")
    assert "G2" not in rows                                  # b is spoken for by G1
    applied = bank.match(apply=True)["applied"]
    assert [x["invoices"] for x in applied] == [[b, c]]
    assert {documents.get(invoices[k].id).status for k in "bc"} == {"paid"}
    left = bank.match()["unmatched"]
    assert [u["reason"] for u in left] == [f"référence de {b}, déjà réglée(s)"]


def test_a_batch_entry_with_several_transfers_makes_one_line_each(invoices, tmp_path):
    a, d = invoices["a"], invoices["d"]
    bank.import_file(_write(tmp_path, "batch.xml", camt([
        {"amount": "50.99", "ref": "B1", "txs": [
            {"amount": "30.00", "name": "CLIENT UN SARL", "rf": bank.payment_reference(a.number), "e2e": "E2E-1"},
            {"amount": "20.99", "name": "JEANNE PARTICULIER", "ustrd": [d.number]}]}], version="08")))
    assert sorted(str(ln.amount) for ln in BankLine.select()) == ["20.99", "30.00"]
    assert {p["certainty"] for p in bank.match()["proposals"]} == {"certain"}


def test_ofx_imported_once_debits_left_out(invoices, tmp_path):
    b = invoices["b"].number
    ofx = ("OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\nCHARSET:1252\n"
           "COMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0"
           "<SEVERITY>INFO</STATUS><DTSERVER>20261130<LANGUAGE>FRA</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1>"
           "<STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM>"
           "<BANKID>30006<BRANCHID>00001<ACCTID>12345678901<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST>"
           "<DTSTART>20261101<DTEND>20261130\n"
           f"<STMTTRN><TRNTYPE>CREDIT<DTPOSTED>20261128<TRNAMT>49,50<FITID>F1<NAME>VIR CLIENT UN<MEMO>{b}</STMTTRN>\n"
           "<STMTTRN><TRNTYPE>DEBIT<DTPOSTED>20261129<TRNAMT>-80.00<FITID>F2<NAME>PRLV EDF</STMTTRN>\n"
           "</BANKTRANLIST><LEDGERBAL><BALAMT>1000.00<DTASOF>20261130</LEDGERBAL></STMTRS></STMTTRNRS>"
           "</BANKMSGSRSV1></OFX>\n")
    path = _write(tmp_path, "releve.ofx", ofx, "cp1252")
    done = bank.import_file(path)
    assert (done["format"], done["account"], done["lines"], done["left_out"]) == \
        ("ofx", "300060000112345678901", 1, {"débits": 1})
    assert bank.import_file(path)["status"] == "already"
    line = BankLine.get()
    assert (line.date.isoformat(), line.amount, line.counterparty) == ("2026-11-28", D("49.50"), "VIR CLIENT UN")
    assert bank.match(apply=True)["applied"][0]["invoices"] == [b]
    cut = _write(tmp_path, "cut.ofx", ofx[:ofx.index("<STMTTRN>", ofx.index("F1"))], "cp1252")
    with pytest.raises(InvalidValue, match="relevé OFX : fichier incomplet"):
        bank.import_file(cut)


def test_csv_through_the_columns_saved_for_the_account(invoices, tmp_path):
    b, c = invoices["b"].number, invoices["c"].number
    text = ("Date;Libellé;Montant;Solde\n"
            f"30/11/2026;VIR CLIENT UN {b} {c};91,50;1 091,50\n"
            "01/12/2026;PRLV EDF;-45,00;1 046,50\n"
            "30/11/2026;VIR JEANNE PARTICULIER;20,99;1 067,49\n")
    path = _write(tmp_path, "releve.csv", text, "cp1252")
    with pytest.raises(InvalidValue, match="aucune colonne enregistrée"):
        bank.import_file(path, "csv", IBAN)
    with pytest.raises(InvalidValue, match="une colonne date et une colonne amount"):
        settings.set_value(f"bank.csv.{IBAN}", "date=1,label=2")
    with pytest.raises(InvalidValue, match="IBAN invalide"):
        settings.set_value("bank.csv.FR7630006000011234567890180", "date=1,label=2,amount=3")
    settings.set_value("bank.csv.fr76 3000 6000 0112 3456 7890 189", "date=1, label=2, amount=3")
    assert settings.get(f"bank.csv.{IBAN}") == "date=1,label=2,amount=3"
    done = bank.import_file(path)                        # one account has columns: that one
    assert (done["format"], done["account"], done["lines"], done["left_out"]) == ("csv", IBAN, 2, {"débits": 1})
    assert bank.import_file(path, "csv", IBAN)["status"] == "already"
    rows = {p["amount"]: p for p in bank.match()["proposals"]}
    assert (rows["91.50"]["rule"], rows["91.50"]["certainty"]) == ("grouped_reference", "certain")
    assert (rows["20.99"]["rule"], rows["20.99"]["certainty"]) == ("amount_name", "probable")
    # the same lines in another export (another column order, one more line): only the new one
    settings.set_value(f"bank.csv.{IBAN}", "date=2,amount=1,label=3")
    other = _write(tmp_path, "autre.csv", f"91.50,30/11/2026,VIR CLIENT UN {b} {c}\n"
                                          "20.99,30/11/2026,VIR JEANNE PARTICULIER\n12.00,02/12/2026,VIR X\n")
    assert (bank.import_file(other, "csv")["lines"], BankLine.select().count()) == (1, 3)


def test_a_broken_or_unknown_file_is_refused_whole(invoices, tmp_path):
    settings.set_value(f"bank.csv.{IBAN}", "date=1,label=2,amount=3")
    broken = _write(tmp_path, "b.csv", "30/11/2026;VIR A;10,00\n31/11/2026;VIR B;12,00\n")
    with pytest.raises(InvalidValue, match="relevé CSV, ligne 2 : date invalide .*« 31/11/2026 »"):
        bank.import_file(broken)
    first = _write(tmp_path, "f.csv", "2026-13-01;VIR A;10,00\n30/11/2026;VIR B;12,00\n")
    with pytest.raises(InvalidValue, match="relevé CSV, ligne 1 : date invalide"):      # no header: refused
        bank.import_file(first)
    bad_amount = _write(tmp_path, "c.csv", "30/11/2026;VIR A;10,00\n30/11/2026;VIR B;douze\n")
    with pytest.raises(InvalidValue, match="relevé CSV, ligne 2 : montant invalide"):
        bank.import_file(bad_amount)
    xml = _statement(invoices)
    invalid = _write(tmp_path, "i.xml", xml.replace("<Amt Ccy=\"EUR\">20.99</Amt>", "<Amt Ccy=\"EUR\">vingt</Amt>"))
    with pytest.raises(InvalidValue, match="non conforme au schéma ISO 20022 camt.053.001.02, ligne 2"):
        bank.import_file(invalid)
    missing = _write(tmp_path, "m.xml", xml.replace("<CdtDbtInd>DBIT</CdtDbtInd>", ""))
    with pytest.raises(InvalidValue, match="non conforme au schéma.*CdtDbtInd"):
        bank.import_file(missing)
    cut = _write(tmp_path, "t.xml", xml[:len(xml) // 2])
    with pytest.raises(InvalidValue, match="relevé CAMT.053 : XML illisible, ligne"):
        bank.import_file(cut)
    evil = _write(tmp_path, "e.xml", xml.replace("<Document", "<!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
                                                            "<Document", 1))
    with pytest.raises(InvalidValue, match="DOCTYPE ou entité XML refusés"):
        bank.import_file(evil)
    dollars = _write(tmp_path, "u.xml", camt([{"amount": "5.00", "ref": "U1", "name": "X"}], currency="USD"))
    with pytest.raises(InvalidValue, match="seuls les relevés en euros"):
        bank.import_file(dollars)
    other = _write(tmp_path, "x.xml", "<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
                                      "pain.008.001.02\"/>")
    with pytest.raises(InvalidValue, match="pas un relevé CAMT.053"):
        bank.import_file(other)
    with pytest.raises(InvalidValue, match="--format : formats : camt053, ofx, csv « qif »"):
        bank.import_file(broken, "qif")
    with pytest.raises(InvalidValue, match="format non reconnu : précisez --format"):
        bank.import_file(_write(tmp_path, "r.dat", b"\x00\x01binary"))
    with pytest.raises(FactuError, match="relevé introuvable"):
        bank.import_file(tmp_path / "nope.xml")
    assert BankLine.select().count() == 0 and BankStatement.select().count() == 0


def test_importing_and_matching_need_the_role(invoices, tmp_path):
    users.create("caisse", "sales", "secret")
    session.set_user("caisse")
    with pytest.raises(PermissionDenied, match="ne peut pas importer et rapprocher les relevés bancaires"):
        bank.import_file(_write(tmp_path, "r.xml", _statement(invoices)))
    with pytest.raises(PermissionDenied):
        bank.match()


def test_a_probable_match_confirmed_by_the_user_becomes_a_payment_once(invoices, tmp_path):
    """What the user confirms (a grouped payment found by name) is recorded as the line says;
    the line is then matched, a second confirmation is refused, a clerk may not confirm."""
    from tui_factu.errors import Conflict, NotFound
    bank.import_file(_write(tmp_path, "releve.xml", _statement(invoices)))
    grouped = _by_line(bank.match())["E3"]
    numbers = [i["number"] for i in grouped["invoices"]]
    done = bank.confirm(grouped["line"], numbers)
    assert (done["amount"], sorted(done["invoices"])) == ("91.50", sorted(numbers))
    p = Payment.get(Payment.seq == done["payment"])
    assert (p.method, p.date.isoformat(), p.amount) == ("transfer", "2026-11-30", D("91.50"))
    assert {documents.get(invoices[k].id).status for k in "bc"} == {"paid"}
    assert BankLine.get_by_id(grouped["line"]).payment_id == p.id
    assert grouped["line"] not in {r["line"] for r in bank.match()["proposals"] + bank.match()["unmatched"]}
    with pytest.raises(Conflict, match="déjà rapprochée"):
        bank.confirm(grouped["line"], numbers)
    with pytest.raises(NotFound, match="facture inconnue « FA-0 »"):
        bank.confirm(_by_line(bank.match())["E2"]["line"], ["FA-0"])
    assert verify.run().ok
    users.create("caisse", "sales", "secret")
    session.set_user("caisse")
    with pytest.raises(PermissionDenied):
        bank.confirm(1, [invoices["d"].number])


def test_a_proposal_set_aside_stays_aside_until_taken_back(invoices, tmp_path):
    """« x » on the bank screen was forgotten when the screen closed: it is kept in the base."""
    bank.import_file(_write(tmp_path, "releve.xml", _statement(invoices)))
    grouped = _by_line(bank.match())["E3"]
    bank.set_aside(grouped["line"])
    found = bank.match()
    assert grouped["line"] not in {p["line"] for p in found["proposals"]}
    aside = next(u for u in found["unmatched"] if u["line"] == grouped["line"])
    assert (aside["reason"], aside["set_aside"]) == ("proposition écartée", True)
    assert grouped["line"] not in {a["line"] for a in bank.match(apply=True)["applied"]}   # never applied
    bank.set_aside(grouped["line"], False)
    assert grouped["line"] in {p["line"] for p in bank.match()["proposals"]}
    users.create("caisse", "sales", "secret")
    session.set_user("caisse")
    with pytest.raises(PermissionDenied):
        bank.set_aside(grouped["line"])


@pytest.mark.benchmark
def test_matching_1000_lines_against_10000_open_invoices(db, capsys):
    """The issue's figure, measured and printed (no timing asserted: `tui-factu bench` checks it)."""
    from tui_factu import bench
    expected = bench.bank_base(n_invoices=10_000, n_lines=1_000)
    t0 = time.perf_counter()
    done = bank.match()
    seconds = time.perf_counter() - t0
    certain = sum(p["certainty"] == "certain" for p in done["proposals"])
    assert certain == expected["certain"]
    assert len(done["proposals"]) + len(done["unmatched"]) == 1_000
    with capsys.disabled():
        print(f"\nbank match : 1 000 lignes contre 10 000 factures ouvertes en {seconds:.2f} s "
              f"({certain} certaines, {len(done['unmatched'])} sans correspondance)")
