"""Factur-X EN 16931: CII XML built from the printed view with the factur-x library's own
generator and checked against its XSD; printers.pdfa embeds it as factur-x.xml while the
PDF/A-3 is written."""
import importlib.resources
import threading
from decimal import Decimal

from facturx import get_facturx_xml_from_pdf, xml_check_xsd
from facturx.facturx import FACTURX_LEVEL2xsd
from facturx.generate_xml import generate_xml
from lxml import etree

from tui_factu import einvoicing, printed
from tui_factu.charset import printable
from tui_factu.money import fmt_plain, round_cents, round_to
from tui_factu.printed import Printed

LEVEL = "en16931"
# payment methods -> UNTDID 4461 payment means (BT-81): cash, cheque, credit transfer, bank card,
# clearing between partners (customer credit, a credit note set off)
MEANS = {"cash": "10", "cheque": "20", "transfer": "30", "card": "48", "credit": "97", "credit_note": "97"}


def _m(value: Decimal) -> str:
    return str(round_cents(Decimal(value)))


def _party(snapshot: dict, with_legal: bool = True, address: tuple[str, str] | None = None) -> dict:
    addr = snapshot.get("address") or {}
    party = {"name": snapshot.get("name") or "", "country_code": addr.get("country") or "FR",
             "city": addr.get("city") or "", "postcode": addr.get("postcode") or "",
             "addr_l1": addr.get("line1") or "", "addr_l2": addr.get("line2") or ""}
    if with_legal and snapshot.get("siren"):
        party["legal_identifier"] = snapshot["siren"]
        party["legal_identifier_schemeid"] = "0002"      # SIREN
    if snapshot.get("vat_number"):
        party["vat_identifier"] = snapshot["vat_number"]
    if address:
        party["einvoicing_addr"], party["einvoicing_addr_schemeid"] = address
    return {k: v for k, v in party.items() if v != ""}


