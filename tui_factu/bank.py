"""Bank statements: imported once (CAMT.053 checked against its ISO 20022 schema, OFX, CSV with
the columns saved per account), their credits matched with the open invoices, and the certain
matches recorded as payments (sealed in the payment chain like any other).

Import is all or nothing: a file that does not parse, or a single line that does not, imports
nothing and says which line. The same file twice imports nothing (its sha256), and a line
already imported from another file is not imported again (its key: the account and the bank's
own reference, else a hash of the line and its rank among identical ones). Only credits are
kept: debits, pending entries and reversals are counted and left out.

Matching (`match`) reads the open invoices once, indexes them by payment reference (the RF
creditor reference of `payment_reference`, or the invoice number), by balance and by customer,
and looks each unmatched credit up in those dicts:
1. a payment reference in the line: certain when the amount is exactly what remains on the
   invoice(s) it names, else a partial payment (probable);
2. the exact balance of an open invoice and its customer's name in the line (probable), or the
   exact balance of a single open invoice and no name (possible);
3. the customer's name and an amount that several of its open invoices add up to (grouped,
   probable), or less than what it owes (partial, possible: the oldest invoices first).
`match(apply=True)` records only the certain ones (transfer, the line's date and reference);
`confirm` records what the user chose for a line (a probable or possible proposal)."""
import csv
import hashlib
import io
import itertools
import re
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from peewee import JOIN, fn

from . import catalog, journal, payments, permissions, resources, settings
from .charset import FORBIDDEN_LINE, unprintable
from .db import write
from .documents.queries import get
from .errors import Conflict, FactuError, InvalidValue, NotFound
from .inputs import parse_date
from .models import BankLine, BankStatement, Customer, Document, Payment, PaymentAllocation
from .money import AMOUNT_SCALE, ZERO, check_scale, fmt2, from_scaled
from .session import current_user

FORMATS = ("camt053", "ofx", "csv")
FORMAT_LABELS = {"camt053": "CAMT.053", "ofx": "OFX", "csv": "CSV"}
MAX_BYTES = 20 * 1024 * 1024
DATA = resources.data_dir()
# the versions of camt.053 we read, each with its ISO 20022 schema (data/iso20022)
CAMT = {f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{v}": f"camt.053.001.{v}" for v in ("02", "08")}
CERTAIN, PROBABLE, POSSIBLE = "certain", "probable", "possible"
CERTAINTY_LABELS = {CERTAIN: "certain", PROBABLE: "probable", POSSIBLE: "possible"}
RULE_LABELS = {"reference": "référence", "grouped_reference": "références groupées", "partial_reference":
               "référence, paiement partiel", "amount_name": "montant et nom", "amount": "montant seul",
               "grouped": "paiement groupé", "partial": "paiement partiel"}


@dataclass
class Line:
    date: object
    amount: Decimal
    label: str = ""
    reference: str = ""
    counterparty: str = ""
    bank_ref: str = ""                 # the bank's own id of the line (camt AcctSvcrRef, OFX FITID)


@dataclass
class Statement:
    format: str
    account: str = ""
    statement_id: str = ""
    date: object = None
    lines: list = field(default_factory=list)
    left_out: dict = field(default_factory=dict)   # debits, pending, reversals: counted, not kept

    def leave_out(self, why: str) -> None:
        self.left_out[why] = self.left_out.get(why, 0) + 1


# ---- text and numbers as banks write them ----------------------------------------------------

def clean(text, limit: int) -> str:
    """Bank text made safe to keep and to print: control and invisible characters out, spaces
    collapsed, characters the printed documents cannot draw as « ? »."""
    text = " ".join(FORBIDDEN_LINE.sub(" ", str(text or "")).split())
    if not text.isascii():
        text = "".join("?" if unprintable(c) else c for c in text)
    return text[:limit]


def _amount(text: str, where: str) -> Decimal:
    """An amount as a bank writes it: 1 234,56 / -12,50 / 1.234,56 / 12.50 / +3,00 €."""
    raw = str(text or "")
    t = re.sub(r"[\s\u00a0\u202f€]|EUR", "", raw).lstrip("+")
    if "," in t and "." in t:
        t = t.replace(".", "").replace(",", ".") if t.rfind(",") > t.rfind(".") else t.replace(",", "")
    else:
        t = t.replace(",", ".")
    if not re.fullmatch(r"-?\d{1,12}(\.\d{1,2})?", t):
        raise InvalidValue(where, raw.strip()[:40], "montant invalide (ex. 1 234,56)")
    return Decimal(t)


def _date(text: str, where: str):
    """A date as a bank writes it: 2026-11-15, 20261115, 15/11/2026, 15.11.2026, 15/11/26."""
    raw = str(text or "").strip()
    m = re.fullmatch(r"(\d{4})-?(\d{2})-?(\d{2})", raw)
    if m:
        y, mo, d = m.groups()
    else:
        m = re.fullmatch(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})", raw)
        if not m:
            raise InvalidValue(where, raw[:40], "date invalide (JJ/MM/AAAA ou AAAA-MM-JJ)")
        d, mo, y = m.groups()
        y = y if len(y) == 4 else "20" + y
    try:
        return parse_date(f"{y}-{int(mo):02d}-{int(d):02d}", where)
    except InvalidValue:
        raise InvalidValue(where, raw[:40], "date invalide (JJ/MM/AAAA ou AAAA-MM-JJ)") from None


