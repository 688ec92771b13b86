"""Interventions and the equipment they are done on: a customer's equipment register (serial
number, location, warranty end) and intervention sheets (technician, date, start/end or
duration, work done, parts consumed, billable or not). Parts leave the stock when the sheet is
recorded; labour is priced per hour by a labour product. Invoicing a selection or a period
groups the sheets as the user chooses (billing.py links every line back)."""
import datetime as dt
from decimal import Decimal

from . import clock, audit, billing, catalog, fr, inputs, stock
from .db import write
from .session import current_user
from .errors import InvalidValue, NotFound, StateError
from .models import Equipment, Intervention, InterventionPart, Product, Setting
from .money import QUANTITY_SCALE, ZERO, check_scale, fmt_plain, to_decimal

LABOUR_KEY = "intervention.labour_product"
GROUPS = {"intervention": "une section par intervention", "product": "une ligne par produit (heures et pièces cumulées)"}


def label(iv: Intervention) -> str:
    return f"INT-{iv.id:05d}"


# ---- the equipment register --------------------------------------------------------------

def add_equipment(customer: str, name: str, serial: str = "", location: str = "", installed_on=None,
                  warranty_end=None, notes: str = "") -> Equipment:
    cust = catalog.customer_by_code(customer)
    values = {"name": catalog.clean_text("désignation", name, 120, required=True),
              "serial": catalog.clean_text("n° de série", serial, 60),
              "location": catalog.clean_text("emplacement", location, 120),
              "notes": catalog.clean_text("notes", notes, 2000, multiline=True),
              "installed_on": inputs.parse_date(installed_on, "installation") if installed_on else None,
              "warranty_end": inputs.parse_date(warranty_end, "fin de garantie") if warranty_end else None}
    with write():
        if values["serial"] and Equipment.get_or_none((Equipment.customer == cust.id)
                                                      & (Equipment.serial == values["serial"])):
            raise InvalidValue("n° de série", values["serial"], f"déjà enregistré chez {cust.code}")
        eq = Equipment.create(customer=cust.id, **values)
        audit.record("equipment", eq.id, values["serial"] or values["name"], {"création": (None, values["name"])})
    return eq


def equipment_of(customer: str) -> list[Equipment]:
    cust = catalog.customer_by_code(customer)
    return list(Equipment.select().where((Equipment.customer == cust.id) & Equipment.active)
                .order_by(Equipment.name, Equipment.id))


def find_equipment(customer_id: int, ref) -> Equipment:
    """An equipment of that customer by id or serial number."""
    text = str(ref).strip()
    q = Equipment.select().where(Equipment.customer == customer_id)
    found = (q.where(Equipment.id == int(text[1:] if text.startswith("#") else text)).first()
             if text.lstrip("#").isdigit() else None) or q.where(Equipment.serial == text).first()
    if found is None:
        raise NotFound(f"équipement inconnu chez ce client « {text} » (n° de série ou #id)", "équipement", text)
    return found


def under_warranty(eq: Equipment | None, on: dt.date) -> bool:
    return bool(eq and eq.warranty_end and on <= eq.warranty_end)


# ---- intervention sheets -----------------------------------------------------------------

def labour_product(code: str | None = None) -> Product:
    """The product that prices an hour of work: given, set in the settings, or the only one."""
    if code:
        return catalog.product_by_code(code)
    row = Setting.get_or_none(Setting.key == LABOUR_KEY)
    if row and row.value:
        return catalog.product_by_code(row.value)
    hourly = list(Product.select().where((Product.kind == "labour") & Product.active).limit(2))
    if len(hourly) == 1:
        return hourly[0]
    raise InvalidValue("main-d'œuvre", None, "précisez le produit qui tarifie l'heure (--labour CODE, "
                       f"ou le réglage {LABOUR_KEY})")


def parse_parts(specs) -> list[tuple[str, Decimal, bool]]:
    """['VIS:4', 'JOINT:1:garantie'] -> [(code, quantity, billable)]"""
    out = []
    for spec in specs or ():
        code, _, rest = str(spec).partition(":")
        qty, _, flag = rest.partition(":")
        q = check_scale(to_decimal(qty or "1", f"pièce {code}"), QUANTITY_SCALE, f"pièce {code}")
        if q <= 0:
            raise InvalidValue(f"pièce {code}", qty, "quantité positive attendue")
        if flag not in ("", "facturable", "offert", "garantie", "non"):
            raise InvalidValue(f"pièce {code}", flag, "facturable, offert, garantie ou non")
        out.append((code.strip(), q, flag in ("", "facturable")))
    return out


