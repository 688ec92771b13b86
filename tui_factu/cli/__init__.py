"""The command line, and the composition root: the only part of the core that may reach
screens and printers (lazily).

    main.py        parses, opens the base, knows who acts, runs the command, maps errors to
                   exit codes (0 success, 1 integrity failure, 2 refused input, 3 internal error)
    parser.py      the root parser (French errors) and the order of the commands
    system.py      init, import, export, the app itself (tui, serve), bench
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
from .parser import Parser, build_parser
from .system import prepare_tui

__all__ = ["Parser", "build_parser", "main", "prepare_tui", "skip_postgres_driver"]
