"""The document chain: create, edit, validate, transform, credit (DESIGN §4).

A draft has no number and may be edited under optimistic locking (a version column). Validation
freezes the parties' legal data, stores the totals, takes the number and seals, in one write
transaction. What remains to deliver, invoice or credit is computed from line origin links.
"""
import datetime as dt
import json
from decimal import Decimal

import peewee as pw

from . import audit, catalog, journal, numbering, permissions, sealing, stock, totals
from .db import is_postgres, prepared, prepared_models, write
from .session import current_user
from .errors import Conflict, InvalidValue, NotFound, StateError
from .models import (KIND_LABELS, KINDS, LINE_KINDS, PRICED_LINE_KINDS, STATUSES, Billing, Customer,
                     Document, DocumentAdjustment, DocumentLine, DocumentVat, Product, utcnow)
from .money import (AMOUNT_SCALE, HUNDRED, PRICE_SCALE, QUANTITY_SCALE, RATE_SCALE, ZERO,
                    check_scale, fmt2, fmt_plain, fmt_price, sum_of, to_decimal)

# source kind -> the kinds it may become
TRANSFORMS = {"quote": ("order", "invoice"), "order": ("delivery", "invoice"),
              "delivery": ("invoice",), "invoice": ("credit_note",), "receipt": ("invoice", "credit_note")}
QUOTE_VALIDITY_DAYS = 30


# ---- input ---------------------------------------------------------------------------------

def parse_date(value, field: str = "date") -> dt.date:
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            d = dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        if not 2000 <= d.year <= 2099:
            break
        return d
    raise InvalidValue(field, value, "date invalide (AAAA-MM-JJ attendu)")


def clean_line(data, where: str) -> dict:
    """One line from user or JSON input; fields left out come from the product."""
    if not isinstance(data, dict):
        raise InvalidValue(where, data, "objet ligne attendu")
    if "text" in data:
        return {"kind": "text", "description": catalog.clean_text(f"{where}.text", data["text"], 2000,
                                                                   multiline=True)}
    kind = data.get("kind")
    if kind in ("text", "section", "subtotal"):
        return {"kind": kind, "description": catalog.clean_text(
            f"{where}.description", data.get("description"), 2000, multiline=True)}
    product = None
    if data.get("product") not in (None, ""):
        product = Product.get_or_none(Product.code == str(data["product"]))
        if product is None:
            raise InvalidValue(f"{where}.product", data["product"], "produit inconnu")
    kind = kind or (product.kind if product else "service")
    if kind not in PRICED_LINE_KINDS:
        raise InvalidValue(f"{where}.kind", kind, "type de ligne inconnu (" + ", ".join(LINE_KINDS) + ")")
    description = catalog.clean_text(f"{where}.description", data.get("description") or
                                     (product.name if product else ""), 2000, required=True,
                                     multiline=True)
    quantity = check_scale(to_decimal(data.get("quantity", "1"), f"{where}.quantity"),
                           QUANTITY_SCALE, f"{where}.quantity")
    deduction = bool(data.get("deduction")) and product is None
    if quantity <= 0 and not (deduction and quantity < 0):
        raise InvalidValue(f"{where}.quantity", data.get("quantity"),
                           "doit être positive (un retour se fait par un avoir)")
    if data.get("unit_price") not in (None, ""):
        unit_price = catalog.clean_money(data["unit_price"], f"{where}.unit_price", PRICE_SCALE)
    elif product is not None:
        unit_price = product.price
    else:
        raise InvalidValue(f"{where}.unit_price", None, "obligatoire pour une ligne sans produit")
    discount = check_scale(to_decimal(data.get("discount_percent") or "0", f"{where}.discount_percent"),
                           RATE_SCALE, f"{where}.discount_percent")
    if not ZERO <= discount <= HUNDRED:
        raise InvalidValue(f"{where}.discount_percent", data.get("discount_percent"), "entre 0 et 100")
    if data.get("vat_rate") not in (None, ""):
        rate = catalog.clean_rate(data["vat_rate"], f"{where}.vat_rate")
        category = data.get("vat_category") or (product.vat_category if product and
                                                product.vat_rate == rate else None)
    elif product is not None:
        rate, category = product.vat_rate, data.get("vat_category") or product.vat_category
    else:
        raise InvalidValue(f"{where}.vat_rate", None, "obligatoire pour une ligne sans produit")
    category = catalog.clean_category(category, rate, f"{where}.vat_category")
    cost = data.get("cost_price")
    group = carried = None
    if data.get("origin"):
        src = DocumentLine.get_or_none(DocumentLine.id == data["origin"])
        if src is not None:         # a derived line is taxed like its source (see totals)
            group, carried = src.vat_group, src.vat_carried
    return {"kind": kind, "product": product.id if product else None, "vat_group": group,
            "vat_carried": carried,
            "code": product.code if product else "", "description": description,
            "quantity": quantity,
            "unit": catalog.clean_unit(data.get("unit") or (product.unit if product else "C62"),
                                       f"{where}.unit"),
            "unit_price": unit_price, "discount_percent": discount, "vat_rate": rate,
            "vat_category": category,
            # a cost typed in comes only from a role that sees costs (else a margin check is fooled)
            "cost_price": catalog.clean_money(cost, f"{where}.cost_price")
            if cost not in (None, "") and (product is None or permissions.allowed("costs.see"))
            else (product.cost if product else None),
            "origin": data.get("origin"),
            # the line this one replaces in the same draft (its billing links follow it)
            "previous_line": data["previous_line"] if isinstance(data.get("previous_line"), int) else None}


def clean_adjustment(data, where: str, is_charge: bool) -> dict:
    if not isinstance(data, dict):
        raise InvalidValue(where, data, "objet attendu")
    amount = catalog.clean_money(data.get("amount"), f"{where}.amount", AMOUNT_SCALE)
    if amount <= 0:
        raise InvalidValue(f"{where}.amount", data.get("amount"), "doit être positif")
    rate = catalog.clean_rate(data.get("vat_rate", "20"), f"{where}.vat_rate")
    return {"is_charge": is_charge, "amount": amount, "vat_rate": rate,
            "vat_category": catalog.clean_category(data.get("vat_category"), rate, f"{where}.vat_category"),
            "reason": catalog.clean_text(f"{where}.reason", data.get("reason") or
                                         ("Frais" if is_charge else "Remise"), 200)}


# ---- reading -------------------------------------------------------------------------------

def get(doc_id: int) -> Document:
    found = prepared_models("document.get", Document,
                            lambda i: Document.select().where(Document.id == i), int(doc_id))
    if not found:
        raise NotFound(f"document introuvable « #{doc_id} »", "document", f"#{doc_id}")
    return found[0]


