"""Reminders (Relances) from the keyboard: the late invoices, those due a reminder today first,
then the others, then those in dispute; e sends one by e-mail with its letter, t sends them all, i prints the letter (sending
it by post), l opens or lifts a dispute, h shows what was sent, p drafts the penalty invoice.
Each write runs in a worker while a line says what is being done (widgets/busy.py); the rules
and the permissions are the core's (tui_factu/dunning.py), the letter and its mail the
printers' (printers/reminders.py)."""
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from tui_factu import clock, dunning, fr

from .pickers import Confirm, Form
from .widgets.table_screen import TableScreen
from .widgets.field import Field

STATES = {"sent": "envoyée", "pending": "en attente d'envoi", "failed": "refusée par le serveur",
          "sending": "envoi incertain", "refused": "non envoyée"}


class DunningScreen(TableScreen):
    GUARDS = {"send": "payment.collect", "send_all": "payment.collect", "letter": "payment.collect",
              "dispute": "payment.collect", "penalty": "document.edit"}
    BINDINGS = [Binding("e", "send", "Envoyer", id="dunning.send"),
                Binding("t", "send_all", "Tous", id="dunning.send_all"),
                Binding("i", "letter", "Lettre", id="dunning.letter"),
                Binding("l", "dispute", "Litige", id="dunning.dispute"),
                Binding("h", "history", "Historique", id="dunning.history"),
                Binding("p", "penalty", "Pénalités", id="dunning.penalty"),
                Binding("escape", "app.pop_screen", "Retour", id="dunning.back")]
    COLUMNS = (("Facture", 13), ("Client", 19), ("Niveau", 18), ("Retard", 6), ("Reste dû", 11))
    DEFAULT_CSS = """
    DunningScreen #rows { height: 1fr; }
    DunningScreen #detail { height: 2; }
    """

    EMPTY = "Aucune facture en retard."

    @property
    def TITLE_TEXT(self) -> str:                # noqa: N802 (TableScreen's title, of the day)
        return f"[b]Relances[/b] du {fr.date(clock.today())} — factures en retard"

    def read(self) -> list[dict]:
        return dunning.board()

    def show(self, rows: list[dict]) -> list[dict]:
        return [{**r, "cells": self._cells(r), "detail": Text(self._detail(r))} for r in rows]

    @staticmethod
    def _cells(r: dict) -> tuple:
        level = (f"{r['level']}. {dunning.SHORT.get(r['level'], r['label'])}" if r["level"]
                 else Text("en litige", style="bold") if r["dispute"]
                 else Text(f"fait : niveau {r['sent']}" if r["sent"] else "pas encore", style="dim"))
        return (r["invoice"], Text(f"{r['customer']} {r['name']}"[:19]), level,
                Text(f"{r['days_late']} j", justify="right"), Text(fr.amount(Decimal(r["balance"])), justify="right"))

    @staticmethod
    def _detail(r: dict) -> str:                # a Text: a customer's name is not markup
        if r["dispute"]:
            return f"{r['name']} — en litige : relances suspendues · l : lever le litige"
        if not r["level"]:
            return (f"{r['name']} — rien à envoyer aujourd'hui" + (f" (niveau {r['sent']} déjà envoyé)" if r["sent"]
                                                                  else "") +
                    "\nh : historique · i : copie de la lettre · p : facture de pénalités · l : litige")
        return (f"{r['name']} — {r['days_late']} jours de retard, reste {fr.amount(Decimal(r['balance']), True)}"
                "\ne : envoyer par e-mail · i : lettre (courrier) · l : litige · p : pénalités")

    def _due_row(self) -> dict | None:
        r = self.current()
        if r and r["dispute"]:
            self.notify(f"{r['invoice']} est en litige : les relances sont suspendues (l pour lever le litige).",
                        severity="warning")
            return None
        if r and not r["level"]:
            self.notify(f"{r['invoice']} : pas de relance à envoyer aujourd'hui.", severity="warning")
            return None
        return r

    def action_send(self) -> None:
        r = self._due_row()
        if r:
            self._with_password(lambda pw: self._write(f"Envoi de la relance {r['invoice']}", lambda: _send([r], pw),
                                                       self._sent))

    def _with_password(self, then) -> None:
        """then(password): from TUI_FACTU_SMTP_PASSWORD, else typed here (hidden, kept for this
        send only) when the server wants a login."""
        from tui_factu import mail
        password = mail.password_from_env()
        if password or not mail.needs_password():
            then(password)
            return
        self.app.push_screen(PasswordDialog(mail.config()["user"]), lambda pw: pw and then(pw))

    def action_send_all(self) -> None:
        due = [r for r in self.rows if r["level"]]
        if not due:
            self.notify("Aucune relance à envoyer aujourd'hui.")
            return
        self.app.push_screen(Confirm(f"Envoyer par e-mail les {len(due)} relance(s) du jour, chacune avec sa lettre ?"),
                             lambda ok: ok and self._with_password(lambda pw: self._write(
                                 f"Envoi de {len(due)} relance(s)", lambda: _send(due, pw), self._sent)))

    def _sent(self, report: list[dict]) -> None:
        if not report:
            self.notify("Rien à envoyer : déjà fait.")
            return
        ok = [r for r in report if r["state"] == "sent"]
        if ok:
            self.notify(f"{len(ok)} relance(s) envoyée(s) par e-mail : " + ", ".join(r["invoice"] for r in ok) + ".")
        for r in report:
            if r["state"] != "sent":
                self.notify(f"{r['invoice']} : {STATES.get(r['state'], r['state'])} — {r['message']}",
                            severity="warning" if r["state"] == "pending" else "error", timeout=12)

    def action_letter(self) -> None:
        r = self.current()
        if r is None:
            return
        folder = self.app.pdf_dir()

        def print_it():
            from printers import reminders
            return reminders.write_letter(r["invoice"], folder=folder)
        self._write(f"Lettre de la relance {r['invoice']}", print_it,
                    lambda done: self.notify(f"{done[1]['title']} écrite dans {done[0]}"
                                             + (" : relance enregistrée comme envoyée par courrier."
                                                if done[1]["recorded"] else " (copie).")))

    def action_dispute(self) -> None:
        r = self.current()
        if r is None:
            return
        if r["dispute"]:
            self.app.push_screen(Confirm(f"Lever le litige sur {r['invoice']} ? Les relances reprendront."),
                                 lambda ok: ok and self._write("Levée du litige", lambda: dunning.close_dispute(
                                     r["invoice"]), lambda n: self.notify(f"{r['invoice']} : litige levé.")))
            return
        self.app.push_screen(Form(f"Litige sur {r['invoice']} : les relances sont suspendues",
                                  [("reason", "Motif (livraison incomplète, prix contesté…)", "")]),
                             lambda v: v and self._write("Ouverture du litige", lambda: dunning.open_dispute(
                                 r["invoice"], v["reason"]), lambda d: self.notify(
                                 f"{r['invoice']} en litige : relances suspendues.")))

    def action_history(self) -> None:
        r = self.current()
        if r is not None:
            self.app.push_screen(HistoryDialog(r["invoice"], dunning.history(r["id"])))

    def action_penalty(self) -> None:
        r = self.current()
        if r is not None:
            self._write(f"Facture de pénalités de {r['invoice']}", lambda: dunning.penalty(r["invoice"]),
                        lambda draft: self.app.open_document(draft.id, "invoice"))


