"""Documents by e-mail, against a real SMTP server started here (aiosmtpd, tests/smtp_server.py):
what arrives (headers, French body, the Factur-X PDF's bytes and its XML), STARTTLS and TLS
with a CA of our own, AUTH PLAIN and LOGIN; a server down loses nothing and a retry sends
once; a wrong password fails in French and shows nowhere; a message whose fate is unknown is
never resent by itself."""
import json
import logging
from decimal import Decimal as D

import pytest

pytest.importorskip("aiosmtpd", reason="aiosmtpd (test extra) missing")

from facturx import get_facturx_xml_from_pdf  # noqa: E402
from lxml import etree  # noqa: E402

from printers import documents as pdf_documents  # noqa: E402
from smtp_server import PASSWORD, USER, Server, free_port  # noqa: E402
from tui_factu import catalog, counter, documents, journal, logs, mail, payments, session, users  # noqa: E402
from tui_factu.errors import FactuError, InvalidValue, StateError  # noqa: E402
from tui_factu.models import JournalRecord, MailOut, Setting  # noqa: E402
from tui_factu.permissions import PermissionDenied  # noqa: E402

SENDER = "factures@atelier-test.example"


@pytest.fixture
def customer(shop):
    catalog.update_customer("C1", {"email": "compta@client-un.example"})
    catalog.update_company({"email": "contact@atelier-test.example", "phone": "01 02 03 04 05"})
    return "compta@client-un.example"


@pytest.fixture
def server(tmp_path):
    started = []

    def start(mode="starttls", mechanisms=("PLAIN", "LOGIN"), port=None):
        s = Server(tmp_path / f"tls-{len(started)}", mode, mechanisms, port).start()
        started.append(s)
        return s
    yield start
    for s in started:
        s.stop()


def _configure(srv_or_port, mode="starttls", cafile=None, user=USER):
    port = srv_or_port if isinstance(srv_or_port, int) else srv_or_port.port
    ca = cafile if cafile is not None else ("" if isinstance(srv_or_port, int) else str(srv_or_port.ca))
    mail.configure("127.0.0.1", str(port), mode, user, SENDER, ca)


def _invoice(quantity="8", date=None):
    return documents.validate(documents.create("invoice", "C1", date, [{"product": "VIS", "quantity": quantity}]).id)


def _send(ref, template=None, to=None, password=PASSWORD):
    prepared = mail.prepare(ref, template, to)
    if prepared["payment"] is not None:
        from printers import pdf
        from tui_factu import printed
        data = pdf.payment_receipt(printed.payment_view(prepared["payment"]))
    else:
        data = pdf_documents.pdf_bytes(prepared["document_id"], duplicate=False, issuing=True)
    row = mail.queue(prepared, data)
    return row, mail.send_pending([row.id], password)


def _attachment(msg):
    parts = list(msg.iter_attachments())
    assert len(parts) == 1
    return parts[0].get_filename(), parts[0].get_content_type(), parts[0].get_content()


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_an_invoice_arrives_over_starttls_with_its_factur_x_pdf(customer, server, mechanism):
    srv = server("starttls", (mechanism,))
    _configure(srv)
    inv = _invoice()                                   # 8 × 12.50 HT at 20 % = 120.00 TTC, due in 30 days
    row, report = _send(inv.number)
    assert [(r["ref"], r["state"]) for r in report] == [(inv.number, "sent")]
    assert srv.logins == [(mechanism, True)]
    assert len(srv.received) == 1 and srv.received[0]["from"] == SENDER
    assert srv.received[0]["to"] == [customer]
    msg = srv.messages()[0]
    assert msg["From"] == f"Atelier Test <{SENDER}>"
    assert msg["To"] == customer
    assert msg["Reply-To"] == "contact@atelier-test.example"
    assert msg["Subject"] == f"Facture {inv.number} du 01/12/2026 — 120,00 € TTC, échéance le 31/12/2026"
    stored = MailOut.get_by_id(row.id)
    assert msg["Message-ID"] == stored.message_id and stored.message_id.endswith("@atelier-test.example>")
    assert (stored.state, stored.attempts, stored.error) == ("sent", 1, "")
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert f"Veuillez trouver ci-joint notre facture {inv.number} du 01/12/2026, d'un montant de 120,00 € TTC, " \
           "à régler au plus tard le 31/12/2026." in body
    assert "Factur-X" in body and body.rstrip().endswith("Atelier Test\ncontact@atelier-test.example\n01 02 03 04 05")
    name, ctype, data = _attachment(msg)
    assert (name, ctype) == (f"{inv.number}.pdf", "application/pdf") and data.startswith(b"%PDF-")
    xml_name, xml = get_facturx_xml_from_pdf(data, check_xsd=False)
    assert xml_name == "factur-x.xml"
    ns = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    assert etree.fromstring(xml).findtext("rsm:ExchangedDocument/ram:ID", namespaces=ns) == inv.number
    # the exact bytes kept in the outbox are what the server got
    assert srv.received[0]["data"].rstrip(b"\r\n") == bytes(stored.data).rstrip(b"\r\n")
    # sealed in the events chain: who, to whom, which message — neither body nor password
    event = JournalRecord.select().where((JournalRecord.chain == "event") & (JournalRecord.action == "mail")).get()
    detail = json.loads(event.payload)["detail"]
    assert (event.ref, detail["state"], detail["to"], detail["message_id"]) == (inv.number, "sent", customer,
                                                                                stored.message_id)
    assert "Veuillez" not in event.payload and PASSWORD not in event.payload
    # mailing is not a print: the first PDF printed later is still the original
    from tui_factu import printing
    assert printing.already_printed(inv.number, "pdf") == 0


