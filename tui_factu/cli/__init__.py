"""The command line, and the composition root: the only part of the core that may reach
screens and printers (lazily).

    main.py        parses, opens the base, knows who acts, runs the command, maps errors to
                   exit codes (0 success, 1 integrity failure, 2 refused input, 3 internal error)
    root.py        the root parser (French errors, --db, --user): all the app needs to start
    parser.py      every command's parser, in the order of the commands
    system.py      init, import, export, the app itself (tui, serve), bench
    deploy.py      deploy-ssh: the shared base's rights for the clerks' group, sshd checked
    documents.py   doc list|show|new|links|validate|transform|credit|replace|status|delete
    payments.py    pay, apply-credit, refund
    counter.py     sale, return
    billing.py     schedule, deposit, situation, plan
    records.py     close, archive, verify-archive, backup, restore, export-fec, verify, signer, audit
    service.py     equipment, intervention, time
    master.py      targets, company, customer, product, backorders, user, setting
    printing.py    pdf, slip, printers, queue
    reports.py     report
    output.py      JSON on stdout
    identity.py    who a command acts as; new passwords

Each group module defines its sub-parsers (`register`) beside its handlers.
"""
from .main import main, skip_postgres_driver
from .root import Parser
from .system import prepare_tui


def __getattr__(name):
    """build_parser loads the module of every command: only when asked for, not at the start."""
    if name == "build_parser":
        from .parser import build_parser
        return build_parser
    raise AttributeError(name)

__all__ = ["Parser", "build_parser", "main", "prepare_tui", "skip_postgres_driver"]
