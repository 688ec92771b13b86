"""Setting up and running: the base (init), the whole base in and out as JSON (import,
export), the app in a terminal or a browser (tui, serve), and the benchmark (bench)."""
import json
import os
import sys

from ..errors import FactuError
from .identity import new_password
from .output import print_json


def prepare_tui(db_target: str | None = None, user: str | None = None):
    """Everything `tui-factu` does before the first screen (also what `bench` times): the
    database, its schema, the app user suggested for this OS account. No argon2 or journal yet:
    they load when the user logs in."""
    from screens.app import FactuApp
    from .. import db as database, session
    from ..models import User
    database.connect(db_target)
    database.ensure_schema()
    with session.unauthenticated():             # the name suggested on the login screen
        linked = User.get_or_none((User.os_account == session.os_account()) & (User.active == True))  # noqa: E712
    return FactuApp(user or (linked.name if linked else ""))


def cmd_tui(args):
    if not os.environ.get("TEXTUAL_DRIVER") and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise FactuError("l'interface a besoin d'un terminal (ssh -t, ou les commandes de tui-factu --help)",
                         "terminal", None)
    app = prepare_tui(args.db, args.user)
    app.run()
    return app.return_code or 0


def cmd_init(args):
    from .. import db as database, session, users
    version = database.ensure_schema()
    created = None
    if not session.current_user():              # a base without users: its first administrator
        account = session.os_account()
        if args.demo:
            users.bootstrap_admin("demo", "demo", account, "Utilisateur de démonstration")
            created = "Utilisateur « demo » créé, mot de passe « demo » (rôle admin)."
        else:
            password = new_password(f"Mot de passe du premier administrateur « {account} » : ")
            users.bootstrap_admin(account, password, account)
            created = f"Administrateur « {account} » créé, lié au compte système {account}."
    database.install_triggers()                 # puts back any guard that was dropped
    from .. import documents, journal
    journal.signing_key_id()                    # the company key: made and pinned on a new base
    documents.seal_untracked_statuses()         # a base from before statuses were sealed
    print(f"Base prête (schéma v{version}) : {database.location()}")
    if created:
        print(created)
    if args.demo:
        from .. import demo
        summary = demo.load()
        print("Données de démonstration chargées : " + ", ".join(f"{n} {k}" for k, n in summary.items()))


def cmd_import(args):
    from .. import exchange
    created = exchange.import_bundle(exchange.read_bundle(args.file))
    if args.json:
        print_json(created)
    else:
        print(f"{len(created)} document(s) importé(s).")


def cmd_export(args):
    from .. import exchange, files, journal
    bundle = exchange.export_bundle()
    with files.writing(args.file, "export", "fichier", "w", encoding="utf-8") as f:
        json.dump(bundle, f, ensure_ascii=False, indent=1)
    journal.event("export", {"file": os.path.basename(args.file), "documents": len(bundle["documents"])})
    print(f"Exporté : {len(bundle['customers'])} clients, {len(bundle['products'])} produits, "
          f"{len(bundle['documents'])} documents → {args.file}")


def cmd_serve(args):
    """The same app in a browser, behind the app's login (screens/serve)."""
    from pathlib import Path
    from screens.serve import serve
    from .. import db as database
    exe = Path(sys.argv[0]).resolve() if Path(sys.argv[0]).name == "tui-factu" else "tui-factu"
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"attention : servi sur {args.host}, hors de cette machine ; mettez-le derrière un proxy HTTPS",
              file=sys.stderr)
    serve(str(exe), database.location(), args.host, args.port)


def cmd_bench(args):
    from printers import bench as printers_bench
    from screens import bench as screens_bench
    from .. import bench
    bench.EXTRAS.extend([printers_bench.run, screens_bench.run])
    return bench.run(args.docs, args.list_docs)


def register(sub) -> None:
    """Adds to the root's sub-commands: init, import, export, serve, bench (without one,
    `tui-factu` runs the app: main.py)."""
    s = sub.add_parser("init", help="crée ou met à jour la base")
    s.add_argument("--demo", action="store_true", help="charge une société de démonstration")
    s.set_defaults(func=cmd_init)
    s = sub.add_parser("import", help="importe un fichier JSON tui-factu/1 (tout ou rien)")
    s.add_argument("file")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_import)
    s = sub.add_parser("export", help="exporte toute la base en JSON tui-factu/1")
    s.add_argument("file")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("serve", help="l'application dans un navigateur (127.0.0.1 par défaut)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("bench", help="mesure les performances sur une base synthétique")
    s.add_argument("--docs", type=int, default=100_000)
    s.add_argument("--list-docs", type=int, default=1_000_000)
    s.set_defaults(func=cmd_bench)
