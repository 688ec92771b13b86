"""What became of an issued e-invoice: the lifecycle statuses of XP Z12-012 (§5, CDAR messages),
read from the platform or from a file, checked, stored once each and sealed; and the statuses
that are the seller's to send (212 « encaissée »), written as CDAR D22B.

A message is refused whole, changing nothing, when it is not a CDAR, names an invoice we did not
issue (unknown number, another seller's SIREN, another date or type) or comes out of order."""
import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal

from lxml import etree
from lxml.builder import ElementMaker

from . import catalog, clock, journal, session
from .charset import printable
from .db import write
from .documents import queries
from .errors import InvalidValue, NotFound, StateError
from .models import Document, EinvoiceStatus, utcnow

# code -> (label, phase); the transmission phase is the platforms', the processing phase the buyer's
STATUSES = {
    200: ("Déposée", "transmission"), 201: ("Émise par la plateforme", "transmission"),
    202: ("Reçue par la plateforme", "transmission"), 203: ("Mise à disposition", "transmission"),
    213: ("Rejetée", "transmission"),
    204: ("Prise en charge", "processing"), 205: ("Approuvée", "processing"),
    206: ("Approuvée partiellement", "processing"), 207: ("En litige", "processing"),
    208: ("Suspendue", "processing"), 209: ("Complétée", "processing"), 210: ("Refusée", "processing"),
    211: ("Paiement transmis", "processing"), 212: ("Encaissée", "processing"),
    220: ("Annulée", "processing"),
}
FINAL = {210: "refusée", 213: "rejetée", 220: "annulée"}
# What the seller does next, shown where the status is (dashboard, document)
NEXT_STEP = {
    210: "la facture est refusée : faites un avoir total (doc credit) puis, si besoin, une nouvelle facture",
    213: "la facture est rejetée par la plateforme : corrigez ce qui est dit et émettez une facture rectificative "
         "(doc replace)",
    207: "la facture est en litige : voyez le motif avec le client ; les relances sont suspendues",
    208: "la facture est suspendue : le client attend un complément (motif ci-dessus)",
}
# The state in a list's column, a word or two: the last status, else where the outbox is
SHORT = {200: "déposée", 201: "émise", 202: "reçue", 203: "mise à dispo", 204: "prise en ch.", 205: "approuvée",
         206: "appr. part.", 207: "en litige", 208: "suspendue", 209: "complétée", 210: "refusée",
         211: "payée", 212: "encaissée", 213: "rejetée", 220: "annulée"}
OUTBOX = {"pending": "en file", "sent": "transmise", "refused": "refus dépôt"}
TO_SEND = "à envoyer"
# The list's filter, in the order a key cycles through it (0: no status yet)
FILTERS = [(0, "sans statut"), (200, "déposée"), (202, "reçue"), (204, "prise en ch."), (205, "approuvée"),
           (207, "en litige"), (208, "suspendue"), (210, "refusée"), (211, "payée"), (212, "encaissée"),
           (213, "rejetée")]
SOURCES = {"pa": "plateforme", "file": "fichier", "self": "nous (vendeur)"}
# UNTDID 1373 status (MDT-88) and CDAR type (MDT-77: 305 transmission, 23 processing), BR-FR-CDV-CL-05
_UNTDID = {200: "10", 201: "51", 202: "43", 203: "48", 213: "8", 204: "45", 208: "39", 209: "37",
           210: "50", 206: "49", 211: "47", 212: "47", 207: "46", 205: "1"}
NS = {"rsm": "urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100",
      "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
      "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
      "qdt": "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"}

RSM, RAM, UDT, QDT = (ElementMaker(namespace=NS[k], nsmap=NS) for k in ("rsm", "ram", "udt", "qdt"))


@dataclass
class Message:
    """One status of one invoice, as a CDAR says it."""
    message_id: str
    number: str
    type_code: str
    invoice_date: dt.date | None
    code: int
    at: str
    seller_siren: str
    reason_code: str = ""
    reason: str = ""
    action: str = ""
    amounts: dict = field(default_factory=dict)


def label(code: int) -> str:
    return STATUSES.get(code, (str(code), ""))[0]


