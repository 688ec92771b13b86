"""The money that comes in through the bank, from the keyboard: statements imported and matched
(BankScreen), SEPA direct debits (SepaScreen), cheque remittance slips (ChequesScreen). Each
write runs in a worker while a line says what is being done (widgets/busy.py); the rules and
the permissions are the core's (tui_factu/bank.py, sepa.py, remittances.py, payments.py)."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.widgets import DataTable

from tui_factu import bank, clock, documents, fr, inputs, payments, remittances, sepa

from .pickers import Confirm, Form
from .widgets.table_screen import TableScreen

CERTAINTY_ORDER = {bank.CERTAIN: 0, bank.PROBABLE: 1, bank.POSSIBLE: 2}


def _money(text: str) -> Text:
    return Text(fr.amount(Decimal(text)), justify="right")


class _MoneyScreen(TableScreen):
    def _ask(self, title: str, fields, then) -> None:
        self.app.push_screen(Form(title, fields), lambda values: values and then(values))

    def _file(self, text: str) -> str:
        """A file typed: a bare name is taken in the folder the screen proposes."""
        path = Path(text.strip()).expanduser()
        return str(path if path.is_absolute() else self.app.pdf_dir() / path)


class BankScreen(_MoneyScreen):
    TITLE_TEXT = "[b]Banque[/b] — rapprochement des relevés"
    EMPTY = "Aucune ligne à rapprocher : i importe un relevé (CAMT.053, OFX ou CSV)."
    COLUMNS = (("Date", 10), ("Montant", 10), ("Tiers", 18), ("Factures", 18), ("Certitude", 10))
    GUARDS = {"import": "bank.statements", "apply": "payment.collect", "writeoff": "payment.writeoff"}
    BINDINGS = [Binding("i", "import", "Importer", id="bank.import"),
                Binding("enter", "confirm", "Confirmer", id="bank.confirm"),
                Binding("x", "ignore", "Écarter", id="bank.ignore"),
                Binding("a", "apply", "Certaines", id="bank.apply"),
                Binding("w", "writeoff", "Pertes", id="bank.writeoff"),
                Binding("s", "app.sepa", "SEPA", id="bank.sepa"),
                Binding("c", "app.cheques", "Chèques", id="bank.cheques"),
                Binding("escape", "app.pop_screen", "Retour", id="bank.back")]

    def read(self) -> dict:
        return bank.match()

    def show(self, found: dict) -> list[dict]:
        proposals = sorted(found["proposals"], key=lambda p: (CERTAINTY_ORDER[p["certainty"]], p["date"], p["line"]))
        rows = []
        for p in proposals:
            numbers = [i["number"] for i in p["invoices"]]
            rows.append({"line": p["line"], "invoices": numbers, "amount": p["amount"], "aside": False,
                         "cells": (fr.date(p["date"]), _money(p["amount"]), _who(p), ", ".join(numbers),
                                   bank.CERTAINTY_LABELS[p["certainty"]]),
                         "detail": f"{bank.RULE_LABELS[p['rule']]} : {p['reason']} — {p['label'][:90]}\n"
                                   "Entrée : enregistrer ce règlement · x : écarter la proposition"})
        for u in found["unmatched"]:           # set aside by the user (kept in the base), or nothing found
            rows.append({"line": u["line"], "invoices": [], "amount": u["amount"], "aside": u.get("set_aside", False),
                         "cells": (fr.date(u["date"]), _money(u["amount"]), _who(u), "—", "aucune"),
                         "detail": f"Sans correspondance : {u['reason']} — {u['label'][:90]}\n"
                                   "Entrée : rapprocher de factures que vous choisissez"
                                   + (" · x : reprendre la proposition" if u.get("set_aside") else "")})
        return rows

    def action_import(self) -> None:
        self._ask("Importer un relevé", [
            ("path", f"Fichier du relevé (CAMT.053, OFX ou CSV), dans {self.app.pdf_dir()} ou chemin complet", ""),
            ("format", "Format : camt053, ofx ou csv (vide : reconnu)", ""),
            ("account", "Compte (IBAN) des colonnes CSV enregistrées (vide : le seul enregistré)", "")],
            lambda v: self._write("Import du relevé en cours", lambda: bank.import_file(
                self._file(v["path"]), v["format"].strip().lower() or None, v["account"].strip() or None), self._imported))

    def _imported(self, done: dict) -> None:
        label = bank.FORMAT_LABELS.get(done["format"], done["format"])
        if done["status"] == "already":
            self.notify(f"Relevé déjà importé le {fr.date(done['imported_at'])} ({label}) : aucune ligne ajoutée.",
                        severity="warning")
            return
        left_out = ", ".join(f"{n} {why}" for why, n in done["left_out"].items())
        self.notify(f"Relevé {label} importé : {done['lines']} crédit(s) pour {fr.amount(Decimal(done['total']), True)}"
                    + (f", {done['known']} déjà importé(s)" if done["known"] else "")
                    + (f" ; laissés de côté : {left_out}" if left_out else "") + ".")

    @on(DataTable.RowSelected)
    def _selected(self, event) -> None:
        event.stop()
        self.action_confirm()

    def action_confirm(self) -> None:
        row = self.current()
        if row is None:
            return
        if not row["invoices"]:
            self._ask(f"Rapprocher la ligne de {fr.amount(Decimal(row['amount']), True)}",
                      [("numbers", "Factures réglées (numéros séparés par des virgules)", "")],
                      lambda v: self._confirm(row["line"], [n for n in v["numbers"].replace(";", ",").split(",")]))
            return
        self.app.push_screen(Confirm(f"Enregistrer le virement de {fr.amount(Decimal(row['amount']), True)} du "
                                     f"{row['cells'][0]} sur {', '.join(row['invoices'])} ?"),
                             lambda ok: ok and self._confirm(row["line"], row["invoices"]))

    def _confirm(self, line: int, numbers: list[str]) -> None:
        self._write("Enregistrement du règlement", lambda: bank.confirm(line, numbers),
                    lambda done: self.notify(f"Règlement n° {done['payment']} enregistré : "
                                             f"{fr.amount(Decimal(done['amount']), True)} sur "
                                             f"{', '.join(done['invoices'])}."))

    def action_ignore(self) -> None:
        """x: a proposal set aside (the line stays listed, unmatched, from one session to the
        next), or taken back."""
        row = self.current()
        if row and (row["invoices"] or row["aside"]):
            aside = not row["aside"]
            self._write("Enregistrement", lambda: bank.set_aside(row["line"], aside),
                        lambda _: self.notify("Proposition écartée." if aside else "Proposition reprise."))

    def action_apply(self) -> None:
        self._write("Enregistrement des correspondances certaines", lambda: bank.match(apply=True), self._applied)

    def _applied(self, done: dict) -> None:
        self.notify(f"{len(done['applied'])} règlement(s) enregistré(s)"
                    + (f", {len(done['refused'])} refusé(s) : " + "; ".join(r["reason"] for r in done["refused"])
                       if done["refused"] else "") + ".", severity="warning" if done["refused"] else "information")

    def action_writeoff(self) -> None:
        row = self.current()
        self._ask("Passer en pertes un petit reste dû", [
            ("number", "Facture", row["invoices"][0] if row and row["invoices"] else ""),
            ("reason", "Motif", "reste dû minime")],
            lambda v: self._write("Passage en pertes", lambda: payments.writeoff(
                documents.resolve(v["number"].strip()).id, v["reason"]),
                lambda done: self.notify(f"{done['invoice']} : {fr.amount(done['amount'], True)} passés en pertes "
                                         f"(règlement n° {done['payment']}).")))


def _who(row: dict) -> str:
    return (row.get("counterparty") or row.get("label") or "")[:18]


class SepaScreen(_MoneyScreen):
    TITLE_TEXT = "[b]Prélèvements SEPA[/b] — mandats des clients"
    EMPTY = "Aucun mandat : a en ajoute un (IBAN, RUM, date de signature)."
    COLUMNS = (("Client", 8), ("RUM", 18), ("IBAN", 27), ("Signé le", 10), ("Type", 4))
    GUARDS = {"add": "catalog.edit", "export": "payment.collect", "returns": "payment.cancel"}
    BINDINGS = [Binding("a", "add", "Mandat", id="sepa.add"),
                Binding("x", "export", "Fichier pain.008", id="sepa.export"),
                Binding("r", "returns", "Rejets camt.054", id="sepa.returns"),
                Binding("b", "app.bank", "Banque", id="sepa.bank"),
                Binding("escape", "app.pop_screen", "Retour", id="sepa.back")]

    def read(self) -> list[dict]:
        return sepa.mandates()

    def show(self, mandates: list[dict]) -> list[dict]:
        return [{"cells": (m["customer"], m["rum"][:18], m["iban"], fr.date(m["signed_on"]), m["sequence"]),
                 "detail": f"Mandat {m['rum']} de {m['customer']}" + ("" if m["active"] else " (inactif)")
                           + " · FRST : premier prélèvement, RCUR : suivants, OOFF : ponctuel"}
                for m in mandates]

    def action_add(self) -> None:
        self._ask("Nouveau mandat de prélèvement", [
            ("customer", "Client (code)", ""), ("iban", "IBAN du débiteur", ""),
            ("rum", "Référence unique du mandat (RUM)", ""),
            ("signed", "Signé le (AAAA-MM-JJ ou JJ/MM/AAAA)", clock.today().isoformat()),
            ("recurring", "Récurrent (o/n) — n : ponctuel", "o")], self._add)

    def _add(self, v: dict) -> None:
        answer = v["recurring"].strip().lower()
        if answer not in ("o", "oui", "n", "non"):
            self.notify(f"Récurrent : répondez o ou n, pas « {v['recurring'][:20]} ».", severity="error")
            return
        self._write("Enregistrement du mandat", lambda: sepa.add_mandate(
            v["customer"].strip(), v["iban"], v["rum"], _date(v["signed"], "signé le"), answer.startswith("o")),
            lambda m: self.notify(f"Mandat {m.rum} enregistré ({'récurrent' if m.recurring else 'ponctuel'})."))

    def action_export(self) -> None:
        today = clock.today()
        self._ask("Fichier de prélèvements (pain.008)", [
            ("on", "Échéances jusqu'au", today.isoformat()), ("collect", "Date de prélèvement", today.isoformat()),
            ("path", "Fichier", str(self.app.pdf_dir() / f"prelevements-{today.isoformat()}.xml"))],
            lambda v: self._write("Écriture du fichier de prélèvements", lambda: sepa.export_to(
                self._file(v["path"]), _date(v["on"], "échéances jusqu'au"), _date(v["collect"], "date de prélèvement")),
                lambda done: self.notify(f"{len(done)} prélèvement(s) pour "
                                         f"{fr.amount(sum(Decimal(d['amount']) for d in done), True)} écrits dans "
                                         f"{self._file(v['path'])} ; factures réglées.")))

    def action_returns(self) -> None:
        self._ask("Prélèvements rejetés (avis camt.054 de la banque)",
                  [("path", f"Fichier, dans {self.app.pdf_dir()} ou chemin complet", "")],
                  lambda v: self._write("Lecture des rejets", lambda: sepa.returns_file(self._file(v["path"])),
                                        self._returned))

    def _returned(self, done: dict) -> None:
        said = [f"{r['invoice']} rouverte ({r['reason']})" for r in done["returned"]]
        if done["already"]:
            said.append(f"{len(done['already'])} déjà rejeté(s)")
        if done["unknown"]:
            said.append(f"{len(done['unknown'])} inconnu(s) laissé(s) de côté")
        self.notify("Rejets : " + " ; ".join(said) + ".", timeout=10)


def _date(text: str, field: str) -> dt.date:
    return inputs.parse_date(text.strip(), field)


class ChequesScreen(_MoneyScreen):
    TITLE_TEXT = "[b]Remises de chèques[/b] — chèques à remettre puis bordereaux"
    EMPTY = "Aucun chèque à remettre ni bordereau."
    COLUMNS = (("Date", 10), ("Client / bordereau", 22), ("Banque", 14), ("N°", 12), ("Montant", 10))
    GUARDS = {"remit": "payment.collect"}
    BINDINGS = [Binding("r", "remit", "Remettre", id="cheques.remit"),
                Binding("p", "print", "PDF", id="cheques.print"),
                Binding("b", "app.bank", "Banque", id="cheques.bank"),
                Binding("escape", "app.pop_screen", "Retour", id="cheques.back")]

    def read(self) -> tuple[list[dict], list[dict]]:
        return remittances.cheques(), remittances.slips()

    def show(self, data) -> list[dict]:
        cheques, slips = data
        rows = [{"cells": (fr.date(c["date"]), f"{c['customer']} {c['name']}"[:22], c["bank"][:14], c["number"][:12],
                           _money(c["amount"])),
                 "detail": f"À remettre : chèque n° {c['number']} de {c['name']} · r : bordereau de tous les chèques "
                           "à remettre"} for c in cheques]
        rows += [{"slip": s["number"], "cells": (fr.date(s["date"]), f"Bordereau {s['number']}", s["bank"][:14],
                                                 f"{s['count']} chèque(s)", _money(s["total"])),
                  "detail": f"Bordereau {s['number']} remis le {fr.date(s['date'])} · p : son PDF"} for s in slips]
        return rows

    def action_remit(self) -> None:
        today = clock.today()
        self._ask("Bordereau de remise de chèques", [
            ("bank", "Banque où les chèques sont remis", ""), ("on", "Date de remise", today.isoformat()),
            ("path", "PDF du bordereau", str(self.app.pdf_dir() / f"remise-{today.isoformat()}.pdf"))],
            lambda v: self._write("Bordereau en cours", lambda: _remit(v, self._file(v["path"])), self._remitted))

    def _remitted(self, done: dict) -> None:
        self.notify(f"Bordereau {done['number']} : {done['count']} chèque(s), {fr.amount(done['total'], True)} ; "
                    f"PDF écrit : {done['path']}")

    def action_print(self) -> None:
        row = self.current()
        if not row or "slip" not in row:
            self.notify("Choisissez un bordereau dans la liste (sous les chèques à remettre).", severity="warning")
            return
        number = row["slip"]
        self._ask(f"PDF du bordereau {number}", [("path", "Fichier", str(self.app.pdf_dir() / f"{number}.pdf"))],
                  lambda v: self._write("Écriture du PDF", lambda: _slip_pdf(number, self._file(v["path"])),
                                        lambda path: self.notify(f"PDF écrit : {path}")))


def _remit(v: dict, path: str) -> dict:
    """The slip, then its PDF: a PDF that cannot be written leaves the slip (p writes it again)."""
    from tui_factu import files
    path = files.check_output(path, "PDF", "fichier")
    slip = remittances.remit(_date(v["on"], "date de remise"), v["bank"])
    count = len(remittances.view(slip.number)["cheques"])
    return {"number": slip.number, "total": slip.total, "count": count, "path": _slip_pdf(slip.number, path)}


def _slip_pdf(number: str, path: str) -> str:
    from printers import pdf
    from tui_factu import files
    with files.writing(Path(path), "PDF", "fichier") as f:
        f.write(pdf.remittance_slip(remittances.view(number)))
    return path

