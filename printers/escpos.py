"""Delivery slips and counter receipts for ESC/POS thermal printers (python-escpos 3.1).

The job is built on a Dummy printer (bytes), queued, then sent by URL: tcp://host:9100,
usb://VID:PID, serial:///dev/ttyUSB0?baudrate=9600, file:///dev/usb/lp0, cups://name.
One code page is forced per job, chosen from the profile's table (`codepage`: CP1252, else
CP858, else CP850, else CP437) so that é è à ç print right; what that page lacks is
transliterated (œ → oe, € → EUR, « → "), never sent as "?" or as a command; every line is
wrapped to the paper width; barcodes and QR codes only where the profile has them and the paper
is wide enough. A library error while rendering is a PrinterError: one French line.
"""
import contextlib
import functools
import io
import socket
import subprocess
import textwrap
import unicodedata
import urllib.parse

from tui_factu import fr, printed
from tui_factu.charset import printable
from tui_factu.errors import FactuError
from tui_factu.printed import Printed

# The Latin pages a French slip can use, best first: WPC1252 has every French letter and €;
# PC858 is PC850 with €, but no œ Œ – ’; PC437, all the `simple` profile has, lacks € too.
PAGES = ("CP1252", "CP858", "CP850", "CP437")
# What to print for a character the job's page lacks (then NFKD without accents, then "?").
SUBSTITUTES = {"œ": "oe", "Œ": "OE", "€": "EUR", "–": "-", "—": "-", "‐": "-", "−": "-", "‘": "'",
               "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "…": "...",
               "×": "x", "·": ".", "•": "*", "\u00a0": " ", "\u202f": " ", "°": "o", "Ø": "O", "ø": "o",
               "²": "2", "³": "3", "½": "1/2", "¼": "1/4", "¾": "3/4", "≤": "<=", "≥": ">=", "™": "TM",
               "©": "(c)", "®": "(R)", "Ÿ": "Y", "ÿ": "y", "Š": "S", "š": "s", "Ž": "Z", "ž": "z"}
# Dots across the paper for each width in columns (font A: 12 dots a character)
DOTS = {32: 384, 42: 512, 48: 576}


class PrinterError(FactuError):
    """A French message: what failed, on which printer (refused, exit code 2, never a crash)."""


@functools.lru_cache(maxsize=None)
def _profile(name: str):
    from escpos.capabilities import get_profile
    return get_profile(name or "default")


def codepage(profile: str) -> str:
    """The code page a job for this printer profile is forced to (PAGES, in order)."""
    pages = _profile(profile).get_code_pages()
    return next((page for page in PAGES if page in pages), "CP437")


