"""Time entries (temps passés) per customer and project, billed at the hourly rate of a labour
product; invoiced in one go for a selection, a project or a period, grouped by entry, project,
day or product. Each entry is billed by one line, and only once (billing.py): billing one
project never marks another project's time as billed."""

from . import clock, audit, billing, catalog, fr, inputs
from .db import write
from .session import current_user
from .errors import InvalidValue, NotFound, StateError
from .interventions import labour_product
from .models import TimeEntry
from .money import ZERO, fmt_plain

GROUPS = {"entry": "une ligne par saisie", "project": "une ligne par projet et tarif",
          "day": "une ligne par jour et tarif", "product": "une ligne par tarif"}


def label(t: TimeEntry) -> str:
    return f"TPS-{t.id:05d}"


def add(customer: str, hours=None, date=None, project: str = "", description: str = "", product: str | None = None,
        person: str = "", billable: bool = True, start: str = "", end: str = "") -> TimeEntry:
    cust = catalog.customer_by_code(customer)
    minutes = billing.parse_minutes(hours, start, end)
    rate = labour_product(product)
    with write():
        entry = TimeEntry.create(customer=cust.id, project=catalog.clean_text("projet", project, 80),
                                 date=inputs.parse_date(date or clock.today()), minutes=minutes,
                                 person=catalog.clean_text("intervenant", person or current_user(), 60),
                                 description=catalog.clean_text("description", description, 2000, multiline=True),
                                 product=rate.id, billable=billable, created_by=current_user())
        audit.record("time", entry.id, label(entry), {"création": (None, f"{cust.code} {minutes} min")})
    return entry


def get(entry_id) -> TimeEntry:
    text = str(entry_id).upper().removeprefix("TPS-").lstrip("#")
    entry = TimeEntry.get_or_none(TimeEntry.id == int(text)) if text.isdigit() else None
    if entry is None:
        raise NotFound(f"saisie de temps inconnue « {entry_id} »", "temps", entry_id)
    return entry


def delete(entry_id) -> None:
    with write():
        entry = get(entry_id)
        done = billing.billed("time", [entry.id])
        if done:
            raise StateError(f"{label(entry)} est facturée ({done[entry.id]}) : elle ne se supprime plus",
                             "temps", label(entry))
        audit.record("time", entry.id, label(entry), {"suppression": ("saisie", None)})
        entry.delete_instance()


def _select(customer: str | None, project: str | None, date_from, date_to):
    q = TimeEntry.select().order_by(TimeEntry.date, TimeEntry.id)
    if customer:
        q = q.where(TimeEntry.customer == catalog.customer_by_code(customer).id)
    if project:
        q = q.where(TimeEntry.project == project)
    if date_from:
        q = q.where(TimeEntry.date >= inputs.parse_date(date_from, "--from"))
    if date_to:
        q = q.where(TimeEntry.date <= inputs.parse_date(date_to, "--to"))
    return q


def listing(customer: str | None = None, project: str | None = None, unbilled: bool = False,
            date_from=None, date_to=None, limit: int = 1000) -> list[dict]:
    rows = list(_select(customer, project, date_from, date_to).limit(limit))
    done = billing.billed("time", [r.id for r in rows])
    out = []
    for r in rows:
        state = "non facturable" if not r.billable else (f"facturée {done[r.id]}" if r.id in done else "à facturer")
        if unbilled and state != "à facturer":
            continue
        out.append({"id": r.id, "ref": label(r), "customer": r.customer.code, "project": r.project,
                    "date": r.date.isoformat(), "minutes": r.minutes, "hours": fmt_plain(billing.hours(r.minutes)),
                    "person": r.person, "description": r.description, "product": r.product.code,
                    "billable": r.billable, "state": state})
    return out


def invoice(customer: str, ids=None, project: str | None = None, date_from=None, date_to=None,
            group: str = "entry", date=None):
    """One draft invoice for the chosen (or the period's / project's) billable, unbilled time."""
    if group not in GROUPS:
        raise InvalidValue("--group", group, "regroupement : " + ", ".join(GROUPS))
    cust = catalog.customer_by_code(customer)
    q = _select(customer, project, date_from, date_to)
    if ids:
        wanted = [get(i).id for i in ids]
        q = q.where(TimeEntry.id.in_(wanted))
    entries = list(q)
    if ids and len(entries) != len(set(ids)):
        raise InvalidValue("saisies", ", ".join(map(str, ids)), f"toutes ne sont pas de {cust.code}"
                           + (f" sur le projet {project}" if project else ""))
    done = billing.billed("time", [e.id for e in entries])
    todo = [e for e in entries if e.billable and e.id not in done]
    blocks = []
    if group == "entry":
        for e in todo:
            what = f"{e.product.name} — {fr.date(e.date)}" + (f" — {e.project}" if e.project else "") \
                + (f" : {e.description}" if e.description else "") + (f" ({e.person})" if e.person else "")
            blocks.append(billing.priced(e.product, billing.hours(e.minutes), what, [("time", e.id)]))
    else:
        keys = {"project": lambda e: (e.project, e.product_id), "day": lambda e: (e.date, e.product_id),
                "product": lambda e: ("", e.product_id)}[group]
        grouped: dict = {}
        for e in todo:
            row = grouped.setdefault(keys(e), [e.product, ZERO, [], e])
            row[1] += billing.hours(e.minutes)
            row[2].append(("time", e.id))
        for (key, _), (product, qty, ids_, first) in grouped.items():
            what = product.name + (f" — projet {key}" if group == "project" and key else "") \
                + (f" — {fr.date(key)}" if group == "day" else "") + f" ({len(ids_)} saisie(s))"
            blocks.append(billing.priced(product, qty, what, ids_))
    return billing.create_invoice(cust, blocks, date, reference=project or "")
