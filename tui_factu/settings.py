"""The business settings a manager tunes (margin floor, discount ceiling, hourly labour, time
increment): each checked, changed only by a role allowed to, audited and logged as a technical
event. Printers (printing.py), numbering (numbering.py) and the company (catalog.py) have
their own services."""
import re
from decimal import Decimal

from . import audit, journal, permissions
from .db import prepared, write
from .errors import InvalidValue
from .models import Product, Setting, utcnow


def _percent(value: str) -> str:
    from .money import to_decimal
    d = to_decimal(value, "pourcentage")
    if not Decimal(0) <= d <= Decimal(100):
        raise InvalidValue("pourcentage", value, "entre 0 et 100")
    return format(d.normalize(), "f")


def _minutes(value: str) -> str:
    if not str(value).strip().isdigit() or not 1 <= int(value) <= 60:
        raise InvalidValue("minutes", value, "entier de 1 à 60")
    return str(int(value))


def _product(value: str) -> str:
    code = str(value).strip()
    if code and not Product.get_or_none(Product.code == code):
        raise InvalidValue("produit", code, "produit inconnu")
    return code


def _folders(value: str) -> str:
    """Absolute folders separated by ':' (empty: the defaults)."""
    import os
    parts = [p.strip() for p in value.split(os.pathsep) if p.strip()]
    for p in parts:
        if not os.path.isabs(os.path.expanduser(p)) or not os.path.isdir(os.path.expanduser(p)):
            raise InvalidValue("dossier", p, "dossier absolu existant attendu")
        if any(part.startswith(".") for part in p.split(os.sep)):
            raise InvalidValue("dossier", p, "un dossier caché ne peut pas recevoir d'exports")
    return os.pathsep.join(parts)


def _days(value: str) -> str:
    if not str(value).strip().isdigit() or int(value) > 366:
        raise InvalidValue("jours", value, "entier de 0 à 366")
    return str(int(value))


def _account(value: str) -> str:
    """A general-ledger account number (FEC CompteNum): digits, 3 to 20 (empty: the default)."""
    text = str(value).strip()
    if text and not (text.isdigit() and 3 <= len(text) <= 20):
        raise InvalidValue("compte", text, "numéro de compte de 3 à 20 chiffres (ex. 411000)")
    return text


def _url(value: str) -> str:
    """An https address (http only on this machine: a simulator, a local proxy)."""
    from urllib.parse import urlsplit
    text = str(value).strip()
    if not text:
        return ""
    parts = urlsplit(text)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname or (parts.scheme == "http" and not local):
        raise InvalidValue("adresse", text, "https://… attendu (http seulement sur 127.0.0.1)")
    return text.rstrip("/")


def _identifier(value: str) -> str:
    text = str(value).strip()
    if len(text) > 200 or any(not c.isprintable() or c.isspace() for c in text):
        raise InvalidValue("identifiant", text[:40], "200 caractères visibles au plus, sans espace")
    return text


def _levels(value: str) -> str:
    """Days late of each reminder level, increasing: 7,15,30."""
    parts = [x.strip() for x in str(value).split(",") if x.strip()]
    if not parts or not all(x.isdigit() and 1 <= int(x) <= 365 for x in parts) or \
            [int(x) for x in parts] != sorted({int(x) for x in parts}):
        raise InvalidValue("relances", value, "jours de retard croissants, séparés par des virgules (ex. 7,15,30)")
    return ",".join(str(int(x)) for x in parts)


def _creditor_id(value: str) -> str:
    """The SEPA creditor identifier (ICS): FR, two check digits (ISO 7064 mod 97-10 over the
    national part and the country), a business code, the national identifier."""
    text = "".join(str(value or "").split()).upper()
    if not text:
        return ""
    if len(text) < 8 or not text[:2].isalpha() or not text[2:4].isdigit():
        raise InvalidValue("identifiant créancier SEPA", value, "format FRkkZZZ123456 attendu")
    digits = "".join(str(int(c, 36)) for c in text[7:] + text[:2] + "00")
    if 98 - int(digits) % 97 != int(text[2:4]):
        raise InvalidValue("identifiant créancier SEPA", value, "clé de contrôle fausse")
    return text


LOOPBACK = ("127.0.0.1", "::1")
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|[0-9A-Fa-f:]+")


def mail_address(value, field: str = "adresse e-mail") -> str:
    """One plain e-mail address (ASCII: no SMTPUTF8), as an envelope and a header take it."""
    text = str(value or "").strip()
    if len(text) > 254 or not _ADDRESS.fullmatch(text):
        raise InvalidValue(field, text[:80], "adresse e-mail invalide (nom@domaine.fr attendu)")
    return text


def _mail_host(value: str) -> str:
    text = str(value).strip()
    if text and not _HOST.fullmatch(text):
        raise InvalidValue("serveur de messagerie", text[:80], "nom d'hôte ou adresse IP attendu (smtp.exemple.fr)")
    return text


