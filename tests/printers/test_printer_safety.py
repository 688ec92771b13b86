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
