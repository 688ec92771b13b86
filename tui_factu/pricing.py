"""What a customer pays for a product: the one pricing function the counter, the editor and the
command line use, saying which rule gave the price.

Rules, the first that matches wins: the customer's own price list, then its group's list; within
a list, an item for the product before one for its family, and among those the largest quantity
break the quantity reaches; an item applies between its dates. Without a rule, the catalogue
price, with the customer's default discount if it has one."""
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from . import audit, catalog, clock, permissions
from .db import write
from .errors import FactuError, InvalidValue, NotFound
from .inputs import parse_date
from .models import Customer, PriceList, PriceListItem, Product
from .money import PRICE_SCALE, ZERO, check_scale, fmt_plain, fmt_price, to_decimal


@dataclass(frozen=True)
class Price:
    unit_price: Decimal
    discount_percent: Decimal
    rule: str                    # said in the editor, the counter and `pricelist price`


def _lists(customer: Customer) -> list[PriceList]:
    own = [PriceList.get_or_none(PriceList.code == customer.pricelist)] if customer.pricelist else []
    group = list(PriceList.select().where(PriceList.group == customer.price_group).order_by(PriceList.id)) \
        if customer.price_group else []
    return [pl for pl in own + group if pl is not None]


def _applies(item: PriceListItem, qty: Decimal, on: dt.date) -> bool:
    return item.min_qty <= qty and (item.valid_from is None or item.valid_from <= on) and \
        (item.valid_to is None or on <= item.valid_to)


def price_for(customer: Customer, product: Product, qty: Decimal = Decimal(1), on: dt.date | None = None) -> Price:
    on = on or clock.today()
    for pl in _lists(customer):
        items = [i for i in PriceListItem.select().where((PriceListItem.pricelist == pl.id) & (
            (PriceListItem.product == product.id) | ((PriceListItem.family != "") & (PriceListItem.family == product.family))))
            if _applies(i, qty, on)]
        if not items:
            continue
        # the product's own item, the largest break reached, an offer in its dates over a standing price
        best = max(items, key=lambda i: (i.product_id is not None, i.min_qty,
                                         i.valid_from is not None or i.valid_to is not None))
        where = f"liste {pl.code}" + (" (groupe " + pl.group + ")" if pl.group else "") + \
            (f", dès {fmt_plain(best.min_qty)}" if best.min_qty > 1 else "") + \
            (f", famille {best.family}" if best.product_id is None else "")
        if best.price is not None:
            return Price(best.price, best.discount_percent or ZERO, f"prix {where}")
        return Price(product.price, best.discount_percent or ZERO, f"remise {fmt_plain(best.discount_percent)} % {where}")
    if customer.discount_percent:
        return Price(product.price, customer.discount_percent, f"remise client {fmt_plain(customer.discount_percent)} %")
    return Price(product.price, ZERO, "prix catalogue")


def for_customer(customer_code: str | None, product: Product, qty: Decimal = Decimal(1),
                 on: dt.date | None = None) -> Price:
    """The price a line of the editor or the counter starts from (as a draft saved with no
    price typed would get it): the customer's rules, or the catalogue for a walk-in."""
    customer = Customer.get_or_none(Customer.code == customer_code) if customer_code else None
    if customer is None:
        return Price(product.price, ZERO, "prix catalogue")
    return price_for(customer, product, qty, on)


