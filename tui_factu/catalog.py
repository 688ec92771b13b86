"""The company profile, customers and products: checked input, audited changes, fast lookups.

Identifiers are checked with python-stdnum (SIREN, SIRET, VAT, IBAN, BIC, EAN).
"""
import re
import unicodedata
from decimal import Decimal

from stdnum import bic as std_bic, ean as std_ean, iban as std_iban
from stdnum.eu import vat as std_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as std_siren, siret as std_siret

from . import clock, audit, einvoicing, inputs, journal, stock, terms
from .db import contains, prepared_models, write
from .errors import InvalidValue, NotFound
from .models import PRODUCT_KINDS, Company, Customer, Product, utcnow
from .money import PRICE_SCALE, check_scale, to_decimal
from .totals import VAT_CATEGORIES, VAT_RATES

UNITS = {"C62": "unité", "H87": "pièce", "HUR": "heure", "DAY": "jour", "MIN": "minute",
         "KGM": "kg", "GRM": "g", "TNE": "tonne", "MTR": "m", "MTK": "m²", "MTQ": "m³",
         "LTR": "L", "SET": "lot", "PR": "paire", "KMT": "km", "MON": "mois", "WEE": "semaine",
         "ANN": "an", "LS": "forfait", "XBX": "boîte", "XPK": "colis"}