def _send(rows: list[dict], password: str | None) -> list[dict]:
    from printers import reminders
    return reminders.send(rows, password)


class PasswordDialog(ModalScreen):
    """The SMTP password, typed hidden; never stored (the core passes it to the server only)."""
    BINDINGS = [Binding("escape", "dismiss(None)", "Annuler", id="dunning.password.cancel")]

    def __init__(self, user: str):
        super().__init__()
        self.user = user

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(Text(f"Mot de passe SMTP de « {self.user} »"), classes="dialog-title")
            yield Field("", id="smtp-password", password=True)
            yield Label("Entrée : envoyer · Échap : annuler (ou TUI_FACTU_SMTP_PASSWORD)", classes="hint")

    def on_mount(self) -> None:
        self.query_one(Field).focus()

    @on(Field.Submitted)
    def _typed(self, event) -> None:
        self.dismiss(event.value or None)


class HistoryDialog(ModalScreen):
    BINDINGS = [Binding("escape,enter,h", "dismiss", "Fermer", id="dunning.history.close")]

    def __init__(self, number: str, rows: list[dict]):
        super().__init__()
        self.number, self.rows = number, rows

    def compose(self) -> ComposeResult:
        lines = [f"[b]Relances de la facture {self.number}[/b]", ""]
        lines += [f"{fr.date(r['date'])}  niveau {r['level']} {r['label']:<26} {r['days_late']:>4} j  "
                  f"{dunning.CHANNELS.get(r['channel'], r['channel'])}" for r in self.rows] or ["Aucune relance envoyée."]
        with VerticalScroll(classes="dialog wide"):
            yield Static("\n".join(lines))
