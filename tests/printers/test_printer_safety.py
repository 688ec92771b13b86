"""What can reach a printer, a PDF or a terminal: a payment reference typed with printer codes
(ESC p is the cash-drawer pulse) is refused at input, and one stored anyway (written behind the
app's back) prints as visible letters, never as a command."""
import contextlib
import io
import json
import os
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest
from pypdf import PdfReader

from printers import dispatch, escpos, pdf
from support import escpos_paper, raw_base
from tui_factu import cli, db as database, documents, payments, printed, session, users
from tui_factu.errors import InvalidValue
from tui_factu.models import Document, Payment

DRAWER = "\x1bp\x00\x19\xfa"          # ESC p 0 25 250: open the cash drawer
REFUSED = r"--reference : caractère de contrôle ou invisible interdit \(\\x1b\)"


@pytest.fixture
def linked(shop):
    """The OS account running the tests acts as the base's administrator on the command line."""
    users.update("testeur", os_link=session.os_account())
    return shop


def _invoice():
    return documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)


def _cli(db, *args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--db", db, *args])
    database.connect(db)
    return code, out.getvalue(), err.getvalue()


def test_the_core_refuses_printer_codes_in_a_payment_reference(shop):
    inv = _invoice()
    with pytest.raises(InvalidValue, match=REFUSED):
        payments.pay([inv.id], "5", "cheque", reference=DRAWER)
    with pytest.raises(InvalidValue, match="caractère de contrôle"):
        payments.pay([inv.id], "5", "cheque", reference="chèque \u202eelbatpecca")   # bidi override
    with pytest.raises(InvalidValue, match=r"\(\\x9b\)"):
        payments.pay([inv.id], "5", "cheque", bank="Banque\x9b")                     # C1: CSI
    assert Payment.select().count() == 0
    seq = payments.pay([inv.id], "5", "cheque", reference="CHQ 1234567")["payment"]
    with pytest.raises(InvalidValue, match=REFUSED):
        payments.cancel(seq, DRAWER)
    assert Payment.select().count() == 1


def test_the_command_line_refuses_them_in_one_french_line(linked, db):
    inv = _invoice()
    # argv cannot hold NUL; bytes that are not UTF-8 reach Python as lone surrogates
    code, out, err = _cli(db, "pay", inv.number, "5", "--method", "cheque", "--reference", "\x1bp\x19\udcfa")
    assert code == 2, err
    assert err.startswith("tui-factu : --reference : caractère de contrôle ou invisible interdit (\\x1b)")
    assert "\x1b" not in err and "\udcfa" not in err and len(err.strip().splitlines()) == 1
    code, out, err = _cli(db, "pay", inv.number, "5", "--method", "cheque", "--reference", "ok\udcfa")
    assert code == 2 and "(\\udcfa)" in err
    seq = payments.pay([inv.id], "5", "cheque", reference="CHQ 1")["payment"]
    code, out, err = _cli(db, "pay", "--cancel", str(seq), "--reference", "\x1bp\x19")
    assert code == 2 and "(\\x1b)" in err
    assert Payment.select().count() == 1


def test_bytes_that_are_not_utf8_in_an_argument_exit_2_not_3(linked, db):
    inv = _invoice()
    exe = Path(sys.executable).parent / "tui-factu"
    r = subprocess.run([str(exe), "--db", db, "pay", inv.number, "5", "--method", "cheque",
                        "--reference", b"\x1bp\x19\xfa"], capture_output=True, timeout=60,
                       env=dict(os.environ))
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert err == "tui-factu : --reference : caractère de contrôle ou invisible interdit (\\x1b) « \\x1bp\\x19\\udcfa »\n"


def _stored_raw(db, sql, *params):
    """Writes behind the app's back (triggers dropped), as an attacker with the file would."""
    con = raw_base(db)
    con.execute(sql, params)
    con.commit()
    con.close()
    database.connect(db)
    database.install_triggers()


def _no_command_but_ours(data: bytes):
    """The paper of a job whose bytes hold no ESC p; escpos_paper fails on any command it does
    not know, so an injected one cannot hide."""
    assert b"\x1bp" not in data and b"\x00\x19" not in data
    return "\n".join(text for text, _ in escpos_paper(data))


def test_a_stored_payment_reference_never_reaches_the_printer_raw(linked, db, tmp_path):
    inv = _invoice()
    seq = payments.pay([inv.id], "5", "cheque", reference="CHQ 1")["payment"]
    _stored_raw(db, "UPDATE payment SET reference = ?, bank = ? WHERE seq = ?", DRAWER, "\u202eknab", seq)
    assert Payment.get(Payment.seq == seq).reference == DRAWER            # stored as written
    view = printed.payment_view(seq)
    paper = _no_command_but_ours(escpos.payment_receipt(view, 32))
    assert "Réf. \\x1bp\\x00\\x19ú" in paper
    text = PdfReader(io.BytesIO(pdf.payment_receipt(view))).pages[0].extract_text()
    assert "\\x1bp\\x00\\x19" in text and "\\u202eknab" in text and "\x1b" not in text
    code, out, err = _cli(db, "pay", "--list", inv.number)
    assert code == 0 and "\\x1bp\\x00\\x19ú" in out and "\x1b" not in out and "\x00" not in out


def test_a_stored_document_text_never_reaches_the_printer_raw(shop, db, tmp_path):
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    bl = documents.validate(documents.transform([order.id], "delivery", {1: D("4")}).id)
    _stored_raw(db, "UPDATE document SET reference = ?, customer_snapshot = replace(customer_snapshot, "
                    "'Client Un SARL', ?) WHERE id = ?", DRAWER, json.dumps("Client" + DRAWER)[1:-1], bl.id)
    device = tmp_path / "lp0"
    dispatch.slip(bl.number, f"file://{device}")
    paper = _no_command_but_ours(device.read_bytes())
    assert "Votre réf. : \\x1bp\\x00\\x19ú" in paper and "Client\\x1bp\\x00\\x19ú" in paper
    assert Document.get_by_id(bl.id).reference == DRAWER


HOSTILE = [DRAWER, "\u202e", "\x9b"]          # a printer command, a bidi override, a C1 code (CSI)


@pytest.mark.parametrize("bad", HOSTILE, ids=["ESC p", "RLO", "CSI"])
def test_every_input_field_refuses_control_and_bidi_characters(shop, bad):
    """#15 (what to build, 1): customer, product, line, document references and notes, payment
    references — each refused at input in French, naming the field."""
    from tui_factu import catalog
    inv = _invoice()
    line = {"description": "Vis", "quantity": "1", "unit_price": "10", "vat_rate": "20"}
    attempts = {
        "name": lambda: catalog.save_customer({"code": "X1", "name": f"Client{bad}"}),
        "line1": lambda: catalog.save_customer({"code": "X2", "name": "Client", "address": {"line1": f"1 rue{bad}"}}),
        "city": lambda: catalog.save_customer({"code": "X3", "name": "Client", "address": {"city": f"Paris{bad}"}}),
        "produit": lambda: catalog.save_product({"code": "PX", "name": f"Vis{bad}", "price": "1"}),
        "description": lambda: documents.create("invoice", "C1", "2026-11-20", [dict(line, description=f"Vis{bad}")]),
        "référence": lambda: documents.create("invoice", "C1", "2026-11-20", [line], reference=f"BC{bad}"),
        "notes": lambda: documents.create("invoice", "C1", "2026-11-20", [line], notes=f"Merci{bad}"),
        "reference": lambda: payments.pay([inv.id], "5", "cheque", reference=f"CHQ{bad}"),
        "bank": lambda: payments.pay([inv.id], "5", "cheque", bank=f"Banque{bad}"),
    }
    for field, attempt in attempts.items():
        with pytest.raises(InvalidValue, match="caractère de contrôle ou invisible interdit") as refused:
            attempt()
        assert bad[0] not in str(refused.value), field                    # the message shows its code
    assert Payment.select().count() == 0


def test_hostile_text_stored_anyway_reaches_neither_the_pdf_nor_the_paper_raw(shop, db, tmp_path):
    """Every text a document prints, written behind the app's back with a printer command, a
    bidi override and a C1 code: the PDF (text and Factur-X) and the thermal slips carry their
    codes, never the characters."""
    import re
    from tui_factu import counter
    bad = DRAWER + "\u202e\x9b"
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}, {"text": "Merci"}],
                                              reference="BC-1", notes="Note").id)
    ticket = counter.sale([{"product": "VIS"}], [("cash", D("20"))])["document"]
    payments.pay([inv.id], "5", "cheque", reference="CHQ 1")
    hostile = json.dumps("Client" + bad)[1:-1]
    for doc in (inv, ticket):
        _stored_raw(db, "UPDATE document SET reference = ?, notes = ?, customer_snapshot = replace(customer_snapshot,"
                        " 'Client Un SARL', ?), seller_snapshot = replace(seller_snapshot, 'Atelier Test', ?)"
                        " WHERE id = ?", "BC" + bad, "Note" + bad, hostile, hostile.replace("Client", "Atelier"), doc.id)
        _stored_raw(db, "UPDATE document_line SET description = ?, code = ? WHERE document_id = ?",
                    "Vis" + bad, "VIS" + bad, doc.id)
    _stored_raw(db, "UPDATE payment SET reference = ?, bank = ?", "CHQ" + bad, "Banque" + bad)
    raw = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
    for doc in (inv, ticket):
        data = dispatch.document_pdf(doc.number)[0]
        text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
        assert not raw.search(text) and "\\x1bp" in text and "\\u202e" in text, doc.number
        dispatch.slip(doc.number, f"file://{tmp_path / doc.number}", receipt=True)
        paper = _no_command_but_ours((tmp_path / doc.number).read_bytes())
        assert not raw.search(paper) and "\\x1bp" in paper, doc.number
    from printers import facturx
    xml = facturx.read_back(dispatch.document_pdf(inv.number)[0]).decode()
    assert not raw.search(xml)
