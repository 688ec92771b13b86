"""The Relances screen as the person chasing payments uses it, at 80×24 (one Pilot run: each
start and login costs seconds): the customer's payment terms and e-mail in its form, what is
due today, a dispute opened and lifted, the reminder mailed through a real SMTP server, never
twice, a copy of its letter, its history, the penalty invoice drafted in the editor. The
letter-by-post path is tested from the command line (tests/e2e/test_cli.py)."""
import pytest

from pilot import is_screen, login, notes, palette, run, settle, text, until
from tui_factu import catalog, documents, dunning


def _row(app):
    rows = getattr(app.screen, "rows", None)
    return rows[0] if rows else {"level": None, "dispute": False, "sent": 0}


def test_relances_from_the_keyboard(app, tmp_path, monkeypatch):
    pytest.importorskip("aiosmtpd", reason="aiosmtpd (test extra) missing")
    from smtp_server import PASSWORD, USER, Server
    from tui_factu import mail
    srv = Server(tmp_path / "tls", "starttls").start()
    monkeypatch.delenv("TUI_FACTU_SMTP_PASSWORD", raising=False)       # typed in the screen, hidden
    mail.configure("127.0.0.1", str(srv.port), "starttls", USER, "factures@atelier-test.example", str(srv.ca))
    catalog.update_company({"late_penalty_rate": "12.15"})
    inv = documents.validate(documents.create("invoice", "C1", "2026-10-02",          # 120.00, 30 days late
                                              [{"product": "VIS", "quantity": "8"}]).id)

    async def go():
        async with app.run_test(size=(80, 24), notifications=True) as pilot:
            await login(pilot, app)
            app.customers()                                      # the customer's terms and e-mail, in its form
            await until(pilot, lambda: is_screen(app, "CustomersScreen"))
            await settle(pilot, app)
            app.screen.edit("C1")
            await until(pilot, lambda: is_screen(app, "Form"))
            await settle(pilot, app)
            app.screen.query_one("#f-email").value = "compta@client-un.example"
            app.screen.query_one("#f-payment_terms").value = "45jfdm"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: "« C1 » enregistré" in notes(app))
            await pilot.press("escape")
            await palette(pilot, app, "relances", "Relances : factures en retard, lettres, litiges")
            await until(pilot, lambda: is_screen(app, "DunningScreen") and _row(app)["level"] == 3)
            await settle(pilot, app)
            row = next(line for line in text(app).splitlines() if inv.number in line)
            assert "C1 Client Un" in row and "3. mise en demeure" in row and "30 j" in row and "120,00" in row

            await pilot.press("l")                               # a dispute: the reminders wait
            await until(pilot, lambda: is_screen(app, "Form"))
            await settle(pilot, app)
            app.screen.query_one("#f-reason").value = "Prix contesté"
            await pilot.press("enter")
            await until(pilot, lambda: is_screen(app, "DunningScreen") and _row(app)["dispute"])
            assert dunning.due() == []
            await pilot.press("e")
            await until(pilot, lambda: "les relances sont suspendues (l pour lever" in notes(app))
            await pilot.press("l")                               # lifted: due again
            await until(pilot, lambda: is_screen(app, "Confirm"))
            await pilot.press("enter")
            await until(pilot, lambda: is_screen(app, "DunningScreen") and _row(app)["level"] == 3)

            await pilot.press("e")                               # mailed with its letter
            await until(pilot, lambda: is_screen(app, "PasswordDialog"))
            await settle(pilot, app)
            app.screen.query_one("#smtp-password").value = PASSWORD
            assert PASSWORD not in text(app)
            await pilot.press("enter")
            await until(pilot, lambda: "1 relance(s) envoyée(s) par e-mail" in notes(app))
            await until(pilot, lambda: _row(app)["sent"] == 3 and not _row(app)["level"])
            await pilot.press("e")                               # never twice
            await until(pilot, lambda: "pas de relance à envoyer aujourd'hui" in notes(app))
            await pilot.press("i")                               # the letter again: a copy
            await until(pilot, lambda: "(copie)" in notes(app))
            await pilot.press("h")
            await until(pilot, lambda: is_screen(app, "HistoryDialog"))
            app.clear_notifications()
            await settle(pilot, app)
            assert "niveau 3 Mise en demeure de payer" in text(app) and "e-mail" in text(app)
            await pilot.press("escape")
            await pilot.press("p")                               # the penalty invoice, in the editor
            await until(pilot, lambda: is_screen(app, "EditorScreen"))
            await settle(pilot, app)
            assert "Intérêts de retard" in text(app) and "41,20" in text(app)
    try:
        run(go())
    finally:
        srv.stop()
    assert catalog.customer_by_code("C1").payment_terms == "45jfdm"
    (msg,) = srv.messages()
    assert msg["To"] == "compta@client-un.example"
    assert [p.get_filename() for p in msg.iter_attachments()] == [f"relance-{inv.number}.pdf"]
    assert [(h["level"], h["channel"]) for h in dunning.history(inv.id)] == [(3, "mail")]
    assert (app.pdf_dir() / f"relance-{inv.number}-R3.pdf").read_bytes().startswith(b"%PDF-")