def add(customer: str, date=None, hours=None, start: str = "", end: str = "", equipment=None,
        technician: str = "", work: str = "", parts=(), labour: str | None = None,
        billable: bool | None = None) -> Intervention:
    """Records a sheet. Under warranty, labour and parts are not billable unless said so."""
    cust = catalog.customer_by_code(customer)
    date = inputs.parse_date(date or clock.today())
    minutes = billing.parse_minutes(hours, start, end)
    eq = find_equipment(cust.id, equipment) if equipment not in (None, "") else None
    warranty = under_warranty(eq, date)
    product = labour_product(labour)
    parts = [(catalog.product_by_code(code), q, ok and not warranty) for code, q, ok in parts]
    with write():
        iv = Intervention.create(customer=cust.id, equipment=eq.id if eq else None, date=date,
                                 start=start.strip(), end=end.strip(), minutes=minutes,
                                 technician=catalog.clean_text("technicien", technician or current_user(), 60),
                                 work_done=catalog.clean_text("travaux", work, 4000, multiline=True),
                                 labour=product.id, billable=(not warranty) if billable is None else billable,
                                 created_by=current_user())
        for p, q, ok in parts:
            InterventionPart.create(intervention=iv.id, product=p.id, quantity=q, billable=ok)
        managed = stock.managed_among({p.id for p, _, _ in parts if p.kind == "goods"})
        stock.move_many([(p.id, -q, date, f"intervention {label(iv)}", None, None) for p, q, _ in parts if p.id in managed])
        audit.record("intervention", iv.id, label(iv), {"création": (None, f"{cust.code} {fr.date(date)} "
                                                                      f"{billing.hours(minutes)} h")})
    return iv


def delete(intervention_id: int) -> None:
    """An unbilled sheet entered by mistake: removed, its parts back in stock."""
    with write():
        iv = get(intervention_id)
        done = {**billing.billed("intervention", [iv.id]),
                **billing.billed("part", [p.id for p in iv.parts])}
        if done:
            raise StateError(f"{label(iv)} est facturée ({next(iter(done.values()))}) : elle ne se supprime plus",
                             "intervention", label(iv))
        parts = list(iv.parts)
        managed = stock.managed_among({p.product_id for p in parts})
        stock.move_many([(p.product_id, p.quantity, clock.today(), f"annulation {label(iv)}", None, None)
                         for p in parts if p.product_id in managed])
        audit.record("intervention", iv.id, label(iv), {"suppression": ("fiche", None)})
        iv.delete_instance(recursive=True)


def get(intervention_id: int) -> Intervention:
    iv = Intervention.get_or_none(Intervention.id == int(str(intervention_id).lstrip("INT-#").lstrip("0") or 0))
    if iv is None:
        raise NotFound(f"intervention inconnue « {intervention_id} »", "intervention", intervention_id)
    return iv


