"""SEPA direct debit (prélèvement SEPA, CORE scheme): the customers' mandates, the pain.008 file
the bank collects from (written and checked against the ISO XSD by sepaxml), and the returns.

A debit sent is recorded as a payment on its collection date (the invoice reads paid); a
return (R-transaction: refusal, insufficient funds…), typed by hand (`returned`) or read from
the bank's camt.054 notice (`returns_file`), cancels that payment, which reopens the invoice.
A mandate is FRST until its first collection, RCUR after (OOFF for a one-off)."""
import datetime as dt
import hashlib
from pathlib import Path

from stdnum import iban as std_iban
from stdnum.exceptions import ValidationError

from . import bank, catalog, clock, files, journal, payments, permissions, session, settings
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
    """The mandates and their IBANs: for who collects payments (not the warehouse)."""
    permissions.require("payment.collect")
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


def export_to(path, on: dt.date | None = None, collect_on: dt.date | None = None) -> list[dict]:
    """export, and its file written whole at path, in one transaction: a file that cannot be
    written leaves no debit recorded (the bank would never collect them)."""
    files.check_output(path, "fichier de prélèvements", "-o")
    with write():
        data, done = export(on, collect_on)
        with files.writing(Path(str(path)), "fichier de prélèvements", "-o") as f:
            f.write(data)
    return done


def returned(end_to_end_id: str, reason: str = "") -> dict:
    """A debit the bank returned: its payment is cancelled, the invoice is open again."""
    permissions.require("payment.cancel")
    debit = SepaDebit.get_or_none(SepaDebit.end_to_end_id == end_to_end_id)
    if debit is None:
        raise NotFound(f"prélèvement inconnu « {end_to_end_id} »", "prélèvement", end_to_end_id)
    if debit.state == "returned":
        raise StateError(f"prélèvement {end_to_end_id} déjà rejeté", "prélèvement", end_to_end_id)
    with write():
        said = f"prélèvement rejeté {reason}".strip()        # the counter-entry's reference: 60 characters
        payments.cancel(debit.payment_seq, said if len(said) <= 60 else said[:59] + "…")
        SepaDebit.update(state="returned", reason=catalog.clean_text("motif", reason, 200)).where(
            SepaDebit.id == debit.id).execute()
    doc = queries.get(debit.document_id)
    return {"invoice": doc.number, "amount": fmt2(debit.amount), "balance": fmt2(payments.balance(doc))}


# The ISO 20022 / EPC return reason codes a French bank sends, said in French
RETURN_REASONS = {
    "AC01": "IBAN du débiteur erroné", "AC04": "compte du débiteur clôturé", "AC06": "compte du débiteur bloqué",
    "AC13": "compte du débiteur : client non professionnel", "AG01": "prélèvement interdit sur ce compte",
    "AG02": "code opération invalide", "AM04": "provision insuffisante", "AM05": "prélèvement en double",
    "BE05": "créancier non reconnu", "CNOR": "banque du créancier injoignable",
    "DNOR": "banque du débiteur injoignable", "FF01": "fichier ou format invalide",
    "MD01": "pas de mandat ou mandat révoqué", "MD02": "mandat incomplet ou erroné",
    "MD06": "remboursement demandé par le débiteur", "MD07": "débiteur décédé", "MS02": "refus du débiteur",
    "MS03": "motif non précisé par la banque", "RC01": "BIC erroné", "RR01": "identification du débiteur manquante",
    "RR02": "nom ou adresse du débiteur manquant", "RR03": "nom ou adresse du créancier manquant",
    "RR04": "motif réglementaire", "SL01": "service particulier de la banque du débiteur",
}
CAMT054 = {f"urn:iso:std:iso:20022:tech:xsd:camt.054.001.{v}": f"camt.054.001.{v}" for v in ("02", "08")}


def reason_label(code: str, extra: str = "") -> str:
    """« AM04 provision insuffisante »: the bank's code and what it means, in French."""
    code = bank.clean(code, 4).upper()
    said = RETURN_REASONS.get(code) or bank.clean(extra, 120) or "motif inconnu"
    return f"{code} {said}".strip()


def _notice(data: bytes, name: str) -> list[tuple[str, str]]:
    """The direct debits a camt.054 says came back: (end-to-end id, reason) of each transaction
    with return information, or of a debit or a reversal naming an end-to-end id."""
    where = "avis camt.054"
    root, ns = bank.iso20022(data, name, where, CAMT054)
    n = {"c": ns}
    out = []
    for entry in root.iterfind("c:BkToCstmrDbtCdtNtfctn/c:Ntfctn/c:Ntry", n):
        side = (entry.findtext("c:CdtDbtInd", namespaces=n) or "").strip()
        reversal = (entry.findtext("c:RvslInd", namespaces=n) or "").strip().lower() == "true"
        for tx in entry.iterfind("c:NtryDtls/c:TxDtls", n):
            e2e = (tx.findtext("c:Refs/c:EndToEndId", namespaces=n) or "").strip()
            back = tx.find("c:RtrInf", n)
            if not e2e or e2e.upper() == "NOTPROVIDED" or (back is None and side != "DBIT" and not reversal):
                continue
            code = extra = ""
            if back is not None:
                code = (back.findtext("c:Rsn/c:Cd", namespaces=n) or back.findtext("c:Rsn/c:Prtry", namespaces=n)
                        or "").strip()
                extra = " ".join(t.text.strip() for t in back.iterfind("c:AddtlInf", n) if t.text)
            out.append((e2e, reason_label(code, extra)))
    return out


def returns_file(path) -> dict:
    """The returned debits of a camt.054 notice (ISO 20022, checked against its schema), all or
    nothing: each known debit's payment cancelled (sealed, the reason in French), its invoice
    open again; a debit already returned is said, not returned twice; an end-to-end id we never
    sent is listed as unknown. The same notice twice changes nothing."""
    permissions.require("payment.cancel")
    data = bank.read(path, "avis camt.054")
    name = Path(str(path)).name
    found = _notice(data, name)
    if not found:
        raise InvalidValue("avis camt.054", name, "aucun prélèvement rejeté dans ce fichier")
    done, already, unknown = [], [], []
    with write():
        for e2e, reason in found:
            debit = SepaDebit.get_or_none(SepaDebit.end_to_end_id == e2e)
            if debit is None:
                unknown.append(bank.clean(e2e, 35))
            elif debit.state == "returned" or any(d["end_to_end_id"] == e2e for d in done):
                already.append(e2e)
            else:
                done.append({"end_to_end_id": e2e, "reason": reason, **returned(e2e, reason)})
        if done:
            journal.event("sepa.returns", {"file": name, "sha256": hashlib.sha256(data).hexdigest(),
                                           "returned": [d["end_to_end_id"] for d in done]})
    return {"returned": done, "already": already, "unknown": unknown}
