"""A stateful Plateforme Agréée on 127.0.0.1 for the tests: the AFNOR Flow Service and Directory
Service (XP Z12-013), an OAuth2 token endpoint with expiring tokens, and the misbehaviours a
real platform has (429, 503, down, an answer lost, a refusal). Every request it receives and
every answer it gives is checked against the AFNOR OpenAPI files with openapi-core (the JSON
part of the multipart upload included); what does not conform lands in `errors`."""
import base64
import datetime as dt
import hashlib
import json
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

AFNOR = Path(__file__).resolve().parents[2] / "shared" / "reference" / "afnor" / "openapi"
FLOW_SPEC = AFNOR / "ANNEXE A - PR XP Z12-013 - AFNOR-Flow_Service-1.1.0-swagger.json"
DIRECTORY_SPEC = AFNOR / "ANNEXE B - PR XP Z12-013 - AFNOR-Directory_Service-1.1.0-swagger.json"
# the servers of the OpenAPI files are https://{sub-domain}.{domain}/…: requests are checked as if there
CANONICAL = {"/flow-service": "https://api.flow.company.com", "/directory-service": "https://api.directory.company.com"}


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Platform:
    def __init__(self, client_id="tui-factu", secret="s3cret-PA", token_lifetime=3600):
        self.client_id, self.secret, self.token_lifetime = client_id, secret, token_lifetime
        self.specs = {"/flow-service": OpenAPI.from_file_path(str(FLOW_SPEC)),
                      "/directory-service": OpenAPI.from_file_path(str(DIRECTORY_SPEC))}
        self.tokens: set[str] = set()
        self.flows: dict[str, dict] = {}          # flowId -> flow (+ "_data")
        self.directory: list[dict] = []
        self.errors: list[str] = []
        self.requests: list[tuple[str, str]] = []
        self.failures: list[tuple[int, str]] = []   # (status, Retry-After) answered before the next calls
        self.refuse_next: tuple[int, str, str] | None = None
        self.lose_next_answer = False
        self.token_requests = 0
        self.lock = threading.Lock()
        self.server = None

    # ---- life ----
    def start(self, port: int = 0) -> "Platform":
        platform = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                platform._handle(self, "get")

            def do_POST(self):
                platform._handle(self, "post")

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self._port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    def urls(self) -> dict:
        return {"url": f"{self.base}/flow-service", "token_url": f"{self.base}/oauth/token",
                "directory_url": f"{self.base}/directory-service"}

    # ---- what a test arranges ----
    def expire_tokens(self) -> None:
        self.tokens.clear()

    def add_lifecycle(self, cdar: bytes, name: str = "cdv.xml") -> str:
        """A lifecycle message addressed to us (an In flow of type CustomerInvoiceLC)."""
        with self.lock:
            fid = uuid.uuid4().hex[:32]
            now = _now()
            self.flows[fid] = {"flowId": fid, "submittedAt": now, "updatedAt": now, "flowType": "CustomerInvoiceLC",
                               "flowDirection": "In", "flowSyntax": "CDAR", "processingRule": "B2B",
                               "acknowledgement": {"status": "Ok"}, "_data": cdar, "_name": name}
            return fid

    def reject(self, tracking_id: str, code: str, message: str) -> None:
        """The platform's later checks failed on one of our flows (ack Error)."""
        with self.lock:
            for f in self.flows.values():
                if f.get("trackingId") == tracking_id:
                    f["acknowledgement"] = {"status": "Error", "details": [
                        {"level": "Error", "item": "BT-49", "reasonCode": "REJ_SEMAN", "reasonMessage": message}]}
                    f["updatedAt"] = _now()

    def outgoing(self) -> list[dict]:
        return [f for f in self.flows.values() if f.get("flowDirection") == "Out"]

    # ---- HTTP ----
    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(h.path)
        self.requests.append((method.upper(), url.path))
        if url.path == "/oauth/token":
            return self._token(h, body)
        prefix = next((p for p in self.specs if url.path.startswith(p + "/")), None)
        if prefix is None:
            return self._answer(h, None, None, 404, {"errorCode": "NOT_FOUND"})
        request = MockRequest(CANONICAL[prefix], method, url.path, args=dict(urllib.parse.parse_qsl(url.query)),
                              data=body, content_type=h.headers.get("Content-Type") or "application/json",
                              headers={k: v for k, v in h.headers.items()})
        checked = self.specs[prefix].unmarshal_request(request)
        for e in checked.errors:
            self.errors.append(f"requête {method.upper()} {url.path} : {e!r} {getattr(e, '__cause__', '')}")
        token = (h.headers.get("Authorization") or "").removeprefix("Bearer ")
        if token not in self.tokens:
            return self._answer(h, prefix, request, 401, {"errorCode": "UNAUTHORIZED", "errorMessage": "token"})
        if self.failures:
            status, retry = self.failures.pop(0)
            return self._answer(h, prefix, request, status, {"errorCode": "BUSY", "errorMessage": "retry"},
                                {"Retry-After": retry})
        if checked.errors:
            return self._answer(h, prefix, request, 400, {"errorCode": "INVALID_REQUEST",
                                                          "errorMessage": str(checked.errors[0])})
        route = (method, url.path.removeprefix(prefix))
        if route == ("post", "/v1/flows"):
            return self._create(h, prefix, request, checked.body)
        if route == ("post", "/v1/flows/search"):
            return self._search(h, prefix, request, json.loads(body))
        if method == "get" and route[1].startswith("/v1/flows/"):
            return self._download(h, prefix, request, urllib.parse.unquote(route[1].rsplit("/", 1)[1]),
                                  dict(urllib.parse.parse_qsl(url.query)).get("docType", "Metadata"))
        if route == ("post", "/v1/directory-line/search"):
            return self._directory(h, prefix, request, json.loads(body))
        return self._answer(h, prefix, request, 404, {"errorCode": "NOT_FOUND"})

    def _token(self, h, body: bytes) -> None:
        self.token_requests += 1
        auth = (h.headers.get("Authorization") or "").removeprefix("Basic ")
        form = dict(urllib.parse.parse_qsl(body.decode()))
        try:
            client, _, secret = base64.b64decode(auth).decode().partition(":")
        except ValueError:
            client, secret = "", ""
        if form.get("grant_type") != "client_credentials" or (urllib.parse.unquote(client), urllib.parse.unquote(secret)) \
                != (self.client_id, self.secret):
            return self._send(h, 401, b'{"error": "invalid_client"}', "application/json")
        token = uuid.uuid4().hex
        self.tokens.add(token)
        payload = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        self._send(h, 200, json.dumps(payload).encode(), "application/json")

    def _create(self, h, prefix, request, body) -> None:
        info, data = body["flowInfo"], body["file"]
        if isinstance(info, (bytes, str)):
            info = json.loads(info)
        if self.refuse_next:
            status, code, message = self.refuse_next
            self.refuse_next = None
            return self._answer(h, prefix, request, status, {"errorCode": code, "errorMessage": message})
        if info.get("sha256") and hashlib.sha256(data).hexdigest() != info["sha256"]:
            return self._answer(h, prefix, request, 422, {"errorCode": "SHA256_MISMATCH", "errorMessage": "sha256"})
        with self.lock:
            if any(f.get("trackingId") == info.get("trackingId") for f in self.outgoing()):
                self.errors.append(f"flux envoyé deux fois : {info.get('trackingId')}")
            fid = uuid.uuid4().hex[:32]
            now = _now()
            self.flows[fid] = {"flowId": fid, "submittedAt": now, "updatedAt": now, "flowDirection": "Out",
                               "flowType": "CustomerInvoiceLC" if info["flowSyntax"] == "CDAR" else "CustomerInvoice",
                               "acknowledgement": {"status": "Pending"}, "_data": data, "_name": info.get("name"),
                               **{k: v for k, v in info.items() if k in ("trackingId", "flowSyntax", "flowProfile",
                                                                         "processingRule")}}
        if self.lose_next_answer:
            self.lose_next_answer = False
            h.close_connection = True
            h.connection.close()          # received, but the answer never reaches the client
            return
        full = {"flowId": fid, "submittedAt": now, **{k: v for k, v in info.items()}}
        self._answer(h, prefix, request, 202, full)

    def _search(self, h, prefix, request, body) -> None:
        where, limit = body.get("where") or {}, body.get("limit") or 25
        found = []
        for f in sorted(self.flows.values(), key=lambda f: f["updatedAt"]):
            if where.get("trackingId") and f.get("trackingId") != where["trackingId"]:
                continue
            if where.get("updatedAfter") and f["updatedAt"] <= where["updatedAfter"]:
                continue
            found.append({k: v for k, v in f.items() if not k.startswith("_")})
        self._answer(h, prefix, request, 200, {"limit": limit, "filters": where, "results": found[:limit]})

    def _download(self, h, prefix, request, fid, doc_type) -> None:
        f = self.flows.get(fid)
        if f is None:
            return self._answer(h, prefix, request, 404, {"errorCode": "NOT_FOUND", "errorMessage": fid})
        if doc_type == "Metadata":
            return self._answer(h, prefix, request, 200, {k: v for k, v in f.items() if not k.startswith("_")})
        self._answer(h, prefix, request, 200, f["_data"], {"Content-Disposition": f"attachment;filename={f['_name']}"},
                     content_type="application/octet-stream")

    def _directory(self, h, prefix, request, body) -> None:
        filters = body.get("filters") or {}
        found = [ln for ln in self.directory
                 if all(ln.get(k, "").startswith((v or {}).get("value", "")) for k, v in filters.items()
                        if k in ("siren", "siret"))]
        self._answer(h, prefix, request, 200, {"totalNumberOfResults": len(found), "results": found})

    def _answer(self, h, prefix, request, status, payload, headers=None, content_type="application/json"):
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if prefix and request is not None:
            response = MockResponse(data, status_code=status, content_type=content_type, headers=headers or {})
            for e in self.specs[prefix].unmarshal_response(request, response).errors:
                self.errors.append(f"réponse {status} à {request.method.upper()} {request.path} : {e!r}")
        self._send(h, status, data, content_type, headers)

    @staticmethod
    def _send(h, status, data: bytes, content_type: str, headers=None) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)
