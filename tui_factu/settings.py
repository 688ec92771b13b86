"""The business settings a manager tunes (margin floor, discount ceiling, hourly labour, time
increment): each checked, changed only by a role allowed to, audited and logged as a technical
event. Printers (printing.py), numbering (numbering.py) and the company (catalog.py) have
their own services."""
from decimal import Decimal

from . import audit, journal, permissions
from .db import write
from .errors import InvalidValue
from .models import Setting, utcnow


def _percent(value: str) -> str:
    from .money import to_decimal
    d = to_decimal(value, "pourcentage")
    if not Decimal(0) <= d <= Decimal(100):
        raise InvalidValue("pourcentage", value, "entre 0 et 100")
    return format(d.normalize(), "f")


def _minutes(value: str) -> str:
    if not str(value).strip().isdigit() or not 1 <= int(value) <= 60:
        raise InvalidValue("minutes", value, "entier de 1 à 60")
    return str(int(value))


def _product(value: str) -> str:
    from .catalog import product_by_code
    return product_by_code(str(value).strip()).code if str(value).strip() else ""


# key -> (label, checker, default shown)
KNOWN = {
    "margin.floor_percent": ("Marge plancher (%) : en dessous, la vente demande un responsable", _percent, "0"),
    permissions.DISCOUNT_KEY: ("Remise maximale d'un vendeur (%)", _percent, str(permissions.DEFAULT_MAX_DISCOUNT)),
    "intervention.labour_product": ("Produit de main-d'œuvre des interventions (code)", _product, ""),
    "time.increment_minutes": ("Facturation du temps par tranches de (minutes)", _minutes, "15"),
}


def get(key: str) -> str:
    if key not in KNOWN:
        raise InvalidValue("réglage", key, "réglages : " + ", ".join(KNOWN))
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else KNOWN[key][2]


def values() -> dict:
    return {key: get(key) for key in KNOWN}


def set_value(key: str, value) -> str:
    permissions.require("settings.change")
    if key not in KNOWN:
        raise InvalidValue("réglage", key, "réglages : " + ", ".join(KNOWN))
    checked = KNOWN[key][1](str(value).strip())
    with write():
        old = get(key)
        Setting.insert(key=key, value=checked).on_conflict_replace().execute()
        audit.record("setting", 0, key, {key: (old, checked)})
        journal.seal("event", "settings", key, {"action": "settings", "at": utcnow(), "key": key, "value": checked})
    return checked
