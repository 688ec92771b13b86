"""The connection to a Plateforme Agréée, per norm XP Z12-013 (AFNOR Flow Service and Directory
Service APIs, OpenAPI files in shared/reference/afnor/openapi/): OAuth2 client-credentials
tokens, an outbox that keeps the exact bytes of every flow, sends that survive a platform that
is down or busy, a sync that brings the lifecycle statuses back, and the directory lookup.

Never twice: a flow's trackingId is our document number (unique in the outbox), and a flow
whose answer was lost is looked for by trackingId on the platform before it is sent again."""
import base64
import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from . import audit, db as database, einvoicing, lifecycle, permissions, session, settings
from .db import write
from .documents import queries
from .errors import FactuError, InvalidValue, StateError
from .charset import printable
from .models import Customer, Document, PaFlow, utcnow

log = logging.getLogger(__name__)
SECRET_ENV = "TUI_FACTU_PA_SECRET"
TIMEOUT = 20
RETRIES = 4                  # 429 / 503 / a network error, then the flow waits for the next send
MAX_WAIT = 5.0               # seconds, whatever Retry-After says
_token: dict = {}            # (token_url, client_id) -> (token, expires at)


class Unavailable(FactuError):
    """The platform cannot be reached or is busy: what was queued stays queued."""


class Refused(FactuError):
    """The platform refused the request (400, 403, 413, 422): resending the same would fail."""


# ---- configuration ---------------------------------------------------------------------------

def secret_path():
    return database.state_dir() / "pa.secret"


def configure(url: str, token_url: str, client_id: str, secret: str | None, directory_url: str = "") -> None:
    """The platform's addresses and our client id (settings, audited); the secret in a 0600
    file beside the signing key, never in the base, never printed."""
    permissions.require("settings.change")
    if token_url is not None and not secret and _server(token_url) != _server(settings.get("pa.token_url")) \
            and settings.get("pa.token_url") and secret_path().exists():
        # the secret goes to the token address: it never follows an address to another server
        raise InvalidValue("secret", None, "l'adresse des jetons change de serveur : saisissez à nouveau le secret "
                                           "client (il n'est envoyé qu'au serveur pour lequel il a été saisi)")
    with write():                           # every address checked, or none written
        for key, value in (("pa.url", url), ("pa.token_url", token_url), ("pa.client_id", client_id),
                           ("pa.directory_url", directory_url)):
            if value is not None:
                settings.set_value(key, value)
    if secret:
        path = secret_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secret.strip())
    _token.clear()


def _server(url: str | None) -> str:
    parts = urllib.parse.urlsplit((url or "").strip())
    return f"{parts.scheme}://{parts.netloc}".lower()


def configured() -> dict:
    """The settings page's view: addresses and client id; of the secret, only whether one is
    stored (it is never read back for a screen)."""
    permissions.require("settings.change")
    return {"url": settings.get("pa.url"), "token_url": settings.get("pa.token_url"),
            "client_id": settings.get("pa.client_id"), "directory_url": settings.get("pa.directory_url"),
            "secret_set": bool(os.environ.get(SECRET_ENV)) or secret_path().exists(),
            "last_sync": settings.get("pa.last_sync") or None}


def _config() -> tuple[str, str, str, str]:
    url, token_url, client_id = settings.get("pa.url"), settings.get("pa.token_url"), settings.get("pa.client_id")
    if not (url and token_url and client_id):
        raise InvalidValue("plateforme agréée", None, "non configurée : tui-factu pa config --url URL "
                                                      "--token-url URL --client-id ID")
    secret = os.environ.get(SECRET_ENV)
    if secret is None:
        try:
            secret = secret_path().read_text(encoding="utf-8").strip()
        except OSError:
            raise InvalidValue("plateforme agréée", None, f"secret absent : {SECRET_ENV} ou tui-factu pa config "
                                                          "(le secret est demandé)") from None
    return url, token_url, client_id, secret


# ---- HTTP --------------------------------------------------------------------------------------

def _token_for(token_url: str, client_id: str, secret: str, fresh: bool = False) -> str:
    key = (token_url, client_id)
    cached = _token.get(key)
    if cached and not fresh and cached[1] > time.monotonic() + 5:
        return cached[0]
    body = urllib.parse.urlencode({"grant_type": "client_credentials"}).encode()
    basic = base64.b64encode(f"{urllib.parse.quote(client_id)}:{urllib.parse.quote(secret)}".encode()).decode()
    status, _, data = _http("POST", token_url, body, {"Content-Type": "application/x-www-form-urlencoded",
                                                      "Authorization": f"Basic {basic}"})
    if status != 200:
        raise Refused(f"plateforme agréée : jeton refusé ({status}) : vérifiez l'identifiant et le secret",
                      "jeton", status)
    answer = json.loads(data or b"{}")
    if not answer.get("access_token"):
        raise Refused("plateforme agréée : réponse de jeton sans access_token", "jeton", None)
    _token[key] = (answer["access_token"], time.monotonic() + float(answer.get("expires_in") or 300))
    return answer["access_token"]