def resolve(ref: str) -> Document:
    """A number such as FA2026-00001, or #id."""
    text = str(ref or "").strip()
    if text.startswith("#") and text[1:].isdigit():
        return get(int(text[1:]))
    doc = Document.get_or_none(Document.number == text)
    if doc is None:
        raise NotFound(f"document introuvable « {text} »", "document", text)
    return doc


def lines_of(doc_id: int) -> list[DocumentLine]:
    return prepared_models("document.lines", DocumentLine, lambda i: DocumentLine.select().where(
        DocumentLine.document == i).order_by(DocumentLine.position), int(doc_id))


def adjustments_of(doc_id: int) -> list[DocumentAdjustment]:
    return prepared_models("document.adjustments", DocumentAdjustment, lambda i: DocumentAdjustment.select()
                           .where(DocumentAdjustment.document == i).order_by(DocumentAdjustment.position),
                           int(doc_id))


def vat_of(doc_id: int) -> list[DocumentVat]:
    return prepared_models("document.vat", DocumentVat, lambda i: DocumentVat.select().where(
        DocumentVat.document == i).order_by(DocumentVat.category, DocumentVat.rate.desc()), int(doc_id))


def label(doc: Document) -> str:
    return doc.number or f"{KIND_LABELS[doc.kind]} brouillon #{doc.id}"


# ---- quantities along the chain ------------------------------------------------------------

def _children_qty(line_ids, kinds, validated_only=False, via_delivery=False) -> dict:
    """Σ quantity of lines in documents of `kinds` whose origin is one of line_ids."""
    if not line_ids:
        return {}
    child = DocumentLine.alias()
    q = (child.select(child.origin, sum_of(child.quantity))
         .join(Document, on=(child.document == Document.id))
         .where(child.origin.in_(list(line_ids)) & Document.kind.in_(kinds)
                & (Document.status != "cancelled")))
    if validated_only:
        q = q.where(Document.status != "draft")
    out = dict(q.group_by(child.origin).tuples())
    if via_delivery:
        # order line -> delivery line -> invoice line
        dl = DocumentLine.alias()
        inv = DocumentLine.alias()
        q2 = (dl.select(dl.origin, sum_of(inv.quantity))
              .join(inv, on=(inv.origin == dl.id))
              .join(Document, on=(inv.document == Document.id))
              .where(dl.origin.in_(list(line_ids)) & (Document.kind == "invoice")
                     & (Document.status != "cancelled")))
        if validated_only:
            q2 = q2.where(Document.status != "draft")
        for lid, total in q2.group_by(dl.origin).tuples():
            out[lid] = out.get(lid, ZERO) + total
    return out


def _delivered_directly(line_ids, validated_only=False) -> dict:
    """Order lines delivered: by delivery notes, or by invoices that deliver at the counter."""
    return _children_qty(line_ids, ("delivery", "invoice"), validated_only)


def remaining(doc: Document, target: str, validated_only: bool = False) -> dict:
    """position -> quantity that may still become `target` (priced lines only)."""
    lines = [ln for ln in lines_of(doc.id) if ln.kind in PRICED_LINE_KINDS]
    ids = [ln.id for ln in lines]
    if doc.kind == "order" and target == "delivery":
        done = _delivered_directly(ids, validated_only)
    elif doc.kind == "order" and target == "invoice":
        done = _children_qty(ids, ("invoice",), validated_only, via_delivery=True)
    elif doc.kind == "quote":
        done = _children_qty(ids, ("order", "invoice"), validated_only)
    elif doc.kind == "delivery" or (doc.kind == "receipt" and target == "invoice"):
        done = _children_qty(ids, ("invoice",), validated_only)
    elif doc.kind in ("invoice", "receipt"):
        done = _children_qty(ids, ("credit_note",), validated_only)
    else:
        return {}
    return {ln.position: ln.quantity - done.get(ln.id, ZERO) for ln in lines}


def availability(product_code: str) -> dict | None:
    """On hand, reserved by open orders (what remains to deliver on them), and available;
    None when the product's stock is not managed."""
    product = Product.get_or_none(Product.code == product_code)
    if product is None or not product.stock_managed:
        return None
    lines = list(DocumentLine.select(DocumentLine.id, DocumentLine.quantity).join(Document)
                 .where((DocumentLine.product == product.id) & (Document.kind == "order")
                        & Document.status.in_(("validated", "partial"))).tuples())
    delivered = _delivered_directly([i for i, _ in lines], validated_only=True)
    reserved = sum((max(ZERO, q - delivered.get(i, ZERO)) for i, q in lines), ZERO)
    on_hand = stock.on_hand(product.id)
    return {"on_hand": on_hand, "reserved": reserved, "available": on_hand - reserved}


def backorders(customer_id: int | None = None) -> list[dict]:
    """Validated order lines still to deliver."""
    q = Document.select().where((Document.kind == "order") &
                                Document.status.in_(("validated", "partial")))
    if customer_id:
        q = q.where(Document.customer == customer_id)
    out = []
    for order in q.order_by(Document.id):
        rest = remaining(order, "delivery", validated_only=True)
        for ln in lines_of(order.id):
            qty = rest.get(ln.position)
            if qty and qty > 0:
                out.append({"order": order.number, "date": order.date.isoformat(),
                            "customer": order.customer.code, "position": ln.position,
                            "product": ln.code, "description": ln.description,
                            "ordered": ln.quantity, "remaining": qty})
    return out


# ---- writing drafts ------------------------------------------------------------------------

