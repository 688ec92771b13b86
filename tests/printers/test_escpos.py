"""Thermal slips sent to a printer listening on 127.0.0.1, bytes read back."""
import os
import socket
import threading
from decimal import Decimal as D

import pytest

from printers import dispatch, escpos
from support import escpos_paper
from tui_factu import documents, printed, printing
from tui_factu.errors import FactuError, InvalidValue, NotFound
from tui_factu.models import PrintJob


class FakePrinter:
    """A raw port-9100 printer on loopback that keeps each job's bytes."""

    def __init__(self):
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.jobs = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            data = b""
            with conn:
                conn.settimeout(5)
                while chunk := conn.recv(65536):
                    data += chunk
            self.jobs.append(data)

    def close(self):
        self.server.close()


@pytest.fixture
def printer():
    p = FakePrinter()
    yield p
    p.close()


def _delivery():
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": "10", "description": "Vis à bois tête fraisée inox A2 Ø4×40 — "
                                                             "boîte de 200 pièces, qualité œuvre"},
        {"product": "LIVRE", "quantity": "3"}], reference="BC-77").id)
    return documents.validate(documents.transform([order.id], "delivery", {1: D("6"), 2: D("3")}).id)


def _lines(data: bytes) -> list[str]:
    """The printed text, decoded with the code page the job forced."""
    assert data.startswith(b"\x1b@\x1bt\x10")          # ESC @, then ESC t 16 = WPC1252
    return [text for text, _ in escpos_paper(data)]


def test_slip_over_tcp_has_text_codepage_barcode_remaining_and_cut(shop, printer):
    bl = _delivery()
    dispatch.slip(bl.number, f"tcp://127.0.0.1:{printer.port}")
    for _ in range(50):
        if printer.jobs:
            break
        threading.Event().wait(0.05)
    data = printer.jobs[0]
    text = "\n".join(_lines(data))
    assert "BON DE LIVRAISON" in text and bl.number in text
    assert "Client Un SARL" in text and "Commande : CO2026-00001" in text and "BC-77" in text
    assert "livré 6 unité · reste 4" in text
    assert "qualité œuvre" in text.replace("\n", " ")
    assert b"\x1dk" in data and b"{B" + bl.number.encode() in data        # GS k CODE128 {B
    assert data.rstrip(b"\n").endswith(b"\x1dV\x00") or b"\x1dV" in data[-8:]   # cut
    assert PrintJob.get().state == "printed"


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_no_line_is_wider_than_the_paper(shop, columns):
    bl = _delivery()
    data = escpos.slip(printed.view(bl.id), columns, qr=True)
    paper = escpos_paper(data)
    assert any("œuvre" in text for text, _ in paper)
    for text, wide in paper:
        assert len(text) * wide <= columns, (text, wide)


def test_file_device_receives_the_job(shop, tmp_path):
    bl = _delivery()
    device = tmp_path / "lp0"
    printing.set_printer("entrepot", f"file://{device}", columns=32)
    dispatch.slip(bl.number, "entrepot")
    assert b"BON DE LIVRAISON" in device.read_bytes()


def test_printer_down_keeps_the_job_and_retry_sends_the_same_bytes(shop, printer):
    bl = _delivery()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()                                        # nobody listens there
    with pytest.raises(FactuError, match=r"connexion refusée .* le travail n° 1 reste en file"):
        dispatch.slip(bl.number, f"tcp://127.0.0.1:{port}")
    job = PrintJob.get()
    assert job.state == "failed" and "connexion refusée" in job.error
    PrintJob.update(printer=f"tcp://127.0.0.1:{printer.port}").execute()
    dispatch.send(job.id)
    for _ in range(50):
        if printer.jobs:
            break
        threading.Event().wait(0.05)
    assert printer.jobs[0] == bytes(job.data)
    assert PrintJob.get().state == "printed"


def test_a_reprinted_slip_says_duplicata(shop, tmp_path):
    bl = _delivery()
    device = tmp_path / "lp0"
    dispatch.slip(bl.number, f"file://{device}")
    dispatch.slip(bl.number, f"file://{device}")
    jobs = device.read_bytes().split(b"\x1b@")
    assert b"DUPLICATA" not in jobs[1] and b"DUPLICATA" in jobs[2]


def test_unknown_urls_and_printers_are_refused_clearly(shop):
    with pytest.raises(InvalidValue, match="URL inconnue"):
        printing.check_url("ipp://printer")
    with pytest.raises(InvalidValue, match="usb://VID:PID"):
        printing.check_url("usb://epson")
    with pytest.raises(NotFound, match="imprimante inconnue « caisse »"):
        printing.resolve("caisse")
    with pytest.raises(InvalidValue, match="32, 42 ou 48"):
        printing.set_printer("x", "tcp://h:9100", columns=20)


def test_a_draft_or_an_invoice_is_not_a_delivery_slip(shop, tmp_path):
    draft = documents.create("delivery", "C1", "2026-11-20", [{"product": "VIS"}])
    with pytest.raises(FactuError, match="brouillon"):
        dispatch.slip(f"#{draft.id}", f"file://{tmp_path / 'x'}")
    inv = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS"}]).id)
    with pytest.raises(FactuError, match="n'est pas un bon de livraison"):
        dispatch.slip(inv.number, f"file://{tmp_path / 'x'}")
    dispatch.slip(inv.number, f"file://{tmp_path / 'x'}", receipt=True)
    assert b"TOTAL TTC" in (tmp_path / "x").read_bytes()


def test_a_serial_printer_gets_the_bytes_through_a_pseudo_terminal():
    import termios
    import tty
    master, slave = os.openpty()
    tty.setraw(slave)
    termios.tcsetattr(slave, termios.TCSANOW, termios.tcgetattr(slave))
    try:
        escpos.send(f"serial://{os.ttyname(slave)}?baudrate=19200", b"\x1b@Bonjour \x80\n\x1dV\x00")
        received = b""
        while len(received) < 14:
            received += os.read(master, 64)
        assert received == b"\x1b@Bonjour \x80\n\x1dV\x00"
    finally:
        os.close(master)
        os.close(slave)


def test_cups_gets_a_raw_job_and_a_refusal_is_named(tmp_path, monkeypatch):
    lp = tmp_path / "lp"
    lp.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/args"\ncat > "$(dirname "$0")/job"\n'
                  '[ "$2" = "absente" ] && { echo "lp: The printer or class does not exist." >&2; exit 1; }\nexit 0\n')
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    escpos.send("cups://ticket-caisse", b"\x1b@TICKET\n")
    assert (tmp_path / "args").read_text().split() == ["-d", "ticket-caisse", "-o", "raw"]
    assert (tmp_path / "job").read_bytes() == b"\x1b@TICKET\n"
    with pytest.raises(escpos.PrinterError, match="CUPS a refusé le travail : lp: The printer or class does not exist"):
        escpos.send("cups://absente", b"x")


def test_a_usb_printer_that_is_not_there_is_named_and_the_job_stays_queued(shop):
    printing.set_printer("quai", "usb://04b8:0e15")
    with pytest.raises(FactuError, match="imprimante usb://04b8:0e15 : .* reste en file"):
        dispatch.test("quai")
    assert [j.state for j in printing.queue()] == ["failed"]