def data_dict(p: Printed) -> dict:
    if not p.number:
        raise ValueError("un brouillon n'a pas de Factur-X")
    t = p.totals
    paid_at_issue = p.kind == "invoice" and t["grand_total"] > 0 and t["prepaid"] == t["grand_total"]
    d = {"BT-24": "urn:cen.eu:en16931:2017", "BT-1": p.number, "BT-2": p.date, "BT-3": p.type_code,
         "BT-23": einvoicing.billing_mode(p.supply, paid_at_issue=paid_at_issue, after_deposits=p.type == "final"),
         "BT-5": p.currency, "BT-106": _m(t["line_total"]), "BT-107": _m(t["allowance_total"]),
         "BT-108": _m(t["charge_total"]), "BT-109": _m(t["tax_basis_total"]),
         "BT-110": _m(t["tax_total"]), "BT-112": _m(t["grand_total"]), "BT-113": _m(t["prepaid"]),
         "BT-114": _m(t["rounding"]), "BT-115": _m(t["due"]),
         "BG-4": _party(p.seller, address=einvoicing.seller_address(p.seller)),
         "BG-7": _party(p.customer, p.customer.get("kind") != "person",
                        einvoicing.buyer_address(p.customer, p.seller))}
    if p.totals_eur:                  # BR-FR-CO-12, BR-53: the VAT also in euros, the accounting currency
        d["BT-6"], d["BT-111"] = "EUR", _m(p.totals_eur["tax_total"])
    if any(v["category"] == "O" for v in p.vat):
        # BR-O-02: outside the scope of VAT, no VAT identifier (the seller's stays in the REG note)
        d["BG-4"].pop("vat_identifier", None)
        d["BG-7"].pop("vat_identifier", None)
    if paid_at_issue:
        d["BT-9"] = p.date                # BR-FR-CO-09: paid when issued
    elif p.next_due or p.due_date:
        d["BT-9"] = p.next_due or p.due_date
    # BT-72: when the goods or services were supplied (the delivery notes', else the invoice's
    # date). Without any delivery data factur-x writes an xsi:nil element the XSD refuses.
    deliveries = [r["date"] for r in p.source_refs if r.get("kind") == "delivery"]
    d["BT-72"] = max(deliveries) if deliveries else p.date
    if p.reference:
        d["BT-13"] = p.reference[:60]
    if p.customer.get("service_code"):
        d["BT-10"] = p.customer["service_code"]
    # BG-1: the payment mentions with their subject codes (BR-FR-05, once each: BR-FR-06), the
    # seller's legal identity (REG), the processing the invoice falls under (BAR), the rest free.
    coded = p.payment_notes
    notes = [{"BT-21": "BAR", "BT-22": einvoicing.treatment(p.customer)}]
    notes += [{"BT-21": code, "BT-22": coded[code]} for code in ("PMD", "PMT", "AAB")]
    notes.append({"BT-21": "REG", "BT-22": " · ".join(printed.seller_lines(p.seller)) or p.seller.get("name", "")})
    notes += [{"BT-22": m} for m in p.mentions if m not in coded.values()]
    d["BG-1"] = notes
    # BG-3 cites invoices only, once each: the credited one, deducted deposits, released
    # situations. The order a deposit or a situation bills is the seller's order reference (BT-14).
    preceding = [(p.preceding["number"], str(p.preceding["date"]))] if p.preceding and p.kind == "credit_note" else []
    preceding += [(r["number"], str(r["date"])) for r in p.source_refs if r.get("kind") == "invoice"]
    if preceding:
        d["BG-3"] = [{"BT-25": n, "BT-26": day} for n, day in dict.fromkeys(preceding)]
    orders = [r["number"] for r in p.source_refs if r.get("kind") == "order"]
    if len(orders) == 1:
        d["BT-14"] = orders[0]
    if p.delivery_address and p.delivery_address.get("city"):
        da = p.delivery_address
        d["BG-13"] = {"name": da.get("name") or p.customer.get("name"), "country_code": da.get("country") or "FR",
                      "city": da.get("city"), "postcode": da.get("postcode") or "",
                      "addr_l1": da.get("line1") or ""}
    elif any(v["category"] == "K" for v in p.vat):
        # BR-IC-12: an intra-EU supply names the country it is delivered to
        d["BG-13"] = {"name": p.customer.get("name"),
                      "country_code": (p.customer.get("address") or {}).get("country") or "FR"}
    means = [s["method"] for s in p.settled] if paid_at_issue else []
    if means:                         # how it was paid, not how it could be (UNTDID 4461)
        d["BT-81"] = MEANS.get(means[0], "97")
    if p.seller.get("iban") and p.kind == "invoice" and (not means or means[0] == "transfer"):
        d["BT-81"] = "58"             # SEPA credit transfer
        d["BT-84"] = p.seller["iban"]
        if p.payment_reference:
            d["BT-83"] = p.payment_reference      # the structured reference bank.match looks for
        if p.seller.get("bic"):
            d["BT-86"] = p.seller["bic"]
    if paid_at_issue:
        d["BT-20"] = "; ".join(printed.paid_text(p)) or "Payée à l'émission"
    elif p.schedule:
        d["BT-20"] = p.schedule
    elif p.terms and p.due_date:
        d["BT-20"] = p.terms.label()
    if p.mandate and p.kind == "invoice" and not paid_at_issue:
        d["BT-81"] = "59"             # SEPA direct debit: the mandate, the creditor, the debited account
        d["BT-89"] = p.mandate["rum"]
        if p.mandate["creditor_id"]:
            d["BT-90"] = p.mandate["creditor_id"]
        d["BT-91"] = p.mandate["iban"]
        d.pop("BT-84", None)
        d.pop("BT-86", None)

    def adj(a):
        item = {"amount": _m(a.amount), "reason": a.reason, "vat_category_code": a.vat_category}
        if a.vat_category != "O":
            item["vat_rate"] = fmt_plain(a.vat_rate)
        return item
    if p.allowances:
        d["BG-20"] = [adj(a) for a in p.allowances]
    if p.charges:
        d["BG-21"] = [adj(c) for c in p.charges]
    d["BG-23"] = []
    for v in p.vat:
        row = {"BT-116": _m(v["basis"]), "BT-117": _m(v["amount"]), "BT-118": v["category"]}
        if v["category"] != "O":
            row["BT-119"] = fmt_plain(v["rate"])
        if v["exemption"]:
            row["BT-120"] = v["exemption"][0]
            if v["exemption"][1]:
                row["BT-121"] = v["exemption"][1]
        d["BG-23"].append(row)
    lines = []
    for ln in p.lines:
        if ln.net_amount is None:
            continue
        net_price = round_to(ln.unit_price * (100 - ln.discount_percent) / 100, 4)
        item = {"BT-126": str(ln.position), "BT-129": fmt_plain(ln.quantity), "BT-130": ln.unit,
                "BT-131": _m(ln.net_amount), "BT-146": str(net_price), "BT-151": ln.vat_category,
                "BT-153": ln.description.splitlines()[0][:200] or "-"}
        if ln.vat_category != "O":
            item["BT-152"] = fmt_plain(ln.vat_rate)
        if ln.discount_percent:
            item["BT-148"] = str(ln.unit_price)
            item["BT-147-00"] = [{"BT-147": str(ln.unit_price - net_price)}]
        if ln.code:
            item["BT-155"] = ln.code
        if ln.progress:
            g = ln.progress
            item["BT-154"] = (f"Avancement cumulé {g['percent']} % (précédent {g['previous_percent']} %) "
                              f"d'un marché de {g['contract_amount']} HT, déjà facturé {g['previous_amount']}")
        lines.append(item)
    d["BG-25"] = lines
    return _escaped(d)


def _escaped(value):
    """Every text of the e-invoice with control and invisible characters written as their code
    (the second line of defence after the input rule): XML cannot carry C0 codes (lxml refused
    the whole invoice: an internal error) and a bidi override would reorder what a reader shows."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {k: _escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    return value


_parsed = threading.local()


def _cii_schema() -> etree.XMLSchema:
    """The Factur-X XSD of our level, parsed once per thread (the library parses it again on
    every call; lxml trees are not shared between threads, and the app prints from workers)."""
    if not hasattr(_parsed, "schema"):
        path = importlib.resources.files("facturx").joinpath(f"xsd_and_schematron/{FACTURX_LEVEL2xsd[LEVEL]}")
        _parsed.schema = etree.XMLSchema(file=str(path))
    return _parsed.schema


def xml_bytes(p: Printed, syntax: str = "cii") -> bytes:
    """The e-invoice in one of the reform's syntaxes, from the one mapping (data_dict): CII
    (what Factur-X embeds) or UBL 2.1, both checked against their XSD."""
    if syntax == "ubl":
        return generate_xml(data_dict(p), flavor="ubl-2.1", level=LEVEL, check_xsd=True, check_schematron=False)
    xml = generate_xml(data_dict(p), flavor="factur-x", level=LEVEL, check_xsd=False, check_schematron=False)
    _cii_schema().assertValid(etree.fromstring(xml))
    return xml


SYNTAXES = ("cii", "ubl")


def read_back(pdf_bytes: bytes) -> bytes:
    """The embedded XML (for tests and for `tui-factu pdf --check`)."""
    import io
    name, xml = get_facturx_xml_from_pdf(io.BytesIO(pdf_bytes), check_xsd=False)
    return xml


def check_xsd(xml: bytes) -> bool:
    return xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