def _store_content(doc: Document, lines: list[dict], adjustments: list[dict]) -> totals.Totals:
    """Replaces a draft's lines and adjustments and stores its totals."""
    t = totals.compute([totals.LineIn(ln["kind"], ln.get("quantity"), ln.get("unit_price"),
                                      ln.get("discount_percent") or ZERO, ln.get("vat_rate"),
                                      ln.get("vat_category"), ln.get("vat_group"),
                                      ln.get("vat_carried")) for ln in lines],
                       [totals.AdjustmentIn(a["amount"], a["vat_rate"], a["vat_category"],
                                            a["is_charge"]) for a in adjustments],
                       prepaid=doc.prepaid or ZERO, rounding=doc.rounding or ZERO)
    links = {}                       # billing links of the old lines, carried over to their new rows
    for kind, entry, line in Billing.select(Billing.kind, Billing.entry, Billing.line).where(
            Billing.document == doc.id).tuples():
        links.setdefault(line, []).append((kind, entry))
    DocumentLine.delete().where(DocumentLine.document == doc.id).execute()
    DocumentAdjustment.delete().where(DocumentAdjustment.document == doc.id).execute()
    rows = []
    for pos, (ln, net) in enumerate(zip(lines, t.line_nets), start=1):
        rows.append({"document": doc.id, "position": pos, "kind": ln["kind"],
                     "product": ln.get("product"), "code": ln.get("code", ""),
                     "description": ln.get("description", ""), "quantity": ln.get("quantity"),
                     "unit": ln.get("unit") or "C62", "unit_price": ln.get("unit_price"),
                     "discount_percent": ln.get("discount_percent") or ZERO,
                     "vat_rate": ln.get("vat_rate"), "vat_category": ln.get("vat_category"),
                     "cost_price": ln.get("cost_price"), "net_amount": net,
                     "origin": ln.get("origin"), "vat_group": ln.get("vat_group"),
                     "vat_carried": ln.get("vat_carried")})
    for i in range(0, len(rows), 200):
        DocumentLine.insert_many(rows[i:i + 200]).execute()
    if links:
        new_ids = [i for (i,) in DocumentLine.select(DocumentLine.id).where(DocumentLine.document == doc.id)
                   .order_by(DocumentLine.position).tuples()]
        kept = [{"kind": k, "entry": e, "document": doc.id, "line": new}
                for ln, new in zip(lines, new_ids) for k, e in links.get(ln.get("previous_line"), ())]
        if kept:
            Billing.insert_many(kept).execute()
    if adjustments:
        DocumentAdjustment.insert_many([{**a, "document": doc.id, "position": i}
                                        for i, a in enumerate(adjustments, start=1)]).execute()
    _store_totals(doc.id, t)
    return t


def _store_totals(doc_id: int, t: totals.Totals) -> None:
    DocumentVat.delete().where(DocumentVat.document == doc_id).execute()
    if t.vat:
        DocumentVat.insert_many([{"document": doc_id, "category": v.category, "rate": v.rate,
                                  "basis": v.basis, "amount": v.amount} for v in t.vat]).execute()
    Document.update(**t.as_dict()).where(Document.id == doc_id).execute()


def _clean_content(lines, allowances=(), charges=()):
    """Checks the shapes before anything else: input comes from files and forms."""
    if not isinstance(lines, (list, tuple)):
        raise InvalidValue("lines", lines, "liste de lignes attendue")
    for name, value in (("allowances", allowances), ("charges", charges)):
        if not isinstance(value, (list, tuple)):
            raise InvalidValue(name, value, "liste attendue")
    cleaned = [clean_line(ln, f"lines[{i}]") for i, ln in enumerate(lines)]
    adjs = [clean_adjustment(a, f"allowances[{i}]", False) for i, a in enumerate(allowances)]
    adjs += [clean_adjustment(c, f"charges[{i}]", True) for i, c in enumerate(charges)]
    if len(cleaned) > 5000:
        raise InvalidValue("lines", len(cleaned), "5000 lignes au plus")
    return cleaned, adjs


def create(kind: str, customer: str | int, date=None, lines=(), allowances=(), charges=(),
           reference: str = "", notes: str = "", validity_date=None, due_date=None,
           type: str = "standard", preceding_id=None, source_refs=None) -> Document:
    if kind not in KINDS:
        raise InvalidValue("kind", kind, "type de document inconnu (" + ", ".join(KINDS) + ")")
    permissions.require("document.edit", kind)
    if isinstance(customer, int):
        cust = Customer.get_or_none(Customer.id == customer)
    else:
        cust = Customer.get_or_none(Customer.code == str(customer))
    if cust is None:
        raise InvalidValue("customer", customer, "client inconnu")
    date = parse_date(date or dt.date.today())
    cleaned, adjs = _clean_content(lines, allowances, charges)
    header = {"reference": catalog.clean_text("reference", reference, 100),
              "notes": catalog.clean_text("notes", notes, 4000, multiline=True)}
    with write():
        doc = Document.create(kind=kind, type=type, status="draft", date=date, customer=cust.id,
                              validity_date=parse_date(validity_date, "validity_date") if validity_date else None,
                              due_date=parse_date(due_date, "due_date") if due_date else None,
                              preceding=preceding_id, source_refs=json.dumps(source_refs or []),
                              created_by=current_user(), **header)
        _store_content(doc, cleaned, adjs)
        audit.record("document", doc.id, label(doc), {"création": (None, KIND_LABELS[kind])})
    return get(doc.id)


HEADER_FIELDS = ("date", "due_date", "validity_date", "reference", "notes", "customer")


def update_draft(doc_id: int, version: int, header: dict | None = None, lines=None,
                 allowances=None, charges=None) -> Document:
    """Saves a draft if nobody saved it since `version` was read; else refuses, nothing lost."""
    header = dict(header or {})
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise InvalidValue("document", ", ".join(sorted(unknown)), "champ inconnu")
    values = {}
    for k, v in header.items():
        if k in ("date", "due_date", "validity_date"):
            values[k] = parse_date(v, k) if v else None
        elif k == "customer":
            values["customer"] = catalog.customer_by_code(v).id
        else:
            values[k] = catalog.clean_text(k, v, 4000 if k == "notes" else 100, multiline=k == "notes")
    content = None
    if lines is not None and get(doc_id).type in ("progress", "retention"):
        raise StateError(f"{label(get(doc_id))} : les lignes d'une situation viennent de l'avancement saisi ; "
                         "supprimez le brouillon et refaites la situation", "lignes", None)
    if lines is not None:
        old_adj = adjustments_of(doc_id)
        if allowances is None:
            allowances = [{"amount": a.amount, "vat_rate": a.vat_rate, "vat_category": a.vat_category,
                           "reason": a.reason} for a in old_adj if not a.is_charge]
        if charges is None:
            charges = [{"amount": a.amount, "vat_rate": a.vat_rate, "vat_category": a.vat_category,
                        "reason": a.reason} for a in old_adj if a.is_charge]
        content = _clean_content(lines, allowances, charges)
    with write():
        doc = get(doc_id)
        permissions.require("document.edit", doc.kind)
        if doc.status != "draft":
            raise StateError(f"{label(doc)} est validé : il ne peut plus être modifié "
                             "(faites un avoir ou un nouveau document)", "document", label(doc))
        n = (Document.update(version=Document.version + 1, **values)
             .where((Document.id == doc_id) & (Document.version == version)).execute())
        if n != 1:
            raise Conflict(f"{label(doc)} a été modifié par un autre poste depuis son ouverture "
                           f"(version {doc.version}, la vôtre {version}) : rechargez-le, "
                           "rien n'a été écrasé", "version", version)
        changes = audit.diff(doc, values)
        if content is not None:
            old = [(ln.description, ln.quantity, ln.unit_price, ln.discount_percent) for ln in lines_of(doc_id)]
            _store_content(doc, *content)
            new = [(ln["description"], ln.get("quantity"), ln.get("unit_price"),
                    ln.get("discount_percent")) for ln in content[0]]
            changes["lignes"] = (_lines_text(old), _lines_text(new))
        audit.record("document", doc_id, label(doc), changes)
    return get(doc_id)


