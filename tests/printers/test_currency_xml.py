"""An invoice and a credit note in dollars as a Plateforme Agréée receives them: BT-5 in the
currency, BT-6 = EUR and BT-111 the VAT in euros (BR-53, BR-FR-CO-12), in CII, UBL and the PDF."""
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from printers import documents as pdfs, facturx
from tui_factu import documents, printed, rates

CHECK = Path(__file__).resolve().parents[2].parent / "shared" / "facturx" / "fr-ctc" / "check.py"
LINES = [{"description": "Conseil", "quantity": "3", "unit_price": "100", "vat_rate": "20"},
         {"description": "Manuel", "quantity": "2", "unit_price": "19.99", "vat_rate": "5.5"}]


@pytest.fixture
def usd_pair(shop):
    rates.set_rate("USD", "2026-11-01", "0.9234")
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", LINES, currency="USD").id)
    cn = documents.validate(documents.credit(inv.id).id)
    return inv, cn


def test_cii_and_ubl_state_the_currency_and_the_vat_in_euros(usd_pair):
    inv, _ = usd_pair
    # VAT 60.00 + 2.20 = 62.20 USD; × 0.9234 = 57.43548 → 57.44 €
    cii = etree.fromstring(facturx.xml_bytes(printed.view(inv.id)))
    ns = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert cii.xpath("//ram:InvoiceCurrencyCode/text()", namespaces=ns) == ["USD"]
    assert cii.xpath("//ram:TaxCurrencyCode/text()", namespaces=ns) == ["EUR"]
    assert [(e.get("currencyID"), e.text) for e in cii.xpath("//ram:TaxTotalAmount", namespaces=ns)] == [
        ("USD", "62.20"), ("EUR", "57.44")]
    ubl = facturx.xml_bytes(printed.view(inv.id), "ubl").decode()
    assert "<cbc:DocumentCurrencyCode>USD<" in ubl and "<cbc:TaxCurrencyCode>EUR<" in ubl
    assert '<cbc:TaxAmount currencyID="EUR">57.44<' in ubl


def test_the_pdf_shows_the_amounts_in_dollars_and_the_vat_in_euros_with_the_rate(usd_pair):
    import io

    from pypdf import PdfReader
    text = " ".join(PdfReader(io.BytesIO(pdfs.pdf_bytes(usd_pair[0].id))).pages[0].extract_text().split())
    for seen in ("Devise : USD ($US)", "402,18 $US", "Total TVA en euros (1 USD = 0,9234 €)", "57,44 €"):
        assert seen in text, seen


@pytest.mark.skipif(not CHECK.exists(), reason="../shared/facturx/fr-ctc absent: the official schematrons "
                                                "are not beside this clone")
def test_the_official_rules_pass_on_a_dollar_invoice_and_credit_note_in_every_syntax(usd_pair, tmp_path):
    files = []
    for doc in usd_pair:
        for syntax in facturx.SYNTAXES:
            files.append(tmp_path / f"{doc.number}.{syntax}.xml")
            files[-1].write_bytes(facturx.xml_bytes(printed.view(doc.id), syntax))
        files.append(tmp_path / f"{doc.number}.pdf")
        files[-1].write_bytes(pdfs.pdf_bytes(doc.id))
    done = subprocess.run([sys.executable, str(CHECK), *map(str, files)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.strip().splitlines()[-1].startswith("6 files, 0 with errors")
