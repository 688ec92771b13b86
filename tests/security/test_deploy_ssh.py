"""`tui-factu deploy-ssh` (#16, point 1) as the clerk who wants more would try it: run it himself,
plant a link where root will change modes, or leave sshd open to ~/.ssh/rc or to an AcceptEnv
that chooses the base. The README's set-up itself runs end to end in tests/e2e/test_terminal.py."""
import os
from pathlib import Path

import pytest

from tui_factu.cli import deploy
from tui_factu.errors import FactuError

from support import need

from .conftest import CLERK_UID, CLERKS_GID, EXE, as_os_user, can_switch_users, cli

PASSWORD = "Vendeur-2026"


def test_only_an_administrator_who_owns_the_base_or_is_root_may_run_it(shared):
    cli(shared, "user", "add", "vendeur", "--role", "sales", env={"TUI_FACTU_NEW_PASSWORD": PASSWORD}, expect=0)
    sales = cli(shared, "--user", "vendeur", "deploy-ssh", "--group", "root",
                env={"TUI_FACTU_PASSWORD": PASSWORD}, expect=2)
    assert "droits insuffisants" in sales.stderr
    # the administrator's password, typed from a clerk's OS account (the key folder laid out as
    # deploy-ssh leaves it, so that his login works): the kernel would refuse the chmod; the
    # command says so before touching anything
    need(can_switch_users(), "changer de compte système demande root et setpriv (CI tourne en root)")
    keys = Path(f"{shared}.d")
    for path, mode in ((keys, 0o2770), *((p, 0o660 if p.name.startswith("anchor") else 0o640) for p in keys.iterdir())):
        os.chown(path, -1, CLERKS_GID)
        os.chmod(path, mode)
    other = as_os_user(CLERK_UID, [EXE, "--user", "demo", "deploy-ssh", "--group", "root"],
                       env=dict(os.environ, TUI_FACTU_DB=str(shared), TUI_FACTU_PASSWORD="demo", HOME="/tmp"))
    assert other.returncode == 2 and "seul root ou le propriétaire de la base" in other.stderr, other.stderr
    assert "Traceback" not in other.stderr


def test_a_link_planted_beside_the_base_is_refused_not_followed(tmp_path):
    folder = tmp_path / "srv"
    folder.mkdir()
    base = folder / "factu.db"
    base.write_bytes(b"")
    victim = tmp_path / "shadow"
    victim.write_text("root:secret\n")
    victim.chmod(0o600)
    (folder / "factu.db-wal").symlink_to(victim)          # a clerk may write in the base's folder
    with pytest.raises(FactuError, match="lien symbolique"):
        deploy.share(base, os.getgid())
    assert victim.stat().st_mode & 0o777 == 0o600


def test_the_rights_the_clerks_need_and_no_more(tmp_path):
    folder = tmp_path / "srv"
    (folder / "factu.db.d").mkdir(parents=True, mode=0o700)
    base = folder / "factu.db"
    base.write_bytes(b"")
    for name in ("signing.key", "signing.pub", "anchor.log"):
        (folder / "factu.db.d" / name).write_text("x")
    modes = {Path(c["path"]).name: c["mode"] for c in deploy.share(base, os.getgid())}
    assert modes == {"srv": "2770", "factu.db": "0660", "factu.db.d": "2770", "signing.key": "0640",
                     "signing.pub": "0640", "anchor.log": "0660"}
    (folder / "factu.db.d" / "signing.key").unlink()        # the signing service holds it now
    modes = {Path(c["path"]).name: c["mode"] for c in deploy.share(base, os.getgid())}
    assert modes["factu.db.d"] == "2750" and "anchor.log" not in modes


def test_sshd_config_problems_are_named_in_french(tmp_path):
    launcher = tmp_path / "bin" / "tui-factu-ssh"
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    base = tmp_path / "srv" / "factu.db"
    extra = tmp_path / "clerks.conf"
    extra.write_text(f"Match Group factu,!admins\n    ForceCommand {launcher}\n")
    config = tmp_path / "sshd_config"
    config.write_text(f"AcceptEnv LANG LC_* TUI_FACTU_*\nInclude {extra}\n")
    problems = " | ".join(deploy.sshd_problems(config, "factu", base))
    assert "PermitUserRC no manque" in problems
    assert "AcceptEnv TUI_FACTU_* laisse le client choisir TUI_FACTU_DB" in problems
    assert "SetEnv TUI_FACTU_DB" in problems and "AllowTcpForwarding no" in problems
    assert "pas de ForceCommand" not in problems                    # found through the Include
    assert "LANG" not in problems                                    # Debian's default is harmless
    config.write_text(f"AcceptEnv LANG LC_*\nPermitUserRC yes\nMatch Group factu\n    ForceCommand {launcher}\n"
                      f"    SetEnv TUI_FACTU_DB={base}\n    PermitUserRC=no\n    DisableForwarding yes\n"
                      "Match User other\n    PermitUserRC yes\n")
    assert deploy.sshd_problems(config, "factu", base) == []
    assert "pas de ForceCommand" in " ".join(deploy.sshd_problems(config, "autres", base))
    launcher.chmod(0o777)
    assert "modifiable par d'autres" in " ".join(deploy.sshd_problems(config, "factu", base))