def _lines_text(rows) -> str:
    return " | ".join(f"{d[:30]} × {fmt_plain(q) if q is not None else ''}"
                      f"{' @ ' + fmt_price(p) if p is not None else ''}"
                      f"{' -' + fmt_plain(r) + '%' if r else ''}" for d, q, p, r in rows)


def delete_draft(doc_id: int, version: int) -> None:
    with write():
        doc = get(doc_id)
        permissions.require("document.edit", doc.kind)
        if doc.status != "draft":
            raise StateError(f"{label(doc)} est validé : il ne peut pas être supprimé",
                             "document", label(doc))
        if doc.version != version:
            raise Conflict(f"{label(doc)} a été modifié par un autre poste : rechargez-le",
                           "version", version)
        audit.record("document", doc_id, label(doc), {"suppression": (KIND_LABELS[doc.kind], None)})
        Document.delete().where(Document.id == doc_id).execute()


# ---- validation ----------------------------------------------------------------------------

def validate(doc_id: int, date=None) -> Document:
    with write():
        if is_postgres():
            Document.select(Document.id).where(Document.id == doc_id).for_update().execute()
        doc = get(doc_id)
        permissions.require("document.credit" if doc.kind == "credit_note" else "document.validate", doc.kind)
        if doc.status != "draft":
            raise StateError(f"{label(doc)} est déjà validé", "document", label(doc))
        lines = lines_of(doc.id)
        _check_commercial_limits(doc, lines)
        if not any(ln.kind in PRICED_LINE_KINDS for ln in lines):
            raise InvalidValue("lines", label(doc), "le document n'a aucune ligne chiffrée")
        if date is not None:
            doc.date = parse_date(date)
        from .closings import check_open
        check_open(doc.date, label(doc))
        _check_chain_limits(doc, lines)
        if doc.type in ("progress", "retention"):
            from .situations import check_current
            check_current(doc)
        cust = catalog.customer_by_id(doc.customer_id)
        company = catalog.company()
        if doc.kind in ("invoice", "credit_note") and cust.kind == "company" and not cust.siren \
                and cust.country == "FR":
            raise InvalidValue("client.siren", cust.code,
                               "SIREN obligatoire pour facturer une entreprise française")
        number = numbering.take(numbering.SERIES[doc.kind], doc.date)
        due_date = doc.due_date
        if doc.kind in ("invoice", "credit_note") and due_date is None:
            terms = cust.payment_terms_days
            if terms is None:
                terms = company.payment_terms_days
            due_date = doc.date + dt.timedelta(days=terms)
        validity = doc.validity_date
        if doc.kind == "quote" and validity is None:
            validity = doc.date + dt.timedelta(days=QUOTE_VALIDITY_DAYS)
        t = _recompute(doc, lines)
        _freeze(doc.id, number, doc.date, due_date, validity,
                 journal.canonical(catalog.customer_snapshot(cust)),
                 journal.canonical(catalog.company_snapshot(company)))
        journal.seal(journal.DOCUMENT_CHAINS[doc.kind], "validate", number,
                     sealing.payload_for(doc.id))
        _move_stock(doc, lines)
        _advance_sources(doc, lines)
    return get(doc_id)


def created_and_validated(make) -> Document:
    """Runs `make()`, which creates a draft, and validates it in the same transaction: a
    refused validation leaves no draft behind and consumes no number."""
    with write():
        return validate(make().id)


def _check_commercial_limits(doc: Document, lines) -> None:
    """Discounts above the ceiling and sales at a loss or under the margin floor need a role
    that may grant them (the editor flags them before validation)."""
    if doc.kind not in ("quote", "order", "invoice", "receipt"):
        return
    if not permissions.allowed("sell.below_floor"):
        from . import margins
        flags = margins.of_lines(lines)["flags"]
        if flags:
            raise permissions.PermissionDenied(f"{flags[0]} — à faire valider par un responsable", "marge", None)
    ceiling = permissions.max_discount()
    if not permissions.allowed("discount.large"):
        for ln in lines:
            if ln.kind in PRICED_LINE_KINDS and ln.discount_percent > ceiling:
                raise permissions.PermissionDenied(
                    f"ligne {ln.position} : remise de {fmt_plain(ln.discount_percent)} % au-delà du plafond de "
                    f"{fmt_plain(ceiling)} % — à faire valider par un responsable", "remise", fmt_plain(ln.discount_percent))
        catalogue = dict(Product.select(Product.id, Product.price).where(
            Product.id.in_([ln.product_id for ln in lines if ln.product_id])).tuples())
        for ln in lines:                  # a price typed over the catalogue's is a discount too
            listed = catalogue.get(ln.product_id)
            if ln.kind in PRICED_LINE_KINDS and listed and ln.quantity > 0 and \
                    ln.unit_price * (HUNDRED - ln.discount_percent) < listed * (HUNDRED - ceiling):
                raise permissions.PermissionDenied(
                    f"ligne {ln.position} : prix de {fmt_price(ln.unit_price)} € au lieu de {fmt_price(listed)} €, au-delà "
                    f"du plafond de remise de {fmt_plain(ceiling)} % — à faire valider par un responsable",
                    "prix", fmt_price(ln.unit_price))
        allowances = sum((a.amount for a in adjustments_of(doc.id) if not a.is_charge), ZERO)
        base = sum((ln.net_amount for ln in lines if ln.net_amount and ln.net_amount > 0), ZERO)
        if base and allowances * HUNDRED > base * ceiling:
            raise permissions.PermissionDenied(
                f"remise de pied de {fmt2(allowances)} € au-delà du plafond de {fmt_plain(ceiling)} % — à faire "
                "valider par un responsable", "remise", fmt2(allowances))


_FROZEN = (Document.status, Document.number, Document.date, Document.due_date,
           Document.validity_date, Document.customer_snapshot, Document.seller_snapshot,
           Document.validated_at, Document.validated_by, Document.sealed)


def _freeze(doc_id, number, date, due_date, validity, customer_snapshot, seller_snapshot) -> None:
    """The validating UPDATE: number, dates, frozen parties, seal flag (compiled once)."""
    def build(*v):
        values = {f: pw.Value(x, converter=False) for f, x in zip(_FROZEN, v[:-1])}
        return Document.update(values).where(Document.id == v[-1])
    iso = (lambda d: d.isoformat() if d else None)
    prepared("document.freeze", build, "validated", number, iso(date), iso(due_date), iso(validity),
             customer_snapshot, seller_snapshot, utcnow(), current_user(), True, int(doc_id))


