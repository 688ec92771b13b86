"""The French e-invoicing reform's rules on a document (XP Z12-012, shared/reference/afnor/):
who is addressed where (BT-34/BT-49), which processing the invoice falls under (BAR note), and
its billing framework (BT-23). Pure functions of the frozen snapshots, so an old document gives
the same answer forever; the printers map them to CII and UBL."""
import re

from .errors import InvalidValue

SCHEME_SIREN = "0225"          # the French directory's addressing (SIREN, SIREN_SUFFIX…)
SCHEME_EMAIL = "EM"
_ADDRESS = re.compile(r"[A-Za-z0-9._-]{1,125}")     # BR-FR-23, BR-FR-25


def clean_address(value, field: str = "adresse électronique") -> str:
    """An electronic address in the directory form: the SIREN, optionally `_` and a suffix
    (SIRET, routing code); letters, digits, '-', '_', '.', 125 characters at most."""
    text = (value or "").strip()
    if text and not _ADDRESS.fullmatch(text):
        raise InvalidValue(field, text, "lettres, chiffres, « - », « _ », « . » seulement, 125 caractères "
                                        "au plus (ex. 123456789 ou 123456789_12345678900012)")
    return text


def check_address_owner(address: str, siren: str, field: str) -> None:
    """BR-FR-21/22: a directory address starts with its owner's SIREN."""
    if address and siren and not address.startswith(siren):
        raise InvalidValue(field, address, f"doit commencer par le SIREN {siren}")


def seller_address(seller: dict) -> tuple[str, str]:
    """BT-34: the company's directory address, by default its SIREN."""
    address = seller.get("einvoice_address") or seller.get("siren") or ""
    if not address:
        raise InvalidValue("société", "adresse électronique",
                           "renseignez le SIREN (tui-factu company set siren=…) : la facture "
                           "électronique en a besoin pour l'adresse du vendeur (BT-34)")
    return address, SCHEME_SIREN


def treatment(customer: dict) -> str:
    """BR-FR-20 (note BAR): B2B for a French company or public buyer (e-invoicing through the
    platforms), B2BINT for a business abroad, B2C for a private person (both e-reporting)."""
    if customer.get("kind") == "person":
        return "B2C"
    country = (customer.get("address") or {}).get("country") or "FR"
    if country != "FR" or not customer.get("siren"):
        return "B2BINT"
    return "B2B"


def buyer_address(customer: dict, seller: dict) -> tuple[str, str]:
    """BT-49. In the e-invoicing scope: the buyer's directory address (its SIREN by default).
    Outside it (a person, a business abroad): its e-mail, else the seller's no-reply address,
    which the norm allows to say "no electronic address" (XP Z12-012, BR-FR-12)."""
    if treatment(customer) == "B2B":
        return customer.get("einvoice_address") or customer["siren"], SCHEME_SIREN
    if customer.get("email"):
        return customer["email"], SCHEME_EMAIL
    # a seller without an e-mail of its own: a reserved domain (RFC 2606) says the same
    domain = (seller.get("email") or "").partition("@")[2] or "adresse-absente.invalid"
    return f"noreply@{domain}", SCHEME_EMAIL


def nature_letter(line_kinds: set[str]) -> str:
    """B goods, S services, M both (BT-23's first letter)."""
    goods = "goods" in line_kinds
    services = bool(line_kinds & {"service", "labour", "equipment"})
    if goods and services:
        return "M"
    return "B" if goods else "S"


def billing_mode(line_kinds: set[str], *, paid_at_issue: bool, after_deposits: bool) -> str:
    """BT-23, the billing framework: 1 an ordinary invoice, 2 one already paid when issued
    (a counter ticket invoiced), 4 the final invoice after deposits."""
    step = "4" if after_deposits else "2" if paid_at_issue else "1"
    return nature_letter(line_kinds) + step


def check_issuable(kind: str, label: str, categories: set[str], cites_invoice: bool,
                   customer: dict, seller: dict) -> None:
    """What an invoice or a credit note needs to be issued as a conformant e-invoice, checked at
    validation, when it can still be corrected (EN 16931 and XP Z12-012). The company's own
    identity (its SIREN for BT-34) is asked for when the e-invoice is written: a fresh base can
    invoice before its identity is typed in (the command-line contract), not transmit."""
    if kind not in ("invoice", "credit_note"):
        return
    if "O" in categories and len(categories) > 1:
        raise InvalidValue("TVA", "O", f"{label} : une opération hors champ de la TVA (O) se facture seule, "
                                       "sans autre catégorie de TVA (EN 16931 BR-O-11)")
    if kind == "credit_note" and not cites_invoice:
        raise InvalidValue("avoir", label, "un avoir cite la facture qu'il corrige (BR-FR-CO-05) : "
                                           "faites-le depuis la facture (doc credit FACTURE)")
