"""Dates an entry may carry: never inside a closed period (a closing's end), never far
ahead of today. The guard every validation and payment goes through; closings.py makes the
periods."""
import datetime as dt

from . import clock, permissions, settings
from .db import is_postgres, prepared
from .errors import StateError
from .models import Closing, db

KINDS = {"day": "journalière", "month": "mensuelle", "year": "annuelle"}


def closed_until() -> dt.date | None:
    rows = prepared("periods.closed_until",
                    lambda: Closing.select(Closing.period_end).order_by(Closing.period_end.desc()).limit(1))
    return rows[0][0] if rows else None


LOCK = 74211          # PostgreSQL advisory lock: closings take it alone, entries share it


def check_open(on: dt.date, what: str) -> None:
    """Refuses an entry dated inside a closed period. Inside the entry's write transaction: on
    PostgreSQL it shares a lock that a closing takes alone, so that an entry either lands
    before the closing counts (and is counted) or after it (and is refused); SQLite's write
    transactions already run one at a time."""
    if is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock_shared(%s)", (LOCK,))
    until = closed_until()
    if until is not None and on <= until:
        last = Closing.select().where(Closing.period_end == until).order_by(Closing.seq.desc()).first()
        raise StateError(f"{what} : le {on.strftime('%d/%m/%Y')} appartient à une période close jusqu'au "
                         f"{until.strftime('%d/%m/%Y')} (clôture {KINDS[last.kind]} {last.label})", "date", on.isoformat())
    check_future(on, what)


FUTURE_LIMIT_DAYS = 31


def check_future(on: dt.date, what: str) -> None:
    """French invoices are dated the day they are issued: a date ahead of today by more than
    the setting `date.max_future_days` (0 by default) needs a manager, and by more than a month
    is refused (one document dated far ahead would stop its whole series until then)."""
    ahead = (on - clock.today()).days
    if ahead <= 0:
        return
    allowed = int(settings.get("date.max_future_days"))
    if ahead > FUTURE_LIMIT_DAYS:
        raise StateError(f"{what} : le {on.strftime('%d/%m/%Y')} est à plus de {FUTURE_LIMIT_DAYS} jours : une "
                         "pièce se date du jour où elle est faite", "date", on.isoformat())
    if ahead > allowed and not permissions.allowed("date.future"):
        raise permissions.PermissionDenied(
            f"{what} : le {on.strftime('%d/%m/%Y')} est dans {ahead} jour(s) (permis : {allowed}) — à faire "
            "valider par un responsable", "date", on.isoformat())
