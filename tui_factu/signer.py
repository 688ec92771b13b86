"""The company's signer: who holds the private key, signs records, and keeps the tail anchor.

Two forms, one interface (`Signer`):

- the key file beside the base (`<base>.d/signing.key`, mode 0600, and `anchor.log`): one
  machine, one OS account, as a shop with a single counter runs it;
- a signing service (`tui-factu signer serve`), run by an account of its own that alone can
  read the key, reached through a socket (`<base>.d/signer.sock`). Clerks sign through it
  without ever reading the key. The service computes each record's hash itself from the chain,
  the place, the previous signature and the payload it is sent, signs only the place that
  follows the last one it signed (with that one's signature as previous), and keeps the anchor:
  deleting the last invoice and validating another under its number needs a signature it will
  not give. It signs manifests (archives, backups) only for the administrators' OS accounts.

Two kinds of signatures, never mistaken for one another: a record's (over its SHA-256, the
journal's) and a manifest's (over "tui-factu/manifest" and the manifest's bytes).

Requests are one JSON object per line: hello, sign, commit, anchor, sign_manifest.
"""
import base64
import fcntl
import hashlib
import json
import os
import socket
import stat
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .errors import FactuError

SOCKET = "signer.sock"
KEY, PUB, ANCHOR = "signing.key", "signing.pub", "anchor.log"
ANCHOR_COMPACT_BYTES = 1 << 20


class SignerError(FactuError):
    """The signer refused or could not be reached: nothing is sealed."""


FORMAT_VERSION = 1
MANIFEST_DOMAIN = b"tui-factu/manifest\n"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def record_hash(chain: str, seq: int, prev_signature: str, payload: str, version: int = FORMAT_VERSION) -> bytes:
    """What a record's signature covers: its chain, its place, the previous record's signature
    and its canonical payload."""
    text = f"tui-factu/{version}\n{chain}\n{seq}\n{prev_signature}\n{payload}"
    return hashlib.sha256(text.encode()).digest()


