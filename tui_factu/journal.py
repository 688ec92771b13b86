"""Sealed, chained, signed records (DESIGN §6), and `verify`.

Each record: its chain's next sequence number, a canonical payload (sorted-key JSON, decimals as
strings, no database ids), the previous record's signature, a SHA-256 hash of all of these and
an Ed25519 signature of that hash. The private key lives in a file beside the database (mode
0600), never in it. A tail anchor file remembers each chain's last record so that a truncated
chain is seen. `verify()` recomputes every hash and signature, and rebuilds every sealed
document's payload from its rows as they are now.
"""
import base64
import fcntl
import hashlib
import json
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from peewee import fn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from . import db as database
from .errors import FactuError
from .models import JournalRecord, db, utcnow

FORMAT_VERSION = 1
DOCUMENT_CHAINS = {"quote": "quote", "order": "order", "delivery": "delivery",
                   "invoice": "invoice", "credit_note": "invoice", "receipt": "receipt"}
CHAIN_LABELS = {"quote": "devis", "order": "commandes", "delivery": "livraisons",
                "invoice": "factures et avoirs", "receipt": "tickets de caisse", "payment": "règlements",
                "closing": "clôtures", "event": "événements techniques", "guards": "déclencheurs de protection"}


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def record_hash(chain: str, seq: int, prev_signature: str, payload: str,
                version: int = FORMAT_VERSION) -> bytes:
    text = f"tui-factu/{version}\n{chain}\n{seq}\n{prev_signature}\n{payload}"
    return hashlib.sha256(text.encode()).digest()


# ---- the key -------------------------------------------------------------------------------

_keys: dict[str, tuple[Ed25519PrivateKey, str]] = {}


def _key_path() -> Path:
    return database.state_dir() / "signing.key"


def signing_key() -> Ed25519PrivateKey:
    """Loads the key, creating it on first use (atomically: concurrent first runs agree)."""
    return _signing()[0]


def _signing() -> tuple[Ed25519PrivateKey, str]:
    path = _key_path()
    cached = _keys.get(str(path))
    if cached:
        return cached
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = path.with_name(f".signing.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)       # fails if another process won the race
        except FileExistsError:
            pass
        finally:
            tmp.unlink(missing_ok=True)
        pub = key_id_and_public(load_private(path))[1]
        (path.with_name("signing.pub")).write_bytes(pub)
    key = load_private(path)
    _keys[str(path)] = (key, key_id_and_public(key)[0])
    return _keys[str(path)]


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as e:
        raise FactuError(f"clé de signature illisible « {path} » ({e})", "clé", str(path)) from None


def key_id_and_public(key: Ed25519PrivateKey) -> tuple[str, bytes]:
    pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16], pub


def public_key() -> tuple[str, Ed25519PublicKey] | None:
    path = _key_path()
    if path.exists():
        key = signing_key()
        return key_id_and_public(key)[0], key.public_key()
    pub_path = path.with_name("signing.pub")
    if pub_path.exists():
        pub = serialization.load_pem_public_key(pub_path.read_bytes())
        raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return hashlib.sha256(raw).hexdigest()[:16], pub
    return None


def public_key_pem() -> bytes:
    """The public half of the signing key, PEM (archives carry it)."""
    path = _key_path()
    if path.exists():
        return key_id_and_public(signing_key())[1]
    return path.with_name("signing.pub").read_bytes()


def sign_bytes(data: bytes) -> bytes:
    """A detached Ed25519 signature (base64url) of `data` with the company key."""
    return base64.urlsafe_b64encode(signing_key().sign(data))


# ---- sealing -------------------------------------------------------------------------------

def lock_chain(chain: str) -> None:
    """Serialises writers of a chain until the transaction ends (PostgreSQL; on SQLite the
    write transaction already does)."""
    if database.is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"journal:{chain}",))


def seal(chain: str, action: str, ref: str, payload: dict) -> int:
    """Appends a record to a chain. Must run inside the caller's write transaction."""
    lock_chain(chain)
    key, key_id = _signing()
    head = database.prepared("journal.head", lambda c: JournalRecord.select(
        JournalRecord.seq, JournalRecord.signature).where(JournalRecord.chain == c)
        .order_by(JournalRecord.seq.desc()).limit(1), chain)
    seq, prev = (head[0][0] + 1, head[0][1]) if head else (1, "")
    text = canonical(payload)
    digest = record_hash(chain, seq, prev, text)
    signature = base64.urlsafe_b64encode(key.sign(digest)).decode()
    database.prepared("journal.insert", lambda *v: JournalRecord.insert(dict(zip(_RECORD_FIELDS, v))),
                      chain, seq, action, ref, text, prev, digest.hex(), signature, key_id,
                      FORMAT_VERSION, utcnow(), database.current_user())
    db.after_commit(lambda: _anchor_committed(chain))
    return seq


