"""`tui-factu verify`: every seal recomputed from the rows as they are, and every fact that
decides a figure held against the seals.

It names every failure, not the first of each chain: a record altered, missing or signed by
another key; a chain truncated or its last records rewritten (the tail anchor keeps their
hashes, outside the base); a sealed document, payment or closing that no longer produces the
payload its record sealed; a document whose status is not the one its sealed status events
give; a number missing from its series, a series out of date order, or a counter moved
(`sequence`) so as to skip numbers or reopen a date; a closing whose row, figures or published
anchor no longer match; a guard trigger dropped, disabled or rewritten into a no-op.
"""
import hashlib
import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from peewee import fn

from . import db as database, journal
from .documents.kinds import DOCUMENT_CHAINS
from .journal import canonical
from .models import Document, JournalRecord, Sequence

PARALLEL_FROM = 4000


@dataclass
class ChainReport:
    chain: str
    records: int = 0
    failures: list = field(default_factory=list)      # [(message, ref)]

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def error(self) -> str | None:
        return self.failures[0][0] if self.failures else None

    @property
    def ref(self) -> str | None:
        return self.failures[0][1] if self.failures else None

    def fail(self, message: str, ref: str | None = None) -> None:
        if (message, ref) not in self.failures:
            self.failures.append((message, ref))

    def as_dict(self) -> dict:
        return {"chain": self.chain, "records": self.records, "ok": self.ok, "error": self.error,
                "ref": self.ref, "failures": [{"error": m, "ref": r} for m, r in self.failures]}


@dataclass
class Report:
    chains: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def failures(self) -> list:
        return [(c.chain, m, r) for c in self.chains for m, r in c.failures]

    def as_dict(self) -> dict:
        first = next((c for c in self.chains if not c.ok), None)
        return {"ok": self.ok, "chains": [c.as_dict() for c in self.chains],
                "first_failure": first.as_dict() if first else None,
                "failures": [{"chain": c, "error": m, "ref": r} for c, m, r in self.failures]}


class _Chains(dict):
    def __missing__(self, chain):
        rep = self[chain] = ChainReport(chain)
        return rep


