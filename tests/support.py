"""Helpers shared by the tests."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXE = shutil.which("tui-factu", path=str(Path(sys.executable).parent)) or shutil.which("tui-factu")


def run_cli(db, *args, expect=0, stdin=None, env=None, drop=()):
    """`tui-factu ARGS` on the base `db` as a script would run it: never a traceback, the exit
    code expected (None: any). `env` adds variables, `drop` removes some."""
    e = dict(os.environ, TUI_FACTU_DB=str(db))
    for name in drop:
        e.pop(name, None)
    e.update(env or {})
    r = subprocess.run([EXE, *args], capture_output=True, text=True, env=e, input=stdin,
                       stdin=None if stdin is not None else subprocess.DEVNULL, timeout=120)
    assert "Traceback" not in r.stdout + r.stderr
    if expect is not None:
        assert r.returncode == expect, (r.returncode, r.stdout, r.stderr)
    return r


def copy_base(template, target) -> Path:
    """A copy of a SQLite base and its state folder (key, anchor)."""
    target = Path(target)
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template}{suffix}").exists():
            shutil.copy2(f"{template}{suffix}", f"{target}{suffix}")
    shutil.copytree(f"{template}.d", f"{target}.d", symlinks=True)
    return target


def need(condition: bool, reason: str) -> None:
    """Skip with the reason, or fail when CI forbids skipping."""
    if condition:
        return
    if os.environ.get("TUI_FACTU_NO_SKIP"):
        pytest.fail(f"requis en CI : {reason}")
    pytest.skip(reason)


def raw_base(db):
    """The SQLite file opened behind the app's back, its triggers dropped (the attacker's way)."""
    import sqlite3
    from tui_factu import db as database
    database.db.close()
    con = sqlite3.connect(db)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    return con


def erase_last_invoice(db, last):
    """Deletes a validated invoice, its journal record, and rolls its series back by one: the
    place of its number is free again, as if it had never been."""
    from tui_factu import db as database
    con = raw_base(db)
    for table in ("document_vat", "document_line", "stock_move"):
        con.execute(f"DELETE FROM {table} WHERE document_id = ?", (last.id,))
    con.execute("DELETE FROM audit_entry WHERE entity = 'document' AND entity_id = ?", (last.id,))
    con.execute("DELETE FROM document WHERE id = ?", (last.id,))
    con.execute("DELETE FROM journal_record WHERE ref = ?", (last.number,))
    con.execute("UPDATE sequence SET next_value = next_value - 1 WHERE series = 'invoice'")
    con.commit()
    con.close()
    database.connect(db)
    database.install_triggers()            # the guards back in place: it looks clean


def make_shop():
    from tui_factu import catalog
    catalog.update_company({"name": "Atelier Test", "legal_form": "SARL", "capital": "10000",
                            "siren": "732829320", "vat_number": "FR44732829320",
                            "line1": "1 rue du Test", "postcode": "75001", "city": "Paris",
                            "iban": "FR7630006000011234567890189", "bic": "AGRIFRPP"})
    catalog.save_customer({"code": "C1", "name": "Client Un SARL", "kind": "company",
                           "siren": "552100554", "vat_number": "FR96552100554",
                           "address": {"line1": "2 rue A", "postcode": "69001", "city": "Lyon"}})
    catalog.save_customer({"code": "P1", "name": "Jeanne Particulier", "kind": "person",
                           "address": {"line1": "3 rue B", "postcode": "33000", "city": "Bordeaux"}})
    catalog.save_product({"code": "VIS", "name": "Vis 4×40 (boîte)", "price": "12.50", "cost": "7.00",
                          "vat_rate": "20", "stock_managed": True, "stock": "100",
                          "barcode": "3760123456784"})
    catalog.save_product({"code": "LIVRE", "name": "Livre", "price": "19.90", "cost": "12.00",
                          "vat_rate": "5.5", "stock_managed": True, "stock": "10"})
    catalog.save_product({"code": "MO", "name": "Main d'œuvre", "kind": "labour", "unit": "HUR",
                          "price": "45.00", "cost": "30.00", "vat_rate": "10"})
    catalog.save_product({"code": "DEPL", "name": "Déplacement", "kind": "service",
                          "price": "35.00", "vat_rate": "20"})
    return {"customer": "C1", "person": "P1"}


def escpos_paper(data: bytes, codepage: str = "cp1252") -> list[tuple[str, int]]:
    """The printed lines of an ESC/POS job as (text, width multiplier), commands removed.
    Knows the commands our slips use; an unknown one fails the test."""
    lines, current, wide, i = [], bytearray(), 1, 0
    fixed = {b"\x1b@": 0, b"\x1bt": 1, b"\x1b!": 1, b"\x1bE": 1, b"\x1ba": 1, b"\x1bd": 1,
             b"\x1b-": 1, b"\x1bM": 1, b"\x1dh": 1, b"\x1dw": 1, b"\x1dH": 1, b"\x1df": 1,
             b"\x1d!": 1, b"\x1bG": 1, b"\x1b2": 0, b"\x1b3": 1, b"\x1bJ": 1}
    while i < len(data):
        b = data[i]
        two = data[i:i + 2]
        if b == 0x0A:
            lines.append((current.decode(codepage, errors="replace"), wide))
            current = bytearray()
            i += 1
        elif two in fixed:
            if two == b"\x1b!":
                wide = 2 if data[i + 2] & 0x20 else 1
            if two == b"\x1d!":
                wide = (data[i + 2] >> 4) + 1
            i += 2 + fixed[two]
        elif two == b"\x1dV":
            i += 3 if data[i + 2] in (0, 1, 48, 49) else 4
        elif two == b"\x1dk":
            m = data[i + 2]
            if m >= 65:
                n = data[i + 3]
                i += 4 + n
            else:
                i = data.index(b"\x00", i + 3) + 1
        elif two == b"\x1d(":
            n = data[i + 3] + 256 * data[i + 4]
            i += 5 + n
        elif b < 0x20:
            raise AssertionError(f"unknown ESC/POS command {data[i:i + 3]!r} at {i}")
        else:
            current.append(b)
            i += 1
    if current:
        lines.append((current.decode(codepage, errors="replace"), wide))
    return lines


def tmux_wait(session: str, text: str, timeout: float = 20.0) -> str:
    """Polls the tmux pane until `text` shows; returns the screen (fails with it otherwise)."""
    import subprocess
    import time
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                text=True).stdout
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"« {text} » jamais affiché ; écran :\n{screen}")


def tmux_keys(session: str, *keys: str) -> None:
    import subprocess
    import time
    for k in keys:
        subprocess.run(["tmux", "send-keys", "-t", session, k], check=True)
        time.sleep(0.15)
