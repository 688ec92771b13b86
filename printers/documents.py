"""A document to PDF: the layout, and Factur-X for invoices and credit notes."""
from tui_factu import printed

from . import facturx, pdf


def pdf_bytes(doc_id: int, duplicate: bool = False) -> bytes:
    view = printed.view(doc_id, duplicate=duplicate)
    data = pdf.render(view)
    if view.is_invoice and view.number:
        data = facturx.embed(data, facturx.xml_bytes(view))
    return data
