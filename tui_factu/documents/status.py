"""The one writer of a document's status: a move the status machine (kinds.STATUSES) declares,
audited, and sealed in the document's chain (a status decides figures: paid, cancelled,
closed). A quote past its validity reads "expired" without anyone writing it (`shown`)."""
from .. import audit, clock, journal
from ..db import write
from ..errors import StateError
from ..models import Document, JournalRecord, utcnow
from ..session import current_user
from .kinds import DOCUMENT_CHAINS, STATUSES
from .queries import label


def transition(doc: Document, status: str) -> None:
    """The one writer of a validated document's status: only what the kinds table declares,
    audited, and sealed in the document's chain (a status decides figures: paid, cancelled)."""
    if status not in STATUSES[doc.kind].get(doc.status, ()):
        raise StateError(f"{label(doc)} : passage de « {doc.status} » à « {status} » impossible",
                         "statut", status)
    Document.update(status=status).where(Document.id == doc.id).execute()
    audit.record("document", doc.id, label(doc), {"statut": (doc.status, status)})
    if doc.number:
        journal.seal(DOCUMENT_CHAINS[doc.kind], "status", doc.number,
                     {"format": 1, "kind": doc.kind, "number": doc.number, "from": doc.status, "to": status,
                      "at": utcnow(), "user": current_user()})
    doc.status = status


def seal_untracked_statuses() -> int:
    """Seals, once, the status of each validated document that a base made before statuses
    were sealed left without a status record (`init` after an upgrade)."""
    tracked = JournalRecord.select(JournalRecord.ref).where(JournalRecord.action == "status")
    rows = list(Document.select().where(Document.number.is_null(False) & (Document.status != "validated")
                                        & Document.number.not_in(tracked)).order_by(Document.id))
    with write():
        for doc in rows:
            journal.seal(DOCUMENT_CHAINS[doc.kind], "status", doc.number,
                         {"format": 1, "kind": doc.kind, "number": doc.number, "from": "validated",
                          "to": doc.status, "at": utcnow(), "user": current_user(), "snapshot": True})
    return len(rows)


def shown(doc: Document) -> str:
    """The status a person reads: a validated quote whose validity has passed is expired."""
    if doc.kind == "quote" and doc.status == "validated" and doc.validity_date and doc.validity_date < clock.today():
        return "expired"
    return doc.status
