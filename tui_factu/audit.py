"""Who changed what and when, field by field, on master data and drafts (ARCHITECTURE.md); and the
technical events (logins, prints, reprints, exports, closings, settings), read from their
sealed chain."""
import json
from decimal import Decimal

from .session import current_user
from .models import AuditEntry, JournalRecord, utcnow

EVENT_LABELS = {"login": "connexion", "login_failed": "échec de connexion", "login_refused": "connexion refusée",
                "account_locked": "compte verrouillé", "print": "impression", "reprint": "réimpression",
                "export": "export", "settings": "paramètres", "archive": "archive", "backup": "sauvegarde",
                "user": "utilisateur"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def record(entity: str, entity_id: int, ref: str, changes: dict) -> None:
    """changes: field -> (old, new); unchanged fields are skipped."""
    at, user = utcnow(), current_user()
    rows = [dict(at=at, user=user, entity=entity, entity_id=entity_id, ref=ref, field=f,
                 old=_text(old), new=_text(new))
            for f, (old, new) in changes.items() if _text(old) != _text(new)]
    if rows:
        AuditEntry.insert_many(rows).execute()


def diff(instance, values: dict) -> dict:
    return {k: (getattr(instance, k), v) for k, v in values.items()}


def history(entity: str | None = None, entity_id: int | None = None, user: str | None = None,
            limit: int = 500) -> list[dict]:
    q = AuditEntry.select()
    if entity:
        q = q.where(AuditEntry.entity == entity)
    if entity_id is not None:
        q = q.where(AuditEntry.entity_id == entity_id)
    if user:
        q = q.where(AuditEntry.user == user)
    from . import permissions
    hidden = set() if permissions.allowed("costs.see") else COST_FIELDS

    def shown(a, value):
        return "(masqué)" if a.field in hidden and value is not None else value
    return [{"at": a.at, "user": a.user, "entity": a.entity, "ref": a.ref, "field": a.field,
             "old": shown(a, a.old), "new": shown(a, a.new)}
            for a in q.order_by(AuditEntry.id.desc()).limit(limit)]


COST_FIELDS = {"cost", "cost_price"}         # seen only by the roles that see costs


def events(action: str | None = None, user: str | None = None, ref: str | None = None, limit: int = 500) -> list[dict]:
    """The technical-events chain, newest first, with its detail decoded."""
    q = JournalRecord.select().where(JournalRecord.chain == "event")
    if action:
        q = q.where(JournalRecord.action == action)
    if user:
        q = q.where(JournalRecord.user == user)
    if ref:
        q = q.where(JournalRecord.ref == ref)
    out = []
    for r in q.order_by(JournalRecord.seq.desc()).limit(limit):
        try:
            payload = json.loads(r.payload)
        except ValueError:
            payload = {}
        detail = payload.get("detail") or {k: v for k, v in payload.items() if k not in ("action", "at", "user", "ref")}
        out.append({"seq": r.seq, "at": r.created_at, "user": r.user, "action": r.action,
                    "label": EVENT_LABELS.get(r.action, r.action), "ref": r.ref,
                    "detail": ", ".join(f"{k} {v}" for k, v in detail.items() if v not in (None, "", {}, []))})
    return out
