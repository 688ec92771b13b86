"""Delivery slips and counter receipts for ESC/POS thermal printers (python-escpos 3.1).

The job is built on a Dummy printer (bytes), queued, then sent by URL: tcp://host:9100,
usb://VID:PID, serial:///dev/ttyUSB0?baudrate=9600, file:///dev/usb/lp0, cups://name.
One code page is forced per job (CP1252, or CP858 on profiles without it) so that é è à ç œ €
print right; every line is wrapped to the paper width.
"""
import contextlib
import io
import socket
import subprocess
import textwrap
import urllib.parse

from tui_factu import fr, printed
from tui_factu.charset import printable
from tui_factu.printed import Printed

# Profiles whose code page table lacks WPC1252 get CP858 (PC850 + €).
CP858_PROFILES = {"simple"}


class PrinterError(Exception):
    """A French message: what failed, on which printer."""


_JOB = []


def _job_class():
    """A Dummy printer whose every text goes through the one character rule on its way to the
    paper: a stored string holding ESC p (the cash-drawer pulse) prints as the letters \\x1bp.
    The second line of defence: such strings are refused at input already (charset.py)."""
    if not _JOB:
        from escpos.printer import Dummy

        class Job(Dummy):
            def text(self, txt) -> None:
                super().text("\n".join(printable(part, multiline=False) for part in str(txt).split("\n")))
        _JOB.append(Job)
    return _JOB[0]


def _new_job(profile: str, codepage: str):
    p = _job_class()(profile=profile if profile != "default" else None)
    p.hw("INIT")
    p.charcode(codepage)       # ESC t n at once; pins the encoder (no "magic" page switching)
    return p


def _fit(text: str, width: int) -> list[str]:
    out = []
    for para in str(text or "").splitlines() or [""]:
        out += textwrap.wrap(para, width, break_long_words=True, replace_whitespace=False) or [""]
    return out


def _lr(left: str, right: str, width: int) -> list[str]:
    """Left and right on one line when they fit, else right on its own line."""
    if len(left) + len(right) + 1 <= width:
        return [left + " " * (width - len(left) - len(right)) + right]
    return _fit(left, width) + [right.rjust(width)[:width]]


def _center(p, lines, width, bold=False, big=False):
    p.set(align="center", bold=bold, double_height=big)
    for ln in lines:
        for part in _fit(ln, width):
            p.textln(part)
    p.set(align="left", bold=False, normal_textsize=True)


def _barcode(p, data: str):
    with contextlib.redirect_stdout(io.StringIO()):      # python-escpos prints on each barcode
        p.barcode("{B" + data, "CODE128", height=60, width=2, pos="BELOW", function_type="B")
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
    p.textln(f"Date : {fr.date(view.date)}")


def slip(view: Printed, columns: int = 42, profile: str = "default", qr: bool = False) -> bytes:
    """A delivery slip: quantities delivered and what remains to deliver (backorder)."""
    width = int(columns)
    p = _new_job(profile, "CP858" if profile in CP858_PROFILES else "CP1252")
    _head(p, view, width, view.title)
    for r in view.source_refs:
        if r.get("kind") == "order":
            p.textln(f"Commande : {r['number']}"[:width])
    if view.reference:
        for part in _fit(f"Votre réf. : {view.reference}", width):
            p.textln(part)
    rule = "-" * width
    p.textln(rule)
    c = view.customer
    for part in _fit(f"Client : {c.get('name', '')} ({c.get('code', '')})", width):
        p.textln(part)
    dest = view.delivery_address or c.get("address") or {}
    p.textln("Livraison :")
    for ln in filter(None, [dest.get("name"), dest.get("line1"), dest.get("line2"),
                            " ".join(filter(None, (dest.get("postcode"), dest.get("city"))))]):
        for part in _fit(ln, width - 2):
            p.textln("  " + part)
    p.textln(rule)
    count = 0
    for ln in view.lines:
        if ln.kind in ("text", "section"):
            p.set(bold=ln.kind == "section")
            for part in _fit(ln.description, width):
                p.textln(part)
            p.set(bold=False)
            continue
        if ln.quantity is None:
            continue
        count += 1
        p.set(bold=True)
        for part in _fit(ln.description, width):
            p.textln(part)
        p.set(bold=False)
        right = f"livré {fr.number(ln.quantity)} {ln.unit_label}"
        if ln.remaining is not None:
            right += f" · reste {fr.number(ln.remaining)}"
        for part in _lr(f"  {ln.code}", right, width):
            p.textln(part)
    p.textln(rule)
    p.textln(f"{count} article(s)")
    p.ln()
    p.textln("Reçu conforme, signature :")
    p.ln(4)
    p.textln("_" * min(width, 30))
    if qr and view.number:
        p.set(align="center")
        p.qr(view.number, native=True, size=4)
        p.set(align="left")
    p.ln()
    p.cut()
    return p.output


