"""Print orders as the CLI and the screens give them: render, queue, send, record.

The queue and the print log are core services (tui_factu.printing): this module never touches
the database itself. A job is queued before it is sent, so a printer that is down loses
nothing: the job stays `failed` with its error and `retry` sends the same bytes again.
"""
import os
from pathlib import Path

from tui_factu import documents, files, printed, printing
from tui_factu.errors import FactuError, InvalidValue, StateError

from . import escpos


def document_pdf(ref: str, sign: bool = False, issue: bool = True) -> tuple[bytes, str]:
    """(PDF bytes, file name). issue=True: the document is issued — the first PDF is the
    original, later ones say DUPLICATA, and the print is logged once the PDF is made (a crash
    uses nothing up). issue=False: an export (archive run): nothing is logged, and a document
    already issued says DUPLICATA (an export never passes for a second original)."""
    data, name, number = _render_pdf(ref, sign)
    if issue and number:
        printing.log_print(number, "pdf")
    return data, name


def _render_pdf(ref: str, sign: bool) -> tuple[bytes, str, str | None]:
    from . import documents as pdf_documents
    doc = documents.resolve(ref)
    duplicate = bool(doc.number) and printing.already_printed(doc.number, "pdf") > 0
    data = pdf_documents.pdf_bytes(doc.id, duplicate=duplicate, issuing=True)
    if sign or _always_sign():
        from . import signing
        data = signing.sign_with_company_certificate(data)
    return data, f"{doc.number or f'brouillon-{doc.id}'}.pdf", doc.number


def _always_sign() -> bool:
    from tui_factu import catalog
    return catalog.company().always_sign


def write_pdf(ref: str, out: str | None, sign: bool = False, issue: bool = True) -> Path:
    """Writes the PDF; with issue, the print is logged once the file is whole on disk."""
    data, name, number = _render_pdf(ref, sign)
    path = _write(data, name, out)
    if issue and number:
        printing.log_print(number, "pdf")
    return path


def _write(data: bytes, name: str, out: str | None) -> Path:
    path = Path(out) if out else Path(name)
    if path.is_dir() or (out or "").endswith(os.sep):   # "-o factures/" names a folder
        path = path / name
    with files.writing(path, "fichier", "-o") as f:
        f.write(data)
    return path


def write_xml(ref: str, syntax: str, out: str | None) -> Path:
    """The e-invoice of a validated invoice or credit note, alone: CII or UBL 2.1 (the same
    mapping as the Factur-X). Not a print: the original stays unused."""
    from . import facturx
    doc = documents.resolve(ref)
    if doc.kind not in printed.INVOICE_KINDS or not doc.number:
        raise StateError(f"{documents.label(doc)} : seule une facture ou un avoir validé a une facture "
                         "électronique", "document", documents.label(doc))
    if syntax not in facturx.SYNTAXES:
        raise InvalidValue("--syntax", syntax, " ou ".join(facturx.SYNTAXES) + " attendu")
    view = printed.view(doc.id)
    printed.check_identity(view)
    return _write(facturx.xml_bytes(view, syntax), f"{doc.number}-{syntax}.xml", out)


def slip(ref: str, printer: str | None = None, receipt: bool = False, qr: bool = False) -> int:
    """Queues and sends a delivery slip (or a counter receipt). Returns the job id; raises a
    FactuError naming the printer and the job to retry when the printer fails. The print is
    logged once the printer took it (send): a failed job leaves the original unused."""
    doc = documents.resolve(ref)
    if doc.status == "draft":
        raise StateError(f"{documents.label(doc)} est un brouillon : validez-le avant d'imprimer",
                         "document", documents.label(doc))
    if not receipt and doc.kind != "delivery":
        raise StateError(f"{doc.number} n'est pas un bon de livraison (--receipt pour un ticket)",
                         "document", doc.number)
    target = printing.resolve(printer)
    duplicate = printing.already_printed(doc.number, "ticket" if receipt else "bon") > 0
    view = printed.view(doc.id, duplicate=duplicate)
    printed.check_identity(view)
    columns, profile = int(target.get("columns", 42)), target.get("profile", "default")
    data = (escpos.receipt(view, columns, profile) if receipt
            else escpos.slip(view, columns, profile, qr=qr))
    job = printing.enqueue("receipt" if receipt else "slip", doc.number, target["url"], data)
    return send(job.id)


def closing(seq: int, printer: str | None = None) -> int:
    """A closing's Z ticket; a reprint says DUPLICATA (and is logged once printed)."""
    from tui_factu import catalog, closings
    c = closings.get(seq)
    target = printing.resolve(printer)
    ref = f"Z {c.kind} {c.label}"
    duplicate = printing.already_printed(ref, "ticket") > 0
    data = escpos.closing(closings.view(c), catalog.company_snapshot(), int(target.get("columns", 42)),
                          target.get("profile", "default"), duplicate)
    return send_bytes("closing", ref, target, data)


def send_bytes(what: str, ref: str, target: dict, data: bytes) -> int:
    """Queues an already rendered job (a payment receipt…) and sends it."""
    job = printing.enqueue(what, ref, target["url"], data)
    return send(job.id)


def test(printer: str | None) -> int:
    target = printing.resolve(printer)
    data = escpos.test_page(int(target.get("columns", 42)), target.get("profile", "default"))
    job = printing.enqueue("test", "", target["url"], data)
    return send(job.id)


# Jobs that issue a document once printed, and the channel their print is logged under
ISSUING = {"slip": "bon", "receipt": "ticket", "closing": "ticket"}


def send(job_id: int) -> int:
    """Sends a queued job (first time or retry); a document's print is logged once it went."""
    job = printing.job(job_id)
    try:
        escpos.send(job.printer, bytes(job.data))
    except escpos.PrinterError as e:
        printing.mark(job.id, False, str(e))
        raise FactuError(f"{e} — le travail n° {job.id} reste en file "
                         f"(tui-factu queue retry {job.id})", "imprimante", job.printer) from None
    printing.mark(job.id, True, issues=ISSUING.get(job.what) if job.ref else None)
    return job.id
