"""Printing as the core sees it: printers configured by URL, a print queue in the database,
and the first print / reprint distinction (a reprint says DUPLICATA and is logged).

The original is what was issued to the customer: a PDF written for one document (`pdf REF`,
F5), or a thermal job the printer took. Exports (`pdf --all`, archives, `xml`) and failed
prints issue nothing. A document has one original per medium — the A4 PDF (sent, or printed
on a laser printer) and the thermal paper (the slip signed at delivery, the ticket handed over
at the counter) — except what is an invoice in law (invoices and credit notes, CGI 289): one
original whatever the medium, so a thermal ticket of an invoice already issued as a PDF says
DUPLICATA. Every issuance and reprint is a record of the events chain (channel pdf, bon, ticket)."""
import json
import re

from . import journal, permissions, settings
from .db import write
from .session import current_user
from .errors import InvalidValue, NotFound
from .models import Document, JournalRecord, PrintJob, Setting, utcnow

SCHEMES = ("tcp", "usb", "serial", "file", "cups")
PROFILES = ("default", "TM-T88V", "TM-T20II", "POS-5890", "NT-5890K", "ZJ-5870", "simple")
COLUMNS = (32, 42, 48)


def check_url(url: str) -> str:
    url = (url or "").strip()
    m = re.match(r"^([a-z]+)://(.+)$", url)
    if not m or m.group(1) not in SCHEMES:
        raise InvalidValue("imprimante", url, "URL inconnue (tcp://hôte:9100, usb://VID:PID, "
                           "serial:///dev/ttyUSB0?baudrate=9600, file:///dev/usb/lp0, cups://nom)")
    scheme, rest = m.groups()
    if scheme == "usb" and not re.fullmatch(r"[0-9a-fA-F]{4}:[0-9a-fA-F]{4}", rest):
        raise InvalidValue("imprimante", url, "usb://VID:PID attendu (ex. usb://04b8:0202)")
    if scheme == "tcp" and not re.fullmatch(r"[\w.-]+(:\d{1,5})?", rest):
        raise InvalidValue("imprimante", url, "tcp://hôte:port attendu (ex. tcp://192.168.1.50:9100)")
    return url


def printers() -> dict:
    """name -> {url, profile, columns}"""
    out = {}
    for s in Setting.select().where(Setting.key.startswith("printer.")):
        name, _, attr = s.key[len("printer."):].rpartition(".")
        if name:
            out.setdefault(name, {})[attr] = s.value
    return out


def set_printer(name: str, url: str, profile: str = "default", columns: int = 42) -> None:
    permissions.require("settings.change")
    if not re.fullmatch(r"[a-z0-9_-]{1,20}", name or ""):
        raise InvalidValue("nom d'imprimante", name, "lettres minuscules, chiffres, - ou _")
    if profile not in PROFILES:
        raise InvalidValue("profil", profile, "profils : " + ", ".join(PROFILES))
    if int(columns) not in COLUMNS:
        raise InvalidValue("colonnes", columns, "32, 42 ou 48")
    with write():
        for attr, value in (("url", check_url(url)), ("profile", profile), ("columns", str(columns))):
            settings.store(f"printer.{name}.{attr}", value)
        journal.seal("event", "settings", f"imprimante {name}",
                     {"action": "settings", "at": utcnow(), "printer": name, "url": url})


def resolve(name_or_url: str | None) -> dict:
    """A configured printer by name, a URL given directly, or the `default` printer."""
    configured = printers()
    if name_or_url and "://" in name_or_url:
        # a URL reaches any host or device: configuring is an admin's
        permissions.require("settings.change")
        return {"url": check_url(name_or_url), "profile": "default", "columns": "42"}
    name = name_or_url or "default"
    if name not in configured:
        raise NotFound(f"imprimante inconnue « {name} » (tui-factu printers add {name} URL)",
                       "imprimante", name)
    return configured[name]


MEDIA = {"pdf": ("pdf",), "bon": ("bon", "ticket"), "ticket": ("bon", "ticket")}
ONE_ORIGINAL = ("invoice", "credit_note")


def _same_medium(ref: str, channel: str | None) -> tuple | None:
    """The channels whose prints use up the original of `ref` printed on `channel` (None: all)."""
    if channel is None:
        return None
    kind = Document.select(Document.kind).where(Document.number == ref).scalar()
    return None if kind in ONE_ORIGINAL else MEDIA.get(channel, (channel,))


def already_printed(ref: str, channel: str | None = None) -> int:
    """How many times this document was issued before (from the events chain): on any medium,
    or on the medium of `channel` for what has one original per medium."""
    rows = (JournalRecord.select(JournalRecord.payload)
            .where((JournalRecord.chain == "event") & (JournalRecord.ref == ref)
                   & JournalRecord.action.in_(("print", "reprint"))))
    media = _same_medium(ref, channel)
    if media is None:
        return rows.count()
    return sum(1 for (payload,) in rows.tuples() if json.loads(payload).get("channel") in media)


def log_print(ref: str, channel: str) -> bool:
    """Records an issuance of a validated document; returns True when it is a reprint
    (DUPLICATA) on that medium."""
    with write():
        copies = already_printed(ref, channel)
        journal.seal("event", "reprint" if copies else "print", ref,
                     {"action": "reprint" if copies else "print", "at": utcnow(), "ref": ref,
                      "channel": channel, "copy": copies + 1, "user": current_user()})
    return copies > 0


def enqueue(what: str, ref: str, printer: str, data: bytes) -> PrintJob:
    with write():
        return PrintJob.create(what=what, ref=ref, printer=printer, data=data, user=current_user())


def mark(job_id: int, ok: bool, error: str = "", issues: str | None = None) -> None:
    """A job's outcome. `issues`: the channel of a document the job printed ("bon", "ticket"):
    once it is on paper, and only then, its print is logged (log_print), in the same
    transaction; a job that failed issued nothing, so the next print is still the original."""
    with write():
        PrintJob.update(state="printed" if ok else "failed", error=error, attempts=PrintJob.attempts + 1,
                        printed_at=utcnow() if ok else None).where(PrintJob.id == job_id).execute()
        if ok and issues:
            log_print(job(job_id).ref, issues)


def job(job_id: int) -> PrintJob:
    j = PrintJob.get_or_none(PrintJob.id == job_id)
    if j is None:
        raise NotFound(f"travail d'impression inconnu « {job_id} »", "travail", job_id)
    return j


def queue(state: str | None = None, limit: int = 100) -> list[PrintJob]:
    q = PrintJob.select(PrintJob.id, PrintJob.created_at, PrintJob.what, PrintJob.ref, PrintJob.printer,
                        PrintJob.state, PrintJob.error, PrintJob.attempts)
    if state:
        q = q.where(PrintJob.state == state)
    return list(q.order_by(PrintJob.id.desc()).limit(limit))
