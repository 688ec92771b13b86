"""The installed `tui-factu` run in a real terminal (tmux), locally and through a real sshd
whose ForceCommand is the project's launcher, as a clerk would use it."""
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from support import need, tmux_keys, tmux_wait

ROOT = Path(__file__).resolve().parents[2]
EXE = Path(sys.executable).parent / "tui-factu"


def _cli(db, *args):
    return subprocess.run([str(EXE), "--db", str(db), *args], capture_output=True, text=True, check=True)


@pytest.fixture
def base(tmp_path, monkeypatch):
    need(shutil.which("tmux") is not None, "tmux n'est pas installé")
    db = tmp_path / "terminal.db"
    _cli(db, "init", "--demo")              # user demo / demo, linked to this OS account
    return db


def _quote_by_keyboard(session):
    screen = tmux_wait(session, "Mot de passe")
    assert "demo" in screen                 # the app user linked to this OS account is suggested
    tmux_keys(session, "demo", "Enter")
    tmux_wait(session, "Ventes du jour")
    tmux_keys(session, "d")
    tmux_wait(session, "Devis —")
    tmux_keys(session, "n")
    tmux_wait(session, "Code ou début du nom")
    tmux_keys(session, "C001")
    tmux_wait(session, "Bâtiments Durand")          # the picker found it
    tmux_keys(session, "Enter")
    tmux_wait(session, "F4 C001 Bâtiments Durand")  # back in the editor, customer chosen
    tmux_keys(session, "MO-ELEC", "Enter", "F2")
    tmux_wait(session, "enregistré")


def _drafts(db):
    import json
    out = _cli(db, "doc", "list", "--kind", "quote", "--status", "draft", "--json").stdout
    return json.loads(out)


def test_installed_app_in_tmux_creates_and_saves_a_quote(base):
    session = f"tf-{uuid.uuid4().hex[:6]}"
    before = len(_drafts(base))
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                    f"{EXE} --db {base}"], check=True)
    try:
        _quote_by_keyboard(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    drafts = _drafts(base)
    assert len(drafts) == before + 1
    assert drafts[-1]["customer"] == "C001" and drafts[-1]["grand_total"] == "62.40"   # 52 HT + 20 %


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_over_ssh_with_the_launcher_as_force_command(base, tmp_path):
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    need(Path(sshd).exists(), "sshd n'est pas installé (paquet openssh-server)")
    need(shutil.which("ssh") is not None, "ssh n'est pas installé (paquet openssh-client)")
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    keys = tmp_path / "ssh"
    keys.mkdir(mode=0o700)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "host")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "client")], check=True)
    (keys / "authorized_keys").write_text((keys / "client.pub").read_text())
    port = _free_port()
    launcher = ROOT / "data" / "ssh" / "tui-factu-ssh"
    config = keys / "sshd_config"
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {keys / 'host'}
PidFile {keys / 'sshd.pid'}
AuthorizedKeysFile {keys / 'authorized_keys'}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
ForceCommand {launcher}
SetEnv TUI_FACTU_DB={base} TUI_FACTU_BIN={EXE} XDG_DATA_HOME={os.environ['XDG_DATA_HOME']}
""")
    server = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True)
    session = f"tfssh-{uuid.uuid4().hex[:6]}"
    before = len(_drafts(base))
    try:
        for _ in range(50):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
        ssh = (f"ssh -tt -i {keys / 'client'} -p {port} -o StrictHostKeyChecking=no "
               f"-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR {user}@127.0.0.1")
        subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", ssh], check=True)
        _quote_by_keyboard(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        server.terminate()
        server.wait(timeout=10)
    assert len(_drafts(base)) == before + 1


def test_serve_answers_on_loopback_only_with_its_login_first(base):
    import urllib.request
    port = _free_port()
    server = subprocess.Popen([str(EXE), "--db", str(base), "serve", "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        page = ""
        for _ in range(60):
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read().decode()
                break
            except OSError:
                time.sleep(0.2)
        assert "Mot de passe" in page and "textual.js" not in page      # the app's login before the app
        with socket.socket() as s:            # not reachable on another address of this host
            assert s.connect_ex((socket.gethostbyname(socket.gethostname()), port)) != 0 or \
                socket.gethostbyname(socket.gethostname()).startswith("127.")
    finally:
        server.terminate()
        server.wait(timeout=10)
