"""The installed `tui-factu` run in a real terminal (tmux), locally and through a real sshd
whose ForceCommand is the project's launcher, as a clerk would use it."""
import fcntl
import os
import pwd
import re
import shutil
import socket
import subprocess
import sys
import tempfile
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
    tmux_wait(session, "Code ou partie du nom")
    tmux_keys(session, "C001")
    tmux_wait(session, "Bâtiments Durand")          # the picker found it
    tmux_keys(session, "Enter")
    tmux_wait(session, "F4 C001 Bâtiments Durand")  # back in the editor, customer chosen
    tmux_keys(session, "MO-ELEC", "Enter", "F2")
    tmux_wait(session, "enregistré")


def _typed_ahead(session):
    """Keys sent in one write, no delay, as a lagging SSH link or a scanner delivers them:
    Enter opens the line form, the 6 is its quantity, Ctrl+S closes it and the next one
    saves; then a whole counter sale, an unknown code in the middle of the scans."""
    subprocess.run(["tmux", "send-keys", "-t", session, "BTab", "Enter", "6", "C-s", "C-s"], check=True)
    tmux_wait(session, "312,00")
    subprocess.run(["tmux", "send-keys", "-t", session, "Escape", "F12", "2*ELE0036", "Enter", "XYZ", "Enter",
                    "ELE0037", "Enter", "Enter", "400", "Enter", "Enter"], check=True)
    tmux_wait(session, "MONNAIE À RENDRE : 39,57 €")        # 2 × 103,14 + 94,08 HT + 20 % = 360,43


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
        _typed_ahead(session)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    drafts = _drafts(base)
    assert len(drafts) == before + 1
    assert drafts[-1]["customer"] == "C001" and drafts[-1]["grand_total"] == "374.40"  # 6 × 52 HT + 20 %
    import json
    receipts = json.loads(_cli(base, "doc", "list", "--kind", "receipt", "--json").stdout)
    assert (receipts[-1]["status"], receipts[-1]["grand_total"]) == ("paid", "360.43")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The README's installation, kept between runs (each run is then an upgrade, as a shop's would be):
# a fresh one takes a minute or more of pip.
INSTALLED = Path("/var/tmp/tui-factu-e2e")
PASSWORD = "Comptoir-2026"


def _readme_blocks() -> list[str]:
    """The three code blocks of the README's « Serving clerks over SSH », as written."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Serving clerks over SSH"):]
    section = section[:section.index("\n## ")]
    blocks = re.findall(r"```(?:sh)?\n(.*?)```", section, re.S)
    assert len(blocks) == 3, "README : trois blocs attendus (installation, sshd_config, deploy-ssh)"
    return blocks


def test_a_clerk_set_up_by_the_readme_reaches_home_over_ssh_and_nothing_else(tmp_path):
    """The README's SSH set-up run as written (its paths, group and account renamed for the
    test), as root; then a second OS account, the clerk, logs in through a real sshd: the login
    screen suggests him, the home screen opens, and neither ~/.ssh/rc nor a command of his own
    runs."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    need(Path(sshd).exists(), "sshd n'est pas installé (paquet openssh-server)")
    need(shutil.which("ssh") is not None, "ssh n'est pas installé (paquet openssh-client)")
    need(os.geteuid() == 0 and shutil.which("useradd") is not None,
         "root requis : le test crée le compte système du vendeur (useradd), comme le README")
    need(Path("/usr/bin/python3").exists(), "pas de /usr/bin/python3 pour make install-system")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    tag = uuid.uuid4().hex[:6]
    group, clerk = f"tfg{tag}", f"tfc{tag}"
    place = Path(tempfile.mkdtemp(prefix="tf-ssh-", dir="/tmp"))          # reachable by the clerk
    place.chmod(0o755)
    keys = tmp_path / "ssh"
    keys.mkdir(mode=0o700)
    config = keys / "sshd_config"

    def as_written(block: str) -> str:
        block = (block.replace("/opt/tui-factu", str(INSTALLED / "opt")).replace("/srv/tui-factu", str(place / "srv"))
                 .replace("/etc/ssh/sshd_config", str(config)))
        return re.sub(r"\bclerc\b", clerk, re.sub(r"(?<![\w./-])factu(?![\w.-])", group, block))
    setup, snippet, deploy = (as_written(b) for b in _readme_blocks())
    port = _free_port()
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / name)], check=True)
    config.write_text(f"""Port {port}
ListenAddress 127.0.0.1
HostKey {keys / 'host'}
PidFile {keys / 'sshd.pid'}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AcceptEnv LANG LC_*
{snippet}""")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_FACTU_DB")}
    env["TUI_FACTU_NEW_PASSWORD"] = PASSWORD
    server = session = None
    INSTALLED.mkdir(mode=0o755, exist_ok=True)
    try:
        with open(INSTALLED / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)                # one run at a time on a shared machine
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", setup + deploy], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=900)     # one root shell, as read
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            assert "conforme" in done.stdout and "À CORRIGER" not in done.stdout, done.stdout
            home = Path(pwd.getpwnam(clerk).pw_dir)
            subprocess.run(["usermod", "-p", "*", clerk], check=True)     # no password, not locked (UsePAM no)
            dot_ssh = home / ".ssh"
            dot_ssh.mkdir(mode=0o700, exist_ok=True)
            (dot_ssh / "authorized_keys").write_text((keys / "client.pub").read_text())
            (dot_ssh / "rc").write_text("touch $HOME/rc-ran\n")         # the escape of issue #11
            subprocess.run(["chown", "-R", f"{clerk}:{clerk}", str(dot_ssh)], check=True)
            server = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True)
            for _ in range(50):
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            ssh = ["ssh", "-i", str(keys / "client"), "-p", str(port), "-o", "StrictHostKeyChecking=no",
                   "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", f"{clerk}@127.0.0.1"]
            own = subprocess.run([*ssh, "-T", "touch ~/own-command"], capture_output=True, text=True, timeout=60)
            assert own.returncode == 2 and "un terminal est nécessaire" in own.stderr, own
            session = f"tfssh-{tag}"
            subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
                            " ".join([*ssh[:1], "-tt", *ssh[1:]])], check=True)
            screen = tmux_wait(session, "Mot de passe", timeout=60)
            assert clerk in screen                          # the app user linked to his OS account
            tmux_keys(session, PASSWORD, "Enter")
            tmux_wait(session, "Ventes du jour", timeout=60)    # home: the base, its folder and keys reachable
            assert not (home / "rc-ran").exists() and not (home / "own-command").exists()
    finally:
        if session:
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        if server:
            server.terminate()
            server.wait(timeout=10)
        subprocess.run(["userdel", "-f", "-r", clerk], capture_output=True)
        subprocess.run(["groupdel", group], capture_output=True)
        shutil.rmtree(place, ignore_errors=True)


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