def receipt(view: Printed, columns: int = 42, profile: str = "default") -> bytes:
    """A counter receipt: lines with amounts, VAT per rate, totals, legal identity."""
    width = int(columns)
    p = _new_job(profile, "CP858" if profile in CP858_PROFILES else "CP1252")
    _head(p, view, width, view.title)
    rule = "-" * width
    p.textln(rule)
    for ln in view.lines:
        if ln.quantity is None:
            continue
        for part in _fit(ln.description, width):
            p.textln(part)
        left = f"  {fr.number(ln.quantity)} x {fr.price(ln.unit_price)}"
        if ln.discount_percent:
            left += f" -{fr.number(ln.discount_percent)}%"
        for part in _lr(left, fr.amount(ln.net_amount), width):
            p.textln(part)
    p.textln(rule)
    for v in view.vat:
        for part in _lr(f"TVA {fr.percent(v['rate'])} sur {fr.amount(v['basis'])}", fr.amount(v["amount"]), width):
            p.textln(part)
    p.set(bold=True, double_height=True)
    for part in _lr("TOTAL TTC", fr.amount(view.totals["grand_total"]) + " €", width):
        p.textln(part)
    p.set(normal_textsize=True, bold=False)
    for method, amount, tendered in view.payments:
        for part in _lr(f"  {method}", fr.amount(tendered or amount), width):
            p.textln(part)
        if tendered and tendered > amount:
            for part in _lr("  Rendu", fr.amount(tendered - amount), width):
                p.textln(part)
    for m in view.mentions[:2]:
        for part in _fit(m, width):
            p.textln(part)
    p.ln()
    p.cut()
    return p.output


def test_page(columns: int = 42, profile: str = "default") -> bytes:
    width = int(columns)
    p = _new_job(profile, "CP858" if profile in CP858_PROFILES else "CP1252")
    _center(p, ["tui-factu — page de test"], width, bold=True)
    p.textln("Accents : é è ê à ç ù ô î ï œ « » €")
    p.textln("1234567890" * (width // 10) + "1234567890"[: width % 10])
    p.textln(f"{width} colonnes, profil {profile}")
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
        raise PrinterError(f"imprimante {url} : {type(e).__name__} {e}") from None


def payment_receipt(view: dict, columns: int = 42, profile: str = "default") -> bytes:
    width = int(columns)
    p = _new_job(profile, "CP858" if profile in CP858_PROFILES else "CP1252")
    s = view["seller"]
    _center(p, [printed.seller_name(s)], width, bold=True, big=True)
    _center(p, ["REÇU DE PAIEMENT", view["number"]], width, bold=True)
    p.textln(f"Date : {fr.date(view['date'])}")
    for part in _fit(f"Client : {view['customer']['name']} ({view['customer']['code']})", width):
        p.textln(part)
    p.textln("-" * width)
    if view["cancels"]:
        p.textln(f"Annule le règlement {view['cancels']}"[:width])
    for number, amount in view["allocations"]:
        for part in _lr(f"  {number}", fr.amount(amount), width):
            p.textln(part)
    if view["credit"] > 0:
        for part in _lr("  Crédit client", fr.amount(view["credit"]), width):
            p.textln(part)
    p.textln("-" * width)
    p.set(bold=True)
    for part in _lr(view["method"], fr.amount(view["tendered"] or view["amount"]) + " €", width):
        p.textln(part)
    p.set(bold=False)
    if view["change"]:
        for part in _lr("Rendu", fr.amount(view["change"]) + " €", width):
            p.textln(part)
    if view["reference"]:
        for part in _fit(f"Réf. {view['reference']}", width):
            p.textln(part)
    p.ln(2)
    p.cut()
    return p.output


def closing(z: dict, seller: dict, columns: int = 42, profile: str = "default", duplicate: bool = False) -> bytes:
    """A closing's Z ticket: the period's totals per VAT rate and per payment method, its grand
    total and the perpetual grand totals, as sealed (closings.view)."""
    from decimal import Decimal
    from tui_factu.closings import KINDS
    from tui_factu.models import PAYMENT_METHODS
    width = int(columns)
    p = _new_job(profile, "CP858" if profile in CP858_PROFILES else "CP1252")
    _center(p, [printed.seller_name(seller)], width, bold=True)
    _center(p, [f"CLÔTURE {KINDS[z['kind']].upper()}", z["label"]], width, bold=True, big=True)
    if duplicate:
        _center(p, ["DUPLICATA"], width, bold=True)
    p.textln(f"Du {fr.date(z['start'])} au {fr.date(z['end'])}"[:width])
    p.textln("-" * width)
    for v in z["vat"]:
        name = f"TVA {v['rate']} %" if v["category"] == "S" else f"{v['category']} {v['rate']} %"
        for part in _lr(f"{name} ventes HT", fr.amount(Decimal(v["sales_basis"])), width) + \
                _lr("  TVA", fr.amount(Decimal(v["sales_vat"])), width):
            p.textln(part)
        if Decimal(v["returns_basis"]):
            for part in _lr("  retours HT", "-" + fr.amount(Decimal(v["returns_basis"])), width):
                p.textln(part)
    p.textln("-" * width)
    for method, amount in z["payments"].items():
        for part in _lr(PAYMENT_METHODS.get(method, method), fr.amount(Decimal(amount)), width):
            p.textln(part)
    p.textln("-" * width)
    for label, key in (("Ventes TTC", "sales"), ("Retours TTC", "returns")):
        for part in _lr(label, fr.amount(Decimal(z[key])), width):
            p.textln(part)
    p.set(bold=True)
    for part in _lr("TOTAL DE LA PÉRIODE", fr.amount(Decimal(z["grand_total"])) + " €", width):
        p.textln(part)
    p.set(bold=False)
    for part in _lr("Grand total perpétuel", fr.amount(Decimal(z["perpetual"])), width) + \
            _lr("GT perpétuel absolu", fr.amount(Decimal(z["perpetual_absolute"])), width):
        p.textln(part)
    p.textln(f"Clôturé le {z['closed_at'][:10]} par {z['user']}"[:width])
    p.ln(2)
    p.cut()
    return p.output
