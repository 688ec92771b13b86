"""Drafts: the one way to create a document (`create`, used by every route — plain, transformed,
deposit, situation, intervention), its checked input, its content stored with the totals of
the one totals module, edits under optimistic locking, deletion. A draft has no number."""
import json

from .. import audit, catalog, clock, inputs, permissions, pricing, rates, totals
from ..db import write
from ..errors import Conflict, InvalidValue, StateError
from ..models import Billing, Customer, Document, DocumentAdjustment, DocumentLine, DocumentLink, DocumentVat, Product
from ..money import (AMOUNT_SCALE, HUNDRED, PRICE_SCALE, QUANTITY_SCALE, RATE_SCALE, ZERO, check_scale,
                     fmt_plain, fmt_price, round_to, to_decimal)
from ..session import current_user
from .kinds import KIND_LABELS, KINDS, LINE_KINDS, PRICED_LINE_KINDS
from .queries import adjustments_of, get, label, lines_of

parse_date = inputs.parse_date


def clean_line(data, where: str, price_for=None, exchange_rate=None) -> dict:
    """One line from user or JSON input; fields left out come from the product (its euro price
    converted at `exchange_rate`, euros per unit, on a document in another currency)."""
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
    priced = None                   # the customer's price (pricing.price_for) when none is typed
    if data.get("unit_price") not in (None, ""):
        unit_price = catalog.clean_money(data["unit_price"], f"{where}.unit_price", PRICE_SCALE)
    elif product is not None:
        priced = price_for(product, quantity) if price_for else None
        unit_price = priced.unit_price if priced else product.price
        unit_price = rates.from_euros(unit_price, exchange_rate)
    else:
        raise InvalidValue(f"{where}.unit_price", None, "obligatoire pour une ligne sans produit")
    typed = data.get("discount_percent")
    discount = check_scale(to_decimal(typed if typed not in (None, "") else
                                      (priced.discount_percent if priced else "0"), f"{where}.discount_percent"),
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
            else (rates.from_euros(product.cost, exchange_rate) if product else None),
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


def store_content(doc: Document, lines: list[dict], adjustments: list[dict]) -> totals.Totals:
    """Replaces a draft's lines and adjustments and stores its totals."""
    t = totals.compute([totals.LineIn(ln["kind"], ln.get("quantity"), ln.get("unit_price"),
                                      ln.get("discount_percent") or ZERO, ln.get("vat_rate"),
                                      ln.get("vat_category"), ln.get("vat_group"),
                                      ln.get("vat_carried")) for ln in lines],
                       [totals.AdjustmentIn(a["amount"], a["vat_rate"], a["vat_category"], a["is_charge"],
                                            a.get("vat_group"), a.get("vat_carried")) for a in adjustments],
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
    store_totals(doc.id, t)
    return t


def store_totals(doc_id: int, t: totals.Totals) -> None:
    rate = Document.select(Document.exchange_rate).where(Document.id == doc_id).scalar()
    eur = totals.in_euros(t.tax_total, t.grand_total, t.vat, rate) if rate else None
    DocumentVat.delete().where(DocumentVat.document == doc_id).execute()
    if t.vat:
        DocumentVat.insert_many([{"document": doc_id, "category": v.category, "rate": v.rate,
                                  "basis": v.basis, "amount": v.amount,
                                  "basis_eur": eur and eur.vat[i][0], "amount_eur": eur and eur.vat[i][1]}
                                 for i, v in enumerate(t.vat)]).execute()
    Document.update(**t.as_dict(), **_euro_totals(eur)).where(Document.id == doc_id).execute()


def _euro_totals(eur) -> dict:
    return {"tax_basis_total_eur": eur and eur.tax_basis_total, "tax_total_eur": eur and eur.tax_total,
            "grand_total_eur": eur and eur.grand_total}


def store_euros(doc_id: int) -> None:
    """The euro figures again, after the currency or the rate of a draft changed."""
    doc = get(doc_id)
    rows = list(DocumentVat.select().where(DocumentVat.document == doc_id).order_by(DocumentVat.id))
    eur = totals.in_euros(doc.tax_total, doc.grand_total, rows, doc.exchange_rate) if doc.exchange_rate else None
    for i, row in enumerate(rows):
        DocumentVat.update(basis_eur=eur and eur.vat[i][0], amount_eur=eur and eur.vat[i][1]).where(
            DocumentVat.id == row.id).execute()
    Document.update(**_euro_totals(eur)).where(Document.id == doc_id).execute()


def _clean_content(lines, allowances=(), charges=(), price_for=None, rate=None):
    """Checks the shapes before anything else: input comes from files and forms."""
    if not isinstance(lines, (list, tuple)):
        raise InvalidValue("lines", lines, "liste de lignes attendue")
    for name, value in (("allowances", allowances), ("charges", charges)):
        if not isinstance(value, (list, tuple)):
            raise InvalidValue(name, value, "liste attendue")
    cleaned = [clean_line(ln, f"lines[{i}]", price_for, rate) for i, ln in enumerate(lines)]
    adjs = [clean_adjustment(a, f"allowances[{i}]", False) for i, a in enumerate(allowances)]
    adjs += [clean_adjustment(c, f"charges[{i}]", True) for i, c in enumerate(charges)]
    if len(cleaned) > 5000:
        raise InvalidValue("lines", len(cleaned), "5000 lignes au plus")
    return cleaned, adjs


def currency_of(source: Document, day=None) -> dict:
    """make()'s currency for a document drawn from `source` (a deposit, a situation, an invoice of
    an order): the source's currency, at the rate of `day` (today by default)."""
    code, rate = rates.for_document(source.currency, parse_date(day or clock.today()))
    return {"currency": code, "exchange_rate": rate}


def make(kind: str, customer_id: int, lines: list[dict], adjustments=(), *, type: str = "standard", date=None,
         reference: str = "", notes: str = "", validity_date=None, due_date=None, preceding_id=None,
         source_refs=(), prepaid=ZERO, links=(), what: str = "", currency: str = "EUR",
         exchange_rate=None) -> Document:
    """The one way a draft comes to be, whatever the route: the document row, its content and
    totals, its typed links to other documents, and the audit line saying where it came from.
    `lines` and `adjustments` are already checked (clean_line / the route that built them);
    links: (role, document id) pairs (kinds.LINK_ROLES); currency and exchange_rate checked
    (rates.for_document) or taken from the source."""
    with write():
        doc = Document.create(kind=kind, type=type, status="draft", date=date or clock.today(),
                              customer=customer_id, validity_date=validity_date, due_date=due_date,
                              reference=reference, notes=notes, preceding=preceding_id, prepaid=prepaid,
                              source_refs=json.dumps(list(source_refs)), created_by=current_user(),
                              currency=currency, exchange_rate=exchange_rate)
        t = store_content(doc, list(lines), list(adjustments))
        if links:
            DocumentLink.insert_many([{"document": doc.id, "target": target, "role": role}
                                      for role, target in dict.fromkeys(links)]).execute()
        audit.record("document", doc.id, label(doc), {"création": (None, what or KIND_LABELS[kind])})
    doc = get(doc.id)
    doc.computed = t
    return doc


def create(kind: str, customer: str | int, date=None, lines=(), allowances=(), charges=(),
           reference: str = "", notes: str = "", validity_date=None, due_date=None,
           currency: str = "EUR", exchange_rate=None) -> Document:
    """A draft typed or imported by a user: every value checked first. In another currency,
    at the rate given or the rate of its date (refused when the company has none)."""
    if kind not in KINDS:
        raise InvalidValue("kind", kind, "type de document inconnu (" + ", ".join(KINDS) + ")")
    permissions.require("document.edit", kind)
    if isinstance(customer, int):
        cust = Customer.get_or_none(Customer.id == customer)
    else:
        cust = Customer.get_or_none(Customer.code == str(customer))
    if cust is None:
        raise InvalidValue("customer", customer, "client inconnu")
    day = parse_date(date or clock.today())
    code, rate = rates.for_document(currency, day, exchange_rate)
    cleaned, adjs = _clean_content(lines, allowances, charges,
                                   lambda product, qty: pricing.price_for(cust, product, qty, day),
                                   rate)
    return make(kind, cust.id, cleaned, adjs, date=day,
                reference=catalog.clean_text("reference", reference, 100),
                notes=catalog.clean_text("notes", notes, 4000, multiline=True),
                validity_date=parse_date(validity_date, "validity_date") if validity_date else None,
                due_date=parse_date(due_date, "due_date") if due_date else None,
                currency=code, exchange_rate=rate)


HEADER_FIELDS = ("date", "due_date", "validity_date", "reference", "notes", "customer", "currency")


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
        elif k == "currency":
            values["currency"] = rates.currency_code(v, "currency")
        else:
            values[k] = catalog.clean_text(k, v, 4000 if k == "notes" else 100, multiline=k == "notes")
    before = get(doc_id)
    code = values.get("currency", before.currency)
    day = values.get("date") or before.date
    rated = code != before.currency or (code != rates.EUR and day != before.date)
    if rated:                         # a new currency or date: the rate of that date
        values["currency"], values["exchange_rate"] = rates.for_document(code, day)
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
        content = _clean_content(lines, allowances, charges, rate=values.get("exchange_rate", before.exchange_rate))
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
            store_content(doc, *content)
            new = [(ln["description"], ln.get("quantity"), ln.get("unit_price"),
                    ln.get("discount_percent")) for ln in content[0]]
            changes["lignes"] = (_lines_text(old), _lines_text(new))
        elif rated:
            store_euros(doc_id)
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
