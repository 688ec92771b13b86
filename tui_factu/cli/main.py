"""`tui-factu COMMAND …`: parses the command line, opens the base, knows who acts, runs the
command, and turns what went wrong into an exit code and one French line on stderr.

Exit codes: 0 success, 1 integrity failure (verify), 2 refused input with a one-line French
message on stderr, 3 internal error (details in the log file, never a traceback on screen).
"""
import os
import sys

from ..errors import FactuError, IntegrityFailure
from .identity import act_as
from .root import root_parser, runs_the_app
from .system import cmd_bench, cmd_init, cmd_serve, cmd_tui


def skip_postgres_driver(argv) -> None:
    """peewee imports psycopg when it is installed (~0.2 s): on a SQLite base, tell Python it
    is absent so that the app starts faster. Must run before peewee is imported."""
    target = os.environ.get("TUI_FACTU_DB", "")
    args = list(argv)
    for i, a in enumerate(args):
        if a == "--db" and i + 1 < len(args):
            target = args[i + 1]
        elif a.startswith("--db="):
            target = a[5:]
    if not target.startswith(("postgresql://", "postgres://")) and "peewee" not in sys.modules:
        sys.modules.setdefault("psycopg2", None)
        sys.modules.setdefault("psycopg", None)


def _log_crash() -> str:
    from .. import logs
    return logs.crash()


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if sys.stdin is None:                 # started with stdin closed (<&-): read as an empty input
        sys.stdin = open(os.devnull)
    skip_postgres_driver(argv)
    import peewee as pw
    from .. import db as database, logs
    log = logs.setup()
    if runs_the_app(argv):              # the login screen waits for no command's module
        parser = root_parser()
    else:
        from .parser import build_parser
        parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if getattr(args, "func", None) is cmd_bench:
            return args.func(args) or 0
        func = getattr(args, "func", cmd_tui)
        if func is cmd_tui:                       # the login screen decides who acts
            return cmd_tui(args) or 0
        if getattr(args, "offline", False):       # no database at all (verify-archive)
            return func(args) or 0
        database.connect(args.db)
        database.ensure_schema()
        act_as(args.user, bootstrapping=func is cmd_init)
        from .. import session
        log.info("%s : %s", session.current_user() or "?", func.__name__.removeprefix("cmd_").replace("_", " "))
        if func is not cmd_serve:                 # a command writes where it was run from, too
            from .. import files
            files.allow_folder(os.getcwd())
        return func(args) or 0
    except IntegrityFailure as e:
        print(f"tui-factu : {e}", file=sys.stderr)
        return 1
    except FactuError as e:
        log.info("refusé : %s", e)
        print(f"tui-factu : {e}", file=sys.stderr)
        return 2
    except pw.IntegrityError as e:
        print(f"tui-factu : refusé par la base de données : {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    except pw.OperationalError as e:
        print(f"tui-factu : base de données indisponible : {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    except BrokenPipeError:          # `tui-factu doc list | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("tui-factu : interrompu", file=sys.stderr)
        return 130
    except SystemExit as e:
        return e.code if isinstance(e.code, int) else 0
    except Exception as e:  # noqa: BLE001 - the last line of defence: no traceback on screen
        where = _log_crash()
        print(f"tui-factu : erreur interne ({type(e).__name__}: {logs.mask(str(e))}) — détails dans {where}",
              file=sys.stderr)
        return 3