_RECORD_FIELDS = (JournalRecord.chain, JournalRecord.seq, JournalRecord.action, JournalRecord.ref,
                  JournalRecord.payload, JournalRecord.prev_signature, JournalRecord.hash,
                  JournalRecord.signature, JournalRecord.key_id, JournalRecord.format_version,
                  JournalRecord.created_at, JournalRecord.user)


def event(action: str, detail: dict | None = None, ref: str = "") -> None:
    """A technical event (login, print, reprint, export, settings change) in its own chain."""
    with database.write():
        seal("event", action, ref, {"action": action, "at": utcnow(), "user": database.current_user(),
                                    "ref": ref, "detail": detail or {}})


# ---- tail anchor ---------------------------------------------------------------------------
# An append-only file of "chain seq hash" lines beside the database: one small O_APPEND write
# per record (a rename per record costs ~1.5 ms here). A torn last line is ignored; the file is
# compacted to one line per chain when it grows.

ANCHOR_COMPACT_BYTES = 1 << 20


def _anchor_path() -> Path:
    return database.state_dir() / "anchor.log"


def read_anchor() -> dict:
    anchor: dict = {}
    try:
        text = _anchor_path().read_text()
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


def _anchor_committed(chain: str) -> None:
    """After a commit, the chain's head as committed: a record sealed inside a savepoint that
    was rolled back (a refused step the caller caught) never reaches the anchor."""
    head = database.prepared("journal.committed", lambda c: JournalRecord.select(
        JournalRecord.seq, JournalRecord.hash).where(JournalRecord.chain == c)
        .order_by(JournalRecord.seq.desc()).limit(1), chain)
    if head:
        _advance_anchor(chain, head[0][0], head[0][1])


