"""Reminder letters as the customer reads them (the PDF's text, PDF/A-3b), printed once per
level, and mailed with the letter attached through a real SMTP server (tests/smtp_server.py)."""
import datetime as dt
import io
import json

import pytest
from pypdf import PdfReader

from printers import reminders
from test_pdfa import pdfa_problems
from tui_factu import catalog, clock, documents, dunning, session, users
from tui_factu.models import JournalRecord
from tui_factu.permissions import PermissionDenied


def _late(customer="C1"):
    """120.00 TTC issued 2 October, due 1 November: 30 days late on 1 December (a formal notice)."""
    catalog.update_company({"late_penalty_rate": "12.15"})
    return documents.validate(documents.create("invoice", customer, "2026-10-02", [{"product": "VIS", "quantity": "8"}]).id)


def _text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages)


def test_a_formal_notice_states_the_debt_the_interest_and_the_indemnity_and_goes_once(shop, tmp_path):
    inv = _late()
    path, view = reminders.write_letter(inv.number, str(tmp_path))
    assert path == tmp_path / f"relance-{inv.number}-R3.pdf" and view["recorded"]
    data = path.read_bytes()
    assert pdfa_problems(data) == []
    text = _text(data)
    for said in ("MISE EN DEMEURE", "Client Un SARL", "2 rue A", "69001 Lyon", "mettons en demeure",
                 f"{inv.number} 02/10/2026 01/11/2026 30 j 120,00 € 120,00 €",
                 "Intérêts de retard 1,20 €",                      # 120 × 12,15 % × 30 / 365 = 1,198…
                 "Indemnité forfaitaire (D441-5) 40,00 €", "Total à régler 161,20 €",
                 "article L441-10", "taux annuel de 12,15 %", "art. D441-5", "RF"):
        assert said in text, said
    assert [(h["level"], h["channel"]) for h in dunning.history(inv.id)] == [(3, "paper")]
    again, view = reminders.write_letter(inv.number, str(tmp_path / "copie.pdf"))
    assert not view["recorded"] and "MISE EN DEMEURE" in _text(again.read_bytes())   # a copy: nothing recorded
    assert len(dunning.history(inv.id)) == 1 and dunning.due() == []


def test_a_courtesy_reminder_claims_nothing_more_and_a_consumer_owes_no_indemnity(shop, tmp_path):
    courtesy = _late()
    clock.freeze(dt.date(2026, 11, 8))
    text = _text(reminders.letter_pdf(dunning.letter(courtesy.number)))
    assert "RELANCE DE COURTOISIE" in text and "Sauf erreur de notre part" in text
    assert "Reste à régler 120,00 €" in text and "Intérêts de retard" not in text and "40,00 €" not in text
    assert "L441-10 et D441-5" in text                                 # the penalties are recalled, not claimed
    clock.freeze(dt.date(2026, 12, 1))
    person = _late("P1")
    view = dunning.letter(person.number)
    text = _text(reminders.letter_pdf(view))
    assert view["level"] == 3 and view["indemnity"] is None
    assert "Intérêts de retard" in text and "Indemnité forfaitaire" not in text and "D441-5" not in text


def test_a_clerk_without_the_right_to_collect_neither_prints_nor_sends_a_reminder(shop, tmp_path):
    inv = _late()
    users.create("quai", "warehouse", "secret")
    session.set_user("quai")
    for attempt in (lambda: reminders.write_letter(inv.number, str(tmp_path)),
                    lambda: reminders.send(dunning.due()), dunning.board, lambda: dunning.history(inv.id),
                    lambda: dunning.open_dispute(inv.number, "pour voir")):
        with pytest.raises(PermissionDenied, match="encaisser"):
            attempt()
    assert not list(tmp_path.glob("relance-*"))


def test_dunning_run_send_mails_each_letter_once(shop, tmp_path):
    pytest.importorskip("aiosmtpd", reason="aiosmtpd (test extra) missing")
    from smtp_server import PASSWORD, USER, Server
    from tui_factu import mail
    srv = Server(tmp_path / "tls", "starttls").start()
    try:
        mail.configure("127.0.0.1", str(srv.port), "starttls", USER, "factures@atelier-test.example", str(srv.ca))
        catalog.update_customer("C1", {"email": "compta@client-un.example"})
        inv, person = _late(), _late("P1")                  # P1 has no e-mail address
        proposals = dunning.due()
        report = reminders.send(proposals, PASSWORD)
        assert [(r["invoice"], r["level"], r["state"]) for r in report] == \
            [(inv.number, 3, "sent"), (person.number, 3, "refused")]
        assert "n'a pas d'adresse e-mail" in report[1]["message"]
        assert dunning.history(person.id) == []             # refused: nothing recorded, still due
        assert [p["invoice"] for p in dunning.due()] == [person.number]
        (msg,) = srv.messages()
        assert msg["To"] == "compta@client-un.example"
        assert msg["Subject"].startswith(f"Mise en demeure : facture {inv.number} du 02/10/2026")
        assert "Vous trouverez notre courrier ci-joint." in msg.get_body(("plain",)).get_content()
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == f"relance-{inv.number}.pdf"
        assert "MISE EN DEMEURE" in _text(part.get_content()) and "161,20 €" in _text(part.get_content())
        assert [(h["level"], h["channel"]) for h in dunning.history(inv.id)] == [(3, "mail")]
        events = {(r.action, r.ref) for r in JournalRecord.select().where(JournalRecord.chain == "event")}
        assert {("reminder", inv.number), ("mail", inv.number)} <= events
        sealed = JournalRecord.select().where(JournalRecord.action == "mail").get()
        assert json.loads(sealed.payload)["detail"]["state"] == "sent"
        again = reminders.send(proposals, PASSWORD)         # the same run once more: never twice
        assert [(r["invoice"], r["state"]) for r in again] == [(person.number, "refused")]
        assert len(srv.received) == 1
    finally:
        srv.stop()


def test_a_letter_in_dollars_claims_the_indemnity_in_euros_apart(shop):
    from tui_factu import rates
    from tui_factu.errors import StateError
    catalog.update_company({"late_penalty_rate": "12.15"})
    rates.set_rate("USD", "2026-10-01", "0.90")
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-02", [{"product": "VIS", "quantity": "8"}],
                                              currency="USD").id)
    text = _text(reminders.letter_pdf(dunning.letter(inv.number)))
    # 133,33 $US due (the catalogue's euros at 0,90), 30 days at 12,15 %: 1,33 $US
    assert "30 j 133,33 $US 133,33 $US Intérêts de retard 1,33 $US Total à régler 134,66 $US " \
           "Indemnité forfaitaire (D441-5) 40,00 €" in text
    with pytest.raises(StateError, match="en USD"):
        dunning.penalty(inv.number)
