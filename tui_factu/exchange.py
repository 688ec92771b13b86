"""The JSON exchange format `tui-factu/1` (README): import all-or-nothing, export everything."""
import json
from pathlib import Path

from . import catalog, permissions, stock
from .documents import drafts, flow, views
from .db import write
from .errors import FactuError, InvalidValue
from .models import Customer, Document, Product
from .documents.kinds import KINDS
from .money import ZERO, fmt_plain, fmt_price

FORMAT = "tui-factu/1"
MAX_BYTES = 200 * 1024 * 1024


def read_bundle(path: str) -> dict:
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InvalidValue("fichier", path, "trop volumineux (200 Mo au plus)")
        raw = p.read_bytes()
    except OSError as e:
        raise InvalidValue("fichier", path, f"illisible ({e.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidValue("fichier", path, "n'est pas encodé en UTF-8") from None
    try:
        bundle = json.loads(text)
    except json.JSONDecodeError as e:
        raise InvalidValue("fichier", path, f"JSON invalide ligne {e.lineno}, colonne {e.colno}") from None
    except RecursionError:
        raise InvalidValue("fichier", path, "JSON trop profondément imbriqué") from None
    return bundle


def import_bundle(bundle) -> list[dict]:
    """Creates customers, products and documents in ONE transaction: any refusal leaves the
    database as it was, and consumes no number."""
    if not isinstance(bundle, dict):
        raise InvalidValue("format", None, "objet JSON attendu")
    if bundle.get("format") != FORMAT:
        raise InvalidValue("format", bundle.get("format"), f"« {FORMAT} » attendu")
    for key in ("customers", "products", "documents", "pricelists"):
        if not isinstance(bundle.get(key, []), list):
            raise InvalidValue(key, None, "liste attendue")
    company = bundle.get("company")
    if company is not None and not isinstance(company, dict):
        raise InvalidValue("company", None, "objet attendu")
    created = []
    with write():
        if company:
            catalog.update_company(_company_fields(company))
        for i, item in enumerate(bundle.get("products", [])):        # price lists name products
            catalog.save_product(item, f"products[{i}]")
        for i, item in enumerate(bundle.get("pricelists") or []):
            _import_price(item, f"pricelists[{i}]")
        for i, c in enumerate(bundle.get("customers", [])):
            catalog.save_customer(c, f"customers[{i}]")
        for i, d in enumerate(bundle.get("documents", [])):
            created.append(_import_document(d, f"documents[{i}]"))
    return created


# the seller's identity a bundle carries (its logo and signing choice stay with the base)
COMPANY_EXPORTED = ("name", "legal_form", "capital", "siren", "siret", "rcs_city", "vat_number", "line1", "line2",
                    "postcode", "city", "country", "email", "phone", "iban", "bic", "payment_terms_days",
                    "late_penalty_rate", "recovery_indemnity", "vat_on_debits", "sole_trader",
                    "einvoice_address", "vat_franchise", "vat_exemption")


def _company_fields(company: dict) -> dict:
    unknown = set(company) - set(COMPANY_EXPORTED)
    if unknown:
        raise InvalidValue("company", ", ".join(sorted(unknown)), "champ inconnu")
    return {k: v for k, v in company.items() if v is not None}


def _import_price(item, where: str) -> None:
    from . import pricing
    if not isinstance(item, dict):
        raise InvalidValue(where, item, "objet attendu")
    try:
        pricing.set_item(item.get("list") or "", item.get("product") or f"family:{item.get('family') or ''}",
                         item.get("price"), item.get("discount_percent"), item.get("min_qty") or "1",
                         item.get("from"), item.get("to"), item.get("group"))
    except FactuError as e:
        e.message = f"{where} : {e.message}"
        raise


def _import_document(d, where: str) -> dict:
    if not isinstance(d, dict):
        raise InvalidValue(where, d, "objet document attendu")
    kind = d.get("kind")
    if kind not in KINDS:
        raise InvalidValue(f"{where}.kind", kind, "type inconnu (" + ", ".join(KINDS) + ")")
    code = d.get("customer")
    if not isinstance(code, str) or Customer.get_or_none(Customer.code == code) is None:
        raise InvalidValue(f"{where}.customer", code, "client inconnu")
    lines = d.get("lines")
    if not isinstance(lines, list) or not lines:
        raise InvalidValue(f"{where}.lines", None, "au moins une ligne attendue")
    lines = [{k: v for k, v in ln.items() if k != "origin"} if isinstance(ln, dict) else ln
             for ln in lines]
    try:
        doc = drafts.create(kind, code, d.get("date"), lines, d.get("allowances") or [],
                               d.get("charges") or [], d.get("reference") or "",
                               d.get("notes") or "", d.get("validity_date"), d.get("due_date"),
                               d.get("currency") or "EUR", d.get("exchange_rate"))
        if d.get("validate"):
            doc = flow.validate(doc.id)
    except FactuError as e:
        e.message = f"{where} : {e.message}"
        raise
    return {"id": doc.id, "kind": doc.kind, "number": doc.number}


def export_bundle() -> dict:
    customers = []
    for c in Customer.select().order_by(Customer.id):
        customers.append(catalog.customer_data(c))
    products = []
    levels = stock.inventory_levels()
    costs = permissions.allowed("costs.see")          # costs leave only with a role that sees them
    for p in Product.select().order_by(Product.id):
        products.append({"code": p.code, "name": p.name, "kind": p.kind, "unit": p.unit,
                         "price": fmt_price(p.price), **({"cost": fmt_price(p.cost)} if costs else {}),
                         "vat_rate": fmt_plain(p.vat_rate), "vat_category": p.vat_category,
                         "barcode": p.barcode, "family": p.family,
                         "stock_managed": p.stock_managed,
                         "stock": fmt_plain(levels.get(p.id, ZERO)) if p.stock_managed else None})
    docs = []
    for doc in Document.select().order_by(Document.id):
        view = views.show(doc)
        lines = []
        for ln in view["lines"]:
            if ln["kind"] in ("text", "section", "subtotal"):
                lines.append({"text": ln["description"]} if ln["kind"] == "text"
                             else {"kind": ln["kind"], "description": ln["description"]})
            else:
                lines.append({k: ln[k] for k in ("product", "description", "quantity", "unit",
                                                 "unit_price", "discount_percent", "vat_rate",
                                                 "vat_category", "kind") if ln.get(k) is not None})
        docs.append({"kind": doc.kind, "customer": view["customer"]["code"], "date": view["date"],
                     "reference": doc.reference, "notes": doc.notes, "currency": doc.currency,
                     **({"exchange_rate": view["exchange_rate"]} if doc.exchange_rate else {}),
                     "validate": doc.status != "draft", "number": doc.number,
                     "status": doc.status, "lines": lines, "allowances": view["allowances"],
                     "charges": view["charges"], "totals": view["totals"]})
    own = catalog.company()
    company = {k: getattr(own, k) for k in COMPANY_EXPORTED}
    company["capital"] = None if own.capital is None else str(own.capital)
    company["late_penalty_rate"] = fmt_plain(own.late_penalty_rate)
    from . import pricing
    return {"format": FORMAT, "company": company, "pricelists": pricing.items(), "customers": customers, "products": products, "documents": docs}
