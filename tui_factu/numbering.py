"""Gapless, chronological numbers per series (ARCHITECTURE.md, "A document's path").

`take()` must run inside the validating write transaction: the number is consumed only if that
transaction commits. SQLite serialises writers with BEGIN IMMEDIATE; PostgreSQL locks the
sequence row (SELECT ... FOR UPDATE).
"""
import datetime as dt
import re

from peewee import Value

from . import settings
from .db import is_postgres, prepared
from .errors import InvalidValue, StateError
from .models import Sequence, Setting

# kind -> series; deposit and progress invoices share the invoice series.
SERIES = {"quote": "quote", "order": "order", "delivery": "delivery", "invoice": "invoice",
          "credit_note": "credit_note", "receipt": "receipt"}
DEFAULT_PATTERNS = {"quote": "DE{yyyy}-{n:05}", "order": "CO{yyyy}-{n:05}",
                    "delivery": "BL{yyyy}-{n:05}", "invoice": "FA{yyyy}-{n:05}",
                    "credit_note": "AV{yyyy}-{n:05}", "receipt": "TK{yyyy}-{n:06}"}
_FIELD = re.compile(r"\{(yyyy|yy|mm|n(?::0?\d+)?)\}")


def pattern(series: str) -> str:
    row = prepared("setting", lambda k: Setting.select(Setting.value).where(Setting.key == k),
                   f"numbering.{series}")
    return row[0][0] if row else DEFAULT_PATTERNS[series]


def check_pattern(text: str) -> str:
    if "{n" not in text:
        raise InvalidValue("numérotation", text, "le modèle doit contenir {n} ou {n:05}")
    rest = _FIELD.sub("", text)
    if "{" in rest or "}" in rest:
        raise InvalidValue("numérotation", text, "champ inconnu (autorisés : {yyyy} {yy} {mm} {n:05})")
    return text


def set_patterns(patterns: dict) -> None:
    """series -> pattern, checked; recorded as a settings change in the events chain."""
    from . import journal, permissions
    permissions.require("settings.change")
    from .db import write
    from .models import utcnow
    with write():
        for series, text in patterns.items():
            if series not in DEFAULT_PATTERNS:
                raise InvalidValue("série", series, "série inconnue")
            settings.store(f"numbering.{series}", check_pattern(text.strip()))
        journal.seal("event", "settings", "numérotation", {"action": "settings", "at": utcnow(),
                                                           "numbering": patterns})


def period_of(text: str, date: dt.date) -> str:
    """The counter restarts when the printed period changes (yearly for FA{yyyy}-...)."""
    if "{mm}" in text:
        return date.strftime("%Y-%m")
    if "{yyyy}" in text or "{yy}" in text:
        return date.strftime("%Y")
    return ""


def render(text: str, date: dt.date, n: int) -> str:
    def field(m):
        f = m.group(1)
        if f == "yyyy":
            return date.strftime("%Y")
        if f == "yy":
            return date.strftime("%y")
        if f == "mm":
            return date.strftime("%m")
        width = int(f.split(":")[1]) if ":" in f else 0
        return str(n).zfill(width)
    return _FIELD.sub(field, text)


def take(series: str, date: dt.date) -> str:
    """Consumes the next number of the series. Refuses a date earlier than the last one taken,
    which would break the chronological order the law asks for."""
    text = pattern(series)
    period = period_of(text, date)
    def current(s, p):
        query = Sequence.select(Sequence.next_value, Sequence.last_date).where(
            (Sequence.series == s) & (Sequence.period == p))
        return query.for_update() if is_postgres() else query
    row = prepared("sequence", current, series, period)
    if not row:
        Sequence.insert(series=series, period=period, next_value=1).on_conflict_ignore().execute()
        row = prepared("sequence", current, series, period)
    n, last_date = row[0]
    if last_date and date < last_date:
        raise StateError(f"date : {date.isoformat()} est antérieure au dernier numéro de la série "
                         f"({last_date.isoformat()}) ; la numérotation doit rester chronologique",
                         "date", date.isoformat())
    prepared("sequence.next", lambda v, d, s, p: Sequence.update(
        next_value=v, last_date=Value(d, converter=False)).where(
        (Sequence.series == s) & (Sequence.period == p)), n + 1, date.isoformat(), series, period)
    return render(text, date, n)
