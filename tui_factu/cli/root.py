"""The root of the command line: French errors and the options every command shares. Enough
on its own to start the app (`tui-factu [--db …] [--user …]`): the login screen does not wait
for the modules of every command (parser.py adds them)."""
import argparse

from ..errors import FactuError


class Parser(argparse.ArgumentParser):
    def error(self, message):
        message = (message.replace("the following arguments are required", "arguments obligatoires")
                   .replace("unrecognized arguments", "arguments inconnus")
                   .replace("invalid choice", "choix invalide")
                   .replace("expected one argument", "une valeur attendue")
                   .replace("choose from", "valeurs possibles :"))
        command = " ".join(["tui-factu", *self.prog.split()[1:]])      # prog is "tui-factu doc list"
        raise FactuError(f"commande invalide : {message} (voir {command} --help)")


ROOT_OPTIONS = ("--db", "--user")


def root_parser() -> Parser:
    p = Parser(prog="tui-factu", description="Facturation clients et vente comptoir au clavier.")
    p.add_argument("--db", help="chemin SQLite ou URL postgresql://… (défaut : TUI_FACTU_DB ou "
                                "le dossier de données de l'utilisateur)")
    p.add_argument("--user", help="agir en tant que cet utilisateur de l'application")
    return p


def runs_the_app(argv) -> bool:
    """Nothing but the root options: `tui-factu` opens the app (no command, no --help)."""
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ROOT_OPTIONS and args:
            args.pop(0)
        elif not a.startswith(tuple(f"{o}=" for o in ROOT_OPTIONS)):
            return False
    return True
