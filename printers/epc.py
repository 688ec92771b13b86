"""The SEPA credit-transfer QR code (EPC069-12 version 002, « GiroCode »): what a banking app
reads to fill in a transfer — the payee, IBAN and BIC, the amount due and the invoice's
structured payment reference (the RF reference printed beside it and matched by bank.match)."""
from decimal import Decimal

from tui_factu import printed
from tui_factu.charset import printable
from tui_factu.money import round_cents
from tui_factu.printed import Printed

MAX_AMOUNT = Decimal("999999999.99")          # EPC069-12: EUR0.01 to EUR999999999.99


def amount_due(p: Printed) -> Decimal:
    """What is still to pay: the balance once payments came in, else the invoice's BT-115."""
    return p.left if p.left is not None else p.totals["due"]


def payload(p: Printed) -> str | None:
    """The QR's text, or None when the document asks for no transfer: not an invoice (a credit
    note is owed to the customer), a draft, paid (at issue or since), collected by direct debit,
    in another currency than the euro, no IBAN, nothing due."""
    seller = p.seller
    if p.kind != "invoice" or not p.number or p.paid_at_issue or p.paid_in_full or p.mandate:
        return None
    due = round_cents(amount_due(p))
    if not seller.get("iban") or p.currency != "EUR" or not Decimal("0.01") <= due <= MAX_AMOUNT:
        return None
    # one line per field: stored text is escaped (printable) so that nothing adds a field
    name = " ".join(printable(printed.seller_name(seller), multiline=False).split())[:70]
    reference = p.payment_reference
    fields = ["BCD", "002", "1", "SCT", (seller.get("bic") or "").replace(" ", "").upper(), name,
              seller["iban"].replace(" ", "").upper(), f"EUR{due}", "",
              reference, "" if reference else f"Facture {p.number}"[:140]]
    return "\n".join(fields).rstrip("\n")


def modules(text: str) -> list[list[bool]]:
    """The QR code's dark modules, row by row (no quiet zone), error correction M as EPC069-12
    asks. The mask is fixed: searching the best of the eight took 5 ms an invoice (the issue's
    budget is 12.5 ms for the whole PDF), and any mask reads."""
    import qrcode
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, mask_pattern=0)
    code.add_data(text.encode())
    code.make(fit=True)
    return code.get_matrix()