def short(code: int | None, outbox: str | None = None) -> str:
    """What a list shows of an issued invoice: its last status, else its place in the outbox,
    else « à envoyer »."""
    if code:
        return SHORT.get(code, str(code))
    return OUTBOX.get(outbox or "", TO_SEND)


def outbox_states(doc_ids: list[int]) -> dict[int, str]:
    """document id -> the state of its flow in the outbox (one query for a page)."""
    from .models import PaFlow
    if not doc_ids:
        return {}
    return dict(PaFlow.select(PaFlow.document, PaFlow.state)
                .where(PaFlow.document.in_(doc_ids) & (PaFlow.what == "invoice")).tuples())


def _stamp(text: str) -> str:
    """CDAR date-times (format 204, YYYYMMDDHHMMSS, or 102) to ISO."""
    text = (text or "").strip()
    try:
        if len(text) == 14:
            return dt.datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=dt.timezone.utc).isoformat()
        if len(text) == 8:
            return dt.datetime.strptime(text, "%Y%m%d").replace(tzinfo=dt.timezone.utc).isoformat()
    except ValueError:
        pass
    raise InvalidValue("CDAR", text, "date-heure illisible (AAAAMMJJHHMMSS attendu)")


def parse(data: bytes) -> list[Message]:
    """Every status a CDAR carries. Refuses what is not a readable CDAR, with a French line."""
    try:
        root = etree.fromstring(data, parser=etree.XMLParser(resolve_entities=False, no_network=True,
                                                             huge_tree=False))
    except etree.XMLSyntaxError as e:
        raise InvalidValue("CDAR", str(e).splitlines()[0][:120], "XML illisible") from None
    if root.tag != f"{{{NS['rsm']}}}CrossDomainAcknowledgementAndResponse":
        raise InvalidValue("CDAR", etree.QName(root).localname, "message de cycle de vie CDAR attendu")
    message_id = root.findtext("rsm:ExchangedDocument/ram:ID", default="", namespaces=NS).strip()
    out = []
    for ack in root.findall("rsm:AcknowledgementDocument", NS):
        for ref in ack.findall("ram:ReferenceReferencedDocument", NS):
            code_text = ref.findtext("ram:ProcessConditionCode", default="", namespaces=NS).strip()
            if not code_text.isdigit() or int(code_text) not in STATUSES:
                raise InvalidValue("CDAR", code_text, "code de statut inconnu (200 à 213, 220)")
            issued = ref.findtext("ram:FormattedIssueDateTime/qdt:DateTimeString", default="", namespaces=NS)
            detail = ref.find("ram:SpecifiedDocumentStatus", NS)
            amounts = {}
            for c in ref.findall("ram:SpecifiedDocumentStatus/ram:SpecifiedDocumentCharacteristic", NS):
                amount = c.findtext("ram:ValueAmount", default="", namespaces=NS).strip()
                if amount:
                    amounts[c.findtext("ram:TypeCode", default="", namespaces=NS).strip()] = amount
            out.append(_clean(Message(
                message_id=message_id or "", number=ref.findtext("ram:IssuerAssignedID", default="",
                                                                 namespaces=NS).strip(),
                type_code=ref.findtext("ram:TypeCode", default="", namespaces=NS).strip(),
                invoice_date=dt.datetime.strptime(issued.strip(), "%Y%m%d").date() if issued.strip() else None,
                code=int(code_text),
                at=_stamp(ack.findtext("ram:IssueDateTime/udt:DateTimeString", default="", namespaces=NS)),
                seller_siren=ref.findtext("ram:IssuerTradeParty/ram:GlobalID", default="", namespaces=NS).strip(),
                reason_code=detail.findtext("ram:ReasonCode", default="", namespaces=NS).strip() if detail is not None else "",
                reason=detail.findtext("ram:Reason", default="", namespaces=NS).strip() if detail is not None else "",
                action=detail.findtext("ram:RequestedAction", default="", namespaces=NS).strip() if detail is not None else "",
                amounts=amounts)))
    if not out:
        raise InvalidValue("CDAR", message_id, "aucun statut de facture dans le message")
    if not message_id:
        raise InvalidValue("CDAR", None, "identifiant du message (MDT-4) manquant")
    return out


def _clean(msg: Message) -> Message:
    """What a platform or a file says reaches terminals, screens and PDFs: every control or
    invisible character written as its code, lengths bounded."""
    for name in ("message_id", "number", "type_code", "seller_siren", "reason_code", "reason", "action"):
        setattr(msg, name, printable(getattr(msg, name)[:400], False))
    return msg