def search_key(text: str) -> str:
    """Lower case without accents: 'Électricité' and 'electricite' find each other."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


def clean_text(field: str, value, max_len: int = 200, required: bool = False,
               multiline: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidValue(field, value, "texte attendu")
    text = value.strip()
    bad = inputs.bad_character(text, multiline)
    if bad:
        raise InvalidValue(field, inputs.printable(text[:40]),
                           f"caractère de contrôle ou invisible interdit ({inputs.printable(bad)})")
    bad = inputs.unprintable(text)
    if bad:
        raise InvalidValue(field, text[:40], f"caractère que les documents imprimés ne savent pas afficher "
                                             f"(« {bad} », U+{ord(bad):04X}) : écrivez-le en lettres latines")
    if required and not text:
        raise InvalidValue(field, None, "obligatoire")
    if len(text) > max_len:
        raise InvalidValue(field, text[:30] + "…", f"{max_len} caractères au plus")
    return text


def clean_code(field: str, value) -> str:
    code = clean_text(field, value, 32, required=True)
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z._/-]*", code):
        raise InvalidValue(field, code, "lettres, chiffres, . _ / - seulement")
    return code


def _std(field, value, module, label):
    text = clean_text(field, value, 64)
    if not text:
        return ""
    try:
        return module.validate(text)
    except ValidationError:
        raise InvalidValue(field, text, f"{label} invalide") from None


def clean_siren(value, field="siren"):
    return _std(field, value, std_siren, "numéro SIREN")


def clean_siret(value, field="siret"):
    return _std(field, value, std_siret, "numéro SIRET")


def clean_vat_number(value, field="numéro de TVA"):
    return _std(field, value, std_vat, "numéro de TVA intracommunautaire")


def clean_iban(value, field="IBAN"):
    return _std(field, value, std_iban, "IBAN")


def clean_bic(value, field="BIC"):
    return _std(field, value, std_bic, "BIC")


def clean_ean(value, field="code-barres"):
    text = clean_text(field, value, 14)
    if text and not (text.isdigit() and len(text) in (8, 12, 13, 14) and std_ean.is_valid(text)):
        raise InvalidValue(field, text, "code EAN invalide (chiffres ou clé de contrôle)")
    return text


def clean_email(value, field="email"):
    text = clean_text(field, value, 200)
    if text and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise InvalidValue(field, text, "adresse email invalide")
    return text


def clean_country(value, field="pays"):
    text = clean_text(field, value or "FR", 2).upper()
    if not re.fullmatch(r"[A-Z]{2}", text):
        raise InvalidValue(field, text, "code pays ISO à deux lettres attendu (FR, BE…)")
    return text


def clean_days(value, field="délai de paiement"):
    if value is None or value == "":
        return None
    try:
        days = int(str(value).strip())
    except ValueError:
        raise InvalidValue(field, value, "nombre de jours entier attendu") from None
    if not 0 <= days <= 60:
        raise InvalidValue(field, days, "entre 0 et 60 jours (art. L441-10 du Code de commerce)")
    return days


def clean_rate(value, field="taux de TVA") -> Decimal:
    rate = to_decimal(value, field)
    if rate not in VAT_RATES:
        raise InvalidValue(field, value, "taux autorisés : 20, 10, 5.5, 2.1, 0")
    return rate


def clean_category(value, rate: Decimal, field="catégorie de TVA") -> str:
    cat = (value or ("S" if rate > 0 else "Z")).strip().upper()
    if cat not in VAT_CATEGORIES:
        raise InvalidValue(field, value, "catégories : " + ", ".join(VAT_CATEGORIES))
    if (cat == "S") != (rate > 0):
        raise InvalidValue(field, cat, f"incompatible avec le taux {rate} %"
                           " (S pour un taux positif, Z/E/AE/K/G/O pour 0 %)")
    return cat


def clean_money(value, field, scale=PRICE_SCALE, allow_negative=False) -> Decimal:
    d = check_scale(to_decimal(value, field), scale, field)
    if d < 0 and not allow_negative:
        raise InvalidValue(field, value, "doit être positif ou nul")
    return d


def clean_unit(value, field="unité"):
    unit = clean_text(field, value or "C62", 3).upper()
    if not re.fullmatch(r"[A-Z0-9]{2,3}", unit):
        raise InvalidValue(field, value, "code d'unité UN/ECE rec 20 attendu (C62, HUR, KGM…)")
    return unit


def _bool(value, field):
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return False
    text = str(value).strip().lower()
    if text in ("1", "true", "oui", "yes", "o", "y"):
        return True
    if text in ("0", "false", "non", "no", "n"):
        return False
    raise InvalidValue(field, value, "oui ou non attendu")


# ---- company -------------------------------------------------------------------------------

COMPANY_FIELDS = {
    "name": lambda v: clean_text("raison sociale", v, 200),
    "legal_form": lambda v: clean_text("forme juridique", v, 60),
    "capital": lambda v: None if v in (None, "") else clean_money(v, "capital", 2),
    "siren": clean_siren, "siret": clean_siret,
    "rcs_city": lambda v: clean_text("ville du RCS", v, 80),
    "vat_number": clean_vat_number,
    "line1": lambda v: clean_text("adresse", v), "line2": lambda v: clean_text("adresse (suite)", v),
    "postcode": lambda v: clean_text("code postal", v, 10), "city": lambda v: clean_text("ville", v, 80),
    "country": clean_country, "email": clean_email, "phone": lambda v: clean_text("téléphone", v, 30),
    "iban": clean_iban, "bic": clean_bic,
    "payment_terms_days": lambda v: clean_days(v) or 0,
    "late_penalty_rate": lambda v: clean_money(v or 0, "taux des pénalités de retard", 2),
    "recovery_indemnity": lambda v: clean_text("indemnité de recouvrement", v, 400),
    "vat_on_debits": lambda v: _bool(v, "option TVA sur les débits"),
    "sole_trader": lambda v: _bool(v, "entrepreneur individuel (EI)"),
    "logo_path": lambda v: clean_text("logo", v, 400),
    "always_sign": lambda v: _bool(v, "signer toujours"),
    "einvoice_address": lambda v: einvoicing.clean_address(v, "adresse électronique (BT-34)"),
    "vat_franchise": lambda v: _bool(v, "franchise en base de TVA (art. 293 B du CGI)"),
    "vat_exemption": lambda v: clean_text("article d'exonération de TVA", v, 200),
    "payment_terms": terms.clean,
}
CUSTOMER_KINDS = ("company", "person", "public")
DEFAULT_INDEMNITY = ("Indemnité forfaitaire pour frais de recouvrement en cas de retard de "
                     "paiement : 40 € (art. L441-10 et D441-5 du Code de commerce)")


def company() -> Company:
    found = prepared_models("company", Company, lambda i: Company.select().where(Company.id == i), 1)
    return found[0] if found else Company.get_or_create(id=1)[0]


# forms of a company (société) with a share capital: an entrepreneur individuel (EI) is none of them
COMPANY_FORMS = ("SARL", "EURL", "SAS", "SASU", "SA", "SCA", "SELARL", "SELAS", "SELAFA", "SCOP")


def _check_sole_trader(sole_trader: bool, legal_form: str | None, setting_ei: bool) -> None:
    """An EI is a person trading in its own name, not a company: « Dupont EI » beside « SARL au
    capital de … » told the customer two contradictory things (#15)."""
    form = (legal_form or "").strip()
    if sole_trader and form.upper().split(" ")[0] in COMPANY_FORMS:
        reason = (f"un entrepreneur individuel (EI) n'est pas une société {form} — retirez la forme juridique "
                  "(tui-factu company set legal_form=) ou l'EI (sole_trader=non)")
        raise InvalidValue("entrepreneur individuel (EI)" if setting_ei else "forme juridique", None, reason)


def update_company(values: dict) -> Company:
    from . import permissions
    permissions.require("settings.change")
    unknown = set(values) - set(COMPANY_FIELDS)
    if unknown:
        raise InvalidValue("société", ", ".join(sorted(unknown)), "champ inconnu")
    cleaned = {k: COMPANY_FIELDS[k](v) for k, v in values.items()}
    with write():
        c = company()
        if cleaned.get("siret") and (cleaned.get("siren") or c.siren) and \
                not cleaned["siret"].startswith(cleaned.get("siren") or c.siren):
            raise InvalidValue("siret", cleaned["siret"], "ne commence pas par le SIREN")
        _check_sole_trader(cleaned.get("sole_trader", c.sole_trader), cleaned.get("legal_form", c.legal_form),
                           "sole_trader" in cleaned)
        einvoicing.check_address_owner(cleaned.get("einvoice_address", c.einvoice_address),
                                       cleaned.get("siren") or c.siren, "adresse électronique (BT-34)")
        audit.record("company", 1, "société", audit.diff(c, cleaned))
        Company.update(**cleaned).where(Company.id == 1).execute()
        journal.seal("event", "settings", "société",
                     {"action": "settings", "at": utcnow(), "fields": sorted(cleaned)})
    return company()


def company_snapshot(c: Company | None = None) -> dict:
    c = c or company()
    return {"name": c.name, "legal_form": c.legal_form,
            "capital": None if c.capital is None else str(c.capital), "siren": c.siren,
            "siret": c.siret, "rcs_city": c.rcs_city, "vat_number": c.vat_number,
            "address": {"line1": c.line1, "line2": c.line2, "postcode": c.postcode,
                        "city": c.city, "country": c.country},
            "email": c.email, "phone": c.phone, "iban": c.iban, "bic": c.bic,
            "late_penalty_rate": str(c.late_penalty_rate),
            "recovery_indemnity": c.recovery_indemnity or DEFAULT_INDEMNITY,
            "vat_on_debits": c.vat_on_debits, "sole_trader": c.sole_trader,
            "einvoice_address": c.einvoice_address, "vat_franchise": c.vat_franchise,
            "vat_exemption": c.vat_exemption, "payment_terms": c.payment_terms,
            "payment_terms_days": c.payment_terms_days}


def term_for(customer: Customer, own: Company | None = None):
    """The payment terms a customer's invoice gets (terms.choose)."""
    own = own or company()
    return terms.choose(customer.payment_terms, customer.payment_terms_days, own.payment_terms,
                        own.payment_terms_days)


# ---- customers -----------------------------------------------------------------------------

def _address(prefix: str, value, field: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidValue(field, value, "objet adresse attendu")
    out = {f"{prefix}line1": clean_text(f"{field}.line1", value.get("line1")),
           f"{prefix}line2": clean_text(f"{field}.line2", value.get("line2")),
           f"{prefix}postcode": clean_text(f"{field}.postcode", value.get("postcode"), 10),
           f"{prefix}city": clean_text(f"{field}.city", value.get("city"), 80),
           f"{prefix}country": clean_country(value.get("country"), f"{field}.country")}
    if prefix:
        out[f"{prefix}name"] = clean_text(f"{field}.name", value.get("name"))
    return out


def clean_customer(data: dict, where: str = "client") -> dict:
    if not isinstance(data, dict):
        raise InvalidValue(where, data, "objet attendu")
    kind = data.get("kind") or "company"
    if kind not in CUSTOMER_KINDS:
        raise InvalidValue(f"{where}.kind", kind, "company, person ou public attendu")
    out = {"code": clean_code(f"{where}.code", data.get("code")),
           "name": clean_text(f"{where}.name", data.get("name"), 200, required=True),
           "kind": kind,
           "siren": clean_siren(data.get("siren"), f"{where}.siren"),
           "siret": clean_siret(data.get("siret"), f"{where}.siret"),
           "vat_number": clean_vat_number(data.get("vat_number"), f"{where}.vat_number"),
           "email": clean_email(data.get("email"), f"{where}.email"),
           "phone": clean_text(f"{where}.phone", data.get("phone"), 30),
           "payment_terms_days": clean_days(data.get("payment_terms_days"), f"{where}.payment_terms_days"),
           "salesperson": clean_text(f"{where}.salesperson", data.get("salesperson"), 60),
           "notes": clean_text(f"{where}.notes", data.get("notes"), 2000, multiline=True),
           "einvoice_address": einvoicing.clean_address(data.get("einvoice_address"),
                                                        f"{where}.einvoice_address"),
           "service_code": clean_text(f"{where}.service_code", data.get("service_code"), 100),
           "payment_terms": terms.clean(data.get("payment_terms")),
           "pricelist": _pricelist(data.get("pricelist"), f"{where}.pricelist"),
           "price_group": clean_text(f"{where}.price_group", data.get("price_group"), 60),
           "discount_percent": _discount(data.get("discount_percent"), f"{where}.discount_percent")}
    out.update(_address("", data.get("address") or {}, f"{where}.address"))
    out.update(_address("delivery_", data.get("delivery_address"), f"{where}.delivery_address"))
    if out["siret"] and not out["siren"]:
        out["siren"] = out["siret"][:9]
    if out["siret"] and not out["siret"].startswith(out["siren"]):
        raise InvalidValue(f"{where}.siret", out["siret"], "ne commence pas par le SIREN")
    einvoicing.check_address_owner(out["einvoice_address"], out["siren"], f"{where}.einvoice_address")
    if kind == "public" and not out["siret"]:
        raise InvalidValue(f"{where}.siret", None, "obligatoire pour un acheteur public (Chorus Pro)")
    out["name_key"] = search_key(out["name"])
    return out


def save_customer(data: dict, where: str = "client") -> Customer:
    """Creates the customer, or updates the one with that code (audited)."""
    from . import permissions
    permissions.require("catalog.edit")
    values = clean_customer(data, where)
    with write():
        existing = Customer.get_or_none(Customer.code == values["code"])
        if existing is None:
            c = Customer.create(**values)
            audit.record("customer", c.id, c.code, {"création": (None, c.name)})
            return c
        supplied = {k: v for k, v in values.items() if k in _supplied_fields(data)}
        audit.record("customer", existing.id, existing.code, audit.diff(existing, supplied))
        Customer.update(**supplied).where(Customer.id == existing.id).execute()
        return Customer.get_by_id(existing.id)


def _supplied_fields(data: dict) -> set:
    keys = set(data) | {"name_key"}
    if "address" in data:
        keys |= {"line1", "line2", "postcode", "city", "country"}
    if "delivery_address" in data:
        keys |= {f"delivery_{k}" for k in ("name", "line1", "line2", "postcode", "city", "country")}
    return keys


def customer_by_id(customer_id: int) -> Customer:
    found = prepared_models("customer.get", Customer,
                            lambda i: Customer.select().where(Customer.id == i), int(customer_id))
    if not found:
        raise NotFound(f"client introuvable « #{customer_id} »", "client", customer_id)
    return found[0]


def customer_by_code(code: str) -> Customer:
    c = Customer.get_or_none(Customer.code == code)
    if c is None:
        raise NotFound(f"client inconnu « {code} »", "client", code)
    return c


def _prefix(field, text):
    # A range on the index instead of LIKE, which SQLite cannot serve from an index here.
    return (field >= text) & (field < text + "\uffff")


def _find(model, text: str, limit: int, anywhere: bool = True) -> list:
    """Codes that start with the text, then names that do (both from an index), then — with
    anywhere, when those left room — codes and names that hold it (a scan: ~20 ms at 100 000)."""
    text = (text or "").strip()
    key = search_key(text)
    found, seen = [], set()
    phases = [(_prefix(model.code, text.upper()) | _prefix(model.code, text), model.code),
              (_prefix(model.name_key, key), model.name_key)]
    if anywhere:
        phases.append((contains(model.code, text.upper()) | contains(model.name_key, key), model.code))
    for where, order in phases:
        if len(found) >= limit or not text and found:
            break
        for row in model.select().where(where).order_by(order).limit(limit + len(found)):
            if row.id not in seen and len(found) < limit:
                seen.add(row.id)
                found.append(row)
    return found


def find_customers(text: str, limit: int = 20, anywhere: bool = True) -> list[Customer]:
    """By code, then name (accents and case ignored): what starts with the text first, then
    what holds it anywhere ("dupont" finds "Garage Dupont")."""
    return _find(Customer, text, limit, anywhere)


def _pricelist(value, field: str) -> str:
    from .models import PriceList
    code = clean_text(field, value, 60)
    if code and not PriceList.get_or_none(PriceList.code == code):
        raise InvalidValue(field, code, "liste de prix inconnue (tui-factu pricelist set LISTE CODE PRIX)")
    return code


def _discount(value, field: str):
    if value in (None, ""):
        return Decimal(0)
    d = check_scale(to_decimal(value, field), 2, field)
    if not Decimal(0) <= d <= Decimal(100):
        raise InvalidValue(field, value, "entre 0 et 100")
    return d


def customer_data(c: Customer) -> dict:
    """A customer in the shape save_customer reads (the exchange format's)."""
    snap = customer_snapshot(c)
    return {"code": c.code, "name": c.name, "kind": c.kind, "siren": c.siren, "siret": c.siret,
            "vat_number": c.vat_number, "email": c.email, "phone": c.phone, "address": snap["address"],
            "delivery_address": snap["delivery_address"], "payment_terms_days": c.payment_terms_days,
            "payment_terms": c.payment_terms, "salesperson": c.salesperson, "notes": c.notes,
            "einvoice_address": c.einvoice_address, "service_code": c.service_code,
            "pricelist": c.pricelist, "price_group": c.price_group, "discount_percent": str(c.discount_percent)}


ADDRESS_FIELDS = ("line1", "line2", "postcode", "city", "country")


def update_customer(code: str, values: dict) -> Customer:
    """`customer set CODE field=value…`: the same checks as a new customer, audited."""
    data = customer_data(customer_by_code(code))
    unknown = set(values) - set(data) - set(ADDRESS_FIELDS) - {"code"}
    if unknown:
        raise InvalidValue("client", ", ".join(sorted(unknown)), "champ inconnu (" + ", ".join(
            sorted(k for k in data if k not in ("code", "address", "delivery_address")) + list(ADDRESS_FIELDS)) + ")")
    for k, v in values.items():
        if k in ADDRESS_FIELDS:
            data["address"] = {**data["address"], k: v}
        elif k == "payment_terms_days":
            data[k] = v if v not in ("", None) else None
        elif k != "code":
            data[k] = v
    return save_customer(data)


def customer_snapshot(c: Customer) -> dict:
    delivery = None
    if c.delivery_line1 or c.delivery_city:
        delivery = {"name": c.delivery_name, "line1": c.delivery_line1, "line2": c.delivery_line2,
                    "postcode": c.delivery_postcode, "city": c.delivery_city,
                    "country": c.delivery_country or c.country}
    return {"code": c.code, "name": c.name, "kind": c.kind, "siren": c.siren, "siret": c.siret,
            "vat_number": c.vat_number, "email": c.email,
            "einvoice_address": c.einvoice_address, "service_code": c.service_code,
            "payment_terms": c.payment_terms, "payment_terms_days": c.payment_terms_days,
            "address": {"line1": c.line1, "line2": c.line2, "postcode": c.postcode,
                        "city": c.city, "country": c.country},
            "delivery_address": delivery}


# ---- products ------------------------------------------------------------------------------

def clean_product(data: dict, where: str = "produit") -> dict:
    if not isinstance(data, dict):
        raise InvalidValue(where, data, "objet attendu")
    kind = data.get("kind") or "goods"
    if kind not in PRODUCT_KINDS:
        raise InvalidValue(f"{where}.kind", kind, "goods, service, labour ou equipment attendu")
    rate = clean_rate(data.get("vat_rate", "20"), f"{where}.vat_rate")
    out = {"code": clean_code(f"{where}.code", data.get("code")),
           "name": clean_text(f"{where}.name", data.get("name"), 200, required=True),
           "kind": kind,
           "unit": clean_unit(data.get("unit"), f"{where}.unit"),
           "price": clean_money(data.get("price", "0"), f"{where}.price"),
           "cost": clean_money(data.get("cost") or "0", f"{where}.cost"),
           "vat_rate": rate,
           "vat_category": clean_category(data.get("vat_category"), rate, f"{where}.vat_category"),
           "barcode": clean_ean(data.get("barcode"), f"{where}.barcode"),
           "family": clean_text(f"{where}.family", data.get("family"), 60),
           "stock_managed": _bool(data.get("stock_managed"), f"{where}.stock_managed")}
    if data.get("reorder_level") not in (None, ""):
        out["reorder_level"] = clean_money(data["reorder_level"], f"{where}.reorder_level", 3)
    out["name_key"] = search_key(out["name"])
    return out


def save_product(data: dict, where: str = "produit") -> Product:
    from . import permissions
    permissions.require("catalog.edit")
    values = clean_product(data, where)
    target = None
    if data.get("stock") not in (None, ""):
        target = clean_money(data["stock"], f"{where}.stock", 3, allow_negative=True)
    with write():
        p = Product.get_or_none(Product.code == values["code"])
        if "cost" in data and values["cost"] != (p.cost if p else 0):
            permissions.require("costs.see")      # a cost set to 0 would hide a sale at a loss
        if p is not None and "price" in data and values["price"] < p.price:
            # a catalogue price cut is a discount on every sale after it; allowed to a clerk
            # within the ceiling, cuts of 15 % at a time went down to any price
            permissions.require("catalog.price_cut")
        if p is None:
            p = Product.create(**values)
            audit.record("product", p.id, p.code, {"création": (None, p.name)})
        else:
            supplied = {k: v for k, v in values.items() if k in set(data) | {"name_key"}}
            audit.record("product", p.id, p.code, audit.diff(p, supplied))
            Product.update(**supplied).where(Product.id == p.id).execute()
            p = Product.get_by_id(p.id)
        if target is not None:
            current = stock.on_hand(p.id)
            if target != current:
                stock.move(p.id, target - current, clock.today(), "inventaire")
                audit.record("product", p.id, p.code, {"stock": (current, target)})
    return p


def product_by_code(code: str) -> Product:
    p = Product.get_or_none(Product.code == code)
    if p is None:
        raise NotFound(f"produit inconnu « {code} »", "produit", code)
    return p


def product_by_scan(text: str) -> Product | None:
    """Exact code first, then barcode (a scanner types digits then Enter)."""
    text = (text or "").strip()
    return (Product.get_or_none(Product.code == text)
            or (Product.get_or_none(Product.barcode == text) if text.isdigit() else None))


def find_products(text: str, limit: int = 20, anywhere: bool = True) -> list[Product]:
    return _find(Product, text, limit, anywhere)