"""Sealed, chained, signed records (signer.py signs them, verify.py checks them).

Each record: its chain's next sequence number, a canonical payload (sorted-key JSON, decimals as
strings, no database ids), the previous record's signature, a SHA-256 hash of all of these and
an Ed25519 signature of that hash. The signature comes from the company's signer (signer.py):
the key file beside the database (mode 0600) on a single machine, or a signing service
reached by a socket, which keeps the key out of the clerks' reach and refuses to sign a record
twice at the same place. The company's public key is pinned in the base at the first seal: a
process holding another key, or none, is refused instead of silently signing with its own.
After each commit the chain's head (sequence and hash) goes to the tail anchor, kept by the
signer outside the base, so that a truncated or rewritten tail is seen.
"""
import json

from . import db as database, session, signer
from .errors import FactuError
from .models import Company, JournalRecord, db, utcnow

FORMAT_VERSION = signer.FORMAT_VERSION
CHAIN_LABELS = {"quote": "devis", "order": "commandes", "delivery": "livraisons",
                "invoice": "factures et avoirs", "receipt": "tickets de caisse", "payment": "règlements",
                "closing": "clôtures", "event": "événements techniques", "guards": "déclencheurs de protection"}


def canonical(payload: dict) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


record_hash = signer.record_hash


# ---- the signer and the company's key --------------------------------------------------------

_signers: dict = {}


def _signer() -> signer.Signer:
    """The company's signer for this base, checked once per process against the pinned key."""
    where = str(database.state_dir())
    cached = _signers.get(where)
    if cached is not None:
        return cached
    pinned = Company.select(Company.signing_key_id, Company.signing_public_key).where(Company.id == 1).first()
    s = signer.open_signer(database.state_dir(), create=not (pinned and pinned.signing_key_id))
    if pinned and pinned.signing_key_id and pinned.signing_key_id != s.key_id:
        raise FactuError(f"clé de signature {s.key_id} ({s.where}) différente de celle de la société "
                         f"({pinned.signing_key_id}) : ce poste ne peut pas sceller. Copiez la clé de la "
                         "société (signing.key) ou configurez le service de signature (README, « Clés »)",
                         "clé", s.key_id)
    if pinned and not pinned.signing_key_id:
        with database.write():
            Company.update(signing_key_id=s.key_id, signing_public_key=s.public_pem().decode()).where(
                (Company.id == 1) & Company.signing_key_id.is_null()).execute()
    _signers[where] = s
    return s


def forget_signers() -> None:
    """Drops the cached signers (after a restore, or in tests that move keys)."""
    for s in _signers.values():
        s.close()
    _signers.clear()


def signing_key_id() -> str:
    """Makes sure this base can seal (creating the company key on its first use)."""
    return _signer().key_id


def public_key() -> tuple | None:
    """(key id, Ed25519 public key, raw bytes) of the key that verifies this base: the signer's,
    else the public half kept beside the base. Never the one pinned in the base: whoever
    rewrites the base could rewrite that one too (verify --key names another)."""
    return signer.public_key(database.state_dir())


def public_key_pem() -> bytes:
    """The public half of the signing key, PEM (archives carry it)."""
    return _signer().public_pem()


def sign_manifest(data: bytes) -> bytes:
    """The company's signature (base64url) of a manifest (archives, backups): never usable as a
    record's signature (signer.MANIFEST_DOMAIN)."""
    return _signer().sign_manifest(data)


def read_anchor() -> dict:
    """chain -> {seq, hash}: the last committed record of each chain, as the signer kept it."""
    return signer.read_anchor(database.state_dir())


# ---- sealing -------------------------------------------------------------------------------

def lock_chain(chain: str) -> None:
    """Serialises writers of a chain until the transaction ends (PostgreSQL; on SQLite the
    write transaction already does)."""
    if database.is_postgres():
        db.execute_sql("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"journal:{chain}",))


def seal(chain: str, action: str, ref: str, payload: dict) -> int:
    """Appends a record to a chain. Must run inside the caller's write transaction."""
    lock_chain(chain)
    s = _signer()
    head = database.prepared("journal.head", lambda c: JournalRecord.select(
        JournalRecord.seq, JournalRecord.signature).where(JournalRecord.chain == c)
        .order_by(JournalRecord.seq.desc()).limit(1), chain)
    seq, prev = (head[0][0] + 1, head[0][1]) if head else (1, "")
    text = canonical(payload)
    signature, digest = s.sign_record(chain, seq, prev, text)
    database.prepared("journal.insert", lambda *v: JournalRecord.insert(dict(zip(_RECORD_FIELDS, v))),
                      chain, seq, action, ref, text, prev, digest.hex(), signature, s.key_id,
                      FORMAT_VERSION, utcnow(), session.current_user())
    db.after_commit(lambda: _anchor_committed(s, chain))
    return seq


_RECORD_FIELDS = (JournalRecord.chain, JournalRecord.seq, JournalRecord.action, JournalRecord.ref,
                  JournalRecord.payload, JournalRecord.prev_signature, JournalRecord.hash,
                  JournalRecord.signature, JournalRecord.key_id, JournalRecord.format_version,
                  JournalRecord.created_at, JournalRecord.user)


def event(action: str, detail: dict | None = None, ref: str = "") -> None:
    """A technical event (login, print, reprint, export, settings change) in its own chain."""
    with database.write():
        seal("event", action, ref, {"action": action, "at": utcnow(), "user": session.current_user(),
                                    "ref": ref, "detail": detail or {}})


def _anchor_committed(s: signer.Signer, chain: str) -> None:
    """After a commit, the chain's head as committed: a record sealed inside a savepoint that
    was rolled back (a refused step the caller caught) never reaches the anchor."""
    head = database.prepared("journal.committed", lambda c: JournalRecord.select(
        JournalRecord.seq, JournalRecord.hash).where(JournalRecord.chain == c)
        .order_by(JournalRecord.seq.desc()).limit(1), chain)
    if head:
        s.committed(chain, head[0][0], head[0][1])
