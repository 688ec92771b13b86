"""Signed archives of a period (ISCA "archivage"): one ZIP holding every sealed document of the
period as the JSON its seal covers and as its PDF (Factur-X for invoices), the payments, the
closings, the journal records, the public key, and a manifest of every file's SHA-256 signed
with the company key. verify_archive checks it offline — no database, no key but the one
inside (or one given to compare with) — and names every altered, missing or unexpected file.
"""
import base64
import datetime as dt
import hashlib
import json
import os
import re
import zipfile

from . import clock, files, journal, permissions, verify
from .session import current_user
from .errors import FactuError, InvalidValue
from .models import Closing, Document, JournalRecord, Payment, PaymentAllocation

FORMAT = "tui-factu-archive/1"
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public_key.pem"


def parse_period(text: str) -> tuple[dt.date, dt.date]:
    """2026 | 2026-11 | 2026-11-30 | 2026-01-01..2026-06-30"""
    from .documents import parse_date
    t = (text or "").strip()
    if ".." in t:
        a, b = t.split("..", 1)
        start, end = parse_date(a, "période"), parse_date(b, "période")
    elif re.fullmatch(r"\d{4}", t):
        start, end = dt.date(int(t), 1, 1), dt.date(int(t), 12, 31)
    elif re.fullmatch(r"\d{4}-\d{2}", t):
        from .closings import period
        start, end, _ = period("month", dt.date(int(t[:4]), int(t[5:]), 1)) if 1 <= int(t[5:]) <= 12 else (None, None, None)
        if start is None:
            raise InvalidValue("période", text, "mois invalide")
    else:
        start = end = parse_date(t, "période")
    if end < start:
        raise InvalidValue("période", text, "la fin précède le début")
    return start, end