def history(doc_id: int) -> list[EinvoiceStatus]:
    return list(EinvoiceStatus.select().where(EinvoiceStatus.document == doc_id)
                .order_by(EinvoiceStatus.at, EinvoiceStatus.id))


def _check(msg: Message, doc: Document, known: list[EinvoiceStatus]) -> None:
    own = catalog.company().siren
    if msg.seller_siren and own and msg.seller_siren != own:
        raise InvalidValue("CDAR", msg.seller_siren, f"{msg.number} : le SIREN du vendeur n'est pas le nôtre ({own})")
    if doc.kind not in ("invoice", "credit_note") or not doc.number:
        raise InvalidValue("CDAR", msg.number, "ne désigne pas une facture ou un avoir émis")
    if msg.invoice_date and msg.invoice_date != doc.date:
        raise InvalidValue("CDAR", msg.invoice_date.isoformat(),
                           f"{doc.number} est datée du {doc.date.isoformat()} : ce statut parle d'une autre facture")
    expected = "381" if doc.kind == "credit_note" else None
    if msg.type_code and expected and msg.type_code != expected:
        raise InvalidValue("CDAR", msg.type_code, f"{doc.number} est un avoir (381)")
    finals = [s for s in known if s.code in FINAL]
    if finals:
        raise StateError(f"{doc.number} est déjà {FINAL[finals[0].code]} : statut {msg.code} ({label(msg.code)}) "
                         "hors d'ordre", "statut", msg.code)
    phase = STATUSES[msg.code][1]
    if phase == "transmission":
        if any(STATUSES[s.code][1] == "processing" for s in known):
            raise StateError(f"{doc.number} : statut de transmission {msg.code} ({label(msg.code)}) après un statut "
                             "de traitement : hors d'ordre", "statut", msg.code)
        if msg.code != 213 and any(s.code > msg.code and s.code != 213 for s in known
                                   if STATUSES[s.code][1] == "transmission"):
            raise StateError(f"{doc.number} : statut {msg.code} ({label(msg.code)}) après "
                             f"{max(s.code for s in known)} : hors d'ordre", "statut", msg.code)
    if any(s.code == 212 for s in known):
        raise StateError(f"{doc.number} est déjà encaissée : statut {msg.code} hors d'ordre", "statut", msg.code)


def apply(data: bytes, source: str, flow_id: str = "") -> list[dict]:
    """Parses a CDAR and records its statuses, all or nothing. A message already recorded is
    not recorded twice (the platform may return it again)."""
    messages = parse(data)
    done = []
    with write():
        for msg in messages:
            doc = Document.get_or_none((Document.number == msg.number)
                                       & Document.kind.in_(("invoice", "credit_note")))
            if doc is None:
                raise NotFound(f"CDAR : facture inconnue « {msg.number} »", "facture", msg.number)
            known = history(doc.id)
            # the same message again, or the same status once more (its copy for the PPF)
            if any(r.message_id == msg.message_id and r.code == msg.code for r in known) or \
                    (known and known[-1].code == msg.code):
                done.append({"number": doc.number, "code": msg.code, "status": label(msg.code), "new": False})
                continue
            _check(msg, doc, known)
            _record(doc, msg, source, flow_id)
            done.append({"number": doc.number, "code": msg.code, "status": label(msg.code), "new": True})
    return done


def _record(doc: Document, msg: Message, source: str, flow_id: str) -> None:
    EinvoiceStatus.create(document=doc.id, code=msg.code, at=msg.at, reason_code=msg.reason_code,
                          reason=msg.reason, action=msg.action, amounts=json.dumps(msg.amounts, sort_keys=True),
                          source=source, message_id=msg.message_id, flow_id=flow_id,
                          user=session.current_user())
    journal.seal("event", "einvoice_status", doc.number,
                 {"action": "einvoice_status", "at": utcnow(), "user": session.current_user(),
                  "ref": doc.number, "detail": {"code": msg.code, "status": label(msg.code), "date": msg.at,
                                                "reason": msg.reason_code, "source": source,
                                                "message": msg.message_id, "amounts": msg.amounts}})