def _mail_port(value: str) -> str:
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise InvalidValue("port SMTP", text, "entier de 1 à 65535 attendu (587 STARTTLS, 465 TLS)")
    return str(int(text))


def _mail_security(value: str) -> str:
    text = str(value).strip().lower()
    if text not in ("starttls", "tls", "none"):
        raise InvalidValue("sécurité SMTP", text, "starttls, tls ou none (none : seulement vers 127.0.0.1) attendu")
    return text


def _mail_from(value: str) -> str:
    text = str(value).strip()
    return mail_address(text, "expéditeur") if text else ""


def _cafile(value: str) -> str:
    """A certificate authority file (PEM) to trust besides the system's: a private or test CA."""
    import os
    text = os.path.expanduser(str(value).strip())
    if not text:
        return ""
    if not os.path.isabs(text) or not os.path.isfile(text) or not os.access(text, os.R_OK):
        raise InvalidValue("autorité de certification", text, "chemin absolu d'un fichier PEM lisible attendu")
    return text


def _money(value: str) -> str:
    """An amount in euros, zero or more, two decimals at most."""
    from .money import check_scale, fmt2, to_decimal
    d = check_scale(to_decimal(value, "montant"), 2, "montant")
    if d < 0:
        raise InvalidValue("montant", value, "positif ou nul attendu")
    return fmt2(d)


CSV_FIELDS = ("date", "amount", "credit", "debit", "label", "reference", "counterparty")


def _csv_columns(value: str) -> str:
    """Which column (from 1) of a bank's CSV export holds what: date=1,label=2,amount=3, or a
    credit and a debit column instead of one signed amount (credit=4,debit=5)."""
    text = str(value).strip()
    if not text:
        return ""
    hint = "champ=colonne séparés par des virgules (ex. date=1,label=2,amount=3 ; champs : " + ", ".join(CSV_FIELDS) + ")"
    columns: dict[str, int] = {}
    for item in text.split(","):
        name, sep, col = item.partition("=")
        name, col = name.strip().lower(), col.strip()
        if not sep or name not in CSV_FIELDS or name in columns or not col.isdigit() or not 1 <= int(col) <= 99:
            raise InvalidValue("colonnes", item.strip(), hint)
        columns[name] = int(col)
    if "date" not in columns or not {"amount", "credit"} & set(columns) or {"amount", "credit"} <= set(columns):
        raise InvalidValue("colonnes", text, "une colonne date et une colonne amount (ou credit, et debit) attendues")
    if len(set(columns.values())) < len(columns):
        raise InvalidValue("colonnes", text, "une colonne ne tient qu'un champ")
    return ",".join(f"{k}={v}" for k, v in columns.items())


def bank_account(value: str) -> str:
    """A bank account as a key: an IBAN (checked) or the bank's own account number, compact."""
    from stdnum import iban
    text = "".join(str(value or "").split()).upper()
    if not re.fullmatch(r"[A-Z0-9]{4,34}", text):
        raise InvalidValue("compte", value, "IBAN ou numéro de compte attendu (lettres et chiffres, 4 à 34)")
    if re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", text) and not iban.is_valid(text):
        raise InvalidValue("compte", value, "IBAN invalide (clé de contrôle)")
    return text