def _recompute(doc: Document, lines) -> totals.Totals:
    """Totals from the lines as stored, written before the row is sealed."""
    adjs = adjustments_of(doc.id)
    t = totals.compute([totals.LineIn(ln.kind, ln.quantity, ln.unit_price, ln.discount_percent,
                                      ln.vat_rate, ln.vat_category, ln.vat_group, ln.vat_carried)
                        for ln in lines],
                       [totals.AdjustmentIn(a.amount, a.vat_rate, a.vat_category, a.is_charge)
                        for a in adjs], doc.prepaid, doc.rounding)
    changed = False
    for ln, net in zip(lines, t.line_nets):
        if ln.net_amount != net:
            DocumentLine.update(net_amount=net).where(DocumentLine.id == ln.id).execute()
            changed = True
    stored = [(v.category, v.rate, v.basis, v.amount) for v in vat_of(doc.id)]
    if changed or stored != [(v.category, v.rate, v.basis, v.amount) for v in t.vat] or \
            any(getattr(doc, k) != v for k, v in t.as_dict().items()):
        _store_totals(doc.id, t)
    return t


def _check_chain_limits(doc: Document, lines) -> None:
    """Nothing delivered, invoiced or credited beyond what its source holds."""
    by_source: dict[int, list] = {}
    for ln in lines:
        if ln.origin_id:
            by_source.setdefault(ln.origin_id, []).append(ln)
    if not by_source:
        if doc.kind == "credit_note" and doc.preceding_id:
            _check_credit_total(doc)
        return
    sources = {s.id: s for s in DocumentLine.select().where(DocumentLine.id.in_(list(by_source)))}
    source_docs = {}
    for sid, src in sources.items():
        sdoc = source_docs.get(src.document_id) or get(src.document_id)
        source_docs[src.document_id] = sdoc
        if sdoc.customer_id != doc.customer_id or doc.kind not in TRANSFORMS.get(sdoc.kind, ()) \
                or sdoc.status == "draft":
            raise InvalidValue(f"ligne {by_source[sid][0].position}", label(sdoc),
                               "origine incompatible (autre client, brouillon ou type de document)")
        target = "delivery" if doc.kind == "delivery" else doc.kind
        rest = remaining(sdoc, "credit_note" if doc.kind == "credit_note" else target)
        # `remaining` counts this draft too: add it back to see what it may take.
        mine = sum((ln.quantity for ln in by_source[sid]), ZERO)
        allowed = rest.get(src.position, ZERO) + mine
        if mine > allowed:
            verb = {"delivery": "livrer", "invoice": "facturer", "credit_note": "créditer",
                    "order": "commander"}.get(doc.kind, "reprendre")
            raise InvalidValue(f"ligne {by_source[sid][0].position}", fmt_plain(mine),
                               f"quantité supérieure au reste à {verb} ({fmt_plain(allowed)}) "
                               f"sur {label(sdoc)}")
        if doc.kind == "credit_note":
            credited = sum((ln.net_amount for ln in by_source[sid]), ZERO)
            if credited > src.net_amount:
                raise InvalidValue(f"ligne {by_source[sid][0].position}", fmt2(credited),
                                   f"montant supérieur à la ligne facturée ({fmt2(src.net_amount)})")
    if doc.kind == "credit_note" and doc.preceding_id:
        _check_credit_total(doc)


def _check_credit_total(doc: Document) -> None:
    invoice = get(doc.preceding_id)
    already = (Document.select(sum_of(Document.grand_total))
               .where((Document.preceding == invoice.id) & (Document.kind == "credit_note")
                      & (Document.status != "draft")).scalar())
    if already + doc.grand_total > invoice.grand_total:
        raise InvalidValue("avoir", fmt2(doc.grand_total),
                           f"dépasse le reste créditable de {invoice.number} "
                           f"({fmt2(invoice.grand_total - already)})")


def _move_stock(doc: Document, lines) -> None:
    if doc.kind not in ("delivery", "invoice", "credit_note", "receipt"):
        return
    if doc.kind == "credit_note" and not doc.returns_goods:
        return
    origin_kinds = {}
    if doc.kind == "invoice":
        ids = [ln.origin_id for ln in lines if ln.origin_id]
        if ids:
            origin_kinds = dict(DocumentLine.select(DocumentLine.id, Document.kind)
                                .join(Document).where(DocumentLine.id.in_(ids)).tuples())
    # parts of an intervention left the stock when it was recorded
    parts = {line for (line,) in Billing.select(Billing.line).where(
        (Billing.document == doc.id) & (Billing.kind == "part")).tuples()}
    sign = 1 if doc.kind == "credit_note" else -1
    managed = stock.managed_among({ln.product_id for ln in lines if ln.kind == "goods" and ln.product_id})
    reason = {"delivery": "livraison", "invoice": "vente comptoir", "credit_note": "retour",
              "receipt": "vente comptoir"}[doc.kind]
    stock.move_many([(ln.product_id, sign * ln.quantity, doc.date, reason, doc.id, ln.id)
                     for ln in lines if ln.kind == "goods" and ln.product_id in managed and ln.id not in parts
                     # a delivery note or a ticket already took out what its invoice lines bill
                     and not (doc.kind == "invoice" and origin_kinds.get(ln.origin_id) in ("delivery", "receipt"))])


def _advance_sources(doc: Document, lines) -> None:
    """Sources' statuses follow what their validated children now cover."""
    ids = [ln.origin_id for ln in lines if ln.origin_id]
    if not ids:
        return
    src_docs = {d for (d,) in DocumentLine.select(DocumentLine.document)
                .where(DocumentLine.id.in_(ids)).tuples()}
    for sid in src_docs:
        src = get(sid)
        if src.kind == "quote" and src.status in ("validated", "expired"):
            transition(src, "accepted")
        elif src.kind == "order" and src.status in ("validated", "partial", "delivered"):
            rest = remaining(src, "delivery", validated_only=True)
            left = any(q > 0 for q in rest.values())
            done = any(q < ln for q, ln in zip(rest.values(), _ordered(src)))
            new = "partial" if left and done else ("delivered" if not left else src.status)
            if new != src.status:
                transition(src, new)
        elif src.kind == "delivery" and src.status == "validated":
            if all(q <= 0 for q in remaining(src, "invoice", validated_only=True).values()):
                transition(src, "invoiced")
        elif src.kind == "receipt" and src.status == "paid" and doc.kind == "invoice":
            transition(src, "invoiced")


def _ordered(order: Document):
    return [ln.quantity for ln in lines_of(order.id) if ln.kind in PRICED_LINE_KINDS]