def state(doc_id: int) -> dict:
    """The `einvoice` part of `doc show --json`: the last status and the whole history."""
    rows = history(doc_id)
    from .models import PaFlow
    flow = (PaFlow.select().where((PaFlow.document == doc_id) & (PaFlow.what == "invoice"))
            .order_by(PaFlow.id.desc()).first())
    last = rows[-1] if rows else None
    return {"syntax": flow.syntax if flow else None, "flow_id": (flow.flow_id or None) if flow else None,
            "sent": flow.state if flow else None,
            "status_code": last.code if last else None, "status": label(last.code) if last else None,
            "next_step": NEXT_STEP.get(last.code) if last else None,
            "history": [{"code": r.code, "label": label(r.code), "date": r.at,
                         "reason": " — ".join(x for x in (r.reason_code, r.reason, r.action) if x) or None}
                        for r in rows]}


def timeline(doc_id: int) -> dict:
    """The history screen of an issued invoice or credit note: every status with its date, who
    said it (platform, file, us) and why, what the outbox did, and what to do next."""
    doc = Document.get_or_none(Document.id == doc_id)
    if doc is None or doc.kind not in ("invoice", "credit_note") or not doc.number:
        label_ = queries.label(doc) if doc else f"#{doc_id}"
        raise StateError(f"{label_} : seule une facture ou un avoir validé a un cycle de vie électronique",
                         "document", label_)
    rows = [{"date": r.at, "code": r.code, "label": label(r.code), "source": SOURCES.get(r.source, r.source),
             "user": r.user or None, "reason": " — ".join(x for x in (r.reason_code, r.reason, r.action) if x) or None,
             "amounts": json.loads(r.amounts or "{}")} for r in history(doc.id)]
    from .models import PaFlow
    flow = PaFlow.get_or_none((PaFlow.document == doc.id) & (PaFlow.what == "invoice"))
    out = {"id": doc.id, "number": doc.number, "kind": doc.kind, "rows": rows, **state(doc.id)}
    out["short"] = short(out["status_code"], flow.state if flow else None)
    out["flow_error"] = (flow.error or None) if flow else None
    out["sent_at"] = flow.sent_at if flow else None
    return out


def needing_action(limit: int = 20) -> list[dict]:
    """Issued invoices whose last status asks the seller to act (refused, rejected, disputed,
    suspended): the dashboard's list, with what to do next."""
    from .documents.queries import last_einvoice_statuses
    rows = (EinvoiceStatus.select(EinvoiceStatus.document).where(EinvoiceStatus.code.in_(list(NEXT_STEP)))
            .distinct().tuples())
    ids = [r[0] for r in rows]
    last = last_einvoice_statuses(ids)
    out = []
    for doc in Document.select().where(Document.id.in_([i for i, c in last.items() if c in NEXT_STEP])) \
            .order_by(Document.date.desc(), Document.id.desc()).limit(limit):
        code = last[doc.id]
        out.append({"number": doc.number, "code": code, "status": label(code), "next_step": NEXT_STEP[code],
                    "id": doc.id})
    return out + refused_deposits(limit - len(out))


def refused_deposits(limit: int = 20) -> list[dict]:
    """Invoices the platform refused at the deposit (400/422: the file never went out), with
    its words: the dashboard shows them beside the refused statuses."""
    from .models import PaFlow
    if limit <= 0:
        return []
    rows = (PaFlow.select(PaFlow.document, Document.number, PaFlow.error).join(Document)
            .where((PaFlow.state == "refused") & (PaFlow.what == "invoice") & Document.id.not_in(
                EinvoiceStatus.select(EinvoiceStatus.document)))
            .order_by(PaFlow.id.desc()).limit(limit).tuples())
    return [{"number": number, "code": None, "status": "Dépôt refusé", "id": doc_id,
             "next_step": f"dépôt refusé par la plateforme ({error or 'motif non donné'}) : corrigez et émettez "
                          "une facture rectificative (doc replace)"} for doc_id, number, error in rows]


# ---- the statuses we send -------------------------------------------------------------------