def set_item(code: str, product_or_family: str, price=None, discount=None, min_qty="1", valid_from=None,
             valid_to=None, group: str | None = None) -> PriceListItem:
    """`pricelist set LIST CODE PRICE` (or a discount, or `family:NAME`); audited."""
    permissions.require("catalog.edit")
    code = catalog.clean_code("liste", code)
    product, family = None, ""
    if product_or_family.startswith("family:"):
        family = catalog.clean_text("famille", product_or_family[7:], 60, required=True)
    else:
        product = catalog.product_by_code(product_or_family)
    p = check_scale(to_decimal(price, "prix"), PRICE_SCALE, "prix") if price not in (None, "") else None
    r = to_decimal(discount, "remise") if discount not in (None, "") else None
    if p is None and r is None:
        raise InvalidValue("prix", None, "un prix ou une remise (-10%) attendu")
    if (p is not None and p < 0) or (r is not None and not ZERO <= r <= 100):
        raise InvalidValue("prix", price or discount, "prix positif, remise entre 0 et 100 %")
    q = to_decimal(min_qty or "1", "--min-qty")
    if q <= 0:
        raise InvalidValue("--min-qty", min_qty, "quantité positive attendue")
    start = parse_date(valid_from, "--from") if valid_from else None
    end = parse_date(valid_to, "--to") if valid_to else None
    if start and end and end < start:
        raise InvalidValue("--to", valid_to, "avant --from")
    with write():
        pl = PriceList.get_or_none(PriceList.code == code) or PriceList.create(code=code, name=code)
        if group is not None:
            PriceList.update(group=catalog.clean_text("groupe", group, 60)).where(PriceList.id == pl.id).execute()
        item = PriceListItem.get_or_none((PriceListItem.pricelist == pl.id) & (PriceListItem.product == product)
                                         & (PriceListItem.family == family) & (PriceListItem.min_qty == q)
                                         & (PriceListItem.valid_from == start) & (PriceListItem.valid_to == end)) \
            if product is not None else PriceListItem.get_or_none(
                (PriceListItem.pricelist == pl.id) & PriceListItem.product.is_null() & (PriceListItem.family == family)
                & (PriceListItem.min_qty == q))
        before = (fmt_price(item.price) if item and item.price is not None else None,
                  fmt_plain(item.discount_percent) if item and item.discount_percent is not None else None)
        if item:
            PriceListItem.update(price=p, discount_percent=r).where(PriceListItem.id == item.id).execute()
        else:
            item = PriceListItem.create(pricelist=pl.id, product=product.id if product else None, family=family,
                                        price=p, discount_percent=r, min_qty=q, valid_from=start, valid_to=end)
        audit.record("pricelist", pl.id, code, {f"{product_or_family} dès {fmt_plain(q)}": (
            before, (fmt_price(p) if p is not None else None, fmt_plain(r) if r is not None else None))})
    return item


def items(code: str | None = None) -> list[dict]:
    q = PriceListItem.select(PriceListItem, PriceList).join(PriceList)
    if code:
        if not PriceList.get_or_none(PriceList.code == code):
            raise NotFound(f"liste de prix inconnue « {code} »", "liste", code)
        q = q.where(PriceList.code == code)
    out = []
    for i in q.order_by(PriceList.code, PriceListItem.id):
        out.append({"list": i.pricelist.code, "group": i.pricelist.group or None,
                    "product": i.product.code if i.product_id else None, "family": i.family or None,
                    "price": fmt_price(i.price) if i.price is not None else None,
                    "discount_percent": fmt_plain(i.discount_percent) if i.discount_percent is not None else None,
                    "min_qty": fmt_plain(i.min_qty), "from": i.valid_from.isoformat() if i.valid_from else None,
                    "to": i.valid_to.isoformat() if i.valid_to else None})
    return out


def import_csv(path: str) -> int:
    """list;code;price;min_qty;from;to (a price, or a discount written -10%): all or nothing."""
    import csv
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f, delimiter=";"))
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidValue("fichier", path, f"illisible ({e})") from None
    if rows and rows[0] and rows[0][0].strip().lower() in ("list", "liste"):
        rows = rows[1:]
    with write():
        for n, row in enumerate(rows, start=2):
            row = [c.strip() for c in row] + [""] * 6
            if not any(row):
                continue
            value = row[2].replace(",", ".")
            try:
                set_item(row[0], row[1], None if value.endswith("%") else value,
                         value.rstrip("%").lstrip("-") if value.endswith("%") else None,
                         row[3] or "1", row[4] or None, row[5] or None)
            except FactuError as e:
                e.message = f"ligne {n} : {e.message}"
                raise
    return len([r for r in rows if any(c.strip() for c in r)])