def transition(doc: Document, status: str) -> None:
    """The one writer of a validated document's status: only what the kinds table declares,
    audited, and sealed in the document's chain (a status decides figures: paid, cancelled)."""
    if status not in STATUSES[doc.kind].get(doc.status, ()):
        raise StateError(f"{label(doc)} : passage de « {doc.status} » à « {status} » impossible",
                         "statut", status)
    Document.update(status=status).where(Document.id == doc.id).execute()
    audit.record("document", doc.id, label(doc), {"statut": (doc.status, status)})
    if doc.number:
        journal.seal(journal.DOCUMENT_CHAINS[doc.kind], "status", doc.number,
                     {"format": 1, "kind": doc.kind, "number": doc.number, "from": doc.status, "to": status,
                      "at": utcnow(), "user": current_user()})
    doc.status = status


def seal_untracked_statuses() -> int:
    """Seals, once, the status of each validated document that a base made before statuses
    were sealed left without a status record (`init` after an upgrade)."""
    from .models import JournalRecord
    tracked = JournalRecord.select(JournalRecord.ref).where(JournalRecord.action == "status")
    rows = list(Document.select().where(Document.number.is_null(False) & (Document.status != "validated")
                                        & Document.number.not_in(tracked)).order_by(Document.id))
    with write():
        for doc in rows:
            journal.seal(journal.DOCUMENT_CHAINS[doc.kind], "status", doc.number,
                         {"format": 1, "kind": doc.kind, "number": doc.number, "from": "validated",
                          "to": doc.status, "at": utcnow(), "user": current_user(), "snapshot": True})
    return len(rows)


def set_status(doc_id: int, status: str) -> Document:
    """Manual moves: a quote accepted, refused or expired; an order cancelled."""
    with write():
        doc = get(doc_id)
        permissions.require("document.validate", doc.kind)
        if status not in ("accepted", "refused", "expired", "cancelled"):
            raise InvalidValue("statut", status, "accepted, refused, expired ou cancelled attendu")
        transition(doc, status)
    return get(doc_id)


# ---- transformations -----------------------------------------------------------------------

def parse_line_args(specs) -> dict[int, Decimal]:
    """['2:3', '4:1.5'] -> {2: 3, 4: 1.5}"""
    out = {}
    for spec in specs or ():
        pos, sep, qty = str(spec).partition(":")
        if not sep or not pos.strip().isdigit():
            raise InvalidValue("--line", spec, "format N:QUANTITÉ attendu (ex. 2:3)")
        out[int(pos)] = check_scale(to_decimal(qty, "--line"), QUANTITY_SCALE, "--line")
        if out[int(pos)] <= 0:
            raise InvalidValue("--line", spec, "quantité positive attendue")
    return out


def transform(source_ids, to_kind: str, quantities: dict | None = None) -> Document:
    """Copies what remains of one or several validated sources into a new draft, with line
    origin links. quantities: source line position -> quantity (single source only)."""
    source_ids = list(source_ids)
    if to_kind in KINDS:
        permissions.require("document.credit" if to_kind == "credit_note" else "document.edit", to_kind)
    sources = [get(i) for i in source_ids]
    if not sources:
        raise InvalidValue("source", None, "aucun document source")
    kinds = {s.kind for s in sources}
    if to_kind not in KINDS:
        raise InvalidValue("--to", to_kind, "type de document inconnu (" + ", ".join(KINDS) + ")")
    for s in sources:
        if to_kind not in TRANSFORMS.get(s.kind, ()):
            allowed = ", ".join(TRANSFORMS.get(s.kind, ())) or "aucun"
            raise StateError(f"{label(s)} ({KIND_LABELS[s.kind].lower()}) ne peut pas devenir "
                             f"« {to_kind} » (possible : {allowed})", "--to", to_kind)
        if s.status == "draft":
            raise StateError(f"{label(s)} est un brouillon : validez-le d'abord", "document", label(s))
        if s.status in ("refused", "cancelled"):
            raise StateError(f"{label(s)} est {s.status}", "document", label(s))
    if len({s.customer_id for s in sources}) > 1:
        raise InvalidValue("sources", ", ".join(label(s) for s in sources),
                           "les documents regroupés doivent avoir le même client")
    if quantities and len(sources) > 1:
        raise InvalidValue("--line", None, "les quantités par ligne demandent un seul document source")
    if len(kinds) > 1:
        raise InvalidValue("sources", None, "les documents regroupés doivent être du même type")
    if to_kind == "invoice" and kinds == {"order"}:
        from .situations import has_situations
        for s in sources:
            if has_situations(s.id):
                raise StateError(f"{s.number} est facturée par situations : poursuivez avec "
                                 f"« tui-factu situation {s.number} »", "commande", s.number)
    new_lines = []
    for src in sources:
        rest = remaining(src, to_kind)
        src_lines = lines_of(src.id)
        positions = {ln.position for ln in src_lines}
        for pos in (quantities or {}):
            if pos not in positions:
                raise InvalidValue("--line", pos, f"{label(src)} n'a pas de ligne n° {pos} "
                                   f"(lignes 1 à {len(src_lines)})")
        if len(sources) > 1 and src_lines:
            new_lines.append({"kind": "section", "description": f"{KIND_LABELS[src.kind]} {src.number} "
                              f"du {src.date.strftime('%d/%m/%Y')}"})
        for ln in src_lines:
            if quantities is not None and quantities and ln.position not in quantities:
                continue
            if ln.kind not in PRICED_LINE_KINDS:
                new_lines.append({"kind": ln.kind, "description": ln.description})
                continue
            left = rest.get(ln.position, ZERO)
            if ln.quantity < 0:
                # a deduction (deposit, retention): a credit note takes it back whole with the
                # lines it goes with, so that it credits what the invoice billed
                if to_kind != "credit_note" or left >= 0:
                    continue
                qty = left
            else:
                qty = quantities.get(ln.position, left) if quantities else left
                if quantities and qty > left:
                    raise InvalidValue(f"ligne {ln.position}", fmt_plain(qty),
                                       f"quantité supérieure au reste ({fmt_plain(left)}) sur {label(src)}")
                if qty <= 0:
                    continue
            new_lines.append({"kind": ln.kind, "product": ln.product_id, "code": ln.code,
                              "description": ln.description, "quantity": qty, "unit": ln.unit,
                              "unit_price": ln.unit_price, "discount_percent": ln.discount_percent,
                              "vat_rate": ln.vat_rate, "vat_category": ln.vat_category,
                              "cost_price": ln.cost_price, "origin": ln.id,
                              "vat_group": ln.vat_group, "vat_carried": ln.vat_carried})
    if not any(ln["kind"] in PRICED_LINE_KINDS and ln["quantity"] > 0 for ln in new_lines):
        verb = {"delivery": "livrer", "invoice": "facturer", "credit_note": "créditer"}.get(to_kind, "reprendre")
        raise StateError(f"rien à {verb} sur " + ", ".join(label(s) for s in sources),
                         "document", label(sources[0]))
    first = sources[0]
    adjustments = []
    if len(sources) == 1 and not quantities and to_kind in ("order", "invoice", "credit_note") \
            and first.kind in ("quote", "order", "invoice"):
        # Document-level allowances and charges follow a whole transformation.
        adjustments = [{"is_charge": a.is_charge, "amount": a.amount, "vat_rate": a.vat_rate,
                        "vat_category": a.vat_category, "reason": a.reason}
                       for a in adjustments_of(first.id)]
    refs = [{"kind": s.kind, "number": s.number, "date": s.date.isoformat()} for s in sources]
    doc_type = "standard"
    if to_kind == "invoice" and kinds <= {"order", "quote"}:
        from .deposits import deductions      # a final invoice deducts the deposits, rate by rate
        minus, deposit_refs = deductions(sources)
        if minus:
            doc_type = "final"
            new_lines += [{"kind": "section", "description": "Acomptes déjà facturés"}] + minus
            refs += deposit_refs
    prepaid = ZERO
    if to_kind == "invoice" and kinds == {"receipt"}:
        from .payments import paid
        prepaid = sum((paid(s.id) for s in sources), ZERO)      # the ticket was paid at the counter
    with write():
        doc = Document.create(kind=to_kind, type=doc_type, status="draft", date=dt.date.today(), prepaid=prepaid,
                              customer=first.customer_id, reference=first.reference,
                              notes=first.notes if to_kind != "credit_note" else "",
                              preceding=first.id if to_kind == "credit_note" else None,
                              source_refs=json.dumps(refs), created_by=current_user())
        t = _store_content(doc, new_lines, adjustments)
        if t.grand_total < 0:
            raise StateError(f"les acomptes déduits ({fmt2(-sum((n for n in t.line_nets if n and n < 0), ZERO))} HT) "
                             "dépassent le total de la facture : faites un avoir sur l'acompte", "acomptes", None)
        audit.record("document", doc.id, label(doc),
                     {"création": (None, f"{KIND_LABELS[to_kind]} depuis "
                                   + ", ".join(s.number for s in sources))})
    return get(doc.id)


