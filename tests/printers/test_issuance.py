"""A document that would lack part of its seller's legal identity is not issued: after a
plain `init`, an invoice validates (the core contract asks it) but its PDF, e-invoice and
ticket are refused in one French line naming the missing fields and `tui-factu company set`;
once they are set, the same document is issued, as an original, with them."""
import contextlib
import io

import pytest
from lxml import etree
from pypdf import PdfReader

from printers import facturx
from tui_factu import catalog, cli, db as database, documents, session, users, verify
from tui_factu.errors import InvalidValue
from tui_factu.models import JournalRecord

NS = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}


def _cli(db, *args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--db", db, *args])
    database.connect(db)
    session.set_user("testeur")
    return code, out.getvalue(), err.getvalue()


def _bare(db):
    """A base as `init` leaves it: no company identity; a customer and a product imported."""
    users.update("testeur", os_link=session.os_account())
    catalog.save_customer({"code": "C1", "name": "Client Un SARL", "kind": "company", "siren": "552100554",
                           "vat_number": "FR96552100554",
                           "address": {"line1": "2 rue A", "postcode": "69001", "city": "Lyon"}})
    catalog.save_product({"code": "VIS", "name": "Vis", "price": "12.50", "vat_rate": "20"})
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    quote = documents.validate(documents.create("quote", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    return inv, quote


def test_nothing_is_issued_without_the_sellers_identity_and_the_message_says_what_to_set(db, tmp_path):
    inv, quote = _bare(db)
    assert inv.number == "FA2026-00001"                                   # validation accepts it
    code, out, err = _cli(db, "pdf", inv.number, "-o", str(tmp_path / "fa.pdf"))
    assert code == 2 and "erreur interne" not in err
    assert err == ("tui-factu : identité de la société incomplète pour émettre FA2026-00001 : raison sociale, "
                   "adresse, code postal, ville, SIREN, forme juridique, numéro de TVA intracommunautaire "
                   "manquant(s) — tui-factu company set name=… line1=… postcode=… city=… siren=… legal_form=… "
                   "vat_number=…\n")
    for args in (["xml", inv.number, "-o", str(tmp_path)],
                 ["slip", inv.number, "--receipt", "--printer", f"file://{tmp_path / 'lp'}"]):
        code, out, err = _cli(db, *args)
        assert code == 2 and "identité de la société incomplète" in err, err
    code, out, err = _cli(db, "pdf", quote.number, "-o", str(tmp_path / "de.pdf"))
    assert code == 2 and err.endswith("tui-factu company set name=… line1=… postcode=… city=…\n"), err
    assert not (tmp_path / "fa.pdf").exists() and not (tmp_path / "lp").exists()
    assert JournalRecord.select().where(JournalRecord.chain == "event", JournalRecord.action == "print").count() == 0

    code, out, err = _cli(db, "company", "set", "name=Atelier Neuf", "line1=3 rue Neuve", "postcode=75003",
                          "city=Paris", "siren=732829320", "legal_form=SARL", "vat_number=FR44732829320")
    assert code == 0, err
    code, out, err = _cli(db, "pdf", inv.number, "-o", str(tmp_path / "fa.pdf"))
    assert code == 2 and "capital social manquant(s) — tui-factu company set capital=…" in err   # a SARL has one
    assert _cli(db, "company", "set", "capital=5000")[0] == 0
    code, out, err = _cli(db, "pdf", inv.number, "-o", str(tmp_path / "fa.pdf"))
    assert code == 0, err
    data = (tmp_path / "fa.pdf").read_bytes()
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Atelier Neuf" in text and "SARL au capital de 5 000,00 €" in text and "732 829 320" in text
    assert "DUPLICATA" not in text                                        # the refusals used no original
    root = etree.fromstring(facturx.read_back(data))
    assert root.xpath("//ram:SellerTradeParty/ram:Name/text()", namespaces=NS) == ["Atelier Neuf"]
    assert verify.run(workers=1).ok                                       # the sealed rows are untouched


def test_a_sole_trader_needs_no_legal_form_and_the_franchise_no_vat_number(db, tmp_path):
    inv, quote = _bare(db)
    catalog.update_company({"name": "Jean Artisan", "line1": "1 rue", "postcode": "75001", "city": "Paris",
                            "siren": "732829320", "sole_trader": True, "vat_franchise": True})
    code, out, err = _cli(db, "pdf", quote.number, "-o", str(tmp_path / "de.pdf"))
    assert code == 0, err
    assert "Jean Artisan EI" in PdfReader(str(tmp_path / "de.pdf")).pages[0].extract_text()


def test_a_sole_trader_is_not_a_company_ei_and_sarl_together_are_refused(shop):
    """« Atelier Test EI » beside « SARL au capital de … » (#15): refused whichever is set last,
    in French, naming the field and the command that fixes it; nothing stored."""
    with pytest.raises(InvalidValue, match=r"entrepreneur individuel \(EI\) : un entrepreneur individuel \(EI\) "
                                           r"n'est pas une société SARL — retirez la forme juridique"):
        catalog.update_company({"sole_trader": "oui"})
    assert not catalog.company().sole_trader
    catalog.update_company({"legal_form": "", "capital": None, "sole_trader": True})
    with pytest.raises(InvalidValue, match=r"forme juridique : .* société SAS "):
        catalog.update_company({"legal_form": "SAS"})
    catalog.update_company({"legal_form": "Entrepreneur individuel"})     # the words of an EI pass
    assert catalog.company().legal_form == "Entrepreneur individuel"
