"""An original is what was issued to the customer, and a copy says so where it hides nothing:
DUPLICATA and BROUILLON in the margin, never over a figure; archive runs, exports and failed
prints use no original; every issuance stays in the events chain."""
import contextlib
import io
import json
import shutil
import subprocess
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from printers import dispatch, pdf
from support import escpos_paper, need
from tui_factu import cli, db as database, documents, printed, session, users
from tui_factu.errors import FactuError
from tui_factu.models import JournalRecord

MM = 72 / 25.4


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _events(ref):
    return [(r.action, json.loads(r.payload)["channel"]) for r in JournalRecord.select()
            .where((JournalRecord.chain == "event") & (JournalRecord.ref == ref)).order_by(JournalRecord.seq)]


def _invoice():
    return documents.validate(documents.create("invoice", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": "3", "discount_percent": "10"}, {"product": "LIVRE", "quantity": "2"},
        {"product": "MO", "quantity": "1.5"}], allowances=[{"amount": "5.00", "vat_rate": "20", "reason": "Remise"}]).id)


def _delivery():
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [{"product": "VIS", "quantity": "10"}]).id)
    return documents.validate(documents.transform([order.id], "delivery", {1: D("6")}).id)


def _pixels(data: bytes, tmp_path, name: str):
    from PIL import Image
    (tmp_path / f"{name}.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-png", "-r", "72", "-f", "1", "-l", "1", str(tmp_path / f"{name}.pdf"),
                    str(tmp_path / name)], check=True)
    return Image.open(next(tmp_path.glob(f"{name}-*1.png"))).convert("L")


@pytest.mark.parametrize("which", ["duplicate", "draft"])
def test_the_watermark_is_in_the_margin_and_hides_no_figure(shop, tmp_path, monkeypatch, which):
    """The page with its mark and the same page without it differ only in the left margin."""
    need(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils) absent : rendu PDF → PNG")
    from PIL import ImageChops
    if which == "draft":
        view = printed.view(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "3"}]).id)
    else:
        view = printed.view(_invoice().id, duplicate=True)
    marked = _pixels(pdf.render(view), tmp_path, "marked")
    monkeypatch.setattr(pdf, "_watermark", lambda canvas, mark: None)
    plain = _pixels(pdf.render(view), tmp_path, "plain")
    box = ImageChops.difference(marked, plain).getbbox()
    assert box is not None                                   # the mark is drawn…
    left, top, right, bottom = box
    assert right <= 15 * MM                                  # …only left of the 15 mm margin
    text = _text(pdf.render(view))
    assert ("DUPLICATA" if which == "duplicate" else "BROUILLON") in text


def _cli(db, *args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--db", db, *args])
    database.connect(db)
    session.set_user("testeur")
    return code, out.getvalue(), err.getvalue()


def test_an_archive_run_uses_no_original(shop, db, tmp_path):
    users.update("testeur", os_link=session.os_account())
    inv, bl = _invoice(), _delivery()
    issued = _invoice()
    dispatch.write_pdf(issued.number, str(tmp_path / "sent.pdf"))
    code, out, err = _cli(db, "pdf", "--all", "-o", str(tmp_path / "archive"))
    assert code == 0, err
    assert _events(inv.number) == [] and _events(bl.number) == []        # nothing issued
    assert "DUPLICATA" not in _text((tmp_path / "archive" / f"{inv.number}.pdf").read_bytes())
    # a document already issued is exported as a copy, never as a second original
    assert "DUPLICATA" in _text((tmp_path / "archive" / f"{issued.number}.pdf").read_bytes())
    assert _events(issued.number) == [("print", "pdf")]
    code, out, err = _cli(db, "pdf", inv.number, "-o", str(tmp_path / "client.pdf"))
    assert code == 0, err
    assert "DUPLICATA" not in _text((tmp_path / "client.pdf").read_bytes())   # still the original
    assert _events(inv.number) == [("print", "pdf")]


def test_one_original_per_medium_but_one_for_an_invoice_whatever_the_medium(shop, tmp_path):
    bl = _delivery()
    dispatch.write_pdf(bl.number, str(tmp_path / "bl.pdf"))
    dispatch.slip(bl.number, f"file://{tmp_path / 'lp'}")                  # the slip signed at the door
    dispatch.slip(bl.number, f"file://{tmp_path / 'lp'}")
    first, second = [b"\x1b@" + job for job in (tmp_path / "lp").read_bytes().split(b"\x1b@")[1:]]
    assert "DUPLICATA" not in " ".join(t for t, _ in escpos_paper(first))
    assert "*** DUPLICATA ***" in " ".join(t for t, _ in escpos_paper(second))
    assert "DUPLICATA" in _text(dispatch.document_pdf(bl.number)[0])
    assert _events(bl.number) == [("print", "pdf"), ("print", "bon"), ("reprint", "bon"), ("reprint", "pdf")]
    inv = _invoice()                                                       # an invoice: one original
    dispatch.write_pdf(inv.number, str(tmp_path / "fa.pdf"))
    dispatch.slip(inv.number, f"file://{tmp_path / 'ticket'}", receipt=True)
    assert "*** DUPLICATA ***" in " ".join(t for t, _ in escpos_paper((tmp_path / "ticket").read_bytes()))
    assert _events(inv.number) == [("print", "pdf"), ("reprint", "ticket")]


def test_a_pdf_that_crashed_or_was_never_written_is_not_the_original(shop, tmp_path, monkeypatch):
    inv = _invoice()

    def broken(view, facturx=None):
        raise RuntimeError("mise en page")
    monkeypatch.setattr(pdf, "render", broken)
    with pytest.raises(RuntimeError):
        dispatch.write_pdf(inv.number, str(tmp_path / "a.pdf"))
    monkeypatch.undo()
    (tmp_path / "a-file").write_text("")
    with pytest.raises(FactuError, match="écriture impossible"):               # no such folder
        dispatch.write_pdf(inv.number, str(tmp_path / "a-file" / "a.pdf"))
    assert _events(inv.number) == []
    path = dispatch.write_pdf(inv.number, str(tmp_path / "b.pdf"))
    assert "DUPLICATA" not in _text(path.read_bytes())
    assert _events(inv.number) == [("print", "pdf")]
