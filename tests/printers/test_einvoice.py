"""The e-invoice a Plateforme Agréée would receive: the French rules of XP Z12-012 read in the
XML as the platform reads it (shared/reference/afnor/), and the official schematrons over the
whole demo when ../shared is beside the clone."""
import os
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from lxml import etree

from printers import facturx
from tui_factu import catalog, counter, deposits, documents, payments, printed
from tui_factu.errors import InvalidValue

NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"}
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
CHECK = SHARED / "facturx" / "fr-ctc" / "check.py"


def _xml(doc) -> etree._Element:
    return etree.fromstring(facturx.xml_bytes(printed.view(doc.id)))


def _all(root, path: str) -> list[str]:
    return [e.text for e in root.xpath(path, namespaces=NS)]


def _one(root, path: str) -> str:
    found = _all(root, path)
    assert len(found) == 1, (path, found)
    return found[0]


def _invoice(customer="C1", lines=None, **kw):
    d = documents.create("invoice", customer, "2026-11-20", lines or [{"product": "VIS", "quantity": "2"}], **kw)
    return documents.validate(d.id)


BT23 = "//ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID"


def test_every_invoice_names_its_framework_addresses_and_payment_notes(shop):
    root = _xml(_invoice(lines=[{"product": "VIS", "quantity": "2"}, {"product": "MO", "quantity": "1"}]))
    assert _one(root, BT23) == "M1"                     # goods and services, an ordinary invoice
    seller = root.xpath("//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=NS)[0]
    buyer = root.xpath("//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=NS)[0]
    assert (seller.text, seller.get("schemeID")) == ("732829320", "0225")      # the SIREN by default
    assert (buyer.text, buyer.get("schemeID")) == ("552100554", "0225")
    codes = _all(root, "//rsm:ExchangedDocument/ram:IncludedNote/ram:SubjectCode")
    for code in ("PMD", "PMT", "AAB", "REG", "BAR"):
        assert codes.count(code) == 1, code
    notes = {n.findtext("ram:SubjectCode", namespaces=NS): n.findtext("ram:Content", namespaces=NS)
             for n in root.xpath("//rsm:ExchangedDocument/ram:IncludedNote", namespaces=NS)}
    assert notes["BAR"] == "B2B"
    assert "pénalités au taux annuel" in notes["PMD"] and "40 €" in notes["PMT"]
    assert notes["AAB"] == "Pas d'escompte pour paiement anticipé."


def test_goods_only_services_only_and_a_private_customer(shop):
    assert _one(_xml(_invoice(lines=[{"product": "VIS", "quantity": "1"}])), BT23) == "B1"
    assert _one(_xml(_invoice(lines=[{"product": "MO", "quantity": "1"}])), BT23) == "S1"
    root = _xml(_invoice("P1"))
    buyer = root.xpath("//ram:BuyerTradeParty/ram:URIUniversalCommunication/ram:URIID", namespaces=NS)[0]
    assert buyer.get("schemeID") == "EM" and buyer.text.startswith("noreply@")   # no address: said so
    assert "B2C" in _all(root, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content")


def test_a_company_address_of_its_own_is_used_and_checked(shop):
    catalog.update_company({"einvoice_address": "732829320_FACTURES"})
    assert _one(_xml(_invoice()), "//ram:SellerTradeParty/ram:URIUniversalCommunication/ram:URIID") \
        == "732829320_FACTURES"
    with pytest.raises(InvalidValue, match="doit commencer par le SIREN 732829320"):
        catalog.update_company({"einvoice_address": "123456789"})
    with pytest.raises(InvalidValue, match="lettres, chiffres"):
        catalog.update_company({"einvoice_address": "732829320 factures"})


def test_a_ticket_invoiced_after_payment_says_paid_at_issue(shop):
    sale = counter.sale(counter.parse_items(["VIS"]), counter.parse_payments(["cash:20"]), customer="P1")
    inv = documents.validate(documents.transform([sale["document"].id], "invoice").id)
    root = _xml(inv)
    assert _one(root, BT23) == "B2"
    assert _one(root, "//ram:TotalPrepaidAmount") == _one(root, "//ram:GrandTotalAmount")
    assert _one(root, "//ram:DuePayableAmount") == "0.00"
    assert _one(root, "//ram:DueDateDateTime/udt:DateTimeString") == inv.date.strftime("%Y%m%d")   # paid that day


def test_the_final_invoice_after_a_deposit_is_framework_4(shop):
    order = documents.validate(documents.create("order", "C1", "2026-11-20",
                                                [{"product": "VIS", "quantity": "10"}]).id)
    deposit = documents.validate(deposits.request(order.id, percent="30").id)
    assert _one(_xml(deposit), BT23) == "B1" and _one(_xml(deposit), "//rsm:ExchangedDocument/ram:TypeCode") == "386"
    payments.pay([deposit.id], str(deposit.due), "transfer", "2026-11-20", "VIR-1")
    final = documents.validate(documents.transform([order.id], "invoice").id)
    root = _xml(final)
    assert _one(root, BT23) == "B4"
    assert _all(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [deposit.number]


def test_a_credit_note_cites_its_invoice_once_and_a_free_one_is_refused(shop):
    inv = _invoice()
    cn = documents.validate(documents.credit(inv.id, {1: D(1)}).id)
    root = _xml(cn)
    assert _all(root, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID") == [inv.number]
    assert {"PMD", "PMT", "AAB"} <= set(_all(root, "//ram:IncludedNote/ram:SubjectCode"))
    free = documents.create("credit_note", "C1", None, [{"product": "VIS", "quantity": "1"}])
    with pytest.raises(InvalidValue, match="un avoir cite la facture qu'il corrige"):
        documents.validate(free.id)
    assert documents.get(free.id).number is None                 # still a draft, no number taken


def test_intra_eu_reverse_charge_exempt_and_out_of_scope(shop):
    catalog.save_customer({"code": "BE1", "name": "Janssens BV", "kind": "company", "vat_number": "BE0403170701",
                           "address": {"line1": "Kerkstraat 12", "postcode": "2000", "city": "Antwerpen",
                                       "country": "BE"}})
    root = _xml(_invoice("BE1", [{"product": "VIS", "quantity": "4", "vat_category": "K", "vat_rate": "0"}]))
    assert _one(root, "//ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == "BE"   # BR-IC-12
    assert _one(root, "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReason") \
        == "Exonération de TVA, article 262 ter I du CGI"
    assert "B2BINT" in _all(root, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content")
    # an exempt operation of a VAT-registered company names its own article, never art. 293 B
    exempt = [{"product": "VIS", "quantity": "1"},
              {"description": "Formation", "kind": "service", "quantity": "1", "unit_price": "300",
               "vat_category": "E", "vat_rate": "0"}]
    reason = "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax[ram:CategoryCode='E']/ram:ExemptionReason"
    assert _one(_xml(_invoice(lines=exempt)), reason) == "Exonération de TVA, art. 261 du CGI"
    catalog.update_company({"vat_exemption": "Exonération de TVA, art. 261-4-4° du CGI"})
    assert _one(_xml(_invoice(lines=exempt)), reason) == "Exonération de TVA, art. 261-4-4° du CGI"
    catalog.update_company({"vat_franchise": "oui"})
    assert _one(_xml(_invoice(lines=exempt)), reason) == "TVA non applicable, art. 293 B du CGI"
    # outside the scope of VAT: no rate anywhere, no VAT identifier; alone on its invoice
    out = [{"description": "Conseil à distance", "kind": "service", "quantity": "2", "unit_price": "90",
            "vat_category": "O", "vat_rate": "0"}]
    root = _xml(_invoice(lines=out))
    assert _all(root, "//ram:RateApplicablePercent") == []
    assert _all(root, "//ram:SpecifiedTaxRegistration/ram:ID") == []
    with pytest.raises(InvalidValue, match="hors champ de la TVA \\(O\\) se facture seule"):
        _invoice(lines=out + [{"product": "VIS", "quantity": "1"}])


def test_a_public_buyer_gets_its_service_code_and_engagement_number(shop):
    with pytest.raises(InvalidValue, match="obligatoire pour un acheteur public"):
        catalog.save_customer({"code": "PUB", "name": "Mairie", "kind": "public", "siren": "219501277"})
    catalog.save_customer({"code": "PUB", "name": "Mairie de Cergy", "kind": "public", "siren": "219501277",
                           "siret": "21950127700012", "service_code": "SERVICES-TECHNIQUES",
                           "address": {"line1": "3 place de l'Hôtel de Ville", "postcode": "95000", "city": "Cergy"}})
    root = _xml(_invoice("PUB", reference="EJ-2026-000417"))
    assert _one(root, "//ram:BuyerReference") == "SERVICES-TECHNIQUES"                        # BT-10
    assert _one(root, "//ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID") == "EJ-2026-000417"   # BT-13
    assert "B2B" in _all(root, "//ram:IncludedNote[ram:SubjectCode='BAR']/ram:Content")


def test_no_e_invoice_without_the_seller_siren(db):
    catalog.update_company({"name": "Sans SIREN"})
    catalog.save_customer({"code": "P1", "name": "Jeanne", "kind": "person"})
    d = documents.validate(documents.create("invoice", "P1", "2026-11-20", [
        {"description": "Réparation", "quantity": "1", "unit_price": "50", "vat_rate": "20"}]).id)
    with pytest.raises(InvalidValue, match="renseignez le SIREN"):
        facturx.xml_bytes(printed.view(d.id))


@pytest.mark.skipif(not CHECK.exists(), reason="../shared/facturx/fr-ctc absent: the official schematrons "
                                                "are not beside this clone")
def test_the_official_french_rules_pass_on_every_invoice_and_credit_note_of_the_demo(tmp_path):
    """What CI runs, here too: BR-FR Flux 2 and CEN EN 16931 over the demo's Factur-X."""
    env = dict(os.environ, TUI_FACTU_DB=str(tmp_path / "demo.db"), TUI_FACTU_TODAY="2026-11-30")
    exe = [shutil.which("tui-factu", path=str(Path(sys.executable).parent)) or shutil.which("tui-factu")]
    subprocess.run(exe + ["init", "--demo"], env=env, check=True, capture_output=True)
    for kind in ("invoice", "credit_note"):
        subprocess.run(exe + ["pdf", "--all", "--kind", kind, "-o", str(tmp_path / "pdf")], env=env, check=True,
                       capture_output=True)
    files = sorted(str(p) for p in (tmp_path / "pdf").glob("*.pdf"))
    assert len(files) >= 45
    done = subprocess.run([sys.executable, str(CHECK), *files], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert done.stdout.strip().splitlines()[-1].startswith(f"{len(files)} files, 0 with errors")


def test_terms_discount_and_direct_debit_reach_the_e_invoice(shop, tmp_path):
    from tui_factu import sepa, settings
    catalog.update_customer("C1", {"payment_terms": "45jfdm+esc2@10"})
    root = _xml(_invoice())
    assert _one(root, "//ram:SpecifiedTradePaymentTerms/ram:Description") == "Paiement 45 jours fin de mois"
    assert _one(root, "//ram:IncludedNote[ram:SubjectCode='AAB']/ram:Content") == \
        "Escompte de 2 % pour paiement sous 10 jours."
    settings.set_value("sepa.creditor_id", "FR72ZZZ123456")
    sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-C1-1", "2026-10-01", recurring=True)
    inv = _invoice()
    root = _xml(inv)
    assert _one(root, "//ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode") == "59"
    assert _one(root, "//ram:SpecifiedTradePaymentTerms/ram:DirectDebitMandateID") == "RUM-C1-1"
    assert _one(root, "//ram:CreditorReferenceID") == "FR72ZZZ123456"
    assert "prélèvement SEPA (mandat RUM-C1-1" in " ".join(printed.view(inv.id).mentions)
    if CHECK.exists():
        path = tmp_path / "dd.xml"
        path.write_bytes(facturx.xml_bytes(printed.view(inv.id)))
        done = subprocess.run([sys.executable, str(CHECK), str(path)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout


def test_the_structured_payment_reference_is_printed_and_in_the_e_invoice(shop):
    from tui_factu import bank
    inv = _invoice()
    ref = bank.payment_reference(inv.number)
    assert ref.startswith("RF")
    assert _one(_xml(inv), "//ram:ApplicableHeaderTradeSettlement/ram:PaymentReference") == ref      # BT-83
    assert f"rappelez la référence {ref}" in " ".join(printed.view(inv.id).mentions)
