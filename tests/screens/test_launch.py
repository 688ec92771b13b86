"""The start of `tui-factu` up to its login screen loads only what that screen needs (#16, point
7: launch ≤ 1.5 × a bare Textual app, measured by `tui-factu bench`). It had crept to 2.7 ×: the
command line's report registry imported the reports, the catalogue, the journal and its
cryptography, and peewee before psycopg could be kept out. This test names the modules that
must wait for a login or a command; the figure itself is the bench's."""
import json
import subprocess
import sys

from tui_factu.cli.root import runs_the_app

LAUNCH = """
import asyncio, json, sys
from tui_factu import cli; cli.skip_postgres_driver([])
async def main():
    app = cli.prepare_tui(sys.argv[1], None)
    async with app.run_test(size=(80, 24)) as pilot:
        while type(app.screen).__name__ != "LoginScreen":
            await pilot.pause(0.01)
asyncio.run(main())
print(json.dumps(sorted(m for m in sys.modules if sys.modules[m] is not None)))
"""

LATER = ("tui_factu.reports", "tui_factu.report_registry", "tui_factu.journal", "tui_factu.signer",
         "tui_factu.catalog", "tui_factu.users", "tui_factu.cli.parser", "tui_factu.cli.documents",
         "argon2", "cryptography", "reportlab", "psycopg", "printers")


def test_the_login_screen_waits_for_no_command_report_or_signature_module(db):
    out = subprocess.run([sys.executable, "-c", LAUNCH, db], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert "screens.login" in loaded
    assert not {m for m in loaded for later in LATER if m == later or m.startswith(later + ".")}


def test_only_the_root_options_open_the_app_without_the_commands_parser():
    assert runs_the_app([]) and runs_the_app(["--db", "x.db", "--user", "clerc"]) and runs_the_app(["--db=x.db"])
    for argv in (["--help"], ["doc", "list"], ["--db"], ["--db", "x.db", "verify"], ["-h"]):
        assert not runs_the_app(argv), argv