def listing(customer: str | None = None, unbilled: bool = False, date_from=None, date_to=None,
            limit: int = 500) -> list[dict]:
    q = Intervention.select().order_by(Intervention.date.desc(), Intervention.id.desc())
    if customer:
        q = q.where(Intervention.customer == catalog.customer_by_code(customer).id)
    if date_from:
        q = q.where(Intervention.date >= inputs.parse_date(date_from, "--from"))
    if date_to:
        q = q.where(Intervention.date <= inputs.parse_date(date_to, "--to"))
    rows = list(q.limit(limit))
    parts = {}
    for p in InterventionPart.select().where(InterventionPart.intervention.in_([r.id for r in rows] or [0])):
        parts.setdefault(p.intervention_id, []).append(p)
    labour_done = billing.billed("intervention", [r.id for r in rows])
    parts_done = billing.billed("part", [p.id for ps in parts.values() for p in ps])
    out = []
    for r in rows:
        ps = parts.get(r.id, [])
        billable = ([("intervention", r.id)] if r.billable else []) + [("part", p.id) for p in ps if p.billable]
        invoiced = sorted({labour_done.get(i) if k == "intervention" else parts_done.get(i) for k, i in billable} - {None})
        state = ("non facturable" if not billable else
                 ("facturée " + ", ".join(invoiced) if len(invoiced) and all(
                     (labour_done if k == "intervention" else parts_done).get(i) for k, i in billable)
                  else ("facturée en partie" if invoiced else "à facturer")))
        if unbilled and state != "à facturer":
            continue
        out.append({"id": r.id, "ref": label(r), "customer": r.customer.code, "date": r.date.isoformat(),
                    "equipment": (f"{r.equipment.name}" + (f" n° {r.equipment.serial}" if r.equipment.serial else ""))
                    if r.equipment_id else "", "technician": r.technician, "hours": fmt_plain(billing.hours(r.minutes)),
                    "minutes": r.minutes, "work": r.work_done, "billable": r.billable,
                    "parts": [{"product": p.product.code, "quantity": fmt_plain(p.quantity), "billable": p.billable}
                              for p in ps], "state": state, "invoices": invoiced})
    return out


def invoice(customer: str, ids=None, date_from=None, date_to=None, group: str = "intervention", date=None):
    """One draft invoice for the customer's billable, unbilled sheets (chosen, or of a period)."""
    if group not in GROUPS:
        raise InvalidValue("--group", group, "regroupement : " + ", ".join(GROUPS))
    cust = catalog.customer_by_code(customer)
    q = Intervention.select().where(Intervention.customer == cust.id).order_by(Intervention.date, Intervention.id)
    if ids:
        wanted = [get(i).id for i in ids]
        q = q.where(Intervention.id.in_(wanted))
    if date_from:
        q = q.where(Intervention.date >= inputs.parse_date(date_from, "--from"))
    if date_to:
        q = q.where(Intervention.date <= inputs.parse_date(date_to, "--to"))
    sheets = list(q)
    if ids and len(sheets) != len(set(ids)):
        raise InvalidValue("interventions", ", ".join(map(str, ids)), f"toutes ne sont pas de {cust.code}")
    labour_done = billing.billed("intervention", [s.id for s in sheets])
    parts = {}
    for p in InterventionPart.select().where(InterventionPart.intervention.in_([s.id for s in sheets] or [0])):
        parts.setdefault(p.intervention_id, []).append(p)
    parts_done = billing.billed("part", [p.id for ps in parts.values() for p in ps])
    blocks = []
    if group == "intervention":
        for s in sheets:
            labour = s.billable and s.id not in labour_done
            todo = [p for p in parts.get(s.id, []) if p.billable and p.id not in parts_done]
            if not labour and not todo:
                continue
            title = f"Intervention {label(s)} du {fr.date(s.date)}"
            if s.equipment_id:
                title += f" — {s.equipment.name}" + (f" n° {s.equipment.serial}" if s.equipment.serial else "")
            blocks.append(billing.section(title + (f" — {s.technician}" if s.technician else "")))
            if s.work_done:
                blocks.append(billing.text(s.work_done))
            if labour:
                when = f" ({s.start}–{s.end})" if s.start and s.end else ""
                blocks.append(billing.priced(s.labour, billing.hours(s.minutes),
                                             f"{s.labour.name}{when}", [("intervention", s.id)]))
            blocks += [billing.priced(p.product, p.quantity, p.product.name, [("part", p.id)]) for p in todo]
    else:
        by_product: dict[int, list] = {}
        seen = []

        def take(product, qty, entry, sheet):
            row = by_product.setdefault(product.id, [product, ZERO, []])
            row[1] += qty
            row[2].append(entry)
            if label(sheet) not in seen:
                seen.append(label(sheet))
        for s in sheets:
            if s.billable and s.id not in labour_done:
                take(s.labour, billing.hours(s.minutes), ("intervention", s.id), s)
            for p in parts.get(s.id, []):
                if p.billable and p.id not in parts_done:
                    take(p.product, p.quantity, ("part", p.id), s)
        if seen:
            blocks.append(billing.text("Interventions " + ", ".join(seen)))
        blocks += [billing.priced(prod, qty, prod.name, es) for prod, qty, es in by_product.values()]
    return billing.create_invoice(cust, blocks, date)