def test_implicit_tls_and_several_recipients(customer, server):
    srv = server("tls")
    _configure(srv, "tls")
    inv = _invoice()
    _, report = _send(inv.number, to="a@client-un.example, b@client-un.example")
    assert report[0]["state"] == "sent"
    assert srv.received[0]["to"] == ["a@client-un.example", "b@client-un.example"]
    assert srv.messages()[0]["To"] == "a@client-un.example, b@client-un.example"


def test_a_server_whose_certificate_no_known_authority_signed_is_refused(customer, server):
    srv = server("starttls")
    _configure(srv, cafile="")                         # the system's authorities only
    inv = _invoice()
    row, report = _send(inv.number)
    assert report[0]["state"] == "failed" and srv.received == [] and srv.logins == []
    assert "certificat du serveur 127.0.0.1:" in report[0]["message"] and "mail.cafile" in report[0]["message"]
    assert MailOut.get_by_id(row.id).error == report[0]["message"]


@pytest.mark.backends
def test_the_server_down_loses_nothing_and_the_retry_sends_once(customer, server):
    port = free_port()
    _configure(port, cafile="")
    inv = _invoice()
    row, report = _send(inv.number)
    assert report[0]["state"] == "pending"
    assert report[0]["message"].startswith(f"serveur de messagerie injoignable (127.0.0.1:{port} : connexion refusée)")
    assert "rien n'est perdu" in report[0]["message"]
    assert MailOut.get_by_id(row.id).state == "pending"
    assert not JournalRecord.select().where(JournalRecord.action == "mail").exists()   # nothing was sent
    srv = server("starttls", port=port)
    _configure(srv)                                    # the server is back (and its authority known)
    again = mail.send_pending(None, PASSWORD)
    assert [(r["ref"], r["state"]) for r in again] == [(inv.number, "sent")]
    assert len(srv.received) == 1
    assert srv.messages()[0]["Message-ID"] == row.message_id            # the very message queued
    assert mail.send_pending(None, PASSWORD) == []                       # nothing waits any more
    assert mail.send_pending([row.id], PASSWORD)[0]["message"] == "déjà envoyé"
    assert len(srv.received) == 1
    assert MailOut.get_by_id(row.id).attempts == 2


def test_a_wrong_password_fails_in_french_and_shows_nowhere(customer, server, caplog):
    srv = server("starttls")
    _configure(srv)
    logs.setup()
    inv = _invoice()
    wrong = "Mauvais-mot-de-passe-123"
    row, report = _send(inv.number, password=wrong)
    assert report[0]["state"] == "failed"
    assert report[0]["message"] == (f"identifiant ou mot de passe refusé par le serveur de messagerie pour « {USER} » "
                                    "(535) : vérifiez TUI_FACTU_SMTP_PASSWORD")
    assert srv.logins and {ok for _, ok in srv.logins} == {False} and srv.received == []
    event = JournalRecord.select().where(JournalRecord.action == "mail").get()
    assert json.loads(event.payload)["detail"]["state"] == "failed"
    for h in logging.getLogger("tui_factu").handlers:
        h.flush()
    places = [logs.path().read_text(encoding="utf-8"), caplog.text,
              " ".join(r.payload for r in JournalRecord.select()),
              " ".join(f"{r.error} {r.to} {r.subject}" for r in MailOut.select()),
              " ".join(s.value for s in Setting.select())]
    assert "mis en file" in places[0]                  # the log did get the send
    for text in places:
        assert wrong not in text and PASSWORD not in text
    # the right password now: --retry sends what the server refused, once
    again = mail.send_pending(None, PASSWORD)
    assert [r["state"] for r in again] == ["sent"] and len(srv.received) == 1


