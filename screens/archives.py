"""Keeping the records: a signed archive of a period (a), checking an archive (v), a backup of
the base (s). Restoring is a command, run with the terminals stopped (tui-factu restore)."""
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, Static

from tui_factu import clock, archives, backups, journal
from tui_factu.errors import FactuError

from .pickers import Form
from .widgets.base import FactuScreen


class ArchivesScreen(FactuScreen):
    GUARDS = {"archive": "archive", "backup": "backup", "fec": "archive"}
    BINDINGS = [Binding("a", "archive", "Archiver", id="archives.archive"),
                Binding("f", "fec", "FEC", id="archives.fec"),
                Binding("v", "verify", "Vérifier une archive", id="archives.verify"),
                Binding("s", "backup", "Sauvegarder", id="archives.backup"),
                Binding("escape", "app.pop_screen", "Retour", id="archives.back")]

    def compose(self) -> ComposeResult:
        yield Static("[b]Archives et sauvegardes[/b]", id="title")
        yield Static("a : archive signée d'une période (documents, PDF Factur-X, règlements, clôtures, journal)\n"
                     "v : vérifier une archive (hors ligne : fichiers altérés, manquants, ajoutés)\n"
                     "f : FEC de l'exercice pour le comptable (journaux des ventes et des encaissements)\n"
                     "s : sauvegarde de la base, pendant que les postes travaillent\n\n"
                     "La restauration se fait en ligne de commande, postes arrêtés :\n"
                     "  tui-factu restore FICHIER --force", id="help-text")
        yield Static("", id="result")
        yield Footer()

    def _dir(self) -> Path:
        return self.app.pdf_dir()

    def action_archive(self) -> None:
        year = str(clock.today().year)
        self.app.push_screen(Form("Archive signée", [
            ("period", "Période (2026, 2026-11, 2026-01-01..2026-06-30)", year),
            ("path", "Fichier", str(self._dir() / f"archive-{year}.zip"))]),
            lambda v: v and self._run(lambda: self._archive(v["period"].strip(), v["path"].strip()), _archived))

    @staticmethod
    def _archive(period: str, path: str) -> dict:
        from printers import documents as pdf_documents
        return archives.write(period, path, lambda doc_id: pdf_documents.pdf_bytes(doc_id, duplicate=False))

    def action_fec(self) -> None:
        from tui_factu import fec
        self.app.push_screen(Form("FEC", [("year", "Exercice", str(clock.today().year)),
                                          ("dir", "Dossier", str(self._dir()))]),
                             lambda v: v and self._run(lambda: fec.export(_year(v["year"]), v["dir"].strip()),
                                                       _fec_written))

    def action_verify(self) -> None:
        self.app.push_screen(Form("Vérifier une archive", [("path", "Fichier", str(self._dir()))]),
                             lambda v: v and self._run(lambda: archives.verify_archive(
                                 v["path"].strip(), journal.public_key_pem()), _verified))

    def action_backup(self) -> None:
        self.app.push_screen(Form("Sauvegarde", [("path", "Fichier", str(self._dir() / f"sauvegarde-{clock.today()}.zip"))]),
                             lambda v: v and self._run(lambda: backups.backup(v["path"].strip()), _backed_up))

    @work(thread=True, exclusive=True, group="archives")
    def _run(self, job, say) -> None:
        """job() off the screen's thread (an archive renders every PDF); then say(its result),
        or the refusal in red."""
        self._show("En cours…")
        try:
            self._show(say(job()))
        except FactuError as e:
            self._show(f"[red]{e}[/red]")

    def _show(self, text: str) -> None:
        self.app.call_from_thread(self.query_one("#result", Static).update, text)


def _year(text: str) -> int:
    return int(text) if text.strip().isdigit() else 0            # fec.export names a wrong year


def _archived(done: dict) -> str:
    return (f"Archive écrite : {done['path']}\n{done['documents']} document(s), {done['payments']} règlement(s), "
            f"{done['closings']} clôture(s), {done['records']} enregistrement(s) — clé {done['key_id']}")


def _fec_written(done: dict) -> str:
    return f"FEC écrit : {done['path']}\n{done['sales']} écriture(s) de ventes, {done['receipts']} d'encaissements"


def _verified(result: dict) -> str:
    if result["ok"]:
        return (f"[green]Archive intacte[/green] : {result['counts'].get('documents', 0)} document(s), "
                f"clé {result['key_id']}")
    return "[red]Archive altérée[/red]\n" + "\n".join(result["problems"][:12])


def _backed_up(done: dict) -> str:
    return f"Sauvegarde écrite : {done['path']} — elle contient la clé de signature : gardez-la à l'abri."