def credit(invoice_id: int, quantities: dict | None = None, returns_goods: bool = True) -> Document:
    """A draft credit note for the whole invoice, or chosen lines and quantities."""
    inv = get(invoice_id)
    if inv.kind not in ("invoice", "receipt"):
        raise StateError(f"{label(inv)} n'est pas une facture : seule une facture ou un ticket se crédite",
                         "document", label(inv))
    doc = transform([invoice_id], "credit_note", quantities)
    if not returns_goods:
        Document.update(returns_goods=False).where(Document.id == doc.id).execute()
    return get(doc.id)


def replace(invoice_id: int) -> tuple[Document, Document]:
    """"Annule et remplace": the invoice is cancelled by a full credit note (validated) and a
    draft copy of it, citing it as replaced, is made ready to correct. The original stays as
    it was sealed; the copy keeps no line origins (the credit note gave them back)."""
    permissions.require("document.credit", "credit_note")
    with write():
        inv = get(invoice_id)
        if inv.kind != "invoice" or inv.status == "draft" or inv.type not in ("standard", "final"):
            raise StateError(f"{label(inv)} : seule une facture validée (ni acompte ni situation) s'annule et se "
                             "remplace", "document", label(inv))
        cn = validate(credit(inv.id).id)
        lines = [{"kind": ln.kind, "product": ln.product_id, "code": ln.code, "description": ln.description,
                  "quantity": ln.quantity, "unit": ln.unit, "unit_price": ln.unit_price,
                  "discount_percent": ln.discount_percent, "vat_rate": ln.vat_rate, "vat_category": ln.vat_category,
                  "cost_price": ln.cost_price} for ln in lines_of(inv.id)]
        adjustments = [{"is_charge": a.is_charge, "amount": a.amount, "vat_rate": a.vat_rate,
                        "vat_category": a.vat_category, "reason": a.reason} for a in adjustments_of(inv.id)]
        refs = [{"kind": "invoice", "number": inv.number, "date": inv.date.isoformat(), "replaces": True}]
        refs += [r for r in json.loads(inv.source_refs or "[]") if r.get("kind") != "invoice" or r.get("deposit")]
        doc = Document.create(kind="invoice", type=inv.type, status="draft", date=dt.date.today(),
                              customer=inv.customer_id, reference=inv.reference, notes=inv.notes,
                              source_refs=json.dumps(refs), created_by=current_user())
        _store_content(doc, lines, adjustments)
        audit.record("document", doc.id, label(doc), {"création": (None, f"remplace {inv.number}, annulée par {cn.number}")})
    return cn, get(doc.id)


# ---- the chain around a document ---------------------------------------------------------

def genealogy(doc_id: int) -> list[dict]:
    """Every document linked to this one, upstream and downstream, through line origins,
    credited invoices and deposits: quote → order → deliveries → invoices → credit notes."""
    seen, todo = set(), [int(doc_id)]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        line_ids = [i for (i,) in DocumentLine.select(DocumentLine.id).where(DocumentLine.document == current).tuples()]
        ups = (DocumentLine.select(DocumentLine.document).where(
            DocumentLine.id.in_(DocumentLine.select(DocumentLine.origin).where(
                (DocumentLine.document == current) & DocumentLine.origin.is_null(False)))).tuples())
        downs = (DocumentLine.select(DocumentLine.document).where(DocumentLine.origin.in_(line_ids)).tuples()
                 if line_ids else [])
        linked = (Document.select(Document.id).where((Document.preceding == current)).tuples())
        doc = get(current)
        todo += [d for (d,) in ups] + [d for (d,) in downs] + [d for (d,) in linked]
        if doc.preceding_id:
            todo.append(doc.preceding_id)
    order = {k: i for i, k in enumerate(("quote", "order", "delivery", "invoice", "receipt", "credit_note"))}
    docs = sorted((get(i) for i in seen), key=lambda d: (order.get(d.kind, 9), d.date, d.id))
    out = []
    for d in docs:
        item = {"id": d.id, "kind": d.kind, "type": d.type, "number": d.number, "status": d.status,
                "date": d.date.isoformat(), "grand_total": fmt2(d.grand_total), "current": d.id == int(doc_id)}
        if d.kind == "order" and d.status != "draft":
            item["remaining_to_deliver"] = fmt_plain(sum(remaining(d, "delivery", True).values(), ZERO))
            item["remaining_to_invoice"] = fmt_plain(sum(remaining(d, "invoice", True).values(), ZERO))
        out.append(item)
    return out


