"""Cheques taken to the bank on a numbered slip: each cheque once, a cancelled one never, the
slip's PDF shows every cheque and the total."""
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from pypdf import PdfReader

from printers import pdf
from tui_factu import documents, payments, remittances
from tui_factu.errors import StateError


def test_cheques_go_once_on_a_slip_with_their_total(shop):
    a = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    b = documents.validate(documents.create("invoice", "C1", "2026-11-21", [{"product": "VIS", "quantity": "2"}]).id)
    payments.pay([a.id], "60.00", "cheque", "2026-11-22", "CHQ 0001234", "Crédit Agricole")
    wrong = payments.pay([b.id], "1.00", "cheque", "2026-11-23", "CHQ 999", "LCL")
    payments.cancel(wrong["payment"], "saisie erronée")
    payments.pay([b.id], "25.00", "cheque", "2026-11-23", "CHQ 0005678", "LCL")
    payments.pay([b.id], "5.00", "cash", "2026-11-23")                     # cash: not on a cheque slip
    assert [p.reference for p in remittances.pending()] == ["CHQ 0001234", "CHQ 0005678"]
    slip = remittances.remit(dt.date(2026, 11, 24), "Banque Populaire")
    assert (slip.number, slip.total) == ("RC2026-00001", D("85.00"))
    assert remittances.pending() == []
    with pytest.raises(StateError, match="aucun chèque"):
        remittances.remit(dt.date(2026, 11, 24))
    text = PdfReader(io.BytesIO(pdf.remittance_slip(remittances.view(slip.number)))).pages[0].extract_text()
    for expected in ("REMISE DE CHÈQUES", "RC2026-00001", "CHQ 0001234", "Crédit Agricole",
                     "CHQ 0005678", "2 chèque(s)", "85,00 €", "Banque Populaire"):
        assert expected in text, expected


@pytest.mark.backends
def test_a_remitted_cheque_is_collected_on_its_slip_date_in_the_payments_report(shop):
    from tui_factu import reports
    a = documents.validate(documents.create("invoice", "C1", "2026-11-20", [{"product": "VIS", "quantity": "4"}]).id)
    payments.pay([a.id], "40.00", "cheque", "2026-11-22", "CHQ 1", "LCL")           # received in November
    payments.pay([a.id], "5.00", "cash", "2026-11-23")
    assert reports.payments_journal("2026-11-01", "2026-11-30") == [
        {"method": "cash", "count": 1, "amount": "5.00"}, {"method": "cheque", "count": 1, "amount": "40.00"}]
    remittances.remit(dt.date(2026, 12, 1), "Banque Populaire")                     # taken to the bank in December
    payments.pay([a.id], "15.00", "cheque", "2026-12-01", "CHQ 2", "LCL")           # not remitted: the day received
    assert reports.payments_journal("2026-11-01", "2026-11-30") == [{"method": "cash", "count": 1, "amount": "5.00"}]
    assert reports.payments_journal("2026-12-01", "2026-12-31") == [{"method": "cheque", "count": 2, "amount": "55.00"}]
