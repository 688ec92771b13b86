"""The edges a clerk or a web page reaches: `serve` behind the app's login with its Origin
checked, the SSH launcher's environment, the terminal that is not one, escape codes typed
into fields and error messages, a crash that must not show what was typed."""
import asyncio
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tui_factu import documents, payments, users
from tui_factu.errors import InvalidValue

from .conftest import EXE, cli

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_lets_nothing_in_before_the_app_login_nor_from_another_origin(shared):
    import aiohttp
    port = _free_port()
    server = subprocess.Popen([EXE, "--db", str(shared), "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"

    async def go():
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:   # an IP host
            for _ in range(100):
                try:
                    async with web.get(base + "/", allow_redirects=False) as r:
                        status, where = r.status, r.headers.get("Location")
                    break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            assert (status, where) == (302, "/login")
            async with web.get(base + "/login", headers={"Host": f"evil.example:{port}"}) as r:
                assert r.status == 421                              # DNS rebinding: another name, refused
            async with web.get(base + "/ws") as r:
                assert r.status in (401, 403)                       # no session, no app
            async with web.post(base + "/login", data={"user": "demo", "password": "faux"},
                                headers={"Origin": base}) as r:
                page = await r.text()
                assert "incorrect" in page and "googleapis" not in page
            async with web.post(base + "/login", data={"user": "demo", "password": "demo"},
                                headers={"Origin": "http://evil.example"}, allow_redirects=False) as r:
                assert r.status == 403                              # a login posted from another site
            async with web.post(base + "/login", data={"user": "demo", "password": "demo"},
                                headers={"Origin": base}, allow_redirects=False) as r:
                assert r.status == 302 and "HttpOnly" in r.headers["Set-Cookie"] \
                    and "SameSite=Strict" in r.headers["Set-Cookie"]
            async with web.get(base + "/") as r:
                page = await r.text()
                assert r.status == 200 and "textual.js" in page and "googleapis" not in page
            with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                await web.ws_connect(base.replace("http", "ws") + "/ws", origin="http://evil.example")
            assert refused.value.status == 403                      # another web page cannot drive it
            ws = await web.ws_connect(base.replace("http", "ws") + "/ws?width=80&height=24", origin=base)
            seen = b""
            for _ in range(100):
                msg = await ws.receive(timeout=20)
                if msg.type == aiohttp.WSMsgType.BINARY:
                    seen += msg.data
                if b"Mot de passe" in seen or "Mot de passe".encode() in seen:
                    break
            await ws.close()
            assert b"Mot de passe" in seen                          # the app's own login comes first
    try:
        asyncio.run(go())
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_tui_without_a_terminal_says_so_without_a_traceback(shared):
    r = subprocess.run([EXE, "--db", str(shared)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 2 and "besoin d'un terminal" in r.stderr and "Traceback" not in r.stderr


def test_the_ssh_launcher_runs_its_own_program_with_a_clean_environment(tmp_path):
    """TUI_FACTU_BIN names another program, the client sends LC_ALL and LD_PRELOAD: ignored."""
    folder = tmp_path / "bin"
    folder.mkdir()
    launcher = folder / "tui-factu-ssh"
    shutil.copy(ROOT / "data" / "ssh" / "tui-factu-ssh", launcher)
    dump = tmp_path / "env.txt"
    (folder / "tui-factu").write_text(f"#!/bin/sh\nenv > {dump}\n")
    (folder / "tui-factu").chmod(0o755)
    evil = tmp_path / "evil"
    evil.write_text(f"#!/bin/sh\ntouch {tmp_path}/pwned\n")
    evil.chmod(0o755)
    master, slave = os.openpty()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "TUI_FACTU_BIN": str(evil), "LC_ALL": "xx_XX",
           "LD_PRELOAD": "/tmp/x.so", "TERM": "xterm;rm -rf /", "LANG": "fr_FR.UTF-8",
           "TUI_FACTU_DB": "/srv/tui-factu/factu.db", "SSH_ORIGINAL_COMMAND": "/bin/sh"}
    r = subprocess.run(["sh", str(launcher)], stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=env,
                       timeout=30)
    os.close(slave)
    os.close(master)
    assert r.returncode == 0, r.stderr
    seen = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    assert not (tmp_path / "pwned").exists()
    assert "LC_ALL" not in seen and "LD_PRELOAD" not in seen and "TUI_FACTU_BIN" not in seen
    assert seen["TERM"] == "xterm-256color" and seen["LANG"] == "fr_FR.UTF-8"
    assert seen["TUI_FACTU_DB"] == "/srv/tui-factu/factu.db"


def test_escape_codes_are_refused_at_input_and_escaped_in_messages(shop):
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    with pytest.raises(InvalidValue, match="caractère de contrôle"):
        payments.pay([inv.id], "5", "cash", reference="ticket\x1bp\x00\x19\xfa")       # the cash drawer pulse
    with pytest.raises(InvalidValue, match="invisible"):
        payments.pay([inv.id], "5", "cash", reference="abc\u202edcba")                  # a bidi override


def test_an_error_message_never_carries_a_raw_escape_to_the_terminal(shared):
    r = cli(shared, "doc", "show", "\x1b[2J\x1b]0;pwned\x07", expect=2)
    assert "\x1b" not in r.stderr and "\\x1b" in r.stderr


def test_a_crash_at_login_shows_no_password_and_logs_none(shop, monkeypatch, tmp_path):
    from screens.app import FactuApp
    from tui_factu import logs, session
    users.create("clerc", "sales", "clerc123")
    session.set_user("")

    def broken(name, password, act=True):
        raise RuntimeError("base injoignable")
    monkeypatch.setattr(users, "authenticate", broken)
    app = FactuApp("clerc")

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*"clerc123", "enter")
            for _ in range(50):
                await pilot.pause(0.02)
                if not app.is_running:
                    break
    with pytest.raises(Exception):
        asyncio.run(go())
    log = logs.path().read_text()
    assert "base injoignable" in log and "clerc123" not in log


def test_the_log_says_who_did_what_and_never_a_password(shared, tmp_path):
    """One rotated log per OS account: the commands, the logins, the refusals — and no secret,
    whatever carried it (a password, a bearer token, a PEM key in an error message)."""
    import os
    from tui_factu import logs
    cli(shared, "user", "add", "clerc", "--role", "sales", env={"TUI_FACTU_NEW_PASSWORD": "Sesame-42!"}, expect=0)
    cli(shared, "--user", "clerc", "doc", "list", env={"TUI_FACTU_PASSWORD": "Sesame-42!"}, expect=0)
    cli(shared, "--user", "clerc", "doc", "list", env={"TUI_FACTU_PASSWORD": "wrong-Sesame"}, expect=2)
    text = logs.path().read_text()
    assert "connexion de « clerc »" in text and "connexion refusée pour « clerc »" in text
    assert "clerc : doc list" in text
    assert "Sesame-42!" not in text and "wrong-Sesame" not in text
    assert oct(logs.path().stat().st_mode & 0o777) == "0o600"
    assert logs.mask("password=hunter2 token: abc.def Authorization: Bearer eyJhbGciOi.x") \
        == "password=*** token: *** Authorization: Bearer ***"
    assert logs.mask("clé : -----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----") \
        == "clé : [clé privée masquée]"
    assert os.path.basename(str(logs.path())) == "tui-factu.log"