def write(period: str, path: str, render_pdf) -> dict:
    """Writes the archive of `period` to `path` (atomically). render_pdf(doc_id) -> PDF bytes."""
    permissions.require("archive")
    start, end = parse_period(period)
    keyinfo = journal.public_key()
    if keyinfo is None:
        raise FactuError("aucune clé de signature : rien n'a encore été scellé", "clé", None)
    report = verify.run()
    if not report.ok:
        raise FactuError("archive refusée : le journal n'est pas intact — "
                         + report.as_dict()["first_failure"]["error"], "journal", None)
    key_id = keyinfo[0]
    manifest_files = []
    counts = {"documents": 0, "payments": 0, "closings": 0, "records": 0}
    with files.writing(path, "archive", "-o") as out:
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            def put(name: str, data: bytes) -> None:
                z.writestr(name, data)
                manifest_files.append({"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
            numbers = Document.select(Document.number).where(Document.number.is_null(False)
                                                             & Document.date.between(start, end))
            sealed = dict(JournalRecord.select(JournalRecord.ref, JournalRecord.payload).where(
                (JournalRecord.action == "validate") & JournalRecord.ref.in_(numbers)).tuples())
            docs = (Document.select(Document.id, Document.number).where(
                Document.number.is_null(False) & Document.date.between(start, end)).order_by(Document.id).tuples())
            for doc_id, number in docs:
                put(f"documents/{number}.json", sealed[number].encode())     # exactly what was signed
                put(f"documents/{number}.pdf", render_pdf(doc_id))
                counts["documents"] += 1
            pays = []
            for p in Payment.select().where(Payment.date.between(start, end)).order_by(Payment.seq):
                allocations = list(PaymentAllocation.select().where(PaymentAllocation.payment == p.id))
                from .payments import payload
                pays.append({"seq": p.seq, **payload(p, allocations)})
            put("payments.json", json.dumps(pays, ensure_ascii=False, indent=1).encode())
            counts["payments"] = len(pays)
            closings = [json.loads(c.payload) | {"seq": c.seq} for c in Closing.select().where(
                Closing.period_end.between(start, end)).order_by(Closing.seq)]
            put("closings.json", json.dumps(closings, ensure_ascii=False, indent=1).encode())
            counts["closings"] = len(closings)
            # the period's records, and the validation records of its documents whenever made
            lo, hi = f"{start.isoformat()}T", f"{(end + dt.timedelta(days=1)).isoformat()}T"
            lines = []
            for r in (JournalRecord.select().where(((JournalRecord.created_at >= lo) & (JournalRecord.created_at < hi))
                                                   | ((JournalRecord.action == "validate")
                                                      & JournalRecord.ref.in_(numbers)))
                      .order_by(JournalRecord.chain, JournalRecord.seq)):
                lines.append(journal.canonical({"chain": r.chain, "seq": r.seq, "action": r.action, "ref": r.ref,
                                                "payload": r.payload, "prev_signature": r.prev_signature,
                                                "hash": r.hash, "signature": r.signature, "key_id": r.key_id,
                                                "format_version": r.format_version, "created_at": r.created_at,
                                                "user": r.user}))
            put("journal.jsonl", ("\n".join(lines) + "\n").encode())
            counts["records"] = len(lines)
            pem = journal.public_key_pem()
            put(PUBLIC_KEY, pem)
            manifest = {"format": FORMAT, "period": {"start": start.isoformat(), "end": end.isoformat()},
                        "created_at": clock.now().isoformat(),
                        "created_by": current_user(), "key_id": key_id, "counts": counts, "files": manifest_files}
            data = journal.canonical(manifest).encode()
            z.writestr(MANIFEST, data)
            z.writestr(SIGNATURE, journal.sign_manifest(data))
    journal.event("archive", {"period": period, "file": os.path.basename(path), **counts})
    return {"path": path, "start": start, "end": end, "key_id": key_id, **counts}


MAX_SMALL = 16 << 20          # the manifest, a signature, a key, one journal line


def verify_archive(path: str, trusted_key: bytes | None = None, trust_embedded: bool = False) -> dict:
    """Offline check: the manifest's signature, every file's hash, nothing missing or added,
    each journal record's hash and signature, and each document's JSON equal to what its
    record sealed. Files are read in chunks (memory stays flat whatever the archive claims).
    The key: the one given (`trusted_key`), else the one inside only if `trust_embedded` —
    an archive signed by the key it carries proves nothing by itself.
    Returns {"ok", "problems", "key_id", "trusted", "counts", "period"}."""
    from . import signer
    problems = []
    z = files.open_zip(path, "archive", "archive")
    with z:
        names = set(z.namelist())
        for required in (MANIFEST, SIGNATURE, PUBLIC_KEY):
            if required not in names:
                problems.append(f"fichier manquant : {required}")
        if problems:
            return {"ok": False, "problems": problems}
        try:
            raw, pem, sig = (_small(z, n) for n in (MANIFEST, PUBLIC_KEY, SIGNATURE))
            key_id, public, _ = signer.parse_public(pem)
        except ValueError as e:
            return {"ok": False, "problems": [f"archive illisible ({e})"]}
        if trusted_key is not None:
            trusted = "donnée (--key)"
            if trusted_key.strip() != pem.strip():
                problems.append(f"clé publique : l'archive porte la clé {key_id}, ce n'est pas la clé de confiance "
                                "donnée (--key)")
        elif trust_embedded:
            trusted = f"celle de l'archive ({key_id}), acceptée sans comparaison"
        else:
            trusted = "aucune"
            problems.append(f"aucune clé de confiance : l'archive n'est signée que par la clé qu'elle contient "
                            f"({key_id}) — donnez la clé publique de la société (--key signing.pub), ou "
                            "--trust-embedded-key pour l'accepter telle quelle")
        if not signer.verify_manifest(public, raw, sig):
            problems.append("manifeste : signature invalide (manifest.json altéré ou clé remplacée)")
        try:
            manifest = json.loads(raw)
            listed = {f["name"]: f for f in manifest.get("files", [])}
        except (ValueError, TypeError, KeyError, AttributeError):
            return {"ok": False, "problems": problems + ["manifeste illisible"]}
        altered = set()
        for name, f in listed.items():
            if name not in names:
                problems.append(f"fichier manquant : {name}")
            elif _sha256(z, name) != f.get("sha256"):
                problems.append(f"fichier altéré : {name}")
                altered.add(name)
        for name in sorted(names - set(listed) - {MANIFEST, SIGNATURE}):
            problems.append(f"fichier inattendu : {name}")
        # a journal that is not the one signed is not read further (it may be built to exhaust memory)
        problems += _check_records(z, names - (altered & {"journal.jsonl"}), public)
    return {"ok": not problems, "problems": problems, "key_id": manifest.get("key_id"), "trusted": trusted,
            "counts": manifest.get("counts", {}), "period": manifest.get("period", {})}


def _small(z, name: str) -> bytes:
    info = z.getinfo(name)
    if info.file_size > MAX_SMALL:
        raise ValueError(f"{name} trop grand")
    with z.open(info) as f:
        return f.read(MAX_SMALL + 1)[:MAX_SMALL]


def _sha256(z, name: str) -> str:
    digest = hashlib.sha256()
    with z.open(name) as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_records(z, names, public) -> list[str]:
    """Each record's hash and signature; each document equal to its validation record (both
    streamed: a line at a time, a hash of each payload kept, not the payload)."""
    import io
    from cryptography.exceptions import InvalidSignature
    out, sealed = [], {}
    if "journal.jsonl" not in names:
        return out
    with z.open("journal.jsonl") as raw:
        reader = io.TextIOWrapper(raw, encoding="utf-8", errors="replace")
        # readline with a limit: a line without an end is never read whole into memory
        for n, line in enumerate(iter(lambda: reader.readline(MAX_SMALL + 1), ""), start=1):
            if len(line) > MAX_SMALL:
                out.append(f"journal : ligne {n} trop longue")
                break
            if not line.strip():
                continue
            try:
                r = json.loads(line)
                digest = journal.record_hash(r["chain"], r["seq"], r["prev_signature"], r["payload"],
                                             r["format_version"])
            except (ValueError, KeyError, TypeError):
                out.append(f"journal : ligne {n} illisible")
                continue
            if digest.hex() != r["hash"]:
                out.append(f"journal : enregistrement {r['chain']} n° {r['seq']} ({r['ref']}) altéré")
                continue
            try:
                public.verify(base64.urlsafe_b64decode(r["signature"]), digest)
            except (InvalidSignature, ValueError):
                out.append(f"journal : signature invalide, enregistrement {r['chain']} n° {r['seq']} ({r['ref']})")
            if r["action"] == "validate":
                sealed[r["ref"]] = hashlib.sha256(r["payload"].encode()).hexdigest()
    for name in sorted(n for n in names if n.startswith("documents/") and n.endswith(".json")):
        number = name[len("documents/"):-len(".json")]
        if number in sealed and _sha256(z, name) != sealed[number]:
            out.append(f"document {number} : ne correspond plus à son scellement ({name})")
    return out
