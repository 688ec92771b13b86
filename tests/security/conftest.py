"""The attacker's tools: another OS account (setpriv, as root in CI), a shared base laid out as
the README's SSH deployment lays it out, and the installed command."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import copy_base, need

EXE = str(Path(sys.executable).parent / "tui-factu")
CLERKS_GID = 4200               # the `factu` group of the README
CLERK_UID = 4242                # a clerk's OS account (the warehouse one)


def can_switch_users() -> bool:
    return os.geteuid() == 0 and shutil.which("setpriv") is not None


def as_os_user(uid: int, args, env=None, gid: int = CLERKS_GID, **kw) -> subprocess.CompletedProcess:
    """Runs a command as another OS account (uid, in the clerks' group), like a clerk would."""
    need(can_switch_users(), "changer de compte système demande root et setpriv (CI tourne en root)")
    return subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", *args],
                          capture_output=True, text=True, env=env, timeout=120, **kw)


def cli(db, *args, env=None, expect=None, stdin=None) -> subprocess.CompletedProcess:
    e = dict(os.environ, TUI_FACTU_DB=str(db), **(env or {}))
    r = subprocess.run([EXE, *args], capture_output=True, text=True, env=e, input=stdin, timeout=300)
    assert "Traceback" not in r.stdout + r.stderr, r.stderr
    if expect is not None:
        assert r.returncode == expect, (r.returncode, r.stdout, r.stderr)
    return r


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    """`init --demo` once per worker (a few seconds each time): each test gets a copy."""
    db = tmp_path_factory.mktemp("demo-template") / "factu.db"
    cli(db, "init", "--demo", expect=0)
    return db


@pytest.fixture
def shared(demo_template):
    """A demo base in a folder shared with the clerks' group, as the README sets it up (the
    base and its WAL writable by the group; the key folder not). It lives outside pytest's
    private temporary folder, which other accounts cannot cross."""
    import tempfile
    top = Path(tempfile.mkdtemp(prefix="tf-shared-"))
    os.chmod(top, 0o755)
    folder = top / "srv"
    folder.mkdir()
    db = copy_base(demo_template, folder / "factu.db")
    if can_switch_users():
        os.chown(folder, 0, CLERKS_GID)
        os.chmod(folder, 0o2775)
        for p in folder.iterdir():
            if p.is_file():
                os.chown(p, 0, CLERKS_GID)
                os.chmod(p, 0o660)
    yield db
    shutil.rmtree(top, ignore_errors=True)


def readable(path: Path) -> Path:
    """A copy of a file that another account can read (in the shared folder's parent)."""
    copy = path.parent / ("pub-" + path.name)
    shutil.copy(path, copy)
    os.chmod(copy, 0o644)
    return copy