def _http(method: str, url: str, body: bytes | None, headers: dict) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers or {}), e.read()
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise Unavailable(f"plateforme agréée injoignable ({reason}) : rien n'est perdu, relancez plus tard",
                          "plateforme", url) from None


def call(method: str, path: str, *, payload=None, files=None, base: str | None = None,
         accept: str = "application/json", idempotent: bool = True) -> tuple[int, bytes, dict]:
    """One API call with our bearer token: a token refused (401) is renewed once; 429 and 503
    wait (Retry-After, bounded) and retry; other answers go back to the caller. A deposit is
    not idempotent: after a broken connection it is not repeated here (the platform may have
    it), the next send looks for it by trackingId first."""
    url, token_url, client_id, secret = _config()
    target = (base or url) + path
    headers = {"Accept": accept, "X-Request-Id": str(uuid.uuid4())}
    body = None
    if files is not None:
        boundary = uuid.uuid4().hex
        body = _multipart(boundary, files)
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
    elif payload is not None:
        body = json.dumps(payload).encode()
        headers["Content-Type"] = "application/json"
    fresh = False
    for attempt in range(RETRIES + 1):
        headers["Authorization"] = "Bearer " + _token_for(token_url, client_id, secret, fresh)
        try:
            status, answer_headers, data = _http(method, target, body, headers)
        except Unavailable:
            if attempt == RETRIES or not idempotent:
                raise
            time.sleep(min(MAX_WAIT, 0.2 * 2 ** attempt))
            continue
        if status == 401 and not fresh:
            fresh = True
            continue
        if status in (429, 503) and attempt < RETRIES:
            time.sleep(min(MAX_WAIT, _retry_after(answer_headers, attempt)))
            continue
        if status in (429, 500, 502, 503, 504):
            raise Unavailable(f"plateforme agréée indisponible ({status}) : rien n'est perdu, relancez plus tard",
                              "plateforme", status)
        return status, data, answer_headers
    raise Unavailable("plateforme agréée indisponible : rien n'est perdu, relancez plus tard", "plateforme", None)


def _retry_after(headers: dict, attempt: int) -> float:
    value = {k.lower(): v for k, v in headers.items()}.get("retry-after", "")
    return float(value) if value.replace(".", "", 1).isdigit() else 0.2 * 2 ** attempt


def _multipart(boundary: str, parts: list[tuple[str, str, str, bytes]]) -> bytes:
    """(field, file name or "", content type, bytes) -> a multipart/form-data body."""
    out = b""
    for name, filename, ctype, data in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += (f"--{boundary}\r\nContent-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n"
                .encode() + data + b"\r\n")
    return out + f"--{boundary}--\r\n".encode()


def _refusal(status: int, data: bytes) -> str:
    try:
        err = json.loads(data)
        text = f"{err.get('errorCode', status)} : {err.get('errorMessage', '')}".strip(" :")
    except (ValueError, AttributeError):
        return str(status)
    return printable(text[:300], False)          # the platform's words reach terminals and screens


# ---- sending -----------------------------------------------------------------------------------

_PROCESSING = {"B2B": "B2B", "B2BINT": "B2BInt", "B2C": "B2C"}


def queue(refs: list[str], render) -> list[PaFlow]:
    """Puts each invoice or credit note in the outbox with the bytes to send (once: a document
    already queued or sent keeps its flow). `render(doc) -> (bytes, file name)` is the Factur-X
    writer, given by the caller (the core knows no printer)."""
    permissions.require("einvoice.send")
    out = []
    for ref in refs:
        doc = queries.resolve(ref)
        if doc.kind not in ("invoice", "credit_note") or not doc.number:
            raise StateError(f"{queries.label(doc)} : seule une facture ou un avoir validé se transmet",
                             "document", queries.label(doc))
        existing = PaFlow.get_or_none((PaFlow.document == doc.id) & (PaFlow.what == "invoice"))
        if existing:
            out.append(existing)
            continue
        data, name = render(doc)
        with write():
            out.append(PaFlow.create(document=doc.id, what="invoice", syntax="Factur-X", tracking_id=doc.number,
                                     file_name=name, data=data, sha256=hashlib.sha256(data).hexdigest(),
                                     user=session.current_user()))
    return out


