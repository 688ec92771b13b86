"""`tui-factu mail` as a person would run it, against a real SMTP server (aiosmtpd, STARTTLS
with a CA of our own, AUTH): the server down loses nothing, the retry sends once, a wrong
password says so in French and shows nowhere."""
import json
import sqlite3

import pytest

pytest.importorskip("aiosmtpd", reason="aiosmtpd (test extra) missing")

from facturx import get_facturx_xml_from_pdf  # noqa: E402
from smtp_server import PASSWORD, USER, Server, free_port  # noqa: E402

from support import run_cli  # noqa: E402

SENDER = "factures@quincaillerie-martin.example"


def run(db, *args, expect=0, password=PASSWORD):
    """The SMTP password comes from the environment only when given."""
    return run_cli(db, *args, expect=expect, drop=("TUI_FACTU_SMTP_PASSWORD",),
                   env={"TUI_FACTU_SMTP_PASSWORD": password} if password is not None else None)


def test_mail_an_invoice_through_a_server_that_was_down(base, tmp_path):
    from tui_factu import logs
    port = free_port()
    srv = Server(tmp_path / "tls", "starttls", port=port)          # made, not started: the server is down
    out = run(base, "mail", "config", "--host", "127.0.0.1", "--port", str(port), "--starttls", "--user", USER,
              "--from", SENDER, "--cafile", str(srv.ca)).stdout
    assert f"127.0.0.1:{port} (STARTTLS)" in out and "TUI_FACTU_SMTP_PASSWORD" in out and PASSWORD not in out
    invoice = next(d for d in json.loads(run(base, "doc", "list", "--kind", "invoice", "--status", "validated",
                                             "--json").stdout))
    number = invoice["number"]
    to = json.loads(run(base, "customer", "show", invoice["customer"]).stdout)["email"]

    down = run(base, "mail", number, expect=2)
    assert f"{number} (message n° 1) en attente : serveur de messagerie injoignable (127.0.0.1:{port} : " \
           "connexion refusée)" in down.stderr
    assert len(down.stderr.strip().splitlines()) == 1
    listed = run(base, "mail", "--outbox").stdout
    assert f"{number}" in listed and "en attente" in listed and to in listed

    srv.start()
    try:
        sent = run(base, "mail", "--outbox", "--retry")
        assert f"{number} envoyé à {to} : « Facture {number} du " in sent.stdout
        assert len(srv.received) == 1
        assert "(rien à envoyer)" in run(base, "mail", "--outbox", "--retry").stdout
        assert len(srv.received) == 1                                 # once, however often one retries
        msg = srv.messages()[0]
        assert msg["To"] == to and msg["From"].endswith(f"<{SENDER}>")
        assert msg["Subject"].startswith(f"Facture {number} du ") and "€ TTC" in msg["Subject"]
        rows = json.loads(run(base, "mail", "--outbox", "--json").stdout)
        assert [(r["ref"], r["state"], r["attempts"], r["message_id"]) for r in rows] == \
            [(number, "sent", 2, msg["Message-ID"])]
        body = msg.get_body(("plain",)).get_content()
        assert f"Veuillez trouver ci-joint notre facture {number}" in body
        (part,) = list(msg.iter_attachments())
        assert part.get_filename() == f"{number}.pdf"
        _, xml = get_facturx_xml_from_pdf(part.get_content(), check_xsd=False)
        assert f"<ram:ID>{number}</ram:ID>".encode() in xml

        # a wrong password: failed, in French, and the password is nowhere
        wrong = "Faux-Mot-De-Passe-42"
        failed = run(base, "mail", number, "--to", "compta@exemple.fr", expect=2, password=wrong)
        assert f"{number} (message n° 2) échec : identifiant ou mot de passe refusé par le serveur de messagerie " \
               f"pour « {USER} » (535) : vérifiez TUI_FACTU_SMTP_PASSWORD" in failed.stderr
        assert len(srv.received) == 1
        con = sqlite3.connect(base)
        chain = " ".join(p for (p,) in con.execute("SELECT payload FROM journal_record"))
        outbox = " ".join(f"{e} {t}" for e, t in con.execute("SELECT error, \"to\" FROM mail_out"))
        con.close()
        assert '"state":"failed"' in chain and '"state":"sent"' in chain
        log = logs.path().read_text(encoding="utf-8")
        assert number in log
        for text in (failed.stdout, failed.stderr, down.stderr, sent.stdout, chain, outbox, log):
            assert wrong not in text and PASSWORD not in text

        # no password at all (no terminal to ask it on): refused before anything is queued
        err = run(base, "mail", number, expect=2, password=None).stderr
        assert "mot de passe SMTP : absent : TUI_FACTU_SMTP_PASSWORD" in err
        assert len(json.loads(run(base, "mail", "--outbox", "--json").stdout)) == 2
    finally:
        srv.stop()
    run(base, "verify")


def test_mail_refusals_in_french(base):
    run(base, "mail", "config", "--host", "127.0.0.1", "--port", str(free_port()), "--no-tls",
        "--from", SENDER)
    invoice = json.loads(run(base, "doc", "list", "--kind", "invoice", "--json").stdout)[0]
    run(base, "customer", "set", invoice["customer"], "email=")
    for args, message in [
        (("mail", invoice["number"]), f"destinataire : le client {invoice['customer']} ("),
        (("mail", invoice["number"], "--to", "pas-une-adresse"), "--to : adresse e-mail invalide"),
        (("mail", "FA1999-99999", "--to", "a@b.fr"), "document introuvable « FA1999-99999 »"),
        (("mail", invoice["number"], "--template", "devis", "--to", "a@b.fr"), "--template : modèles : invoice"),
        (("mail",), "mail : REF attendu"),
        (("mail", "config", "--host", "smtp.exemple.fr", "--port", "25", "--no-tls", "--from", SENDER),
         "sans chiffrement, seulement vers 127.0.0.1"),
        (("mail", "--outbox", "--resend", "99"), "message inconnu dans la file « 99 »"),
    ]:
        r = run(base, *args, expect=2)
        assert message in r.stderr, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1