def run(workers: int | None = None, trusted_key: bytes | None = None) -> Report:
    """Recomputes every record's hash and signature and every sealed row's payload, then holds
    statuses, numbering, counters, closings and guards against them. Large journals are
    checked on every core: signatures in chunks, payloads by id range. The key: the one given
    (`verify --key`), else the signer's or the public half beside the base — never the copy
    pinned in the base itself."""
    from .signer import parse_public
    keyinfo = parse_public(trusted_key) if trusted_key else journal.public_key()
    n_docs = Document.select().where(Document.number.is_null(False)).count()
    n_records = JournalRecord.select().count()
    workers = workers or (os.cpu_count() or 1)
    parallel = workers > 1 and max(n_docs, n_records) >= PARALLEL_FROM
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_pool_init) if parallel else None
    chains = _Chains()
    try:
        digest_jobs = []
        if pool:
            max_id = Document.select(fn.MAX(Document.id)).scalar() or 0
            step = max(500, -(-max_id // (workers * 12)))
            digest_jobs = [pool.submit(_payload_digests, (database.location(), lo, lo + step))
                           for lo in range(0, max_id, step)]
        walk = _walk_records(keyinfo, pool, chains)
        if keyinfo is not None:
            bad = set()
            if pool:
                for job in walk.sign_jobs:
                    bad.update(job.result())
            else:
                bad.update(_check_signatures((keyinfo[2], walk.sign_jobs)))
            for i in sorted(bad):
                chain, seq, ref = walk.where[i]
                chains[chain].fail(f"signature invalide à l'enregistrement n° {seq} ({ref})", ref)
        _check_anchor(chains, walk)
        rebuilt = []
        if pool:
            for job in digest_jobs:
                rebuilt.extend(job.result())
        else:
            rebuilt = _payload_digests((None, 0, None))
    finally:
        if pool:
            pool.shutdown()
    _check_documents(chains, walk, rebuilt)
    _check_statuses(chains, walk)
    _check_numbering(chains, walk)
    _check_sealed_tables(chains, walk)
    _check_guards(chains)
    _check_pin(chains, keyinfo)
    report = Report()
    # what was altered is named first; a missing guard after it
    report.chains = [chains[c] for c in sorted(chains, key=lambda c: (c == "guards", c))]
    return report


# ---- the records ---------------------------------------------------------------------------

@dataclass
class _Walk:
    last: dict = field(default_factory=dict)          # chain -> (seq, signature, hash, ref)
    hashes: dict = field(default_factory=dict)        # chain -> {seq: hash}, for the anchors
    validated: dict = field(default_factory=dict)     # chain -> {number: (sha256 of payload, payload)}
    statuses: dict = field(default_factory=dict)      # number -> status its last sealed event gives
    sign_jobs: list = field(default_factory=list)
    where: list = field(default_factory=list)


def _walk_records(keyinfo, pool, chains) -> _Walk:
    """Walks every chain in order: sequence, link to the previous signature, hash. Signature
    checks go to the pool in chunks as they come (or stay as one list)."""
    rows = database.stream(JournalRecord.select(
        JournalRecord.chain, JournalRecord.seq, JournalRecord.action, JournalRecord.ref,
        JournalRecord.payload, JournalRecord.prev_signature, JournalRecord.hash,
        JournalRecord.signature, JournalRecord.key_id, JournalRecord.format_version)
        .order_by(JournalRecord.chain, JournalRecord.seq))
    w = _Walk()
    document_chains = set(DOCUMENT_CHAINS.values())
    pending = []
    for chain, seq, action, ref, payload, prev, digest_hex, sig, key_id, version in rows:
        rep = chains[chain]
        rep.records += 1
        expected_seq, expected_prev = (w.last[chain][0] + 1, w.last[chain][1]) if chain in w.last else (1, "")
        w.last[chain] = (seq, sig, digest_hex, ref)
        w.hashes.setdefault(chain, {})[seq] = digest_hex
        if seq != expected_seq:
            rep.fail(f"enregistrement n° {expected_seq} manquant (trouvé n° {seq})", ref)
        elif prev != expected_prev:
            rep.fail(f"chaînage rompu à l'enregistrement n° {seq} ({ref})", ref)
        digest = journal.record_hash(chain, seq, prev, payload, version)
        if digest.hex() != digest_hex:
            rep.fail(f"enregistrement n° {seq} ({ref}) altéré : empreinte différente", ref)
        elif keyinfo is None:
            rep.fail("aucune clé publique hors de la base pour vérifier les signatures : donnez celle de la "
                     "société (verify --key signing.pub)", None)
        elif key_id != keyinfo[0]:
            rep.fail(f"enregistrement n° {seq} ({ref}) signé par une clé inconnue", ref)
        else:
            pending.append((len(w.where), digest, sig))
            w.where.append((chain, seq, ref))
            if pool and len(pending) >= 2000:
                w.sign_jobs.append(pool.submit(_check_signatures, (keyinfo[2], pending)))
                pending = []
        if chain in document_chains:
            if action == "validate":
                w.validated.setdefault(chain, {})[ref] = (hashlib.sha256(payload.encode()).digest(), payload)
                w.statuses[ref] = "validated"
            elif action == "status":
                try:
                    w.statuses[ref] = json.loads(payload)["to"]
                except (ValueError, KeyError, TypeError):
                    rep.fail(f"enregistrement n° {seq} ({ref}) : changement de statut illisible", ref)
    if pool:
        if pending:
            w.sign_jobs.append(pool.submit(_check_signatures, (keyinfo[2], pending)))
    else:
        w.sign_jobs = pending
    return w


def _check_signatures(args) -> list[int]:
    """Indexes whose signature fails (runs in a worker process)."""
    import base64
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    pub_raw, items = args
    pub = Ed25519PublicKey.from_public_bytes(pub_raw)
    bad = []
    for i, digest, sig in items:
        try:
            pub.verify(base64.urlsafe_b64decode(sig), digest)
        except (InvalidSignature, ValueError):
            bad.append(i)
    return bad


def _check_anchor(chains, w: _Walk) -> None:
    """The tail anchor (kept outside the base) against the chains: a chain shorter than it
    was, or whose records at the anchored places were rewritten."""
    for chain, mark in journal.read_anchor().items():
        rep = chains[chain]
        have = w.last.get(chain)
        if have is None or have[0] < mark["seq"]:
            n = have[0] if have else 0
            rep.fail(f"chaîne tronquée : dernier enregistrement n° {n}, "
                     f"le journal en comptait au moins {mark['seq']}", have[3] if have else None)
        elif w.hashes[chain].get(mark["seq"]) != mark["hash"]:
            rep.fail(f"enregistrement n° {mark['seq']} réécrit : son empreinte n'est plus celle que "
                     "l'ancre a gardée (supprimé puis refait sans la clé d'origine ?)", str(mark["seq"]))


# ---- documents -----------------------------------------------------------------------------

def _payload_digests(args) -> list[tuple]:
    """(chain, number, doc id, sha256 of the canonical payload) for documents lo < id <= hi,
    rebuilt from their rows (runs in a worker process with its own connection)."""
    location, lo, hi = args
    from .sealing import document_payloads
    if location is not None:
        database.connect(location)
    return [(chain, number, doc_id, hashlib.sha256(canonical(p).encode()).digest())
            for chain, number, doc_id, p in document_payloads(lo, hi)]


def _pool_init(user=None):
    database.db.obj = None     # never touch the parent's connection from a child
    from . import session
    session.set_user("verify")  # a child reads for the parent, who is authenticated


def _check_documents(chains, w: _Walk, rebuilt) -> None:
    from .sealing import payload_for
    seen: dict[str, set] = {}
    for chain, number, doc_id, digest in sorted(rebuilt, key=lambda r: r[2]):
        rep = chains[chain]
        seen.setdefault(chain, set()).add(number)
        stored = w.validated.get(chain, {}).get(number)
        if stored is None:
            rep.fail(f"document {number} scellé mais absent du journal", number)
        elif stored[0] != digest:
            text = stored[1]
            try:
                fmt = json.loads(text).get("format", 1)
            except ValueError:
                fmt = None
            again = payload_for(doc_id, fmt) if isinstance(fmt, int) else payload_for(doc_id)
            if canonical(again) != text:          # sealed in an older format and still equal: intact
                rep.fail(f"document {number} ne correspond plus à son scellement "
                         f"({_differences(text, again)})", number)
    for chain, refs in w.validated.items():
        for number in refs:
            if number not in seen.get(chain, set()):
                chains[chain].fail(f"document {number} supprimé de la base", number)


def _check_statuses(chains, w: _Walk) -> None:
    """Each numbered document's status is the one its last sealed status event gives (or
    "validated"): a status written outside the machine (draft again, paid, cancelled) shows."""
    for kind, number, status, sealed in Document.select(Document.kind, Document.number, Document.status,
                                                        Document.sealed).where(
            Document.number.is_null(False)).tuples():
        expected = w.statuses.get(number)
        if expected is None:
            continue                               # reported above: absent from the journal
        if status != expected or not sealed:
            chains[DOCUMENT_CHAINS[kind]].fail(
                f"document {number} : statut « {status} » écrit hors du journal (le journal dit « {expected} »)"
                if status != expected else f"document {number} : marqué non scellé", number)


# ---- numbering -----------------------------------------------------------------------------

_TRAILING = re.compile(r"^(.*?)(\d+)$")


def _check_numbering(chains, w: _Walk) -> None:
    """Per series, in the order numbers were taken: no number skipped, no date going back; and
    the counter (`sequence`) where the last number left it."""
    from .numbering import SERIES, pattern, period_of, render
    by_series: dict[str, list] = {}
    for chain, refs in w.validated.items():
        for number, (_, text) in refs.items():
            try:
                p = json.loads(text)
            except ValueError:
                continue
            m = _TRAILING.match(number or "")
            if m and p.get("kind") in SERIES and p.get("date"):
                by_series.setdefault(SERIES[p["kind"]], []).append(
                    (p.get("validated_at") or "", int(m.group(2)), m.group(1), p["date"], number, chain))
    for series, items in by_series.items():
        items.sort(key=lambda r: (r[0], r[1]))
        previous = {}                               # prefix -> (n, date, number)
        last = None
        for _, n, prefix, date, number, chain in items:
            before = previous.get(prefix)
            expected = before[0] + 1 if before else (last[0] + 1 if last and last[2] != prefix and n != 1 else 1)
            if n != expected:
                chains[chain].fail(f"numérotation : {number} suit {before[2] if before else 'le début de la série'} "
                                   f"(n° {expected} attendu) — un numéro manque ou a été réutilisé", number)
            if last and date < last[1]:
                chains[chain].fail(f"numérotation : {number} du {date} après {last[3]} du {last[1]} — la série "
                                   "n'est plus chronologique", number)
            previous[prefix] = (n, date, number)
            last = (n, date, prefix, number)
        if last is None:
            continue
        n, date, prefix, number = last
        text = pattern(series)
        period = period_of(text, _date(date))
        if render(text, _date(date), n) != number:
            continue                                # numbered under another pattern since changed
        row = Sequence.get_or_none((Sequence.series == series) & (Sequence.period == period))
        chain = items[-1][5]
        if row is None or row.next_value != n + 1:
            chains[chain].fail(f"numérotation : le compteur {series} {period} dit {row.next_value if row else 'rien'}"
                               f" après {number} (n° {n + 1} attendu) — modifié hors du logiciel", number)
        if row is not None and row.last_date is not None and row.last_date.isoformat() != date[:10]:
            # back: a date before the last number reopens the past; forward: every validation
            # until then is refused (the series must stay chronological)
            moved = "ramenée" if row.last_date.isoformat() < date else "avancée"
            chains[chain].fail(f"numérotation : la date du compteur {series} {period} {moved} au "
                               f"{row.last_date.isoformat()}, son dernier numéro {number} est du {date}", number)


def _date(text):
    import datetime as dt
    return dt.date.fromisoformat(str(text)[:10])


# ---- payments and closings -----------------------------------------------------------------

def _check_sealed_tables(chains, w: _Walk) -> None:
    from .closings import payloads as closings, recount
    from .payments import payloads
    _check_rows(chains, "payment", "règlement", payloads(), lambda seq: f"REG-{seq:06d}")
    _check_rows(chains, "closing", "clôture", ((seq, label, p) for seq, label, p, _ in closings()),
                lambda seq: f"n° {seq}")
    for seq, label, payload, row in closings():
        rep = chains["closing"]
        columns = {"kind": row.kind, "label": row.label, "start": row.period_start.isoformat(),
                   "end": row.period_end.isoformat()}
        for key, value in columns.items():
            if payload.get(key) != value:
                rep.fail(f"clôture {label} : {key} « {value} » en base, « {payload.get(key)} » scellé", label)
        for chain, mark in (payload.get("anchor") or {}).items():
            if w.hashes.get(chain, {}).get(mark["seq"]) != mark["hash"]:
                chains[chain].fail(f"enregistrement n° {mark['seq']} ne correspond plus à l'empreinte publiée "
                                   f"par la clôture {label}", str(mark["seq"]))
        for key, (sealed, now) in recount(payload).items():
            rep.fail(f"clôture {label} : {key} scellé {sealed}, les documents de la période donnent "
                     f"aujourd'hui {now} — un document ou un règlement a été ajouté, retiré ou changé dans "
                     "la période close", label)


def _check_rows(chains, chain: str, what: str, rows, name) -> None:
    """Every row of a sealed table (payments, closings) must still produce the payload its
    record sealed, and every record must still have its row."""
    stored = {seq: payload for seq, payload in JournalRecord.select(JournalRecord.seq, JournalRecord.payload)
              .where(JournalRecord.chain == chain).tuples()}
    rows = list(rows)
    if not stored and not rows and chain not in chains:
        return
    rep = chains[chain]
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


def _check_pin(chains, keyinfo) -> None:
    """The key that verified is the one the company pinned at its first seal."""
    from .models import Company
    pinned = Company.select(Company.signing_key_id).where(Company.id == 1).scalar()
    if pinned and keyinfo and keyinfo[0] != pinned:
        chains["guards"].fail(f"clé de vérification {keyinfo[0]} différente de la clé de la société ({pinned})",
                              keyinfo[0])


# ---- guards --------------------------------------------------------------------------------

def _check_guards(chains) -> None:
    """Each guard as it is defined in the base against its definition: dropped, disabled, or
    rewritten (a trigger of the right name that refuses nothing) all show."""
    for name, problem in database.guard_problems():
        chains["guards"].fail(f"déclencheur de protection {problem} : {name} — les lignes scellées ne sont "
                              "plus défendues ; tui-factu init les réinstalle", name)


FIELD_LABELS = {"amount": "montant", "allocations": "affectations", "method": "mode", "lines": "lignes",
                "customer": "client", "customer_code": "client lié", "seller": "vendeur", "totals": "totaux",
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