def paid_message(doc: Document, at: dt.datetime | None = None) -> bytes:
    """The CDAR « encaissée » (212) of a fully paid invoice: the amount received (MEN) and the
    VAT rate, as XP Z12-012 asks (BR-FR-CDV-14). The seller sends it for services, whose VAT is
    due on receipts."""
    from . import payments
    if doc.kind != "invoice" or not doc.number:
        raise StateError(f"{queries.label(doc)} : seule une facture émise peut être dite encaissée", "document",
                         queries.label(doc))
    from .models import Payment, PaymentAllocation
    if (PaymentAllocation.select().join(Payment).where((PaymentAllocation.document == doc.id)
                                                        & (Payment.method == "writeoff")).exists()):
        raise StateError(f"{doc.number} a été passée en pertes en partie : elle n'est pas « encaissée »", "document",
                         doc.number)
    if payments.balance(doc) != 0:
        raise StateError(f"{doc.number} n'est pas entièrement payée (reste {payments.balance(doc)} €) : "
                         "pas de statut « encaissée »", "document", doc.number)
    seller = json.loads(doc.seller_snapshot or "{}") or catalog.company_snapshot()
    customer = json.loads(doc.customer_snapshot or "{}")
    if not seller.get("siren"):
        raise InvalidValue("société", "siren", "renseignez le SIREN (tui-factu company set siren=…)")
    at = at or clock.now()
    stamp = at.strftime("%Y%m%d%H%M%S")
    vat = queries.vat_of(doc.id)
    recipient = [RAM.GlobalID(customer["siren"], schemeID="0002")] if customer.get("siren") else []
    recipient += [RAM.Name(customer.get("name") or ""), RAM.RoleCode("BY")]
    if customer.get("siren"):
        recipient.append(RAM.URIUniversalCommunication(
                               RAM.URIID(customer.get("einvoice_address") or customer["siren"],
                                     schemeID="0225")))
    characteristics = [
        RAM.SpecifiedDocumentCharacteristic(RAM.TypeCode("MEN"),
              RAM.ValueChangedIndicator(UDT.IndicatorString("false")),
              RAM.ValueAmount(f"{v.basis + v.amount:.2f}", currencyID="EUR"),
              RAM.ValuePercent(f"{Decimal(v.rate):.2f}"))
        for v in vat]
    root = RSM.CrossDomainAcknowledgementAndResponse(
        RSM.ExchangedDocumentContext(
              RAM.BusinessProcessSpecifiedDocumentContextParameter(RAM.ID("REGULATED")),
              RAM.GuidelineSpecifiedDocumentContextParameter(RAM.ID("urn.cpro.gouv.fr:1p0:CDV:invoice"))),
        RSM.ExchangedDocument(
              RAM.ID(f"{doc.number}_212_{stamp}"), RAM.Name(f"{doc.number} encaissée"),
              RAM.IssueDateTime(UDT.DateTimeString(stamp, format="204")),
              RAM.SenderTradeParty(RAM.RoleCode("WK")),
              RAM.IssuerTradeParty(RAM.GlobalID(seller["siren"], schemeID="0002"),
                    RAM.Name(seller.get("name") or ""), RAM.RoleCode("SE")),
              RAM.RecipientTradeParty(*recipient)),
        RSM.AcknowledgementDocument(
              RAM.MultipleReferencesIndicator(UDT.Indicator("false")),
              RAM.TypeCode("23"),
              RAM.IssueDateTime(UDT.DateTimeString(stamp, format="204")),
              RAM.ReferenceReferencedDocument(
                    RAM.IssuerAssignedID(doc.number), RAM.StatusCode(_UNTDID[212]),
                    RAM.TypeCode("386" if doc.type == "deposit" else "380"),
                    RAM.FormattedIssueDateTime(QDT.DateTimeString(doc.date.strftime("%Y%m%d"),
                                                         format="102")),
                    RAM.ProcessConditionCode("212"), RAM.ProcessCondition("Encaissée"),
                    RAM.IssuerTradeParty(RAM.GlobalID(seller["siren"], schemeID="0002")),
                    RAM.SpecifiedDocumentStatus(*characteristics))))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def record_own(doc: Document, code: int, data: bytes) -> None:
    """A status we send is part of the history too (source self), once."""
    msg = parse(data)[0]
    with write():
        if not EinvoiceStatus.select().where((EinvoiceStatus.message_id == msg.message_id)).exists():
            _check(msg, doc, history(doc.id))
            _record(doc, msg, "self", "")
