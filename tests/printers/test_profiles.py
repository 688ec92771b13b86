"""Every printer profile the product offers prints, read back through a decoder: its code page
forced, French letters right or transliterated (never "?"), lines and barcodes within the
paper; a library error is one French line; a print that failed is not the original."""
import socket
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from printers import dispatch, escpos
from support import escpos_paper
from tui_factu import closings, counter, documents, journal, payments, printed, printing
from tui_factu.errors import FactuError
from tui_factu.models import JournalRecord, PrintJob

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "escpos"
SLOTS = {"default": 16, "TM-T88V": 16, "TM-T20II": 16, "POS-5890": 71, "NT-5890K": 71, "ZJ-5870": 16,
         "simple": 0}           # ESC t n of the page each profile gets (its own numbering)
WORDS = "Vis à bois — boîte de 200, qualité œuvre « pro » 12 €"


def _delivery():
    order = documents.validate(documents.create("order", "C1", "2026-11-20", [
        {"product": "VIS", "quantity": "10", "description": WORDS}, {"product": "LIVRE", "quantity": "3"}]).id)
    return documents.validate(documents.transform([order.id], "delivery", {1: D("6"), 2: D("3")}).id)


def _jobs(profile, columns):
    """Every kind of thermal job, rendered for this profile."""
    bl = _delivery()
    sale = counter.sale([{"product": "VIS", "quantity": "2", "description": WORDS}], [("cash", D("50"))])
    seq = payments.pay([documents.validate(documents.create("invoice", "C1", "2026-11-20", [
        {"product": "LIVRE"}]).id).id], "5", "cheque", reference="Chèque n° 12 — « BNP »")["payment"]
    z = closings.view(closings.close("day", "2026-12-01"))
    from tui_factu import catalog
    return {"slip": escpos.slip(printed.view(bl.id), columns, profile, qr=True),
            "receipt": escpos.receipt(printed.view(sale["document"].id), columns, profile),
            "payment": escpos.payment_receipt(printed.payment_view(seq), columns, profile),
            "closing": escpos.closing(z, catalog.company_snapshot(), columns, profile),
            "test": escpos.test_page(columns, profile)}


def _shared_decoder_warnings(data, columns, profile):
    """The independent decoder of ../shared (when present beside the project): its warnings."""
    if not (SHARED / "decode.py").exists():
        return []
    sys.path.insert(0, str(SHARED))
    try:
        import decode
    finally:
        sys.path.remove(str(SHARED))
    cmap = decode._load_codepage_map(f"escpos:{profile}") if profile != "default" else None
    r = decode.decode_bytes(data, cols=columns, codepage_map=cmap)
    return [w for w in r.warnings if "no cut command" not in w or escpos._profile(profile).supports("paperFullCut")]


@pytest.mark.parametrize("profile", printing.PROFILES)
def test_every_profile_prints_every_job(shop, profile):
    assert set(SLOTS) == set(printing.PROFILES)
    columns = 32 if profile in ("POS-5890", "NT-5890K", "ZJ-5870") else 42
    page = escpos.codepage(profile)
    assert page == ("CP437" if profile == "simple" else "CP1252")
    for what, data in _jobs(profile, columns).items():
        assert data.startswith(b"\x1b@\x1bt" + bytes([SLOTS[profile]])), (what, data[:6])
        paper = escpos_paper(data, page.lower())
        text = "\n".join(t for t, _ in paper)
        assert "?" not in text, (what, text)
        for line, wide in paper:
            assert len(line) * wide <= columns, (what, line)
        assert not _shared_decoder_warnings(data, columns, profile), what
        flat = " ".join(text.split())
        if what in ("slip", "receipt"):
            if page == "CP1252":
                assert "qualité œuvre « pro » 12 €" in flat, flat
            else:                      # PC437: é à « » kept, — œ € spelt out
                assert "Vis à bois - boîte de 200, qualité oeuvre « pro » 12 EUR" in flat, flat
        if what == "payment":
            assert "Chèque n° 12" in flat or "Chèque n" in flat
        if what == "test":
            assert "page de test" in flat and f"profil {profile}" in flat


@pytest.mark.parametrize("profile", ["default", "POS-5890", "simple"])
def test_barcodes_only_where_the_profile_has_them_and_the_paper_is_wide_enough(shop, profile):
    view = printed.view(_delivery().id)
    has = escpos._profile(profile).supports("barcodeB")
    assert (b"\x1dk" in escpos.slip(view, 42, profile)) == has
    assert (b"\x1d(k" in escpos.slip(view, 42, profile, qr=True)) == escpos._profile(profile).supports("qrCode")
    assert b"\x1dv0" not in escpos.slip(view, 42, profile)          # never a software (image) barcode
    view.number = "TK2026-000001"                                    # a ticket's number: 13 characters
    assert escpos.barcode_dots(view.number) == 396
    assert b"\x1dk" not in escpos.slip(view, 32, profile)            # 396 dots on 384-dot paper: none
    assert (b"\x1dk" in escpos.slip(view, 42, profile)) == has       # 512 dots: it fits


def _events(ref):
    return [r.action for r in JournalRecord.select().where((JournalRecord.chain == "event") & (JournalRecord.ref == ref))]


def test_the_simple_profile_prints_and_a_reprint_says_duplicata(shop, tmp_path):
    bl = _delivery()
    printing.set_printer("simple", f"file://{tmp_path / 'lp'}", profile="simple", columns=42)
    dispatch.slip(bl.number, "simple")
    dispatch.slip(bl.number, "simple")
    first, second = (tmp_path / "lp").read_bytes().split(b"\x1b@")[1:]
    assert "BON DE LIVRAISON" in "\n".join(t for t, _ in escpos_paper(b"\x1b@" + first, "cp437"))
    assert b"DUPLICATA" not in first and b"DUPLICATA" in second
    assert _events(bl.number) == ["print", "reprint"]


def test_a_library_error_is_one_french_line_and_issues_nothing(shop, tmp_path, monkeypatch):
    bl = _delivery()
    printing.set_printer("simple", f"file://{tmp_path / 'lp'}", profile="simple")
    monkeypatch.setattr(escpos, "codepage", lambda profile: "CP858")       # what 3.1 crashed on
    with pytest.raises(FactuError, match=r"^le profil d'imprimante « simple » ne sait pas imprimer ce travail "
                                         r"\(KeyError : 'CP858'\)$"):
        dispatch.slip(bl.number, "simple")
    assert _events(bl.number) == [] and PrintJob.select().count() == 0
    monkeypatch.undo()
    dispatch.slip(bl.number, "simple")
    assert b"DUPLICATA" not in (tmp_path / "lp").read_bytes()
    assert _events(bl.number) == ["print"]


def test_a_print_the_printer_never_took_is_not_the_original(shop, tmp_path):
    bl = _delivery()
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    port = dead.getsockname()[1]
    dead.close()
    with pytest.raises(FactuError, match="connexion refusée"):
        dispatch.slip(bl.number, f"tcp://127.0.0.1:{port}")
    assert _events(bl.number) == []
    dispatch.slip(bl.number, f"file://{tmp_path / 'lp'}")             # the next print is the original
    assert b"DUPLICATA" not in (tmp_path / "lp").read_bytes()
    failed = PrintJob.get(PrintJob.state == "failed")
    PrintJob.update(printer=f"file://{tmp_path / 'retry'}").where(PrintJob.id == failed.id).execute()
    dispatch.send(failed.id)                                           # a retry that goes is logged
    assert _events(bl.number) == ["print", "reprint"]
    assert journal.JournalRecord.select().where(journal.JournalRecord.ref == bl.number).count() >= 2
