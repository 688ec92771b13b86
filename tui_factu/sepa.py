"""SEPA direct debit (prélèvement SEPA, CORE scheme): the customers' mandates, the pain.008 file
the bank collects from (written and checked against the ISO XSD by sepaxml), and the returns.

A debit sent is recorded as a payment on its collection date (the invoice reads paid); a
return (R-transaction: refusal, insufficient funds…) cancels that payment, which reopens the
invoice. A mandate is FRST until its first collection, RCUR after (OOFF for a one-off)."""
import datetime as dt
import hashlib

from stdnum import iban as std_iban
from stdnum.exceptions import ValidationError

from . import catalog, clock, journal, payments, permissions, session, settings
from .db import write
from .documents import queries
from .errors import InvalidValue, NotFound, StateError
from .models import Customer, Document, Mandate, SepaDebit, utcnow
from .money import ZERO, fmt2

SCHEMA = "pain.008.001.08"


def add_mandate(customer: str, iban: str, rum: str, signed, recurring: bool = False, bic: str = "") -> Mandate:
    permissions.require("catalog.edit")
    cust = catalog.customer_by_code(customer)
    try:
        iban_clean = std_iban.validate(iban)
    except ValidationError:
        raise InvalidValue("IBAN", iban, "IBAN invalide") from None
    rum_clean = catalog.clean_text("RUM", rum, 35, required=True)
    if not all(c.isalnum() or c in "+?/-:().,' " for c in rum_clean):
        raise InvalidValue("RUM", rum, "lettres, chiffres et + ? / - : ( ) . , ' seulement (35 au plus)")
    from .inputs import parse_date
    signed_on = parse_date(signed, "--signed")
    if signed_on > clock.today():
        raise InvalidValue("--signed", signed, "date de signature dans le futur")
    with write():
        if Mandate.get_or_none(Mandate.rum == rum_clean):
            raise InvalidValue("RUM", rum_clean, "référence de mandat déjà utilisée")
        m = Mandate.create(customer=cust.id, rum=rum_clean, iban=iban_clean, bic=catalog.clean_bic(bic) if bic else "",
                           signed_on=signed_on, recurring=recurring, user=session.current_user())
        journal.seal("event", "mandate", rum_clean, {"action": "mandate", "at": utcnow(), "user": session.current_user(),
                                                     "ref": rum_clean, "detail": {"customer": cust.code,
                                                                                   "iban": iban_clean[-4:]}})
    return m


def mandate_of(customer_id: int) -> Mandate | None:
    return (Mandate.select().where((Mandate.customer == customer_id) & (Mandate.active == True))  # noqa: E712
            .order_by(Mandate.id.desc()).first())


def mandates(customer: str | None = None) -> list[dict]:
    q = Mandate.select(Mandate, Customer).join(Customer)
    if customer:
        q = q.where(Mandate.customer == catalog.customer_by_code(customer).id)
    return [{"customer": m.customer.code, "rum": m.rum, "iban": m.iban, "signed_on": m.signed_on.isoformat(),
             "sequence": _sequence(m), "active": m.active} for m in q.order_by(Mandate.id)]


def _sequence(m: Mandate) -> str:
    return "OOFF" if not m.recurring else ("RCUR" if m.first_used else "FRST")


def to_collect(on: dt.date) -> list[tuple[Document, Mandate, object]]:
    """Open invoices of customers with a mandate and what is due on them by `on` (instalments
    included), not already sent."""
    out = []
    with_mandate = Mandate.select(Mandate.customer).where(Mandate.active == True)  # noqa: E712
    for doc in (Document.select().where((Document.kind == "invoice") & Document.status.in_(("validated", "partly_paid"))
                                        & Document.customer.in_(with_mandate)).order_by(Document.date, Document.id)):
        amount = payments.due_by(doc, on)
        if amount > ZERO:
            out.append((doc, mandate_of(doc.customer_id), amount))
    return out