def queue_status(doc: Document, code: int, data: bytes) -> PaFlow:
    permissions.require("einvoice.send")
    tracking = f"{doc.number}-{code}"
    existing = PaFlow.get_or_none(PaFlow.tracking_id == tracking)
    if existing:
        return existing
    with write():
        lifecycle.record_own(doc, code, data)
        return PaFlow.create(document=doc.id, what="status", status_code=code, syntax="CDAR", tracking_id=tracking,
                             file_name=f"{tracking}.xml", data=data, sha256=hashlib.sha256(data).hexdigest(),
                             user=session.current_user())


def send_pending(flows: list[PaFlow] | None = None) -> list[dict]:
    """Sends what waits in the outbox. Stops at the first sign that the platform is down (the
    rest waits); a refusal marks that flow refused with the platform's words."""
    permissions.require("einvoice.send")
    todo = flows if flows is not None else list(PaFlow.select().where(PaFlow.state == "pending").order_by(PaFlow.id))
    report = []
    for flow in todo:
        flow = PaFlow.get_by_id(flow.id)
        if flow.state != "pending":
            report.append({"ref": flow.tracking_id, "state": flow.state, "flow_id": flow.flow_id or None,
                           "message": "déjà transmise" if flow.state == "sent" else flow.error})
            continue
        report.append(_send_one(flow))
    return report


def send(refs: list[str], render) -> list[dict]:
    """Queue then send, for a screen: a platform that is down is no error, what was queued
    waits in the outbox and each line says so."""
    flows = queue(refs, render)
    try:
        return send_pending(flows)
    except Unavailable as e:
        out = []
        for f in flows:
            f = PaFlow.get_by_id(f.id)
            out.append({"ref": f.tracking_id, "state": f.state, "flow_id": f.flow_id or None,
                        "message": {"sent": "transmise", "refused": f.error}.get(
                            f.state, f"en file d'attente : {e}")})
        return out


def _send_one(flow: PaFlow) -> dict:
    PaFlow.update(attempts=PaFlow.attempts + 1).where(PaFlow.id == flow.id).execute()
    known = _find_by_tracking(flow.tracking_id) if flow.attempts else None   # an answer lost last time
    if known:
        return _mark_sent(flow, known)
    doc = Document.get_by_id(flow.document_id)
    info = {"trackingId": flow.tracking_id, "name": flow.file_name, "flowSyntax": flow.syntax,
            "flowProfile": "CIUS", "sha256": flow.sha256,
            "processingRule": _PROCESSING[einvoicing.treatment(json.loads(doc.customer_snapshot or "{}"))]}
    ctype = "application/pdf" if flow.file_name.endswith(".pdf") else "application/xml"
    status, data, _ = call("POST", "/v1/flows", idempotent=False,
                           files=[("flowInfo", "", "application/json", json.dumps(info).encode()),
                                  ("file", flow.file_name, ctype, bytes(flow.data))])
    if status == 202:
        return _mark_sent(flow, json.loads(data))
    why = _refusal(status, data)
    with write():
        PaFlow.update(state="refused", error=why).where(PaFlow.id == flow.id).execute()
    log.warning("plateforme : %s refusée (%s)", flow.tracking_id, why)
    return {"ref": flow.tracking_id, "state": "refused", "flow_id": None, "message": why}


def _mark_sent(flow: PaFlow, info: dict) -> dict:
    with write():
        PaFlow.update(state="sent", flow_id=info.get("flowId") or "", sent_at=utcnow(), error="").where(
            PaFlow.id == flow.id).execute()
    log.info("plateforme : %s transmise (flux %s)", flow.tracking_id, info.get("flowId"))
    return {"ref": flow.tracking_id, "state": "sent", "flow_id": info.get("flowId"), "message": "transmise"}


def _find_by_tracking(tracking_id: str) -> dict | None:
    status, data, _ = call("POST", "/v1/flows/search", payload={"where": {"trackingId": tracking_id}, "limit": 1})
    if status != 200:
        return None
    results = json.loads(data).get("results") or []
    return results[0] if results else None


# ---- statuses back -----------------------------------------------------------------------------

