"""The command line's grammar: the root parser, French in its errors, and the commands of
every group, each defined by its module beside its handlers (`register`)."""
from . import (bank, billing, cheques, contracts, counter, deploy, documents, dunning, mail, master, pa, payments, pricelists, rates, sepa, printing, records, reports,
               service, system)
from .root import Parser, root_parser

GROUPS = (system, documents, payments, bank, counter, billing, records, service, master, printing, reports, pa, dunning, sepa, mail, cheques, contracts, pricelists, rates, deploy)

# `tui-factu --help` and the « valeurs possibles » of a mistyped command list the commands in the
# order they have always had (people and scripts read it), whichever module defines them. A new
# command takes its place here too.
COMMANDS = ("init", "import", "export", "doc", "pay", "apply-credit", "refund", "writeoff", "bank", "sale", "return", "schedule",
            "deposit", "situation", "plan", "close", "archive", "verify-archive", "backup", "restore",
            "export-fec", "targets", "equipment", "intervention", "time", "verify", "signer", "company",
            "customer", "product", "backorders", "user", "terms", "setting", "audit", "pdf", "xml", "pa", "dunning", "sepa", "mail", "cheques", "contract", "pricelist", "rates", "slip", "printers",
            "queue", "serve", "deploy-ssh", "report", "bench")


def build_parser() -> Parser:
    p = root_parser()
    sub = p.add_subparsers(dest="command", parser_class=Parser, metavar="COMMANDE")
    for group in GROUPS:
        group.register(sub)
    _in_order(sub)
    return p


def _in_order(sub) -> None:
    """Puts the sub-commands in the order of COMMANDS: in the help (argparse's list of
    choice actions) and in the choices themselves (the « valeurs possibles » of an error)."""
    rank = {name: i for i, name in enumerate(COMMANDS)}
    missing = [name for name in sub.choices if name not in rank]
    if missing:
        raise RuntimeError(f"commands missing from tui_factu.cli.parser.COMMANDS: {missing}")
    sub._choices_actions.sort(key=lambda action: rank[action.dest])
    parsers = sorted(sub.choices.items(), key=lambda item: rank[item[0]])
    sub.choices.clear()
    sub.choices.update(parsers)