def export(on: dt.date | None = None, collect_on: dt.date | None = None) -> tuple[bytes, list[dict]]:
    """The pain.008 of what falls due by `on`, collected on `collect_on` (by default `on`): each
    debit recorded as a payment of that day, sealed. Nothing due: refused, no empty file."""
    from sepaxml import SepaDD
    permissions.require("payment.collect")
    on = on or clock.today()
    collect_on = collect_on or on
    own = catalog.company()
    creditor = settings.get("sepa.creditor_id")
    if not creditor:
        raise InvalidValue("sepa.creditor_id", None, "identifiant créancier SEPA (ICS) absent : "
                                                     "tui-factu setting sepa.creditor_id FRkkZZZ……")
    if not own.iban:
        raise InvalidValue("société", "iban", "IBAN de la société absent : tui-factu company set iban=…")
    todo = to_collect(on)
    if not todo:
        raise StateError(f"aucun prélèvement à faire au {on.isoformat()}", "sepa", on.isoformat())
    sdd = SepaDD({"name": own.name or "Créancier", "IBAN": own.iban, "BIC": own.bic or "NOTPROVIDED", "batch": True,
                  "creditor_id": creditor, "currency": "EUR", "instrument": "CORE"}, schema=SCHEMA, clean=True)
    done = []
    with write():
        for doc, mandate, amount in todo:
            n = SepaDebit.select().where(SepaDebit.document == doc.id).count() + 1
            e2e = f"{doc.number}-{n}"[:35]
            sequence = _sequence(mandate)
            cust = doc.customer
            sdd.add_payment({"name": cust.name, "IBAN": mandate.iban, "BIC": mandate.bic or "NOTPROVIDED",
                             "amount": int(amount * 100), "type": sequence, "collection_date": collect_on,
                             "mandate_id": mandate.rum, "mandate_date": mandate.signed_on,
                             "description": f"Facture {doc.number}", "endtoend_id": e2e})
            paid = payments.pay([doc.id], str(amount), "direct_debit", collect_on, e2e)
            SepaDebit.create(document=doc.id, mandate=mandate.id, end_to_end_id=e2e, amount=amount,
                             collection_date=collect_on, sequence=sequence, payment_seq=paid["payment"],
                             user=session.current_user())
            if mandate.recurring and not mandate.first_used:
                Mandate.update(first_used=collect_on).where(Mandate.id == mandate.id).execute()
            done.append({"invoice": doc.number, "amount": fmt2(amount), "sequence": sequence, "end_to_end_id": e2e,
                         "rum": mandate.rum})
        try:
            data = sdd.export(validate=True)
        except Exception as e:  # noqa: BLE001 - sepaxml raises plain exceptions; nothing is kept then
            raise InvalidValue("pain.008", str(e).splitlines()[0][:160], "fichier de prélèvement refusé par le "
                                                                         "schéma ISO") from None
        digest = hashlib.sha256(data).hexdigest()
        SepaDebit.update(file_sha256=digest).where(SepaDebit.end_to_end_id.in_([d["end_to_end_id"] for d in done])).execute()
    return data, done


def returned(end_to_end_id: str, reason: str = "") -> dict:
    """A debit the bank returned: its payment is cancelled, the invoice is open again."""
    permissions.require("payment.cancel")
    debit = SepaDebit.get_or_none(SepaDebit.end_to_end_id == end_to_end_id)
    if debit is None:
        raise NotFound(f"prélèvement inconnu « {end_to_end_id} »", "prélèvement", end_to_end_id)
    if debit.state == "returned":
        raise StateError(f"prélèvement {end_to_end_id} déjà rejeté", "prélèvement", end_to_end_id)
    with write():
        payments.cancel(debit.payment_seq, f"prélèvement rejeté {reason}".strip())
        SepaDebit.update(state="returned", reason=catalog.clean_text("motif", reason, 200)).where(
            SepaDebit.id == debit.id).execute()
    doc = queries.get(debit.document_id)
    return {"invoice": doc.number, "amount": fmt2(debit.amount), "balance": fmt2(payments.balance(doc))}