def _advance_anchor(chain: str, seq: int, digest: str) -> None:
    path = _anchor_path()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{chain} {seq} {digest}\n".encode())
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size > ANCHOR_COMPACT_BYTES:
        with open(path.with_name("anchor.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            anchor = read_anchor()
            tmp = path.with_name(f".anchor.{os.getpid()}.tmp")
            tmp.write_text("".join(f"{c} {m['seq']} {m['hash']}\n" for c, m in sorted(anchor.items())))
            os.replace(tmp, path)


# ---- verification --------------------------------------------------------------------------

@dataclass
class ChainReport:
    chain: str
    records: int = 0
    ok: bool = True
    error: str | None = None
    ref: str | None = None

    def fail(self, message: str, ref: str | None = None) -> None:
        if self.ok:
            self.ok, self.error, self.ref = False, message, ref

    def as_dict(self) -> dict:
        return {"chain": self.chain, "records": self.records, "ok": self.ok,
                "error": self.error, "ref": self.ref}


@dataclass
class Report:
    chains: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    def as_dict(self) -> dict:
        first = next((c for c in self.chains if not c.ok), None)
        return {"ok": self.ok, "chains": [c.as_dict() for c in self.chains],
                "first_failure": first.as_dict() if first else None}


def _check_signatures(args) -> list[int]:
    """Indexes whose signature fails (runs in a worker process)."""
    pub_raw, items = args
    pub = Ed25519PublicKey.from_public_bytes(pub_raw)
    bad = []
    for i, digest, sig in items:
        try:
            pub.verify(base64.urlsafe_b64decode(sig), digest)
        except (InvalidSignature, ValueError):
            bad.append(i)
    return bad


def _payload_digests(args) -> list[tuple]:
    """(chain, number, doc id, sha256 of the canonical payload) for documents lo < id <= hi,
    rebuilt from their rows (runs in a worker process with its own connection)."""
    location, lo, hi = args
    from .sealing import document_payloads
    if location is not None:
        database.connect(location)
    return [(chain, number, doc_id, hashlib.sha256(canonical(p).encode()).digest())
            for chain, number, doc_id, p in document_payloads(lo, hi)]


def _pool_init():
    database.db.obj = None     # never touch the parent's connection from a child


PARALLEL_FROM = 4000


def verify(workers: int | None = None) -> Report:
    """Recomputes every record's hash and signature and every sealed document's payload.
    Large journals are checked on every core: signatures in chunks, payloads by id range."""
    from cryptography.hazmat.primitives import serialization as s
    from .models import Document
    report = Report()
    keyinfo = public_key()
    n_docs = Document.select().where(Document.number.is_null(False)).count()
    n_records = JournalRecord.select().count()
    workers = workers or (os.cpu_count() or 1)
    parallel = workers > 1 and max(n_docs, n_records) >= PARALLEL_FROM
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_pool_init) if parallel else None
    try:
        digest_jobs = []
        if pool:
            max_id = Document.select(fn.MAX(Document.id)).scalar() or 0
            step = max(500, -(-max_id // (workers * 12)))
            digest_jobs = [pool.submit(_payload_digests, (database.location(), lo, lo + step))
                           for lo in range(0, max_id, step)]
        by_chain, sealed_refs, last, sign_jobs, where = _walk_records(keyinfo, pool)
        if keyinfo is not None:
            raw = keyinfo[1].public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
            bad = set()
            if pool:
                for job in sign_jobs:
                    bad.update(job.result())
            else:
                bad.update(_check_signatures((raw, sign_jobs)))
            for i in sorted(bad):
                chain, seq, ref = where[i]
                by_chain[chain].fail(f"signature invalide à l'enregistrement n° {seq} ({ref})", ref)
        for chain, mark in read_anchor().items():
            rep = by_chain.setdefault(chain, ChainReport(chain))
            have = last.get(chain)
            if have is None or have[0] < mark["seq"]:
                n = have[0] if have else 0
                rep.fail(f"chaîne tronquée : dernier enregistrement n° {n}, "
                         f"le journal en comptait au moins {mark['seq']}", have[3] if have else None)
        rebuilt = []
        if pool:
            for job in digest_jobs:
                rebuilt.extend(job.result())
        else:
            rebuilt = _payload_digests((None, 0, None))
    finally:
        if pool:
            pool.shutdown()
    seen: dict[str, set] = {}
    for chain, number, doc_id, digest in sorted(rebuilt, key=lambda r: r[2]):
        rep = by_chain.setdefault(chain, ChainReport(chain))
        seen.setdefault(chain, set()).add(number)
        stored = sealed_refs.get(chain, {}).get(number)
        if stored is None:
            rep.fail(f"document {number} scellé mais absent du journal", number)
        elif stored[0] != digest:
            from .sealing import payload_for
            text = _stored_payload(chain, number)
            try:
                fmt = json.loads(text).get("format", 1)
            except ValueError:
                fmt = None
            rebuilt = payload_for(doc_id, fmt) if isinstance(fmt, int) else payload_for(doc_id)
            if canonical(rebuilt) != text:          # sealed in an older format and still equal: intact
                rep.fail(f"document {number} ne correspond plus à son scellement "
                         f"({_differences(text, rebuilt)})", number)
    for chain, refs in sealed_refs.items():
        missing = [r for r in refs if r not in seen.get(chain, set())]
        if missing:
            by_chain[chain].fail(f"document {missing[0]} supprimé de la base", missing[0])
    _check_sealed_tables(by_chain)
    missing = sorted(database.guard_names() - database.present_triggers())
    if missing:
        rep = by_chain.setdefault("guards", ChainReport("guards"))
        rep.fail(f"déclencheur de protection supprimé : {missing[0]}"
                 + (f" (et {len(missing) - 1} autre(s))" if len(missing) > 1 else "")
                 + " — les lignes scellées ne sont plus défendues ; tui-factu init les réinstalle", missing[0])
    # what was altered is named first; a missing guard after it
    report.chains = [by_chain[c] for c in sorted(by_chain, key=lambda c: (c == "guards", c))]
    return report


def _check_sealed_tables(by_chain) -> None:
    from .closings import payloads as closings
    from .payments import payloads
    _check_rows(by_chain, "payment", "règlement", payloads(), lambda seq: f"REG-{seq:06d}")
    _check_rows(by_chain, "closing", "clôture", closings(), lambda seq: f"n° {seq}")


def _check_rows(by_chain, chain: str, what: str, rows, name) -> None:
    """Every row of a sealed table (payments, closings) must still produce the payload its
    record sealed, and every record must still have its row."""
    stored = {seq: payload for seq, payload in JournalRecord.select(JournalRecord.seq, JournalRecord.payload)
              .where(JournalRecord.chain == chain).tuples()}
    rows = list(rows)
    if not stored and not rows and chain not in by_chain:
        return
    rep = by_chain.setdefault(chain, ChainReport(chain))
    seen = set()
    for seq, ref, payload in rows:
        seen.add(seq)
        if seq not in stored:
            rep.fail(f"{what} {ref} absent du journal", ref)
        elif stored[seq] != canonical(payload):
            rep.fail(f"{what} {ref} ne correspond plus à son scellement "
                     f"({_differences(stored[seq], payload)})", ref)
    for seq in sorted(set(stored) - seen):
        rep.fail(f"{what} {name(seq)} supprimé{'e' if what == 'clôture' else ''} de la base", name(seq))


def _stored_payload(chain: str, number: str) -> str:
    row = (JournalRecord.select(JournalRecord.payload)
           .where((JournalRecord.chain == chain) & (JournalRecord.ref == number)
                  & (JournalRecord.action == "validate")).order_by(JournalRecord.seq).first())
    return row.payload if row else "{}"


def _walk_records(keyinfo, pool):
    """Walks every chain in order: sequence, link to the previous signature, hash. Signature
    checks go to the pool in chunks as they come (or are returned as one list)."""
    from cryptography.hazmat.primitives import serialization as s
    raw = keyinfo[1].public_bytes(s.Encoding.Raw, s.PublicFormat.Raw) if keyinfo else None
    rows = database.stream(JournalRecord.select(
        JournalRecord.chain, JournalRecord.seq, JournalRecord.action, JournalRecord.ref,
        JournalRecord.payload, JournalRecord.prev_signature, JournalRecord.hash,
        JournalRecord.signature, JournalRecord.key_id, JournalRecord.format_version)
        .order_by(JournalRecord.chain, JournalRecord.seq))
    by_chain: dict[str, ChainReport] = {}
    sealed_refs: dict[str, dict[str, tuple]] = {}
    last: dict[str, tuple] = {}
    pending, jobs, where = [], [], []
    for chain, seq, action, ref, payload, prev, digest_hex, sig, key_id, version in rows:
        rep = by_chain.get(chain)
        if rep is None:
            rep = by_chain[chain] = ChainReport(chain)
        rep.records += 1
        expected_seq, expected_prev = (last[chain][0] + 1, last[chain][1]) if chain in last else (1, "")
        last[chain] = (seq, sig, digest_hex, ref)
        if seq != expected_seq:
            rep.fail(f"enregistrement n° {expected_seq} manquant (trouvé n° {seq})", ref)
        elif prev != expected_prev:
            rep.fail(f"chaînage rompu à l'enregistrement n° {seq} ({ref})", ref)
        digest = record_hash(chain, seq, prev, payload, version)
        if digest.hex() != digest_hex:
            rep.fail(f"enregistrement n° {seq} ({ref}) altéré : empreinte différente", ref)
        elif keyinfo is None or key_id != keyinfo[0]:
            rep.fail(f"enregistrement n° {seq} ({ref}) signé par une clé inconnue", ref)
        else:
            pending.append((len(where), digest, sig))
            where.append((chain, seq, ref))
            if pool and len(pending) >= 2000:
                jobs.append(pool.submit(_check_signatures, (raw, pending)))
                pending = []
        if chain in DOCUMENT_CHAINS.values() and action == "validate":
            sealed_refs.setdefault(chain, {})[ref] = (hashlib.sha256(payload.encode()).digest(),)
    if pool:
        if pending:
            jobs.append(pool.submit(_check_signatures, (raw, pending)))
        return by_chain, sealed_refs, last, jobs, where
    return by_chain, sealed_refs, last, pending, where


FIELD_LABELS = {"amount": "montant", "allocations": "affectations", "method": "mode", "lines": "lignes", "customer": "client", "customer_code": "client lié", "seller": "vendeur", "totals": "totaux",
                "vat": "TVA", "date": "date", "number": "numéro", "adjustments": "remises/frais",
                "due_date": "échéance", "reference": "référence", "source_refs": "origine",
                "progress": "avancement", "retention": "retenue de garantie", "situation": "n° de situation"}


def _differences(stored: str, payload: dict) -> str:
    try:
        old = json.loads(stored)
    except ValueError:
        return "scellement illisible"
    keys = sorted(k for k in set(old) | set(payload) if old.get(k) != payload.get(k))
    return "modifié : " + ", ".join(FIELD_LABELS.get(k, k) for k in keys) if keys else "format"
