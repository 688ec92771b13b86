"""Reports (report): journals, VAT, statements, aging, rankings, stock, follow-ups… as a table,
JSON or CSV. Names, options and what computes each come from `tui_factu/report_registry.py`."""
from ..report_registry import OPTIONS, REPORTS as REGISTRY, Params, run
from .output import print_json, print_table

REPORTS = tuple(REGISTRY)


def cmd_report(args):
    """tui-factu report NAME [--from D --to D] [--by ...] [--json] [--csv FILE [--fr]]"""
    rows = run(args.name, Params(**{name: getattr(args, name) for name in OPTIONS}))
    if args.csv:                                  # streamed: a year's journal in constant memory
        from .. import csvout
        print(f"{csvout.write(rows, args.csv, args.fr)} ligne(s) écrite(s) dans {args.csv}")
        return
    rows = list(rows)
    if args.json:
        print_json(rows)
    else:
        print_table(rows)


def register(sub) -> None:
    """Adds to the root's sub-commands: report, its options from the registry."""
    s = sub.add_parser("report", help="états : " + ", ".join(REPORTS))
    s.add_argument("name", choices=REPORTS)
    for o in OPTIONS.values():
        if not o.flag.startswith("--"):                 # REF
            s.add_argument(o.name, nargs="?")
            continue
        extra = {"choices": tuple(c.value for c in o.choices)} if o.choices else {}
        if o.default is not None:
            extra["default"] = o.default
        if o.type is not str:
            extra["type"] = o.type
        if o.help:
            extra["help"] = o.help
        s.add_argument(o.flag, **({"dest": o.name} if o.flag[2:] != o.name else {}), **extra)
    s.add_argument("--json", action="store_true")
    s.add_argument("--csv")
    s.add_argument("--fr", action="store_true", help="CSV : point-virgule et virgule décimale")
    s.set_defaults(func=cmd_report)