def sync() -> dict:
    """Brings back what changed since the last sync: lifecycle messages (applied, each once) and
    the acknowledgement of our flows (a flow the platform found in error is marked refused)."""
    permissions.require("einvoice.send")
    since = settings.get("pa.last_sync") or "2000-01-01T00:00:00Z"
    applied, refused, errors, latest = [], [], [], since
    while True:
        status, data, _ = call("POST", "/v1/flows/search", payload={"where": {"updatedAfter": since}, "limit": 100})
        if status != 200:
            raise Refused(f"plateforme agréée : recherche refusée ({_refusal(status, data)})", "plateforme", status)
        results = json.loads(data).get("results") or []
        for flow in results:
            latest = max(latest, flow.get("updatedAt") or latest)
            if flow.get("flowType", "").endswith("InvoiceLC") and flow.get("flowDirection") == "In":
                got, body, _ = call("GET", f"/v1/flows/{urllib.parse.quote(flow['flowId'])}?docType=Original",
                                    accept="application/octet-stream")
                try:
                    applied += lifecycle.apply(body, "pa", flow["flowId"]) if got == 200 else []
                except FactuError as e:
                    errors.append(f"flux {flow['flowId']} : {e}")
            ack = (flow.get("acknowledgement") or {}).get("status")
            if ack == "Error" and flow.get("flowDirection", "Out") == "Out":
                refused += _ack_error(flow)
        if len(results) < 100 or latest == since:
            break
        since = latest
    with write():
        settings.store("pa.last_sync", latest)
    said = send_pending([queue_status(doc, 212, lifecycle.paid_message(doc)) for doc in _paid_to_say()])
    return {"statuses": applied, "refused": refused, "errors": errors, "since": latest, "paid_sent": said}


def _paid_to_say() -> list[Document]:
    """Invoices of services (VAT due on receipts) sent to the platform and now fully paid,
    whose « encaissée » (212) is ours to send and not yet sent."""
    from .models import DocumentLine, EinvoiceStatus
    sent = PaFlow.select(PaFlow.document).where((PaFlow.what == "invoice") & (PaFlow.state == "sent"))
    said = EinvoiceStatus.select(EinvoiceStatus.document).where(EinvoiceStatus.code == 212)
    from .models import Payment, PaymentAllocation
    written_off = (PaymentAllocation.select(PaymentAllocation.document).join(Payment)
                   .where(Payment.method == "writeoff"))          # not money received: no « encaissée »
    services = DocumentLine.select(DocumentLine.document).where(DocumentLine.kind.in_(("service", "labour",
                                                                                      "equipment")))
    return list(Document.select().where(Document.id.in_(sent) & Document.id.not_in(said) & Document.id.not_in(written_off)
                                        & Document.id.in_(services) & (Document.kind == "invoice")
                                        & (Document.status == "paid")).order_by(Document.id))


def _ack_error(flow: dict) -> list[str]:
    details = printable("; ".join(f"{d.get('reasonCode')} {d.get('reasonMessage')}".strip()
                                  for d in (flow.get("acknowledgement") or {}).get("details") or [])[:300], False)
    with write():
        n = PaFlow.update(state="refused", error=details or "erreur signalée par la plateforme").where(
            (PaFlow.flow_id == flow.get("flowId")) & (PaFlow.state != "refused")).execute()
    return [flow.get("trackingId") or flow.get("flowId")] if n else []


# ---- directory ---------------------------------------------------------------------------------

def lookup(identifier: str) -> dict:
    """The buyer's electronic address in the directory (a SIREN or a SIRET), stored on the
    customers with that SIREN."""
    permissions.require("catalog.edit")
    ident = "".join(identifier.split())
    if not ident.isdigit() or len(ident) not in (9, 14):
        raise InvalidValue("SIREN ou SIRET", identifier, "9 ou 14 chiffres attendus")
    key = "siren" if len(ident) == 9 else "siret"
    base = settings.get("pa.directory_url") or settings.get("pa.url")
    status, data, _ = call("POST", "/v1/directory-line/search", base=base,
                           payload={"filters": {key: {"op": "contains", "value": ident}}, "limit": 10})
    if status != 200:
        raise Refused(f"annuaire : recherche refusée ({_refusal(status, data)})", "annuaire", status)
    lines = json.loads(data).get("results") or []
    if not lines:
        raise InvalidValue(key, ident, "absent de l'annuaire : l'entreprise ne reçoit pas encore de factures "
                                       "électroniques")
    best = sorted(lines, key=lambda ln: (len(ln.get("addressingIdentifier") or ""), ln.get("addressingIdentifier")))[0]
    address = einvoicing.clean_address(best.get("addressingIdentifier"), "adresse de l'annuaire")
    siren = best.get("siren") or ident[:9]
    updated = []
    with write():
        for c in Customer.select().where(Customer.siren == siren):
            if c.einvoice_address != address:
                Customer.update(einvoice_address=address).where(Customer.id == c.id).execute()
                audit.record("customer", c.id, c.code, {"adresse électronique": (c.einvoice_address, address)})
            updated.append(c.code)
    return {"siren": siren, "einvoice_address": address, "platform": (best.get("platform") or {}),
            "routing": (best.get("routingCode") or {}).get("routingIdentifier"), "customers": updated}


def status_of(ref: str) -> dict:
    doc = queries.resolve(ref)
    return {"number": doc.number, "einvoice": lifecycle.state(doc.id)}

