"""SEPA direct debit as the person who collects sees it: mandates checked, a pain.008 the ISO
schema accepts, FRST then RCUR, what is due collected once, a return that reopens the invoice."""
import datetime as dt
from decimal import Decimal as D

import pytest
from lxml import etree

from tui_factu import catalog, documents, payments, sepa, settings, verify
from tui_factu.errors import InvalidValue, StateError

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


def _setup():
    settings.set_value("sepa.creditor_id", "FR72ZZZ123456")
    sepa.add_mandate("C1", "FR76 3000 6000 0112 3456 7890 189", "RUM-C1-2026-001", "2026-10-01", recurring=True)


def test_a_mandate_is_checked(shop):
    with pytest.raises(InvalidValue, match="IBAN invalide"):
        sepa.add_mandate("C1", "FR76 0000", "RUM-1", "2026-10-01")
    with pytest.raises(InvalidValue, match="dans le futur"):
        sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-1", "2027-01-01")
    with pytest.raises(InvalidValue, match="clé de contrôle"):
        settings.set_value("sepa.creditor_id", "FR00ZZZ123456")
    _setup()
    with pytest.raises(InvalidValue, match="déjà utilisée"):
        sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-C1-2026-001", "2026-10-01")
    assert sepa.mandates("C1")[0]["sequence"] == "FRST"


def test_the_warehouse_reads_no_iban(shop):
    from tui_factu import session, users
    from tui_factu.permissions import PermissionDenied
    _setup()
    users.create("quai", "warehouse", "secret")
    session.set_user("quai")
    with pytest.raises(PermissionDenied, match="encaisser"):
        sepa.mandates()


def test_export_collects_what_is_due_once_first_then_recurring(shop):
    _setup()
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    later = documents.validate(documents.create("invoice", "C1", "2026-11-25", [{"product": "VIS", "quantity": "2"}]).id)
    data, done = sepa.export(dt.date(2026, 11, 20))                  # only the first is due (30 days)
    assert [(d["invoice"], d["amount"], d["sequence"]) for d in done] == [(inv.number, "60.00", "FRST")]
    root = etree.fromstring(data)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.08}Document"
    assert root.findtext(".//p:MndtId", namespaces=NS) == "RUM-C1-2026-001"
    assert root.findtext(".//p:InstdAmt", namespaces=NS) == "60.00"
    assert root.findtext(".//p:SeqTp", namespaces=NS) == "FRST"
    assert documents.get(inv.id).status == "paid"
    with pytest.raises(StateError, match="aucun prélèvement"):
        sepa.export(dt.date(2026, 11, 20))                              # nothing twice
    _, done = sepa.export(dt.date(2026, 12, 31))
    assert [(d["invoice"], d["sequence"]) for d in done] == [(later.number, "RCUR")]
    assert verify.run().ok, verify.run().failures                    # every debit a sealed payment


def test_a_returned_debit_reopens_the_invoice(shop):
    _setup()
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    _, done = sepa.export(dt.date(2026, 11, 20))
    back = sepa.returned(done[0]["end_to_end_id"], "AM04 provision insuffisante")
    assert back == {"invoice": inv.number, "amount": "60.00", "balance": "60.00"}
    assert documents.get(inv.id).status == "validated" and payments.balance(documents.get(inv.id)) == D("60.00")
    with pytest.raises(StateError, match="déjà rejeté"):
        sepa.returned(done[0]["end_to_end_id"])


def test_no_file_without_the_creditor_identifier(shop):
    sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-9", "2026-10-01")
    documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS"}]).id)
    with pytest.raises(InvalidValue, match="identifiant créancier"):
        sepa.export(dt.date(2026, 11, 20))


def camt054(returns, version="02", account="FR7630006000011234567890189"):
    """The bank's notice of direct debits that came back (camt.054): returns are
    (end-to-end id, amount, reason code) of debits of the creditor's account."""
    status = "<Sts>BOOK</Sts>" if version == "02" else "<Sts><Cd>BOOK</Cd></Sts>"
    code = ("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>UPDD</SubFmlyCd></Fmly></Domn></BkTxCd>")
    entries = []
    for i, (e2e, amount, reason) in enumerate(returns, 1):
        money = (f"<AmtDtls><TxAmt><Amt Ccy=\"EUR\">{amount}</Amt></TxAmt></AmtDtls>" if version == "02"
                 else f"<Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>")
        entries.append(f"<Ntry><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>DBIT</CdtDbtInd>{status}"
                       f"<BookgDt><Dt>2026-11-28</Dt></BookgDt><AcctSvcrRef>R{i}</AcctSvcrRef>{code}"
                       f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs>{money}"
                       f"<RtrInf><Rsn><Cd>{reason}</Cd></Rsn><AddtlInf>Return</AddtlInf></RtrInf>"
                       "</TxDtls></NtryDtls></Ntry>")
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.054.001.{version}"
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"{ns}\"><BkToCstmrDbtCdtNtfctn>"
            "<GrpHdr><MsgId>N-1</MsgId><CreDtTm>2026-11-28T20:00:00</CreDtTm></GrpHdr>"
            "<Ntfctn><Id>N-1-A</Id><CreDtTm>2026-11-28T20:00:00</CreDtTm>"
            f"<Acct><Id><IBAN>{account}</IBAN></Id></Acct>{''.join(entries)}</Ntfctn>"
            "</BkToCstmrDbtCdtNtfctn></Document>\n").encode()


@pytest.mark.parametrize("version, code, said, reference", [
    ("02", "AM04", "AM04 provision insuffisante", "prélèvement rejeté AM04 provision insuffisante"),
    ("08", "MD06", "MD06 remboursement demandé par le débiteur",
     "prélèvement rejeté MD06 remboursement demandé par le débite…")])
