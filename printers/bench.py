"""Printing figures for `tui-factu bench` (wired by the CLI, the composition root)."""
import io
import time
from pathlib import Path


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import os
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def run(tmp: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    from tui_factu import bench, catalog, db as database, documents, printed
    from . import documents as pdf_documents, fonts
    bench.open_base(tmp / "print.db")
    catalog.update_company({"name": "Banc d'essai SARL", "siren": "732829320", "line1": "1 rue du Banc",
                            "postcode": "75001", "city": "Paris", "iban": "FR7630006000011234567890189"})
    catalog.save_customer({"code": "B1", "name": "Client Banc", "siren": "552100554",
                           "address": {"line1": "2 rue", "postcode": "69001", "city": "Lyon"}})
    for i in range(8):
        catalog.save_product({"code": f"P{i}", "name": f"Article de banc d'essai n° {i}", "price": f"{i + 1}.90"})
    inv = documents.validate(documents.create(
        "invoice", "B1", None, [{"product": f"P{i}", "quantity": str(i + 1)} for i in range(8)]).id)
    pdf_documents.pdf_bytes(inv.id)                       # warm: fonts, ICC profile
    n = 100
    t0 = time.perf_counter()
    for _ in range(n):
        pdf_documents.pdf_bytes(inv.id)
    ours = n / (time.perf_counter() - t0)
    view = printed.view(inv.id)
    fonts.register()
    t0 = time.perf_counter()
    for _ in range(n):
        buf = io.BytesIO()
        c = Canvas(buf, initialFontName=fonts.REGULAR)
        y = 800
        for ln in view.lines:
            c.drawString(40, y, f"{ln.description} {ln.quantity} {ln.unit_price} {ln.net_amount}")
            y -= 14
        c.drawString(40, y - 20, f"Total {view.totals['grand_total']}")
        c.showPage()
        c.save()
    floor = n / (time.perf_counter() - t0)
    bench.report("PDF facture 1 page + Factur-X (/s, 1 cœur)", ours, floor, "/s", ">= 80/s", ours >= 80)
    # A batch of 1,000 documents must not grow the process.
    for _ in range(100):
        pdf_documents.pdf_bytes(inv.id)
    before = _rss_mb()
    for _ in range(1000):
        pdf_documents.pdf_bytes(inv.id)
    growth = _rss_mb() - before
    bench.report("lot de 1 000 PDF : croissance mémoire (Mo)", growth, 0.0, "Mo", "constante (< 20 Mo)",
                 growth < 20)
    database.db.close()