def transliterate(text: str, codec: str) -> str:
    """Text the code page can print: each missing character replaced (SUBSTITUTES, then its
    letters without accents, then "?")."""
    try:
        text.encode(codec)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        for candidate in (ch, SUBSTITUTES.get(ch),
                          "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))):
            if candidate:
                try:
                    candidate.encode(codec)
                except UnicodeEncodeError:
                    continue
                out.append(candidate)
                break
        else:
            out.append("?")
    return "".join(out)


def _clean(p, text) -> str:
    """One line as the paper gets it: control characters written as their code (the one rule,
    charset.py), then what the page lacks transliterated."""
    return transliterate(printable(text, multiline=False), p.codec)


def _rendering(fn):
    """A python-escpos error while building a job (an unknown code page, a barcode it refuses…)
    becomes one French line naming the profile, never an internal error."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        from escpos import exceptions as escpos_errors          # lazily, as the library everywhere here
        try:
            return fn(*args, **kwargs)
        except PrinterError:
            raise
        except (escpos_errors.Error, LookupError, ValueError, NotImplementedError) as e:   # the library's kinds
            profile = kwargs.get("profile") or next((a for a in args if isinstance(a, str)), "default")
            detail = " ".join(str(e).split())[:120]
            raise PrinterError(f"le profil d'imprimante « {profile} » ne sait pas imprimer ce travail "
                               f"({type(e).__name__} : {detail})") from None
    return wrapper


_JOB = []


def _job_class():
    """A Dummy printer whose every text goes through the one character rule on its way to the
    paper: a stored string holding ESC p (the cash-drawer pulse) prints as the letters \\x1bp.
    The second line of defence: such strings are refused at input already (charset.py)."""
    if not _JOB:
        from escpos.printer import Dummy

        class Job(Dummy):
            codec = "cp1252"

            def text(self, txt) -> None:
                super().text("\n".join(_clean(self, part) for part in str(txt).split("\n")))
        _JOB.append(Job)
    return _JOB[0]


def _new_job(profile: str, columns: int = 42):
    p = _job_class()(profile=profile if profile != "default" else None)
    p.profile_name, p.width = profile, int(columns)
    page = codepage(profile)
    p.codec = page.lower()
    p.hw("INIT")
    p.charcode(page)           # ESC t n at once; pins the encoder (no "magic" page switching)
    return p


def _fit(p, text: str, width: int) -> list[str]:
    """Text cut into lines of the paper's width (cleaned first: a transliteration may be longer)."""
    out = []
    for para in str(text or "").splitlines() or [""]:
        out += textwrap.wrap(_clean(p, para), width, break_long_words=True, replace_whitespace=False) or [""]
    return out


def _lr(p, left: str, right: str, width: int) -> list[str]:
    """Left and right on one line when they fit, else right on its own line."""
    left, right = _clean(p, left), _clean(p, right)
    if len(left) + len(right) + 1 <= width:
        return [left + " " * (width - len(left) - len(right)) + right]
    return _fit(p, left, width) + [right.rjust(width)[:width]]


def _line(p, text: str, width: int) -> None:
    for part in _fit(p, text, width):
        p.textln(part)


def _center(p, lines, width, bold=False, big=False):
    p.set(align="center", bold=bold, double_height=big)
    for ln in lines:
        for part in _fit(p, ln, width):
            p.textln(part)
    p.set(align="left", bold=False, normal_textsize=True)


def barcode_dots(data: str, module: int = 2) -> int:
    """Width of a CODE128 (set B) barcode with its quiet zones: start, one symbol a character,
    check and stop (11 modules each, 13 for the stop), 10 modules of quiet zone each side."""
    return (11 * (len(data) + 2) + 13 + 20) * module


def _barcode(p, data: str) -> None:
    """A hardware CODE128 barcode, when the profile has one and it fits the paper; else none
    (the number is printed as text just above). Never a software image: too wide for 58 mm."""
    if (not _profile(p.profile_name).supports("barcodeB") or not data.isascii() or not data.isprintable()
            or barcode_dots(data) > DOTS.get(p.width, 384)):
        return
    with contextlib.redirect_stdout(io.StringIO()):      # python-escpos prints on each barcode
        p.barcode("{B" + data, "CODE128", height=60, width=2, pos="BELOW", function_type="B")


def _qr(p, data: str) -> None:
    if _profile(p.profile_name).supports("qrCode"):
        p.set(align="center")
        p.qr(data, native=True, size=4)
        p.set(align="left")


def _head(p, view: Printed, width: int, title: str):
    s = view.seller
    _center(p, [printed.seller_name(s)], width, bold=True, big=True)
    addr = s.get("address") or {}
    _center(p, [x for x in (addr.get("line1"), " ".join(filter(None, (addr.get("postcode"), addr.get("city")))),
                            s.get("phone")) if x], width)
    if s.get("siret"):
        _center(p, [f"SIRET {s['siret']}"], width)
    p.ln()
    _center(p, [title], width, bold=True)
    if view.duplicate:
        _center(p, ["*** DUPLICATA ***"], width, bold=True)
    if view.number:
        _center(p, [view.number], width, bold=True)
        p.set(align="center")
        _barcode(p, view.number)
        p.set(align="left")
    p.textln(f"Date : {fr.date(view.date)}")


@_rendering
def slip(view: Printed, columns: int = 42, profile: str = "default", qr: bool = False) -> bytes:
    """A delivery slip: quantities delivered and what remains to deliver (backorder)."""
    width = int(columns)
    p = _new_job(profile, width)
    _head(p, view, width, view.title)
    for r in view.source_refs:
        if r.get("kind") == "order":
            _line(p, f"Commande : {r['number']}", width)
    if view.reference:
        for part in _fit(p, f"Votre réf. : {view.reference}", width):
            p.textln(part)
    rule = "-" * width
    p.textln(rule)
    c = view.customer
    for part in _fit(p, f"Client : {c.get('name', '')} ({c.get('code', '')})", width):
        p.textln(part)
    dest = view.delivery_address or c.get("address") or {}
    p.textln("Livraison :")
    country = fr.country(dest.get("country")).upper() if dest.get("country") not in (None, "", "FR") else ""
    for ln in filter(None, [dest.get("name"), dest.get("line1"), dest.get("line2"),
                            " ".join(filter(None, (dest.get("postcode"), dest.get("city")))), country]):
        for part in _fit(p, ln, width - 2):
            p.textln("  " + part)
    p.textln(rule)
    count = 0
    for ln in view.lines:
        if ln.kind in ("text", "section"):
            p.set(bold=ln.kind == "section")
            for part in _fit(p, ln.description, width):
                p.textln(part)
            p.set(bold=False)
            continue
        if ln.quantity is None:
            continue
        count += 1
        p.set(bold=True)
        for part in _fit(p, ln.description, width):
            p.textln(part)
        p.set(bold=False)
        right = f"livré {fr.number(ln.quantity)} {ln.unit_label}"
        if ln.remaining is not None:
            right += f" · reste {fr.number(ln.remaining)}"
        for part in _lr(p, f"  {ln.code}", right, width):
            p.textln(part)
    if view.backorder:                              # order lines not on this note, still to deliver
        p.textln(rule)
        p.set(bold=True)
        _line(p, "Non livré, reste à livrer :", width)
        p.set(bold=False)
        for ln in view.backorder:
            _line(p, ln.description, width)
            for part in _lr(p, f"  {ln.code}", f"livré 0 · reste {fr.number(ln.remaining)} {ln.unit_label}", width):
                p.textln(part)
    p.textln(rule)
    p.textln(f"{count} article(s)")
    p.ln()
    p.textln("Reçu conforme, signature :")
    p.ln(4)
    p.textln("_" * min(width, 30))
    if qr and view.number:
        _qr(p, view.number)
    p.ln()
    p.cut()
    return p.output


@_rendering
def receipt(view: Printed, columns: int = 42, profile: str = "default") -> bytes:
    """A counter receipt as French tills print it for a consumer: the time of sale and the
    cashier, prices all taxes included, the VAT they include per rate, totals, legal identity."""
    width = int(columns)
    p = _new_job(profile, width)
    _head(p, view, width, view.title)
    if view.sold_at:
        _line(p, f"Vente du {view.sold_at}", width)
    if view.cashier:
        _line(p, f"Servi par : {view.cashier}", width)
    rule = "-" * width
    p.textln(rule)
    for ln in view.lines:
        if ln.quantity is None:
            continue
        for part in _fit(p, ln.description, width):
            p.textln(part)
        ttc = ln.gross_amount is not None
        left = f"  {fr.number(ln.quantity)} x {fr.price(ln.gross_price if ttc else ln.unit_price)}"
        if ln.discount_percent:
            left += f" -{fr.number(ln.discount_percent)}%"
        for part in _lr(p, left, fr.amount(ln.gross_amount if ttc else ln.net_amount), width):
            p.textln(part)
    p.textln(rule)
    for v in view.vat:
        for part in _lr(p, f"TVA incluse {fr.percent(v['rate'])} sur {fr.amount(v['basis'])} HT", fr.amount(v["amount"]),
                        width):
            p.textln(part)
    p.set(bold=True, double_height=True)
    for part in _lr(p, "TOTAL TTC", fr.amount(view.totals["grand_total"]) + " €", width):
        p.textln(part)
    p.set(normal_textsize=True, bold=False)
    for method, amount, tendered in view.payments:
        for part in _lr(p, f"  {method}", fr.amount(tendered or amount), width):
            p.textln(part)
        if tendered and tendered > amount:
            for part in _lr(p, "  Rendu", fr.amount(tendered - amount), width):
                p.textln(part)
    for m in view.mentions[:2]:
        for part in _fit(p, m, width):
            p.textln(part)
    p.ln()
    p.cut()
    return p.output


@_rendering
def test_page(columns: int = 42, profile: str = "default") -> bytes:
    width = int(columns)
    p = _new_job(profile, width)
    _center(p, ["tui-factu — page de test"], width, bold=True)
    _line(p, "Accents : é è ê à ç ù ô î ï œ « » €", width)
    p.textln("1234567890" * (width // 10) + "1234567890"[: width % 10])
    _line(p, f"{width} colonnes, profil {profile} ({codepage(profile)})", width)
    _barcode(p, "TEST-123")
    p.ln()
    p.cut()
    return p.output


def send(url: str, data: bytes, timeout: float = 5.0) -> None:
    """Sends a finished job; raises PrinterError with a French message, never hangs long."""
    parsed = urllib.parse.urlparse(url)
    scheme = parsed.scheme
    try:
        if scheme == "tcp":
            host, port = parsed.hostname, parsed.port or 9100
            with socket.create_connection((host, port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                sock.sendall(data)
                sock.shutdown(socket.SHUT_WR)
        elif scheme == "file":
            with open(parsed.path, "ab", buffering=0) as f:
                f.write(data)
        elif scheme == "serial":
            from escpos.printer import Serial
            q = dict(urllib.parse.parse_qsl(parsed.query))
            dev = Serial(devfile=parsed.path, baudrate=int(q.get("baudrate", 9600)), timeout=timeout)
            try:
                dev.open()
                dev._raw(data)
            finally:
                dev.close()
        elif scheme == "usb":
            from escpos.printer import Usb
            vid, pid = (int(x, 16) for x in parsed.netloc.split(":"))
            dev = Usb(idVendor=vid, idProduct=pid, timeout=int(timeout * 1000))
            try:
                dev.open()
                dev._raw(data)
            finally:
                dev.close()
        elif scheme == "cups":
            r = subprocess.run(["lp", "-d", parsed.netloc or parsed.path.strip("/"), "-o", "raw"],
                               input=data, capture_output=True, timeout=timeout)
            if r.returncode != 0:
                raise PrinterError(f"CUPS a refusé le travail : {r.stderr.decode(errors='replace').strip()}")
        else:
            raise PrinterError(f"type d'imprimante inconnu « {scheme} »")
    except PrinterError:
        raise
    except socket.timeout:
        raise PrinterError(f"imprimante {url} : pas de réponse en {timeout:g} s") from None
    except ConnectionRefusedError:
        raise PrinterError(f"imprimante {url} : connexion refusée (éteinte ou port fermé ?)") from None
    except socket.gaierror:
        raise PrinterError(f"imprimante {url} : hôte inconnu") from None
    except FileNotFoundError as e:
        raise PrinterError(f"imprimante {url} : {e.filename or 'commande'} introuvable") from None
    except PermissionError:
        raise PrinterError(f"imprimante {url} : accès refusé (droits sur le périphérique ?)") from None
    except subprocess.TimeoutExpired:
        raise PrinterError(f"imprimante {url} : CUPS ne répond pas") from None
    except OSError as e:
        raise PrinterError(f"imprimante {url} : {e.strerror or e}") from None
    except Exception as e:  # noqa: BLE001 - usb/serial libraries raise their own types
        raise PrinterError(f"imprimante {url} : {_library_error(e)}") from None


def _library_error(e: Exception) -> str:
    """What a USB or serial library said, as one French line."""
    name = type(e).__name__
    if name == "NoBackendError":
        return "pilote USB absent sur ce poste (libusb : paquet libusb-1.0-0)"
    if name in ("USBNotFoundError", "DeviceNotFoundError"):
        return "introuvable (branchée, allumée ? identifiants VID:PID, droits sur le périphérique ?)"
    if name in ("SerialException", "SerialTimeoutException"):
        return "port série inaccessible (" + " ".join(str(e).split())[:100] + ")"
    return f"erreur du pilote ({name} : {' '.join(str(e).split())[:100]})"


@_rendering
def payment_receipt(view: dict, columns: int = 42, profile: str = "default") -> bytes:
    width = int(columns)
    p = _new_job(profile, width)
    s = view["seller"]
    _center(p, [printed.seller_name(s)], width, bold=True, big=True)
    _center(p, ["REÇU DE PAIEMENT", view["number"]], width, bold=True)
    p.textln(f"Date : {fr.date(view['date'])}")
    for part in _fit(p, f"Client : {view['customer']['name']} ({view['customer']['code']})", width):
        p.textln(part)
    p.textln("-" * width)
    if view["cancels"]:
        _line(p, f"Annule le règlement {view['cancels']}", width)
    for number, amount in view["allocations"]:
        for part in _lr(p, f"  {number}", fr.amount(amount), width):
            p.textln(part)
    if view["credit"] > 0:
        for part in _lr(p, "  Crédit client", fr.amount(view["credit"]), width):
            p.textln(part)
    p.textln("-" * width)
    p.set(bold=True)
    for part in _lr(p, view["method"], fr.amount(view["tendered"] or view["amount"]) + " €", width):
        p.textln(part)
    p.set(bold=False)
    if view["change"]:
        for part in _lr(p, "Rendu", fr.amount(view["change"]) + " €", width):
            p.textln(part)
    if view["reference"]:
        for part in _fit(p, f"Réf. {view['reference']}", width):
            p.textln(part)
    p.ln(2)
    p.cut()
    return p.output


@_rendering
def closing(z: dict, seller: dict, columns: int = 42, profile: str = "default", duplicate: bool = False) -> bytes:
    """A closing's Z ticket: the period's totals per VAT rate and per payment method, its grand
    total and the perpetual grand totals, as sealed (closings.view)."""
    from decimal import Decimal
    from tui_factu.closings import KINDS
    from tui_factu.models import PAYMENT_METHODS
    width = int(columns)
    p = _new_job(profile, width)
    _center(p, [printed.seller_name(seller)], width, bold=True)
    _center(p, [f"CLÔTURE {KINDS[z['kind']].upper()}", z["label"]], width, bold=True, big=True)
    if duplicate:
        _center(p, ["DUPLICATA"], width, bold=True)
    _line(p, f"Du {fr.date(z['start'])} au {fr.date(z['end'])}", width)
    p.textln("-" * width)
    for v in z["vat"]:
        name = f"TVA {v['rate']} %" if v["category"] == "S" else f"{v['category']} {v['rate']} %"
        for part in _lr(p, f"{name} ventes HT", fr.amount(Decimal(v["sales_basis"])), width) + \
                _lr(p, "  TVA", fr.amount(Decimal(v["sales_vat"])), width):
            p.textln(part)
        if Decimal(v["returns_basis"]):
            for part in _lr(p, "  retours HT", "-" + fr.amount(Decimal(v["returns_basis"])), width):
                p.textln(part)
    p.textln("-" * width)
    for method, amount in z["payments"].items():
        for part in _lr(p, PAYMENT_METHODS.get(method, method), fr.amount(Decimal(amount)), width):
            p.textln(part)
    p.textln("-" * width)
    for label, key in (("Ventes TTC", "sales"), ("Retours TTC", "returns")):
        for part in _lr(p, label, fr.amount(Decimal(z[key])), width):
            p.textln(part)
    p.set(bold=True)
    for part in _lr(p, "TOTAL DE LA PÉRIODE", fr.amount(Decimal(z["grand_total"])) + " €", width):
        p.textln(part)
    p.set(bold=False)
    for part in _lr(p, "Grand total perpétuel", fr.amount(Decimal(z["perpetual"])), width) + \
            _lr(p, "GT perpétuel absolu", fr.amount(Decimal(z["perpetual_absolute"])), width):
        p.textln(part)
    _line(p, f"Clôturé le {z['closed_at'][:10]} par {z['user']}", width)
    p.ln(2)
    p.cut()
    return p.output
