"""Values that come from outside (typed, imported, given on the command line): dates, line
quantities, and the one rule for characters (charset.py) — refused at input with a French
message naming the field."""
import datetime as dt
from decimal import Decimal

from .charset import FORBIDDEN, FORBIDDEN_LINE, bad_character, printable, unprintable  # noqa: F401 - the rule, here too
from .errors import InvalidValue
from .money import QUANTITY_SCALE, check_scale, to_decimal


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