# ---- reading files ----------------------------------------------------------------------------

def read(path, what: str = "relevé") -> bytes:
    """A bank file's bytes, or a French refusal naming it (missing, a folder, too big, unreadable)."""
    p = Path(str(path))
    try:
        if p.is_dir():
            raise InvalidValue(what, str(path), "c'est un dossier, pas un fichier")
        if p.stat().st_size > MAX_BYTES:
            raise InvalidValue(what, str(path), f"fichier de plus de {MAX_BYTES // 1024 // 1024} Mo")
        return p.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"{what} introuvable « {path} »", what, str(path)) from None
    except PermissionError:
        raise InvalidValue(what, str(path), "lecture refusée par le système") from None
    except OSError as e:
        raise InvalidValue(what, str(path), f"illisible ({e.strerror or type(e).__name__})") from None


def detect(data: bytes, name: str) -> str:
    """The format of a statement from its first bytes (and a .csv name)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"ofxheader") or b"<ofx>" in head or b"<?ofx" in head:
        return "ofx"
    if head.startswith(b"<"):
        if b"camt.053" in head:
            return "camt053"
        if b"camt.054" in head:
            raise InvalidValue("relevé", name, "avis de prélèvements rejetés (camt.054), pas un relevé : "
                               "tui-factu sepa returns FICHIER")
        raise InvalidValue("relevé", name, "fichier XML qui n'est pas un relevé CAMT.053 (camt.053.001.02 ou .08)")
    if str(name).lower().endswith((".csv", ".txt")):
        return "csv"
    raise InvalidValue("relevé", name, "format non reconnu : précisez --format camt053, ofx ou csv")


@lru_cache(maxsize=None)
def _schema(version: str):
    from lxml import etree
    path = DATA / "iso20022" / f"{version}.xsd"
    try:
        return etree.XMLSchema(etree.parse(str(path)))
    except (OSError, etree.LxmlError):
        raise InvalidValue("schéma ISO 20022", str(path), "introuvable ou illisible : installation incomplète") from None


def iso20022(data: bytes, name: str, where: str, versions: dict):
    """An ISO 20022 message read safely (no DOCTYPE, no entity, no network) and valid against
    the schema of its version (versions: namespace -> schema name); returns (root, namespace)."""
    from lxml import etree
    if re.search(rb"<!DOCTYPE|<!ENTITY", data[:65536], re.I):
        raise InvalidValue(where, name, "DOCTYPE ou entité XML refusés")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        raise InvalidValue(where, name, f"XML illisible, ligne {e.lineno} : {clean(e.msg, 120)}") from None
    ns = etree.QName(root).namespace
    if ns not in versions:
        raise InvalidValue(where, ns or etree.QName(root).localname, "version non prise en charge ("
                           + " ou ".join(versions.values()) + " attendu)")
    schema = _schema(versions[ns])
    if not schema.validate(root):
        err = schema.error_log[0]
        message = clean(re.sub(r"\{[^}]*\}", "", err.message), 160)
        raise InvalidValue(where, name, f"non conforme au schéma ISO 20022 {versions[ns]}, ligne {err.line} : {message}")
    return root, ns


def _camt(data: bytes, name: str) -> Statement:
    """A camt.053 (001.02 or 001.08), valid against its ISO 20022 schema; one account per file."""
    where = "relevé CAMT.053"
    root, ns = iso20022(data, name, where, CAMT)
    n = {"c": ns}

    def text(node, *paths) -> str:
        for p in paths:
            value = node.findtext(p, namespaces=n)
            if value and value.strip():
                return value.strip()
        return ""
    stmts = root.findall("c:BkToCstmrStmt/c:Stmt", n)
    accounts = {text(s, "c:Acct/c:Id/c:IBAN", "c:Acct/c:Id/c:Othr/c:Id") for s in stmts}
    if len(accounts) > 1:
        raise InvalidValue(where, name, f"{len(accounts)} comptes dans un fichier : un relevé par compte")
    out = Statement("camt053", account="".join(next(iter(accounts), "").split()).upper())
    out.statement_id = clean(",".join(text(s, "c:Id") for s in stmts), 200)
    days = [text(s, "c:FrToDt/c:ToDtTm", "c:CreDtTm")[:10] for s in stmts]
    out.date = max((_date(d, where) for d in days if d), default=None)
    for s in stmts:
        for rank, entry in enumerate(s.findall("c:Ntry", n), 1):
            at = f"{where}, écriture {text(entry, 'c:NtryRef', 'c:AcctSvcrRef') or rank}"
            status = text(entry, "c:Sts/c:Cd", "c:Sts")
            if text(entry, "c:CdtDbtInd") != "CRDT":
                out.leave_out("débits")
                continue
            if status != "BOOK":
                out.leave_out("écritures non comptabilisées")
                continue
            if text(entry, "c:RvslInd").lower() == "true":
                out.leave_out("contrepassations")
                continue
            amount_node = entry.find("c:Amt", n)
            if amount_node.get("Ccy") != "EUR":
                raise InvalidValue(at, amount_node.get("Ccy"), "seuls les relevés en euros sont pris en charge")
            day = _date(text(entry, "c:BookgDt/c:Dt", "c:BookgDt/c:DtTm", "c:ValDt/c:Dt", "c:ValDt/c:DtTm")[:10], at)
            total = _amount(amount_node.text, at)
            entry_ref = text(entry, "c:AcctSvcrRef", "c:NtryRef")
            entry_info = text(entry, "c:AddtlNtryInf")
            txs = entry.findall("c:NtryDtls/c:TxDtls", n)
            amounts = [text(tx, "c:Amt", "c:AmtDtls/c:TxAmt/c:Amt") for tx in txs]
            split = len(txs) > 1 and all(amounts) and sum(_amount(a, at) for a in amounts) == total
            # one line per transfer when the entry books several with their amounts (a batch),
            # else one line for the entry with the texts of all its transfers
            for i, group in enumerate([[tx] for tx in txs] if split else [txs]):
                parts = [" ".join(u.text.split()) for t in group for u in t.findall("c:RmtInf/c:Ustrd", n)
                         if u.text and u.text.strip()]
                creditor_refs = [r.text.strip() for t in group
                                 for r in t.findall("c:RmtInf/c:Strd/c:CdtrRefInf/c:Ref", n) if r.text and r.text.strip()]
                end_to_end = " ".join(e for e in (text(t, "c:Refs/c:EndToEndId") for t in group)
                                      if e and e.upper() != "NOTPROVIDED")
                infos = [text(t, "c:AddtlTxInf") for t in group]
                label = " ".join(dict.fromkeys(p for p in (*parts, *infos, entry_info) if p))
                tx_ref = text(group[0], "c:Refs/c:AcctSvcrRef", "c:Refs/c:TxId") if len(group) == 1 else ""
                bank_ref = tx_ref or (f"{entry_ref}/{i + 1}" if split and entry_ref else entry_ref)
                payer = next((name for name in (text(t, "c:RltdPties/c:Dbtr/c:Nm", "c:RltdPties/c:Dbtr/c:Pty/c:Nm",
                                                     "c:RltdPties/c:UltmtDbtr/c:Nm",
                                                     "c:RltdPties/c:UltmtDbtr/c:Pty/c:Nm") for t in group) if name), "")
                out.lines.append(Line(
                    date=day, amount=_amount(amounts[i], at) if split else total, label=clean(label, 500),
                    reference=clean(" ".join(creditor_refs) or end_to_end, 140), counterparty=clean(payer, 140),
                    bank_ref=clean(bank_ref, 120)))
    return out


def _ofx(data: bytes, name: str) -> Statement:
    """An OFX statement (1.x SGML or 2.x XML) through ofxparse; refused when truncated (every
    <STMTTRN> must be read back) and when it holds several accounts."""
    import ofxparse
    where = "relevé OFX"
    if not re.search(rb"</OFX>\s*$", data.rstrip(b"\x00"), re.I):
        raise InvalidValue(where, name, "fichier incomplet (</OFX> final absent)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # bs4's deprecation notes about ofxparse's calls
            parsed = ofxparse.OfxParser.parse(io.BytesIO(data))
    except Exception as e:  # noqa: BLE001 - ofxparse raises anything from ValueError to its own
        raise InvalidValue(where, name, f"illisible : {clean(e, 120)}") from None
    accounts = parsed.accounts
    if len(accounts) != 1:
        raise InvalidValue(where, name, f"{len(accounts)} comptes dans le fichier : un relevé par compte")
    acct = accounts[0]
    st = acct.statement
    txs = list(getattr(st, "transactions", []) or [])
    if len(txs) != len(re.findall(rb"<STMTTRN>", data, re.I)):
        raise InvalidValue(where, name, "des opérations n'ont pas pu être lues (fichier abîmé)")
    currency = (getattr(acct, "curdef", None) or getattr(st, "currency", None) or "EUR").upper()
    if currency != "EUR":
        raise InvalidValue(where, currency, "seuls les relevés en euros sont pris en charge")
    number = "".join(str(acct.account_id or "").split()).upper()
    bank_id = "".join(str(getattr(acct, "routing_number", "") or "").split())
    branch = "".join(str(getattr(acct, "branch_id", "") or "").split())
    out = Statement("ofx", account=number if number[:2].isalpha() else "".join((bank_id, branch, number)))
    end = getattr(st, "end_date", None)
    out.date = end.date() if end else None
    for rank, t in enumerate(txs, 1):
        at = f"{where}, opération {t.id or rank}"
        amount = check_scale(t.amount if isinstance(t.amount, Decimal) else _amount(str(t.amount), at), 2, at)
        if amount <= 0:
            out.leave_out("débits")
            continue
        payee, memo = clean(t.payee, 140), clean(t.memo, 360)
        out.lines.append(Line(date=_date(t.date.date().isoformat(), at), amount=amount,
                              label=clean(" ".join(x for x in (payee, memo) if x), 500),
                              reference=clean(getattr(t, "checknum", ""), 140), counterparty=payee,
                              bank_ref=clean(t.id, 120)))
    return out


def _csv(data: bytes, name: str, account: str | None) -> Statement:
    """A bank's CSV export read through the columns saved for its account (`bank.csv.<IBAN>`):
    semicolons, commas or tabs, French decimals, a header line allowed."""
    where = "relevé CSV"
    saved = settings.stored("bank.csv.")
    if account:
        account = settings.bank_account(account)
        spec = saved.get("bank.csv." + account, "")
    elif len(saved) == 1:
        (key, spec), = saved.items()
        account = key[len("bank.csv."):]
    else:
        raise InvalidValue("--account", None, "relevé CSV : précisez le compte (--account IBAN) ; colonnes "
                           "enregistrées pour : " + (", ".join(k[9:] for k in saved) or "aucun compte"))
    if not spec:
        raise InvalidValue("--account", account, "aucune colonne enregistrée pour ce compte : tui-factu setting "
                           f"bank.csv.{account} date=1,label=2,amount=3 (les numéros de colonnes du fichier)")
    columns = {k: int(v) - 1 for k, v in (item.split("=") for item in spec.split(","))}
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidValue(where, name, "encodage illisible (UTF-8 ou Windows-1252 attendu)")
    if "\x00" in text:
        raise InvalidValue(where, name, "fichier binaire, pas un CSV")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = ";" if ";" in first else "\t" if "\t" in first else ","
    out = Statement("csv", account=account)
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as e:
        raise InvalidValue(where, name, f"CSV illisible : {e}") from None
    seen_data = False
    for n, row in enumerate(rows, 1):
        if not any(c.strip() for c in row):
            continue
        at = f"{where}, ligne {n}"
        try:
            if max(columns.values()) >= len(row):
                missing = min(k for k, v in columns.items() if v >= len(row))
                raise InvalidValue(at, missing, f"colonne {columns[missing] + 1} absente ({len(row)} colonnes)")
            day = _date(row[columns["date"]], at)
            if "amount" in columns:
                amount = _amount(row[columns["amount"]], at)
            else:
                credit = row[columns["credit"]].strip()
                debit = row[columns["debit"]].strip() if "debit" in columns else ""
                amount = _amount(credit, at) if credit else -abs(_amount(debit or "0", at))
        except InvalidValue:
            date_cell = row[columns["date"]] if columns["date"] < len(row) else ""
            if not seen_data and not re.search(r"\d", date_cell):    # the header line: « Date »
                seen_data = True
                continue
            raise
        seen_data = True
        if amount <= 0:
            out.leave_out("débits")
            continue

        def cell(key, limit):
            return clean(row[columns[key]], limit) if key in columns and columns[key] < len(row) else ""
        out.lines.append(Line(date=day, amount=amount, label=cell("label", 500), reference=cell("reference", 140),
                              counterparty=cell("counterparty", 140)))
        out.date = max(out.date or day, day)
    if not out.lines and not out.left_out:
        raise InvalidValue(where, name, "aucune opération lue")
    return out


def parse(data: bytes, name: str, fmt: str | None = None, account: str | None = None) -> Statement:
    if fmt is not None and fmt not in FORMATS:
        raise InvalidValue("--format", fmt, "formats : " + ", ".join(FORMATS))
    fmt = fmt or detect(data, name)
    if fmt == "camt053":
        return _camt(data, name)
    if fmt == "ofx":
        return _ofx(data, name)
    return _csv(data, name, account)


def _keys(st: Statement) -> list[str]:
    """Each line's key: the account and the bank's reference, else a hash of the line and its
    rank among identical lines of the file (two equal transfers the same day are two lines)."""
    keys, ranks = [], {}
    refs: dict[str, int] = {}
    for ln in st.lines:
        refs[ln.bank_ref] = refs.get(ln.bank_ref, 0) + 1
    for ln in st.lines:
        if ln.bank_ref and refs[ln.bank_ref] == 1:        # a reference the bank gave twice is no key
            keys.append(f"{st.format}:{st.account}:{ln.bank_ref}")
            continue
        body = "|".join((st.account, ln.date.isoformat(), fmt2(ln.amount), ln.label, ln.reference, ln.counterparty))
        ranks[body] = ranks.get(body, 0) + 1
        keys.append("h:" + hashlib.sha256(f"{body}|{ranks[body]}".encode()).hexdigest())
    return keys


def import_file(path, fmt: str | None = None, account: str | None = None) -> dict:
    """Imports a statement file whole, or nothing. Returns what was done, for display."""
    permissions.require("bank.statements")
    if fmt is not None and fmt not in FORMATS:
        raise InvalidValue("--format", fmt, "formats : " + ", ".join(FORMATS))
    data = read(path)
    name = Path(str(path)).name
    digest = hashlib.sha256(data).hexdigest()

    def already():
        known = BankStatement.get_or_none(BankStatement.sha256 == digest)
        return known and {"status": "already", "statement": known.id, "format": known.format,
                          "account": known.account, "imported_at": known.imported_at, "lines": 0, "known": 0,
                          "left_out": {}}
    if already():
        return already()
    st = parse(data, name, fmt, account)
    keys = _keys(st)
    with write():
        if already():                          # imported meanwhile by someone else
            return already()
        existing = set()
        for i in range(0, len(keys), 500):
            existing |= {k for (k,) in BankLine.select(BankLine.key).where(BankLine.key.in_(keys[i:i + 500])).tuples()}
        fresh = [(k, ln) for k, ln in zip(keys, st.lines) if k not in existing]
        if len({k for k, _ in fresh}) != len(fresh):
            raise InvalidValue("relevé", name, "deux opérations portent la même référence bancaire")
        statement = BankStatement.create(account=st.account, statement_id=st.statement_id, format=st.format,
                                         sha256=digest, date=st.date, user=current_user())
        rows = [{"statement": statement.id, "key": k, "date": ln.date, "amount": ln.amount, "label": ln.label,
                 "reference": ln.reference, "counterparty": ln.counterparty} for k, ln in fresh]
        for i in range(0, len(rows), 200):
            BankLine.insert_many(rows[i:i + 200]).execute()
        journal.event("bank.import", {"format": st.format, "account": st.account, "file": name, "sha256": digest,
                                      "lines": len(fresh), "known": len(existing), "left_out": st.left_out})
    return {"status": "imported", "statement": statement.id, "format": st.format, "account": st.account,
            "lines": len(fresh), "known": len(existing), "left_out": st.left_out,
            "total": fmt2(sum((ln.amount for _, ln in fresh), ZERO))}


# ---- payment references ----------------------------------------------------------------------

def _compact(text: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", str(text or "").upper())


def payment_reference(number: str) -> str:
    """The structured payment reference of an invoice: an RF creditor reference (ISO 11649)
    built on its number (FA2026-00012 -> RF73FA202600012), to print on the invoice and to find
    in the transfer's remittance information; empty when the number has more than 21 letters
    and digits."""
    from stdnum.iso7064 import mod_97_10
    body = _compact(number)
    if not body or len(body) > 21:
        return ""
    return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


# an invoice number shorter than this (a pattern of bare digits, {n}) is no reference: « 12 » or
# « 2026 » in a label would name an invoice
MIN_REFERENCE = 6
_RUN = re.compile(r"[0-9A-Z]+(?:[-/._][0-9A-Z]+)*")
_RF = re.compile(r"RF\d\d[0-9A-Z ]{1,40}")


def _references(text: str, by_number: dict) -> list[int]:
    """The invoices a line names: RF references whose body is an invoice number, and invoice
    numbers written as such (FA2026-00012, also inside VIR-FA2026-00012)."""
    from stdnum import iso11649
    upper = text.upper()
    found: dict[int, None] = {}
    for m in _RF.finditer(upper):
        compact = m.group(0).replace(" ", "")[:25]
        for end in range(len(compact), 4, -1):
            if compact[4:end] in by_number and iso11649.is_valid(compact[:end]):
                found[by_number[compact[4:end]]] = None
                break
    for m in _RUN.finditer(upper):
        parts = re.split(r"[-/._]", m.group(0))
        for i in range(len(parts)):
            for j in range(i + 1, min(len(parts), i + 4) + 1):
                doc = by_number.get("".join(parts[i:j]))
                if doc is not None:
                    found[doc] = None
    return list(found)


# ---- customers' names -------------------------------------------------------------------------

_NOISE = {"sarl", "sas", "sasu", "sa", "eurl", "sci", "snc", "scop", "scp", "selarl", "ei", "eirl", "ste", "societe",
          "ets", "etablissements", "cie", "et", "de", "du", "des", "la", "le", "les", "l", "d", "m", "mme", "mr",
          "monsieur", "madame", "vir", "virement", "sepa", "recu", "from"}


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", catalog.search_key(text)))


def _name_tokens(name: str) -> frozenset:
    return frozenset(t for t in _tokens(name) if t not in _NOISE and (len(t) > 1 or t.isdigit()))


class _Names:
    """Finds the customers whose name is in a text: each customer is indexed under the rarest
    word of its name, and confirmed when every word of its name is in the text."""

    def __init__(self, customers: dict[int, str]):
        words = {cid: _name_tokens(name) for cid, name in customers.items()}
        freq: dict[str, int] = {}
        for ws in words.values():
            for w in ws:
                freq[w] = freq.get(w, 0) + 1
        self.words, self.index = words, {}
        for cid, ws in words.items():
            if ws:
                rare = min(ws, key=lambda w: (freq[w], -len(w), w))
                self.index.setdefault(rare, []).append(cid)

    def find(self, text: str) -> list[int]:
        tokens = _tokens(text)
        return sorted({cid for t in tokens for cid in self.index.get(t, ()) if self.words[cid] <= tokens})


# ---- matching ---------------------------------------------------------------------------------

@dataclass
class _Invoice:
    id: int
    number: str
    customer: int
    left: Decimal
    due_date: object


def _open_invoices() -> dict[int, _Invoice]:
    """Every invoice with something left to pay, and what is left (the one balance, by SQL)."""
    paid = payments.paid_sql().alias("paid")
    left = (Document.due - fn.COALESCE(paid.c.paid, 0))
    q = (Document.select(Document.id, Document.number, Document.customer, left.alias("left"),
                         fn.COALESCE(Document.due_date, Document.date))
         .join(paid, JOIN.LEFT_OUTER, on=(paid.c.document_id == Document.id))
         .where((Document.kind == "invoice") & Document.status.in_(("validated", "partly_paid")) & (left > 0))
         .order_by(Document.id))
    return {i: _Invoice(i, number, customer, from_scaled(cents, AMOUNT_SCALE), due)       # cents, whatever the driver
            for i, number, customer, cents, due in q.tuples()}


def _subset(invoices: list[_Invoice], amount: Decimal) -> list[_Invoice] | None:
    """Open invoices of one customer that add up to the amount: all of them, the oldest ones
    first, or two or three of them (among the 30 oldest)."""
    total = ZERO
    for k, inv in enumerate(invoices, 1):
        total += inv.left
        if total == amount:
            return invoices[:k]
        if total > amount:
            break
    head = invoices[:30]
    for size in (2, 3):
        for combo in itertools.combinations(head, size):
            if sum((i.left for i in combo), ZERO) == amount:
                return list(combo)
    return None


def _line_row(ln: BankLine) -> dict:
    return {"line": ln.id, "date": ln.date.isoformat() if hasattr(ln.date, "isoformat") else str(ln.date),
            "amount": fmt2(ln.amount), "counterparty": ln.counterparty, "label": ln.label, "reference": ln.reference}


def _propose(ln: BankLine, invoices: dict, by_number: dict, by_left: dict, by_customer: dict, names: _Names,
             customers: dict) -> dict | None:
    text = " ".join((ln.reference, ln.label, ln.counterparty))
    amount = ln.amount

    def proposal(chosen, rule, certainty, reason, allocate=None):
        cust = customers[chosen[0].customer]
        return {**_line_row(ln), "customer": cust[0], "customer_name": cust[1],
                "invoices": [{"number": i.number, "balance": fmt2(i.left)} for i in chosen],
                "rule": rule, "certainty": certainty, "reason": reason, "_ids": [i.id for i in chosen],
                "_allocate": allocate}
    named = _references(text, by_number)
    if named:
        chosen = [invoices[i] for i in named if invoices[i].left > 0]
        settled = [invoices[i].number for i in named if invoices[i].left <= 0]
        if not chosen:
            return None if not settled else {**_line_row(ln), "customer": "", "customer_name": "", "invoices": [],
                                             "rule": "reference", "certainty": POSSIBLE, "_ids": [],
                                             "reason": f"référence de {', '.join(settled)}, déjà réglée(s)"}
        if len({i.customer for i in chosen}) > 1:
            return proposal(chosen, "reference", POSSIBLE, "références de factures de clients différents")
        owed = sum((i.left for i in chosen), ZERO)
        refs = ", ".join(i.number for i in chosen)
        if amount == owed and not settled:
            rule = "grouped_reference" if len(chosen) > 1 else "reference"
            return proposal(chosen, rule, CERTAIN, f"référence de paiement {refs} et montant exact du reste dû")
        if amount < owed:
            return proposal(chosen, "partial_reference", PROBABLE,
                            f"référence {refs} ; paiement partiel : {fmt2(amount)} sur {fmt2(owed)} dus")
        return proposal(chosen, "reference", POSSIBLE, f"référence {refs} mais {fmt2(amount)} reçus pour {fmt2(owed)} "
                        "dus" + (f" ({', '.join(settled)} déjà réglée(s))" if settled else ""))
    found = names.find(text)
    same = [invoices[i] for i in by_left.get(amount, ()) if invoices[i].left == amount]
    if found:
        mine = [i for i in same if i.customer in found]
        if mine:
            mine.sort(key=lambda i: (str(i.due_date), i.id))
            extra = f" ({len(mine)} factures de ce montant : la plus ancienne)" if len(mine) > 1 else ""
            return proposal(mine[:1], "amount_name", PROBABLE if len(mine) == 1 else POSSIBLE,
                            f"montant exact du reste dû de {mine[0].number} et nom du client{extra}")
        for cid in found:
            own = by_customer.get(cid, [])
            group = _subset([i for i in own if i.left > 0], amount)
            if group and len(group) > 1:
                return proposal(group, "grouped", PROBABLE, f"nom du client et somme exacte de {len(group)} factures "
                                f"({', '.join(i.number for i in group)})")
        for cid in found:
            own = [i for i in by_customer.get(cid, []) if i.left > 0]
            owed = sum((i.left for i in own), ZERO)
            if own and amount < owed:
                chosen, rest = [], amount
                for inv in own:
                    if rest <= 0:
                        break
                    chosen.append(inv)
                    rest -= min(inv.left, rest)
                return proposal(chosen, "partial", POSSIBLE, f"nom du client ; paiement partiel : {fmt2(amount)} "
                                f"sur {fmt2(owed)} dus, les plus anciennes d'abord")
    if len(same) == 1:
        return proposal(same, "amount", POSSIBLE, f"montant exact du reste dû de {same[0].number}, sans nom ni référence")
    return None


def match(apply: bool = False) -> dict:
    """Proposes an invoice (or several) for each unmatched credit line, with the rule and its
    certainty; with apply, records the certain ones as payments (transfer, on the line's date,
    with its reference) linked to their lines. Lines left without a match are listed."""
    permissions.require("bank.statements")
    if apply:
        permissions.require("payment.collect")
    with write() if apply else nullcontext():
        invoices = _open_invoices()
        by_number, by_left, by_customer = {}, {}, {}
        for inv in invoices.values():
            if len(_compact(inv.number)) >= MIN_REFERENCE:
                by_number[_compact(inv.number)] = inv.id
            by_left.setdefault(inv.left, []).append(inv.id)
            by_customer.setdefault(inv.customer, []).append(inv)
        for own in by_customer.values():
            own.sort(key=lambda i: (str(i.due_date), i.id))
        # a referenced invoice already settled is named too, to say so
        for i, number in Document.select(Document.id, Document.number).where(
                (Document.kind == "invoice") & Document.status.in_(("paid",))).tuples():
            if i not in invoices and len(_compact(number)) >= MIN_REFERENCE:
                invoices[i] = _Invoice(i, number, 0, ZERO, None)
                by_number.setdefault(_compact(number), i)
        customers = {cid: (code, name) for cid, code, name in Customer.select(Customer.id, Customer.code, Customer.name)
                     .where(Customer.id.in_(list(by_customer) or [0])).tuples()}
        names = _Names({cid: name for cid, (_, name) in customers.items()})
        proposals, unmatched, applied, refused = [], [], [], []
        lines = BankLine.select().where(BankLine.payment.is_null() & (BankLine.amount > 0)).order_by(
            BankLine.date, BankLine.id)
        for ln in lines:
            if ln.set_aside:
                unmatched.append({**_line_row(ln), "reason": "proposition écartée", "set_aside": True})
                continue
            p = _propose(ln, invoices, by_number, by_left, by_customer, names, customers)
            if p is None or not p["_ids"]:
                unmatched.append({**_line_row(ln), "reason": p["reason"] if p else "aucune facture ne correspond"})
                continue
            proposals.append(p)
            if p["certainty"] == CERTAIN:
                for i in p["_ids"]:                # spoken for: a second line naming it is no longer certain
                    invoices[i].left = ZERO
                if apply:
                    try:
                        with write():
                            applied.append(_apply(ln, p))
                    except FactuError as e:
                        refused.append({"line": ln.id, "reason": str(e)})
    for p in proposals:
        p.pop("_ids"), p.pop("_allocate")
    return {"proposals": proposals, "unmatched": unmatched, "applied": applied, "refused": refused}


def _apply(ln: BankLine, p: dict) -> dict:
    """One certain match as a payment, its line linked to it (inside the caller's savepoint)."""
    for i, inv in zip(p["_ids"], p["invoices"]):
        if payments.balance(get(i)) != Decimal(inv["balance"]):
            raise Conflict(f"{inv['number']} : le reste dû a changé depuis la lecture", "facture", inv["number"])
    return _record(ln, p["_ids"])


def _record(ln: BankLine, ids: list[int]) -> dict:
    reference = clean(ln.reference or ln.label, 60) or f"relevé ligne {ln.id}"
    done = payments.pay(ids, ln.amount, "transfer", ln.date, reference)
    payment_id = Payment.select(Payment.id).where(Payment.seq == done["payment"]).scalar()
    if not BankLine.update(payment=payment_id).where((BankLine.id == ln.id) & BankLine.payment.is_null()).execute():
        raise Conflict(f"ligne de relevé {ln.id} déjà rapprochée", "ligne", ln.id)
    return {"line": ln.id, "payment": done["payment"], "amount": fmt2(ln.amount),
            "invoices": [n for n, _ in done["allocations"]]}


def confirm(line_id: int, numbers: list[str]) -> dict:
    """What the user confirms for a line (a proposal, probable or possible, or invoices he
    chose): a transfer of the line's amount on those invoices in that order, on the line's
    date, sealed, the line linked to it; beyond what they owe, the customer's credit."""
    permissions.require("bank.statements")
    permissions.require("payment.collect")
    with write():
        ln = BankLine.get_or_none(BankLine.id == line_id)
        if ln is None or ln.amount <= 0:
            raise NotFound(f"ligne de relevé inconnue « {line_id} »", "ligne", line_id)
        if ln.payment_id:
            raise Conflict(f"ligne de relevé {line_id} déjà rapprochée", "ligne", line_id)
        ids = []
        for number in dict.fromkeys(n.strip() for n in numbers if n and n.strip()):
            doc = Document.get_or_none((Document.number == number) & (Document.kind == "invoice"))
            if doc is None:
                raise NotFound(f"facture inconnue « {number} »", "facture", number)
            ids.append(doc.id)
        if not ids:
            raise InvalidValue("factures", None, "au moins une facture à rapprocher de la ligne")
        return _record(ln, ids)


def set_aside(line_id: int, aside: bool = True) -> None:
    """Puts a line's proposal aside (a payment that is not a customer's, a refund…), or takes
    it back: the line stays listed, unmatched, until the user says otherwise."""
    permissions.require("bank.statements")
    with write():
        ln = BankLine.get_or_none(BankLine.id == int(line_id))
        if ln is None:
            raise NotFound(f"ligne de relevé introuvable « {line_id} »", "ligne", str(line_id))
        if ln.payment_id:
            raise Conflict(f"ligne {line_id} : déjà rapprochée", "ligne", str(line_id))
        BankLine.update(set_aside=aside).where(BankLine.id == ln.id).execute()
        journal.event("bank_line_set_aside" if aside else "bank_line_taken_back", {"line": ln.id, "user": current_user()})


def lines(unmatched_only: bool = False) -> list[dict]:
    """The imported credit lines, oldest first, with the payment each became and its invoices."""
    permissions.require("bank.statements")
    q = (BankLine.select(BankLine, BankStatement.format.alias("fmt"), Payment.seq.alias("seq"))
         .join(BankStatement).switch(BankLine).join(Payment, JOIN.LEFT_OUTER)
         .order_by(BankLine.date, BankLine.id).objects())
    if unmatched_only:
        q = q.where(BankLine.payment.is_null())
    rows = list(q)
    invoices: dict[int, list] = {}
    ids = [r.payment_id for r in rows if r.payment_id]
    for i in range(0, len(ids), 500):
        for pid, number in (PaymentAllocation.select(PaymentAllocation.payment, Document.number).join(Document)
                            .where(PaymentAllocation.payment.in_(ids[i:i + 500])).tuples()):
            invoices.setdefault(pid, []).append(number)
    return [{**_line_row(r), "format": r.fmt, "payment": r.seq,
             "invoices": invoices.get(r.payment_id, [])} for r in rows]
