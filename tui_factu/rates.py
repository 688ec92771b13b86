"""Exchange rates: euros per unit of another currency, from a day on.

A document in another currency (BT-5) states its VAT in euros too (BT-6 = EUR, BT-111; CGI art.
242 nonies A): at the rate of its date — the most recent rate entered on or before that day —
or at the rate its import gives. A currency the company has no rate for is refused, never taken
for euros. Codes are ISO 4217, from babel's CLDR data (the project already ships babel).
"""
import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

from babel.numbers import list_currencies

from . import audit, permissions
from .db import write
from .errors import FactuError, InvalidValue
from .inputs import parse_date
from .models import ExchangeRate
from .money import EXCHANGE_SCALE, PRICE_SCALE, check_scale, fmt_plain, round_to, to_decimal

EUR = "EUR"
CODES = frozenset(list_currencies())
MAX_BYTES = 5 * 1024 * 1024


def currency_code(value, where: str = "devise") -> str:
    """An ISO 4217 code, upper case; anything else is refused by name."""
    code = str(value or "").strip().upper()
    if len(code) != 3 or not code.isalpha() or code not in CODES:
        raise InvalidValue(where, value, "devise inconnue (code ISO 4217 attendu : USD, GBP, CHF…)")
    return code


def clean_rate(value, where: str = "cours") -> Decimal:
    rate = check_scale(to_decimal(value, where), EXCHANGE_SCALE, where)
    if rate <= 0:
        raise InvalidValue(where, value, "doit être positif (euros pour une unité de la devise)")
    return rate


def set_rate(currency, day, rate) -> dict:
    """Enters (or corrects) the rate of a currency from a day on."""
    permissions.require("rates.edit")
    code, when, value = _checked(currency, day, rate)
    with write():
        _store(code, when, value)
    return {"currency": code, "date": when.isoformat(), "rate": fmt_plain(value)}


def import_csv(path: str) -> list[dict]:
    """CURRENCY;DATE;RATE per line (`,` also separates; a header line is skipped): all or nothing,
    a refusal names its line."""
    permissions.require("rates.edit")
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:
            raise InvalidValue("fichier", path, "trop volumineux (5 Mo au plus)")
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as e:
        raise InvalidValue("fichier", path, f"illisible ({e.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidValue("fichier", path, "n'est pas encodé en UTF-8") from None
    dialect = ";" if text.count(";") >= text.count(",") else ","
    rows = []
    for n, fields in enumerate(csv.reader(io.StringIO(text), delimiter=dialect), start=1):
        fields = [f.strip() for f in fields]
        if not any(fields):
            continue
        if n == 1 and fields[0].lower() in ("devise", "currency", "code"):
            continue
        if len(fields) != 3:
            raise InvalidValue(f"ligne {n}", dialect.join(fields), "trois champs attendus : devise;date;cours")
        try:
            rows.append(_checked(*fields))
        except FactuError as e:
            e.message = f"ligne {n} : {e.message}"
            raise
    if not rows:
        raise InvalidValue("fichier", path, "aucun cours")
    with write():
        for row in rows:
            _store(*row)
    return [{"currency": c, "date": d.isoformat(), "rate": fmt_plain(r)} for c, d, r in rows]


def _checked(currency, day, rate) -> tuple[str, dt.date, Decimal]:
    code = currency_code(currency)
    if code == EUR:
        raise InvalidValue("devise", code, "l'euro n'a pas de cours : c'est la devise de la comptabilité")
    return code, parse_date(day), clean_rate(rate)


def _store(code: str, day: dt.date, rate: Decimal) -> None:
    old = ExchangeRate.get_or_none((ExchangeRate.currency == code) & (ExchangeRate.day == day))
    if old is None:
        row = ExchangeRate.create(currency=code, day=day, rate=rate)
    else:
        ExchangeRate.update(rate=rate).where(ExchangeRate.id == old.id).execute()
        row = old
    audit.record("exchange_rate", row.id, f"{code} {day.isoformat()}",
                 {"cours": (old.rate if old else None, rate)})


def rate_on(currency: str, day: dt.date) -> Decimal:
    """The most recent rate on or before `day`; none is a refusal naming what to enter."""
    row = (ExchangeRate.select(ExchangeRate.rate).where((ExchangeRate.currency == currency)
                                                        & (ExchangeRate.day <= day))
           .order_by(ExchangeRate.day.desc()).first())
    if row is None:
        raise InvalidValue("devise", currency, f"aucun cours connu au {day.strftime('%d/%m/%Y')} ou avant : "
                           f"saisissez-le (tui-factu rates set {currency} {day.isoformat()} COURS)")
    return row.rate


def for_document(currency, day: dt.date, given=None, where: str = "currency") -> tuple[str, Decimal | None]:
    """(code, rate) of a new document: euros have no rate; another currency takes the rate given
    (the import's exchange_rate) or the rate of its date."""
    code = currency_code(currency or EUR, where)
    if code == EUR:
        if given not in (None, ""):
            raise InvalidValue("exchange_rate", given, "sans objet pour un document en euros")
        return EUR, None
    if given not in (None, ""):
        # a rate of one's own choosing sets the VAT in euros: only those who may enter rates
        permissions.require("rates.edit")
        return code, clean_rate(given, "exchange_rate")
    return code, rate_on(code, day)


def from_euros(euros, rate):
    """A catalogue figure (in euros) in the currency of a document at its rate: prices and the
    cost snapshot alike, so that margins compare like with like."""
    return round_to(euros / rate, PRICE_SCALE) if rate and euros is not None else euros


def catalogue_line(line: dict, currency, day) -> dict:
    """The unit price and cost of a line drawn from the catalogue (the editor's), in `currency`
    at the rate of `day`; refused when there is none."""
    code, rate = for_document(currency, parse_date(day))
    return {k: from_euros(line.get(k), rate) for k in ("unit_price", "cost_price")}


def listing(currency: str | None = None) -> list[dict]:
    q = ExchangeRate.select().order_by(ExchangeRate.currency, ExchangeRate.day.desc())
    if currency:
        q = q.where(ExchangeRate.currency == currency_code(currency))
    return [{"currency": r.currency, "date": r.day.isoformat(), "rate": fmt_plain(r.rate)} for r in q]
