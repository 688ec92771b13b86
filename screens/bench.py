"""Terminal-application figures for `tui-factu bench` (wired by the CLI)."""
import os
import subprocess
import sys
import time
from pathlib import Path

LAUNCH = """
import asyncio, sys, time
t0 = time.perf_counter()
{imports}
async def main():
    app = {app}
    async with app.run_test(size=(80, 24)) as pilot:
        while not {ready}:
            await pilot.pause(0.005)
    print(time.perf_counter() - t0)
asyncio.run(main())
"""


def _launch(code: str, env) -> float:
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    return min(times)


def run(tmp: Path) -> None:
    from tui_factu import bench, db as database, reports, users
    big = tmp / "list.db"                      # the 1,000,000-document base built by the core bench
    bench.open_base(big)
    if not users.get("bench").password_hash:
        users.update("bench", password="bench")
    env = dict(os.environ, TUI_FACTU_DB=str(big))
    ours = _launch(LAUNCH.format(                # exactly the start of `tui-factu`, up to its first screen
        imports="from tui_factu import cli; cli.skip_postgres_driver([])",
        app="cli.prepare_tui(None, 'bench')", ready="type(app.screen).__name__ == 'LoginScreen'"), env)
    floor = _launch(LAUNCH.format(
        imports="from textual.app import App\nfrom textual.widgets import Static\n"
                "class Bare(App):\n    def compose(self):\n        yield Static('x')",
        app="Bare()", ready="app.screen.query('Static')"), env)
    bench.report("TUI : lancement → 1er écran (s)", ours, floor, "s", "<= 1.5 × Textual nu", ours <= 1.5 * floor)
    n = reports.document_count()
    database.db.close()
    out = subprocess.run([sys.executable, "-c", INSIDE], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    opened, key, key_floor, enter, rss = (float(x) for x in out[-5:])
    bench.report(f"TUI : liste des factures parmi {n:,} (ms)".replace(",", " "), opened, 0.0, "ms",
                 "< 100 ms", opened < 100)
    bench.report("TUI : touche, éditeur 200 lignes (ms, moins Textual nu)", key - key_floor, key_floor, "ms",
                 "< 30 ms", key - key_floor < 30)
    bench.report("TUI : Entrée ajoute une ligne, 200 lignes (ms, moins nu)", enter - key_floor, key_floor, "ms",
                 "< 30 ms", enter - key_floor < 30)
    bench.report("TUI : mémoire d'un processus, base 1M (Mo)", rss, 0.0, "Mo", "< 120 Mo", rss < 120)


INSIDE = """
import asyncio, os, time
from decimal import Decimal
from tui_factu import cli; cli.skip_postgres_driver([])
from tui_factu import db; db.connect()
from textual.app import App
from textual.widgets import Input
from screens.app import FactuApp
from screens.editor import EditorScreen
from screens.lists import DocumentList

async def press_ms(pilot, key, n=15):
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        await pilot.press(key)
        await pilot.pause(0)
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[n // 2]

class Bare(App):
    def compose(self):
        yield Input()

async def main():
    bare = Bare()
    async with bare.run_test(size=(80, 24)) as pilot:
        floor = await press_ms(pilot, "5")
    app = FactuApp("bench")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"bench", "enter")
        while type(app.screen).__name__ != "HomeScreen":
            await pilot.pause(0.01)
        await app.workers.wait_for_complete()     # the dashboard's figures, then the list alone
        samples = []                              # the median of five opens: one cold sample decides nothing
        for _ in range(5):
            t0 = time.perf_counter()
            app.push_screen(DocumentList("invoice"))
            await pilot.pause(0)
            while not app.screen.query("VirtualTable") or not app.screen.query_one("VirtualTable").rows:
                await pilot.pause(0.002)
            samples.append((time.perf_counter() - t0) * 1000)
            app.pop_screen()
            await pilot.pause(0.05)
            await app.workers.wait_for_complete()
        opened = sorted(samples)[2]
        editor = EditorScreen(None, "invoice", "L1")
        app.push_screen(editor)
        await pilot.pause(0.1)
        editor.lines = [{"kind": "service", "product": None, "code": f"X{i}", "description": f"Ligne {i}",
                         "quantity": Decimal(1), "unit": "C62", "unit_price": Decimal("9.90"),
                         "discount_percent": Decimal(0), "vat_rate": Decimal(20), "vat_category": "S"}
                        for i in range(200)]
        editor.refresh_view()
        await pilot.pause(0.1)
        editor.query_one("#qty").focus()
        key = await press_ms(pilot, "5")
        editor.query_one("#qty").value = "1"
        editor.query_one("#code").focus()
        times = []
        for _ in range(10):
            editor.query_one("#code").value = "NOPE-X"
            t0 = time.perf_counter()
            editor.add_product(type("P", (), {"kind": "service", "code": "X", "name": "Ajout",
                                              "unit": "C62", "price": Decimal(1), "vat_rate": Decimal(20),
                                              "vat_category": "S"})())
            await pilot.pause(0)
            times.append((time.perf_counter() - t0) * 1000 + floor)
        enter = sorted(times)[5]
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    print(opened, key, floor, enter, rss)

asyncio.run(main())
"""