def verify_manifest(public: Ed25519PublicKey, data: bytes, signature_b64: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    try:
        public.verify(base64.urlsafe_b64decode(signature_b64), MANIFEST_DOMAIN + data)
        return True
    except (InvalidSignature, ValueError):
        return False


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem_of(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def parse_public(pem: bytes) -> tuple[str, Ed25519PublicKey, bytes]:
    pub = serialization.load_pem_public_key(pem)
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key_id_of(pub), pub, raw


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise FactuError(f"clé de signature illisible « {path} » ({getattr(e, 'strerror', None) or e})",
                         "clé", str(path)) from None


def create_key(folder: Path) -> Ed25519PrivateKey:
    """A new key, written atomically (concurrent first runs agree on one), mode 0600."""
    path = folder / KEY
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = folder / f".signing.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)           # fails if another process won the race
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    key = load_private(path)
    (folder / PUB).write_bytes(public_pem_of(key.public_key()))
    return key


# ---- the anchor file ------------------------------------------------------------------------
# "chain seq hash" lines, appended once per commit (a rename per record costs ~1.5 ms); a torn
# last line is ignored; compacted to one line per chain when it grows.

def read_anchor_file(path: Path) -> dict:
    anchor: dict = {}
    try:
        text = path.read_text()
    except OSError:
        return anchor
    for line in text.splitlines():
        parts = line.split(" ")
        if len(parts) != 3 or not parts[1].isdigit() or len(parts[2]) != 64:
            continue
        chain, seq, digest = parts[0], int(parts[1]), parts[2]
        if anchor.get(chain, {}).get("seq", 0) < seq:
            anchor[chain] = {"seq": seq, "hash": digest}
    return anchor


def append_anchor(path: Path, chain: str, seq: int, digest: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{chain} {seq} {digest}\n".encode())
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size > ANCHOR_COMPACT_BYTES:
        with open(path.with_name("anchor.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            anchor = read_anchor_file(path)
            tmp = path.with_name(f".anchor.{os.getpid()}.tmp")
            tmp.write_text("".join(f"{c} {m['seq']} {m['hash']}\n" for c, m in sorted(anchor.items())))
            # the compacted file keeps the mode and group of the one it replaces: in a shared
            # folder the other clerks append to it too (0660, group of the base)
            was = os.stat(path)
            os.chmod(tmp, stat.S_IMODE(was.st_mode))
            try:
                os.chown(tmp, -1, was.st_gid)
            except PermissionError:
                pass
            os.replace(tmp, path)


# ---- the two signers -------------------------------------------------------------------------

class Signer:
    key_id: str
    where: str

    def sign_record(self, chain: str, seq: int, prev: str, payload: str) -> tuple[str, bytes]:
        """(signature, hash) of the record at that place."""
        raise NotImplementedError

    def committed(self, chain: str, seq: int, digest_hex: str) -> None:
        raise NotImplementedError

    def sign_manifest(self, data: bytes) -> bytes:
        raise NotImplementedError

    def public_pem(self) -> bytes:
        raise NotImplementedError

    def close(self) -> None:
        pass


class KeyFileSigner(Signer):
    def __init__(self, folder: Path, key: Ed25519PrivateKey):
        self.folder, self.key = folder, key
        self.key_id = key_id_of(key.public_key())
        self.where = str(folder / KEY)

    def sign_record(self, chain, seq, prev, payload):
        digest = record_hash(chain, seq, prev, payload)
        return _b64(self.key.sign(digest)), digest

    def committed(self, chain, seq, digest_hex):
        append_anchor(self.folder / ANCHOR, chain, seq, digest_hex)

    def sign_manifest(self, data):
        return base64.urlsafe_b64encode(self.key.sign(MANIFEST_DOMAIN + data))

    def public_pem(self):
        return public_pem_of(self.key.public_key())


class SocketSigner(Signer):
    def __init__(self, path: Path):
        self.path = path
        self.where = str(path)
        self._lock = threading.Lock()
        self._sock = None
        self._file = None
        hello = self.request({"op": "hello"})
        self.key_id, self._pem = hello["key_id"], hello["public_pem"].encode()

    def request(self, message: dict) -> dict:
        with self._lock:
            for attempt in (1, 2):               # one reconnection: the service restarted
                try:
                    if self._sock is None:
                        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                        self._sock.settimeout(30)
                        self._sock.connect(str(self.path))
                        self._file = self._sock.makefile("rwb")
                    self._file.write(json.dumps(message).encode() + b"\n")
                    self._file.flush()
                    line = self._file.readline()
                    if not line:
                        raise OSError("connexion fermée")
                    answer = json.loads(line)
                    break
                except (OSError, ValueError) as e:
                    self.close()
                    if attempt == 2:
                        raise SignerError(f"service de signature injoignable « {self.path} » ({e}) : rien n'a été "
                                          "scellé", "signature", str(self.path)) from None
        if "error" in answer:
            raise SignerError(f"service de signature : {answer['error']}", "signature", str(self.path))
        return answer

    def sign_record(self, chain, seq, prev, payload):
        digest = record_hash(chain, seq, prev, payload)
        answer = self.request({"op": "sign", "chain": chain, "seq": seq, "prev": prev, "payload": payload})
        if answer.get("hash") != digest.hex():
            raise SignerError("service de signature : empreinte différente de celle de ce poste", "signature",
                              str(self.path))
        return answer["signature"], digest

    def committed(self, chain, seq, digest_hex):
        try:
            self.request({"op": "commit", "chain": chain, "seq": seq, "hash": digest_hex})
        except SignerError:
            pass                                 # the next signature of the chain commits it

    def sign_manifest(self, data):
        return self.request({"op": "sign_manifest", "data": _b64(data)})["signature"].encode()

    def public_pem(self):
        return self._pem

    def anchor(self) -> dict:
        return {c: m for c, m in self.request({"op": "anchor"})["anchor"].items()}

    def close(self):
        for thing in (self._file, self._sock):
            try:
                if thing is not None:
                    thing.close()
            except OSError:
                pass
        self._sock = self._file = None


def _socket_at(folder: Path) -> Path | None:
    path = folder / SOCKET
    try:
        return path if stat.S_ISSOCK(os.stat(path).st_mode) else None
    except OSError:
        return None


def _present(path: Path) -> bool:
    """Whether the file is there; a folder this account may not cross says so in French
    (Path.exists raised PermissionError: an internal error for a clerk)."""
    try:
        os.stat(path)
        return True
    except FileNotFoundError:
        return False
    except PermissionError:
        raise FactuError(f"dossier des clés fermé à ce compte « {path.parent} » : les postes signent par le "
                         "service de signature, ou deploy-ssh donne ses droits au groupe (README)",
                         "clé", str(path.parent)) from None


def open_signer(folder: Path, create: bool) -> Signer:
    """The service when its socket is there, else the key file (created only for a base that
    has no company key yet)."""
    sock = _socket_at(folder)
    if sock is not None:
        return SocketSigner(sock)
    path = folder / KEY
    if _present(path):
        if not os.access(path, os.R_OK):
            raise FactuError(f"clé de signature illisible par ce compte « {path} » : les postes signent par le "
                             "service de signature (README, « Clés »)", "clé", str(path))
        return KeyFileSigner(folder, load_private(path))
    if not create:
        raise FactuError(f"clé de signature de la société absente de ce poste ({folder}) : copiez-y signing.key "
                         "(mode 0600) ou lancez le service de signature (README, « Clés ») — ce poste ne crée "
                         "pas de clé à lui", "clé", str(folder))
    return KeyFileSigner(folder, create_key(folder))


def public_key(folder: Path) -> tuple | None:
    sock = _socket_at(folder)
    if sock is not None:
        s = SocketSigner(sock)
        try:
            return parse_public(s.public_pem())
        finally:
            s.close()
    for name in (KEY, PUB):
        path = folder / name
        if _present(path) and (name == PUB or os.access(path, os.R_OK)):   # a clerk reads the .pub
            if name == KEY:
                return parse_public(public_pem_of(load_private(path).public_key()))
            return parse_public(path.read_bytes())
    return None


def read_anchor(folder: Path) -> dict:
    sock = _socket_at(folder)
    if sock is not None:
        s = SocketSigner(sock)
        try:
            return s.anchor()
        finally:
            s.close()
    return read_anchor_file(folder / ANCHOR)


# ---- the service ------------------------------------------------------------------------------

class Service:
    """What `tui-factu signer serve` runs: the key, and per chain the last record signed and the
    last one seen committed (both in `signer.log`, replayed at start). A chain it has never
    signed starts where the anchor beside the base left it (`anchor.log`, from the days of the
    key file), or at its first record."""

    def __init__(self, folder: Path, anchor_from: Path | None = None, admins=()):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_path = folder / KEY
        self.key = load_private(key_path) if key_path.exists() else create_key(folder)
        self.key_id = key_id_of(self.key.public_key())
        self.log = folder / "signer.log"
        self.lock = threading.Lock()
        self.admins = {str(a) for a in admins} | {"0", str(os.getuid())}
        self.chains: dict = {}        # chain -> {"seq", "hash", "sig", "prev", "committed": (seq, hash)}
        self._replay()
        if anchor_from is not None:
            for chain, mark in read_anchor_file(anchor_from).items():
                if chain not in self.chains:
                    self._write({"t": "A", "chain": chain, "seq": mark["seq"], "hash": mark["hash"]})

    def _replay(self) -> None:
        try:
            lines = self.log.read_text().splitlines()
        except OSError:
            lines = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue                          # a torn last line
            self._apply(event)

    def _apply(self, e: dict) -> None:
        c = self.chains.setdefault(e["chain"], {"seq": 0, "hash": "", "sig": "", "prev": "", "committed": None})
        if e["t"] == "A":                         # adopted from the anchor: its signature is not known here
            c.update(seq=e["seq"], hash=e["hash"], sig=None, prev=None, committed=(e["seq"], e["hash"]))
        elif e["t"] == "S":
            if c["seq"] and e["seq"] == c["seq"] + 1:
                c["committed"] = (c["seq"], c["hash"])
            c.update(seq=e["seq"], hash=e["hash"], sig=e["sig"], prev=e["prev"])
        elif e["t"] == "C" and e["seq"] == c["seq"] and e["hash"] == c["hash"]:
            c["committed"] = (e["seq"], e["hash"])

    def _write(self, event: dict) -> None:
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(event, sort_keys=True) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self._apply(event)

    def handle(self, req: dict, peer: str = "") -> dict:
        op = req.get("op")
        if op == "hello":
            return {"key_id": self.key_id, "public_pem": public_pem_of(self.key.public_key()).decode()}
        if op == "sign_manifest":
            if peer not in self.admins:
                return {"error": f"le compte système {peer} ne fait pas signer de manifeste (archives, sauvegardes : "
                                 "comptes des administrateurs seulement, --admin-uid)"}
            return {"signature": _b64(self.key.sign(MANIFEST_DOMAIN + base64.urlsafe_b64decode(req["data"])))}
        if op == "anchor":
            with self.lock:
                return {"anchor": {ch: {"seq": c["committed"][0], "hash": c["committed"][1]}
                                   for ch, c in self.chains.items() if c["committed"]}}
        chain, seq = req.get("chain"), req.get("seq")
        if not isinstance(chain, str) or not isinstance(seq, int) or seq < 1:
            return {"error": "demande mal formée"}
        with self.lock:
            c = self.chains.get(chain)
            if op == "sign":
                prev, payload = req.get("prev"), req.get("payload")
                if not isinstance(prev, str) or not isinstance(payload, str):
                    return {"error": "demande mal formée"}
                fresh = c is None and seq == 1 and prev == ""
                follows = c is not None and seq == c["seq"] + 1 and (c["sig"] is None or prev == c["sig"])
                retry = c is not None and c["sig"] is not None and seq == c["seq"] and prev == c["prev"] and \
                    c["committed"] != (c["seq"], c["hash"])
                if not (fresh or follows or retry):
                    last = c["seq"] if c else 0
                    return {"error": f"chaîne {chain} : l'enregistrement n° {seq} ne suit pas le n° {last} déjà "
                                     "signé — refus de signer deux fois la même place"}
                digest = record_hash(chain, seq, prev, payload)        # computed here, never taken as given
                sig = _b64(self.key.sign(digest))
                self._write({"t": "S", "chain": chain, "seq": seq, "hash": digest.hex(), "sig": sig, "prev": prev,
                             "peer": peer})
                return {"signature": sig, "hash": digest.hex()}
            if op == "commit":
                digest = req.get("hash")
                if c is None or (seq == c["seq"] and digest != c["hash"]):
                    return {"error": f"chaîne {chain} : n° {seq} validé avec une empreinte non signée ici"}
                if seq == c["seq"] and c["committed"] != (seq, c["hash"]):
                    self._write({"t": "C", "chain": chain, "seq": seq, "hash": digest, "peer": peer})
                return {"ok": True}
        return {"error": f"opération inconnue « {op} »"}


def serve(socket_path: Path, folder: Path, group: str | None = None, ready=None, admins=()) -> None:
    """Runs the service until killed (or the caller of `ready(server, service)` shuts it down):
    one thread per connection, one JSON line per request. group: who may connect (a name or a
    gid); admins: the OS accounts (uids) whose archives and backups it signs."""
    import grp
    import socketserver
    service = Service(folder, socket_path.parent / ANCHOR, admins)
    socket_path.unlink(missing_ok=True)

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            try:
                creds = self.request.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
                peer = str(int.from_bytes(creds[4:8], "little"))
            except OSError:
                peer = ""
            for line in self.rfile:
                try:
                    answer = service.handle(json.loads(line), peer)
                except (ValueError, KeyError, TypeError) as e:
                    answer = {"error": f"demande illisible ({type(e).__name__})"}
                self.wfile.write(json.dumps(answer).encode() + b"\n")
                self.wfile.flush()

    class Server(socketserver.ThreadingUnixStreamServer):
        daemon_threads = True

    old = os.umask(0o117)                        # the socket: owner and group only
    try:
        server = Server(str(socket_path), Handler)
    finally:
        os.umask(old)
    if group:
        gid = int(group) if str(group).isdigit() else grp.getgrnam(group).gr_gid
        if os.stat(socket_path).st_gid != gid:
            try:
                os.chown(socket_path, -1, gid)
            except PermissionError:
                server.server_close()
                raise FactuError(f"socket du service : groupe {group} impossible à donner — mettez le compte du service "
                                 "dans ce groupe, ou le dossier de la base en setgid (chmod g+s)",
                                 "--group", group) from None
    os.chmod(socket_path, 0o660)
    if ready:
        ready(server, service)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        socket_path.unlink(missing_ok=True)