def test_a_message_lost_after_its_data_is_never_resent_by_itself(customer, server):
    srv = server("starttls")
    _configure(srv)
    inv = _invoice()
    srv.hang_up_after_data = True
    row, report = _send(inv.number)
    assert len(srv.received) == 1                      # the server has it, we never heard so
    assert report[0]["state"] == "sending"
    assert "connexion perdue après l'envoi des données" in report[0]["message"]
    srv.hang_up_after_data = False
    retry = mail.send_pending(None, PASSWORD)
    assert [r["state"] for r in retry] == ["sending"] and len(srv.received) == 1
    assert f"tui-factu mail --outbox --resend {row.id}" in retry[0]["message"]
    resent = mail.resend(row.id, PASSWORD)             # the user checked: send it again, the same message
    assert [r["state"] for r in resent] == ["sent"] and len(srv.received) == 2
    assert srv.messages()[0]["Message-ID"] == srv.messages()[1]["Message-ID"] == row.message_id
    with pytest.raises(StateError, match="déjà envoyé"):
        mail.resend(row.id, PASSWORD)


def test_a_send_whose_state_could_not_be_written_is_not_resent(customer, server, monkeypatch):
    srv = server("starttls")
    _configure(srv)
    inv = _invoice()

    def sealing_fails(*args, **kwargs):
        raise FactuError("service de signature injoignable")
    monkeypatch.setattr(journal, "event", sealing_fails)
    row, report = _send(inv.number)
    assert len(srv.received) == 1 and report[0]["state"] == "sending"
    assert "accepté par le serveur mais l'état n'a pas pu être enregistré" in report[0]["message"]
    monkeypatch.undo()
    assert [r["state"] for r in mail.send_pending(None, PASSWORD)] == ["sending"]
    assert len(srv.received) == 1
    assert MailOut.get_by_id(row.id).state == "sending"


@pytest.mark.backends
def test_one_claim_wins(customer, server):
    _configure(free_port(), cafile="")
    inv = _invoice()
    prepared = mail.prepare(inv.number)
    row = mail.queue(prepared, pdf_documents.pdf_bytes(inv.id))
    assert mail._claim(row.id, ("pending",)) is True
    assert mail._claim(row.id, ("pending",)) is False  # a second terminal finds it taken


def test_templates_say_each_document_in_french(customer):
    _configure(free_port(), cafile="")
    inv = _invoice()
    payments.pay([inv.id], "20.00", "cheque", "2026-12-01", "CHQ-1")
    p = mail.prepare(inv.number)
    assert p["subject"] == (f"Facture {inv.number} du 01/12/2026 — 120,00 € TTC, reste à payer 100,00 €, "
                            "échéance le 31/12/2026")
    assert "dont il reste 100,00 € à régler, à régler au plus tard le 31/12/2026" in p["body"]
    credit = documents.validate(documents.credit(inv.id, {1: D("1")}).id)
    c = mail.prepare(credit.number)
    assert c["subject"] == f"Avoir {credit.number} du 01/12/2026 — 15,00 € TTC, sur facture {inv.number}"
    assert f"établi sur la facture {inv.number} du 01/12/2026" in c["body"]
    quote = documents.validate(documents.create("quote", "C1", None, [{"product": "MO", "quantity": "2"}]).id)
    q = mail.prepare(quote.number)
    assert q["subject"] == f"Devis {quote.number} du 01/12/2026 — 99,00 € TTC, valable jusqu'au 31/12/2026"
    assert "« Bon pour accord »" in q["body"]
    ticket = counter.sale(counter.parse_items(["VIS:2"]), counter.parse_payments(["cash:30"]))["document"]
    t = mail.prepare(ticket.number, to="passant@exemple.fr")
    assert t["subject"] == f"Ticket de caisse {ticket.number} du 01/12/2026 — 30,00 € TTC"
    receipt = mail.prepare("REG-000001")
    assert receipt["subject"] == "Reçu de paiement REG-000001 du 01/12/2026 — 20,00 €"
    assert f"Nous avons bien reçu votre règlement de 20,00 € du 01/12/2026 (chèque), imputé sur {inv.number} " \
           "(20,00 €)." in receipt["body"]
    with pytest.raises(InvalidValue, match="s'envoie avec le modèle quote"):
        mail.prepare(quote.number, "invoice")
    with pytest.raises(InvalidValue, match="--template : modèles : invoice"):
        mail.prepare(inv.number, "lettre")