# ---- views ---------------------------------------------------------------------------------

def show(doc: Document) -> dict:
    """The `doc show --json` view: stored figures only, never recomputed here."""
    lines = lines_of(doc.id)
    adjs = adjustments_of(doc.id)
    rest = {}
    if doc.status != "draft" and doc.kind in ("order", "quote", "delivery", "invoice"):
        target = {"order": "delivery", "quote": "order", "delivery": "invoice",
                  "invoice": "credit_note"}[doc.kind]
        rest[target] = remaining(doc, target, validated_only=True)
        if doc.kind == "order":
            rest["invoice"] = remaining(doc, "invoice", validated_only=True)
    cust = Customer.get_by_id(doc.customer_id)
    snapshot = json.loads(doc.customer_snapshot) if doc.customer_snapshot else None
    out_lines = []
    for ln in lines:
        item = {"position": ln.position, "kind": ln.kind, "description": ln.description}
        if ln.kind in PRICED_LINE_KINDS:
            item.update({"product": ln.code or None, "quantity": fmt_plain(ln.quantity),
                         "unit": ln.unit, "unit_price": fmt_price(ln.unit_price),
                         "discount_percent": fmt_plain(ln.discount_percent),
                         "vat_rate": fmt_plain(ln.vat_rate), "vat_category": ln.vat_category,
                         "net_amount": fmt2(ln.net_amount)})
            for target, by_pos in (rest.items() if ln.quantity > 0 else ()):
                key = {"delivery": "remaining_to_deliver", "invoice": "remaining_to_invoice",
                       "order": "remaining_to_order", "credit_note": "remaining_to_credit"}[target]
                item[key] = fmt_plain(by_pos.get(ln.position, ZERO))
        out_lines.append(item)
    return {
        "id": doc.id, "number": doc.number, "kind": doc.kind, "type": doc.type,
        "status": doc.status, "date": doc.date.isoformat(),
        "due_date": doc.due_date.isoformat() if doc.due_date else None,
        "validity_date": doc.validity_date.isoformat() if doc.validity_date else None,
        "customer": {"code": snapshot["code"] if snapshot else cust.code,
                     "name": snapshot["name"] if snapshot else cust.name},
        "reference": doc.reference, "notes": doc.notes, "currency": doc.currency,
        "source_refs": json.loads(doc.source_refs or "[]"),
        "preceding": ({"number": doc.preceding.number, "date": doc.preceding.date.isoformat()}
                      if doc.preceding_id else None),
        "lines": out_lines,
        "allowances": [{"amount": fmt2(a.amount), "vat_rate": fmt_plain(a.vat_rate),
                        "vat_category": a.vat_category, "reason": a.reason} for a in adjs if not a.is_charge],
        "charges": [{"amount": fmt2(a.amount), "vat_rate": fmt_plain(a.vat_rate),
                     "vat_category": a.vat_category, "reason": a.reason} for a in adjs if a.is_charge],
        "totals": {k: fmt2(getattr(doc, k)) for k in totals.TOTAL_KEYS},
        "vat_breakdown": [{"category": v.category, "rate": fmt_plain(v.rate), "basis": fmt2(v.basis),
                           "amount": fmt2(v.amount)} for v in vat_of(doc.id)],
        "sealed": doc.sealed, "version": doc.version,
        **_settlement(doc), **_margin(doc, lines), **_situation(doc),
    }


def _situation(doc: Document) -> dict:
    from .situations import view
    return view(doc) if doc.kind == "invoice" else {}


def _margin(doc: Document, lines) -> dict:
    from . import margins
    if doc.kind not in ("quote", "order", "invoice") or not margins.allowed():
        return {}
    return {"margin": margins.of_lines(lines)}


def _settlement(doc: Document) -> dict:
    """paid / balance of an invoice: what payments settled, what the customer still owes;
    for a credit note, what is left of it."""
    if doc.kind == "credit_note" and doc.status != "draft":
        from .payments import credit_note_left
        return {"left": fmt2(credit_note_left(doc))}
    if doc.kind != "invoice" or doc.status == "draft":
        return {}
    from .deposits import listing as deposits
    from .payments import balance, paid
    from .schedules import of_invoice
    return {"paid": fmt2(paid(doc.id)), "balance": fmt2(balance(doc)), "deposits": deposits(doc),
            "schedule": of_invoice(doc.id)}


def listing(kind: str | None = None, status: str | None = None, customer_id: int | None = None,
            after_id: int | None = None, limit: int = 50, descending: bool = False,
            statuses: tuple = (), due_before=None, valid_until=None, number_prefix: str = "",
            date_from=None, date_to=None, by_date: bool = False, after_date=None) -> list[dict]:
    """One keyset page of the document list (never OFFSET): by id, or by date then id (then the
    key of the last row is its (date, id))."""
    q = (Document.select(Document.id, Document.kind, Document.number, Document.status, Document.date,
                         Customer.code, Customer.name, Document.grand_total)
         .join(Customer, on=(Document.customer == Customer.id)))
    if kind:
        if kind not in KINDS:
            raise InvalidValue("--kind", kind, "type inconnu (" + ", ".join(KINDS) + ")")
        q = q.where(Document.kind == kind)
    if status:
        q = q.where(Document.status == status)
    if customer_id:
        q = q.where(Document.customer == customer_id)
    if statuses:
        q = q.where(Document.status.in_(list(statuses)))
    if due_before:
        q = q.where(Document.due_date < due_before)
    if valid_until:
        q = q.where((Document.validity_date >= dt.date.today()) & (Document.validity_date <= valid_until))
    if number_prefix:
        q = q.where((Document.number >= number_prefix) & (Document.number < number_prefix + "\uffff"))
    if date_from:
        q = q.where(Document.date >= date_from)
    if date_to:
        q = q.where(Document.date <= date_to)
    if by_date:
        if after_id is not None:
            q = q.where((Document.date < after_date) | ((Document.date == after_date) & (Document.id < after_id))
                        if descending else
                        (Document.date > after_date) | ((Document.date == after_date) & (Document.id > after_id)))
        q = q.order_by(*((Document.date.desc(), Document.id.desc()) if descending else (Document.date, Document.id)))
    else:
        if after_id is not None:
            q = q.where(Document.id < after_id if descending else Document.id > after_id)
        q = q.order_by(Document.id.desc() if descending else Document.id)
    q = q.limit(limit)
    return [{"id": i, "kind": k, "number": n, "status": s, "date": d.isoformat(), "customer": c,
             "customer_name": cn, "grand_total": fmt2(g)} for i, k, n, s, d, c, cn, g in q.tuples()]
