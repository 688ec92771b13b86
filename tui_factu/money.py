"""Exact money and quantities: Decimal in Python, scaled integers in the database.

A float never touches an amount. Amounts are rounded half-up to the cent (French practice and
EN 16931). The database stores integers (cents, thousandths...) so that SQL SUM stays exact.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import peewee

from .errors import InvalidValue

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)

# Scales of the stored integers.
AMOUNT_SCALE = 2      # cents
QUANTITY_SCALE = 3    # thousandths of a unit (kg, m, hours...)
PRICE_SCALE = 4       # unit prices may carry 4 decimals (EN 16931 allows more than 2)
RATE_SCALE = 2        # 5.5 % -> 550, discount 12.5 % -> 1250
EXCHANGE_SCALE = 6    # euros per unit of another currency: 0.923456


def to_decimal(value, field: str = "montant") -> Decimal:
    """Parses user or JSON input into a Decimal; refuses floats' approximations and garbage."""
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, bool) or value is None:
        raise InvalidValue(field, value, "nombre attendu")
    elif isinstance(value, int):
        d = Decimal(value)
    elif isinstance(value, float):
        d = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise InvalidValue(field, value, "nombre invalide") from None
    else:
        raise InvalidValue(field, value, "nombre attendu")
    if not d.is_finite():
        raise InvalidValue(field, value, "nombre invalide")
    if abs(d) >= Decimal("1e12"):
        raise InvalidValue(field, value, "nombre trop grand")
    return d


def check_scale(value: Decimal, scale: int, field: str) -> Decimal:
    """Refuses more decimals than the column keeps, instead of rounding silently."""
    exp = value.normalize().as_tuple().exponent
    if isinstance(exp, int) and -exp > scale:
        raise InvalidValue(field, value, f"{scale} décimales au plus")
    return value


def round_cents(value: Decimal) -> Decimal:
    return round_to(value, 2)


def round_to(value: Decimal, places: int) -> Decimal:
    """The one rounding of the product: half up (French practice, EN 16931), to `places`
    decimals. Python's own round() and a bare quantize() round half to even."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fmt2(value: Decimal | None) -> str | None:
    """Two decimals, as the JSON exchange format wants them."""
    return None if value is None else str(round_cents(value))


def fmt_plain(value: Decimal | None) -> str | None:
    """A quantity or rate without useless zeros and without exponent: 3, 2.5, 5.5."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def fmt_price(value: Decimal | None) -> str | None:
    """Unit prices keep at least two decimals: 12.50, 0.1234."""
    if value is None:
        return None
    q = value.normalize()
    return str(round_cents(q)) if -q.as_tuple().exponent <= 2 else format(q, "f")


class ScaledField(peewee.BigIntegerField):
    """A Decimal stored as an integer count of 10**-scale units."""

    def __init__(self, scale: int = AMOUNT_SCALE, *args, **kwargs):
        self.scale = scale
        self.unit = Decimal(1).scaleb(-scale)
        super().__init__(*args, **kwargs)

    def db_value(self, value):
        if value is None:
            return None
        d = value if isinstance(value, Decimal) else Decimal(str(value))
        return int(d.quantize(self.unit, rounding=ROUND_HALF_UP).scaleb(self.scale))

    def python_value(self, value):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.scale)


def from_scaled(value, scale: int) -> Decimal:
    """For raw SQL results (SUM over a ScaledField column)."""
    return Decimal(int(value or 0)).scaleb(-scale)


class AmountField(ScaledField):
    def __init__(self, *args, **kwargs):
        super().__init__(AMOUNT_SCALE, *args, **kwargs)


class QuantityField(ScaledField):
    def __init__(self, *args, **kwargs):
        super().__init__(QUANTITY_SCALE, *args, **kwargs)


class PriceField(ScaledField):
    def __init__(self, *args, **kwargs):
        super().__init__(PRICE_SCALE, *args, **kwargs)


class RateField(ScaledField):
    def __init__(self, *args, **kwargs):
        super().__init__(RATE_SCALE, *args, **kwargs)


def sum_of(field: ScaledField):
    """SQL SUM over a scaled column, handed out as an exact Decimal (0 when there is no row)."""
    return peewee.fn.COALESCE(peewee.fn.SUM(field), 0).python_value(field.python_value)


def in_euros(field: ScaledField):
    """A stored figure in euros: the `<name>_eur` column a document in another currency fills,
    else the figure itself (a document in euros)."""
    return peewee.fn.COALESCE(getattr(field.model, f"{field.name}_eur"), field).python_value(field.python_value)


def sum_in_euros(field: ScaledField):
    return peewee.fn.COALESCE(peewee.fn.SUM(in_euros(field)), 0).python_value(field.python_value)