def test_a_reminder_says_what_is_owed_and_since_when(customer):
    _configure(free_port(), cafile="")
    from tui_factu import clock
    import datetime as dt
    clock.freeze(dt.date(2026, 10, 2))
    inv = _invoice()                                   # due 01/11/2026
    clock.freeze(dt.date(2026, 11, 20))
    quote = documents.validate(documents.create("quote", "C1", None, [{"product": "MO"}]).id)
    with pytest.raises(InvalidValue, match=f"--template : {quote.number} s'envoie avec le modèle quote « reminder »"):
        mail.prepare(quote.number, "reminder")
    r = mail.prepare(inv.number, "reminder")
    assert r["what"] == "reminder"
    assert r["subject"] == f"Relance : facture {inv.number} du 02/10/2026 — reste à payer 120,00 €, échue le 01/11/2026"
    assert "reste impayée à ce jour (19 jours de retard) : il reste 120,00 € à régler." in r["body"]
    assert "indemnité forfaitaire de 40 €" in r["body"]   # a business customer
    from tui_factu import dunning
    dunning.open_dispute(inv.number, "Livraison incomplète")
    with pytest.raises(StateError, match="en litige"):
        mail.prepare(inv.number, "reminder")
    dunning.close_dispute(inv.number)
    payments.pay([inv.id], "120.00", "transfer", "2026-11-20", "VIR")
    with pytest.raises(StateError, match="est réglée : pas de relance"):
        mail.prepare(inv.number, "reminder")
    fresh = _invoice()
    with pytest.raises(StateError, match="n'est pas échue"):
        mail.prepare(fresh.number, "reminder")


def test_refusals_name_what_is_wrong(shop, monkeypatch):
    monkeypatch.delenv(mail.PASSWORD_ENV, raising=False)
    inv = _invoice()
    with pytest.raises(InvalidValue, match="messagerie : non configurée : tui-factu mail config"):
        mail.prepare(inv.number, to="x@y.example")
    _configure(free_port(), cafile="")
    with pytest.raises(InvalidValue, match="le client C1 \\(Client Un SARL\\) n'a pas d'adresse e-mail : --to ADRESSE"):
        mail.prepare(inv.number)
    with pytest.raises(InvalidValue, match="--to : adresse e-mail invalide"):
        mail.prepare(inv.number, to="x@y.example\r\nBcc: z@w.example")
    draft = documents.create("invoice", "C1", None, [{"product": "VIS"}])
    with pytest.raises(StateError, match="un brouillon ne s'envoie pas"):
        mail.prepare(f"#{draft.id}", to="x@y.example")
    with pytest.raises(InvalidValue, match="seulement vers 127.0.0.1"):
        mail.configure("smtp.example.fr", "25", "none", "", SENDER)
    with pytest.raises(InvalidValue, match="port SMTP : entier de 1 à 65535"):
        mail.configure("smtp.example.fr", "99999", "starttls", "", SENDER)
    with pytest.raises(InvalidValue, match="expéditeur : adresse e-mail invalide"):
        mail.configure("smtp.example.fr", "587", "starttls", "", "pas-une-adresse")
    with pytest.raises(InvalidValue, match="autorité de certification : chemin absolu"):
        mail.configure("smtp.example.fr", "587", "starttls", "", SENDER, "/nonexistent/ca.pem")
    mail.configure("smtp.example.fr", "587", "starttls", USER, SENDER)
    with pytest.raises(InvalidValue, match="mot de passe SMTP : absent : TUI_FACTU_SMTP_PASSWORD"):
        mail.send_pending(None, None)


def test_who_may_send_what(customer):
    _configure(free_port(), cafile="")
    for name, role in (("quai", "warehouse"), ("compta", "accountant")):
        users.create(name, role, "secret")
    inv = _invoice()
    order = documents.validate(documents.create("order", "C1", None, [{"product": "VIS", "quantity": "3"}]).id)
    session.set_user("quai")
    with pytest.raises(PermissionDenied, match="quai \\(rôle magasinier\\) ne peut pas préparer des documents \\(facture\\)"):
        mail.prepare(inv.number)
    delivery = documents.validate(documents.transform([order.id], "delivery").id)
    assert mail.prepare(delivery.number)["subject"] == f"Bon de livraison {delivery.number} du 01/12/2026"
    session.set_user("compta")
    with pytest.raises(PermissionDenied, match="compta \\(rôle comptable\\) ne peut pas préparer des documents"):
        mail.prepare(inv.number)
    assert mail.outbox() == []                         # the accountant chases payments: sees the outbox
