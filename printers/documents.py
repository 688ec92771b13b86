"""A document to PDF: the layout, and Factur-X for invoices and credit notes."""
from tui_factu import printed

from . import facturx, pdf


def pdf_bytes(doc_id: int, duplicate: bool = False, issuing: bool = False) -> bytes:
    """issuing: refused (printed.check_identity) when the seller's legal identity is incomplete."""
    view = printed.view(doc_id, duplicate=duplicate)
    if issuing:
        printed.check_identity(view)
    xml = facturx.xml_bytes(view) if view.is_invoice and view.number else None
    return pdf.render(view, facturx=xml)
