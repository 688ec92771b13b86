"""Today and now: the one seam tests freeze (`TUI_FACTU_TODAY=2026-11-30` for end-to-end runs,
`clock.freeze()` in process)."""
import datetime as dt
import os

_frozen: dict = {}


def today() -> dt.date:
    if "today" in _frozen:
        return _frozen["today"]
    text = os.environ.get("TUI_FACTU_TODAY")
    if text:
        return dt.date.fromisoformat(text)
    return dt.date.today()


def now() -> dt.datetime:
    """Aware UTC, to the second (what records carry)."""
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    day = today()
    return stamp if day == stamp.date() else dt.datetime.combine(day, stamp.timetz())


def freeze(day: dt.date | None) -> None:
    """Tests: today is `day` until freeze(None)."""
    if day is None:
        _frozen.pop("today", None)
    else:
        _frozen["today"] = day