# key -> (label, checker, default shown)
KNOWN = {
    "margin.floor_percent": ("Marge plancher (%) : en dessous, la vente demande un responsable", _percent, "0"),
    permissions.DISCOUNT_KEY: ("Remise maximale d'un vendeur (%)", _percent, str(permissions.DEFAULT_MAX_DISCOUNT)),
    "intervention.labour_product": ("Produit de main-d'œuvre des interventions (code)", _product, ""),
    "time.increment_minutes": ("Facturation du temps par tranches de (minutes)", _minutes, "15"),
    "files.output_dirs": ("Dossiers où écrire les exports (séparés par « : » ; vide : Documents/tui-factu "
                          "et le dossier temporaire)", _folders, ""),
    "date.max_future_days": ("Jours d'avance permis sur la date d'une facture, d'un avoir ou d'un ticket "
                             "(au-delà : un responsable)", _days, "0"),
    "fec.account.customer": ("Compte FEC : Clients", _account, "411000"),
    "fec.account.goods": ("Compte FEC : Ventes de marchandises", _account, "707000"),
    "fec.account.services": ("Compte FEC : Prestations de services", _account, "706000"),
    "fec.account.deposit": ("Compte FEC : Clients - avances et acomptes reçus", _account, "419100"),
    "fec.account.retention": ("Compte FEC : Clients - retenues de garantie", _account, "411700"),
    "fec.account.allowance": ("Compte FEC : Rabais, remises et ristournes accordés", _account, "709000"),
    "fec.account.charge": ("Compte FEC : Ports et frais accessoires facturés", _account, "708500"),
    "fec.account.rounding_gain": ("Compte FEC : Produits divers de gestion courante", _account, "758000"),
    "fec.account.rounding_loss": ("Compte FEC : Charges diverses de gestion courante", _account, "658000"),
    "fec.account.vat": ("Compte FEC : TVA collectée", _account, "445710"),
    "fec.account.bank": ("Compte FEC : Banque", _account, "512000"),
    "fec.account.cash": ("Compte FEC : Caisse", _account, "530000"),
    "fec.account.writeoff": ("Compte FEC : Pertes sur créances irrécouvrables", _account, "654000"),
    "writeoff.max_amount": ("Passage en pertes : reste dû maximal qu'un responsable peut passer en pertes (€)",
                            _money, "15.00"),
    "dunning.levels": ("Relances : jours de retard de chaque niveau (courtoisie, lettre, mise en demeure)", _levels,
                       "7,15,30"),
    "sepa.creditor_id": ("Prélèvement SEPA : identifiant créancier (ICS)", _creditor_id, ""),
    "mail.host": ("Messagerie : serveur SMTP d'envoi (nom ou adresse)", _mail_host, ""),
    "mail.port": ("Messagerie : port SMTP (587 avec STARTTLS, 465 en TLS)", _mail_port, "587"),
    "mail.security": ("Messagerie : chiffrement (starttls, tls ; none seulement vers 127.0.0.1)", _mail_security,
                      "starttls"),
    "mail.user": ("Messagerie : identifiant SMTP (vide : pas d'authentification ; le mot de passe n'est jamais "
                  "enregistré : TUI_FACTU_SMTP_PASSWORD ou demandé)", _identifier, ""),
    "mail.from": ("Messagerie : adresse de l'expéditeur", _mail_from, ""),
    "mail.cafile": ("Messagerie : autorité de certification à approuver en plus de celles du système (PEM)",
                    _cafile, ""),
    "pa.url": ("Plateforme agréée : adresse de l'API Flow (XP Z12-013)", _url, ""),
    "pa.directory_url": ("Plateforme agréée : adresse de l'API Annuaire (vide : celle de Flow)", _url, ""),
    "pa.token_url": ("Plateforme agréée : adresse des jetons OAuth2", _url, ""),
    "pa.client_id": ("Plateforme agréée : identifiant client OAuth2", _identifier, ""),
    "pa.last_sync": ("Plateforme agréée : dernière synchronisation (date-heure de la plateforme)", _identifier, ""),
    # the collected VAT per rate: empty, the VAT account followed by the rate (4457120 for 20 %)
    **{f"fec.account.vat.{tag}": (f"Compte FEC : TVA collectée à {rate} %", _account, "")
       for rate, tag in (("20", "20"), ("10", "10"), ("5,5", "55"), ("2,1", "21"))},
}


def store(key: str, value: str) -> None:
    """Writes one setting row (an upsert both SQLite and PostgreSQL understand); callers check
    the value and the role first."""
    Setting.insert(key=key, value=value).on_conflict(conflict_target=[Setting.key],
                                                     update={Setting.value: value}).execute()


# Keys made of a prefix and a name, one per name: prefix -> (label, checker, default, name checker).
PATTERNS = {
    "bank.csv.": ("Relevés CSV : colonnes du compte (ex. date=1,label=2,amount=3)", _csv_columns, "", bank_account),
}


def known(key: str) -> tuple[str, tuple]:
    """The key as stored and its (label, checker, default): a fixed key, or a prefix of PATTERNS
    and a name its checker accepts (bank.csv.fr76 3000… is stored as bank.csv.FR763000…)."""
    if key in KNOWN:
        return key, KNOWN[key]
    for prefix, (label, checker, default, name) in PATTERNS.items():
        if key.startswith(prefix) and len(key) > len(prefix):
            return prefix + name(key[len(prefix):]), (label, checker, default)
    raise InvalidValue("réglage", key, "réglages : " + ", ".join([*KNOWN, *(f"{p}…" for p in PATTERNS)]))


def get(key: str) -> str:
    key, spec = known(key)
    rows = prepared("settings.value", lambda k: Setting.select(Setting.value).where(Setting.key == k), key)
    return rows[0][0] if rows else spec[2]


def stored(prefix: str) -> dict:
    """The keys of one pattern that hold a value, and their values."""
    if prefix not in PATTERNS:
        raise InvalidValue("réglage", prefix, "préfixes : " + ", ".join(PATTERNS))
    return {k: v for k, v in Setting.select(Setting.key, Setting.value)
            .where(Setting.key.startswith(prefix)).order_by(Setting.key).tuples() if v}


def values() -> dict:
    return {key: get(key) for key in KNOWN}


def set_value(key: str, value) -> str:
    permissions.require("settings.change")
    key, spec = known(key)
    checked = spec[1](str(value).strip())
    with write():
        old = get(key)
        store(key, checked)
        audit.record("setting", 0, key, {key: (old, checked)})
        journal.seal("event", "settings", key, {"action": "settings", "at": utcnow(), "key": key, "value": checked})
    return checked
