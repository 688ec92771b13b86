"""A document to PDF: the layout, and Factur-X for invoices and credit notes."""
from tui_factu import printed

from . import facturx, pdf


def pdf_bytes(doc_id: int, duplicate: bool = False, issuing: bool = False) -> bytes:
    """issuing: refused (printed.check_identity) when the seller's legal identity is incomplete."""
    view = printed.view(doc_id, duplicate=duplicate)
    if issuing:
        printed.check_identity(view)
    data = pdf.render(view)
    if view.is_invoice and view.number:
        data = facturx.embed(data, facturx.xml_bytes(view))
    return data
