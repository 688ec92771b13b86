"""SEPA direct debit as the person who collects sees it: mandates checked, a pain.008 the ISO
schema accepts, FRST then RCUR, what is due collected once, a return that reopens the invoice."""
import datetime as dt
from decimal import Decimal as D

import pytest
from lxml import etree

from tui_factu import catalog, documents, payments, sepa, settings, verify
from tui_factu.errors import InvalidValue, StateError

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"}


def _setup():
    settings.set_value("sepa.creditor_id", "FR72ZZZ123456")
    sepa.add_mandate("C1", "FR76 3000 6000 0112 3456 7890 189", "RUM-C1-2026-001", "2026-10-01", recurring=True)


def test_a_mandate_is_checked(shop):
    with pytest.raises(InvalidValue, match="IBAN invalide"):
        sepa.add_mandate("C1", "FR76 0000", "RUM-1", "2026-10-01")
    with pytest.raises(InvalidValue, match="dans le futur"):
        sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-1", "2027-01-01")
    with pytest.raises(InvalidValue, match="clé de contrôle"):
        settings.set_value("sepa.creditor_id", "FR00ZZZ123456")
    _setup()
    with pytest.raises(InvalidValue, match="déjà utilisée"):
        sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-C1-2026-001", "2026-10-01")
    assert sepa.mandates("C1")[0]["sequence"] == "FRST"


def test_export_collects_what_is_due_once_first_then_recurring(shop):
    _setup()
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    later = documents.validate(documents.create("invoice", "C1", "2026-11-25", [{"product": "VIS", "quantity": "2"}]).id)
    data, done = sepa.export(dt.date(2026, 11, 20))                  # only the first is due (30 days)
    assert [(d["invoice"], d["amount"], d["sequence"]) for d in done] == [(inv.number, "60.00", "FRST")]
    root = etree.fromstring(data)
    assert root.tag == "{urn:iso:std:iso:20022:tech:xsd:pain.008.001.08}Document"
    assert root.findtext(".//p:MndtId", namespaces=NS) == "RUM-C1-2026-001"
    assert root.findtext(".//p:InstdAmt", namespaces=NS) == "60.00"
    assert root.findtext(".//p:SeqTp", namespaces=NS) == "FRST"
    assert documents.get(inv.id).status == "paid"
    with pytest.raises(StateError, match="aucun prélèvement"):
        sepa.export(dt.date(2026, 11, 20))                              # nothing twice
    _, done = sepa.export(dt.date(2026, 12, 31))
    assert [(d["invoice"], d["sequence"]) for d in done] == [(later.number, "RCUR")]
    assert verify.run().ok, verify.run().failures                    # every debit a sealed payment


def test_a_returned_debit_reopens_the_invoice(shop):
    _setup()
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS", "quantity": "4"}]).id)
    _, done = sepa.export(dt.date(2026, 11, 20))
    back = sepa.returned(done[0]["end_to_end_id"], "AM04 provision insuffisante")
    assert back == {"invoice": inv.number, "amount": "60.00", "balance": "60.00"}
    assert documents.get(inv.id).status == "validated" and payments.balance(documents.get(inv.id)) == D("60.00")
    with pytest.raises(StateError, match="déjà rejeté"):
        sepa.returned(done[0]["end_to_end_id"])


def test_no_file_without_the_creditor_identifier(shop):
    sepa.add_mandate("C1", "FR7630006000011234567890189", "RUM-9", "2026-10-01")
    documents.validate(documents.create("invoice", "C1", "2026-10-15", [{"product": "VIS"}]).id)
    with pytest.raises(InvalidValue, match="identifiant créancier"):
        sepa.export(dt.date(2026, 11, 20))