def test_a_camt054_notice_reopens_the_returned_invoices_once(shop, tmp_path, version, code, said, reference):
    from tui_factu.models import Payment
    _setup()
    sepa.add_mandate("P1", "DE89 3704 0044 0532 0130 00", "RUM-P1-1", "2026-10-01", recurring=True)
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    kept = documents.validate(documents.create("invoice", "P1", "2026-10-16", [{"product": "VIS"}]).id)
    _, done = sepa.export(dt.date(2026, 11, 20))
    e2e = {d["invoice"]: d["end_to_end_id"] for d in done}
    path = tmp_path / "retours.xml"
    path.write_bytes(camt054([(e2e[inv.number], "60.00", code), ("FA-AILLEURS-1", "9.00", "MS02")], version))
    back = sepa.returns_file(path)
    assert [(r["invoice"], r["reason"], r["balance"]) for r in back["returned"]] == [
        (inv.number, said, "60.00")]
    assert back["unknown"] == ["FA-AILLEURS-1"] and back["already"] == []
    assert documents.get(inv.id).status == "validated" and documents.get(kept.id).status == "paid"
    counter = Payment.select().where(Payment.cancels.is_null(False)).get()
    assert counter.amount == D("-60.00") and counter.reference == reference
    again = sepa.returns_file(path)                                     # the same notice twice: nothing more
    assert again["returned"] == [] and again["already"] == [e2e[inv.number]]
    assert payments.balance(documents.get(inv.id)) == D("60.00")
    assert verify.run().ok, verify.run().failures


def test_a_camt054_refused_whole_when_it_is_not_one(shop, tmp_path):
    from tui_factu import bank
    from tui_factu.errors import NotFound
    from tui_factu.permissions import PermissionDenied
    _setup()
    documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    _, done = sepa.export(dt.date(2026, 11, 20))
    bad = tmp_path / "faux.xml"
    bad.write_bytes(camt054([(done[0]["end_to_end_id"], "60.00", "AM04")]).replace(b"<Sts>BOOK</Sts>", b""))
    with pytest.raises(InvalidValue, match="non conforme au schéma ISO 20022 camt.054.001.02"):
        sepa.returns_file(bad)
    with pytest.raises(NotFound, match="avis camt.054 introuvable"):
        sepa.returns_file(tmp_path / "absent.xml")
    good = tmp_path / "retours.xml"
    good.write_bytes(camt054([(done[0]["end_to_end_id"], "60.00", "AM04")]))
    with pytest.raises(InvalidValue, match="tui-factu sepa returns FICHIER"):
        bank.import_file(good)                                          # not a statement: said where it goes
    from tui_factu import session, users
    users.create("clerc", "sales", "secret")
    me = session.current_user()
    session.set_user("clerc")
    with pytest.raises(PermissionDenied):
        sepa.returns_file(good)                                         # a clerk may not reopen invoices
    session.set_user(me)
    assert sepa.returns_file(good)["returned"][0]["balance"] == "60.00"


def test_a_pain008_that_cannot_be_written_records_no_debit(shop, tmp_path, monkeypatch):
    from tui_factu import files
    from tui_factu.errors import FactuError
    _setup()
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    real = files.writing

    def full_disk(*args, **kwargs):
        raise InvalidValue("-o", "prlv.xml", "disque plein")
    monkeypatch.setattr(files, "writing", full_disk)
    with pytest.raises(FactuError, match="disque plein"):
        sepa.export_to(tmp_path / "prlv.xml", dt.date(2026, 11, 20))
    assert documents.get(inv.id).status == "validated"             # not collected: no file went to the bank
    monkeypatch.setattr(files, "writing", real)
    done = sepa.export_to(tmp_path / "prlv.xml", dt.date(2026, 11, 20))
    assert done[0]["invoice"] == inv.number and b"pain.008.001.08" in (tmp_path / "prlv.xml").read_bytes()


def test_returns_and_a_confirmed_line_from_the_command_line(db, shop, tmp_path, capsys):
    """`sepa returns FILE --json` and `bank confirm LINE INVOICE`, in process (no subprocess)."""
    import json
    from test_bank import camt                                          # tests/core/test_bank.py's statements
    from tui_factu import bank, cli, users
    users.create("compta", "accountant", os_link=users.os_account())       # this OS account, as `init` links it
    _setup()
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    _, done = sepa.export(dt.date(2026, 11, 20))
    notice = tmp_path / "retours.xml"
    notice.write_bytes(camt054([(done[0]["end_to_end_id"], "60.00", "AC04")]))
    capsys.readouterr()
    assert cli.main(["--db", db, "sepa", "returns", str(notice), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(r["invoice"], r["reason"]) for r in out["returned"]] == [(inv.number, "AC04 compte du débiteur clôturé")]
    assert cli.main(["--db", db, "sepa", "returns", str(notice)]) == 0
    assert "déjà rejeté" in capsys.readouterr().out
    statement = tmp_path / "releve.xml"                                 # the customer pays by transfer, unnamed
    statement.write_text(camt([{"amount": "60.00", "ref": "E1", "name": "M DUPONT", "ustrd": ["DIVERS"]}]))
    bank.import_file(statement)
    line = bank.lines()[0]["line"]
    assert cli.main(["--db", db, "bank", "confirm", str(line), inv.number]) == 0
    assert "règlement n° " in capsys.readouterr().out and documents.get(inv.id).status == "paid"
    assert cli.main(["--db", db, "bank", "confirm", str(line), inv.number]) == 2
    assert "déjà rapprochée" in capsys.readouterr().err
