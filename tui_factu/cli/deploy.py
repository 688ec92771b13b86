"""`tui-factu deploy-ssh --group G`: a shared SQLite base made ready for the clerks of group G
over SSH (README, « Serving clerks over SSH »): the group's rights on the base, its folder and
its key folder, then what sshd must say for that group, checked and named in French.

Who: an administrator of the base (peer or --user, as every command), and the OS account that
owns the base or root — the kernel lets no one else change its modes; this says so first. It
never follows a symbolic link nor touches a file with another name: run as root in a folder the
clerks may write, a link planted there would otherwise hand them what it points to."""
import fnmatch
import glob
import grp
import os
import pwd
import re
import stat
from pathlib import Path

from ..errors import FactuError
from .output import print_json

SSHD_CONFIG = "/etc/ssh/sshd_config"
# Variables that steer the app: a client that could set one would choose the base, the key
# folder, who it is or what runs. The launcher drops what the client sends, but only sshd's
# AcceptEnv decides what arrives.
STEERING = ("TUI_FACTU_DB", "TUI_FACTU_KEYS", "TUI_FACTU_PASSWORD", "XDG_DATA_HOME", "XDG_STATE_HOME",
            "XDG_CONFIG_HOME", "LOGNAME", "USER", "HOME", "PATH", "LD_PRELOAD", "PYTHONPATH")
KEY_FILES = ("signing.key", "signing.pub")           # read by the clerks' processes: 0640
WRITTEN = ("anchor.log", "anchor.lock")              # appended by them after each seal: 0660


def cmd_deploy_ssh(args):
    from .. import db as database, permissions
    permissions.require("settings.change")
    if database.is_postgres():
        raise FactuError("deploy-ssh prépare une base SQLite partagée ; sur PostgreSQL, les droits se donnent "
                         "dans le serveur (GRANT) et sshd se règle comme dans le README", "base", None)
    base = Path(database.location()).absolute()
    gid = _group(args.group)
    _may_change(base)
    changes = share(base, gid)
    problems = sshd_problems(Path(args.sshd_config), args.group, base)
    if args.json:
        print_json({"group": args.group, "files": changes, "sshd_config": args.sshd_config, "problems": problems,
                    "ok": not problems})
    else:
        print(f"Droits du groupe « {args.group} » posés :")
        for c in changes:
            print(f"  {c['mode']}  {c['path']}" + (f"  (était {c['was']})" if c["was"] != c["mode"] else ""))
        if any(Path(c["path"]).name == "signing.key" for c in changes):
            print("  Attention : la clé privée est lisible par le groupe ; pour la tenir hors de portée des vendeurs, "
                  "le service de signature (README, « Keys, anchors and the signing service »).")
        print(f"sshd ({args.sshd_config}), pour le groupe « {args.group} » :")
        for p in problems:
            print(f"  À CORRIGER : {p}")
        if not problems:
            print("  conforme : ForceCommand, SetEnv TUI_FACTU_DB, PermitUserRC no, aucun AcceptEnv dangereux, "
                  "pas de redirection")
    if problems:
        raise FactuError(f"sshd n'est pas prêt pour le groupe « {args.group} » : {len(problems)} point(s) à "
                         "corriger (ci-dessus), puis relancez deploy-ssh", "sshd_config", args.sshd_config)


def _group(name: str) -> int:
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise FactuError(f"--group : groupe système « {name} » inconnu (créez-le : groupadd {name}, "
                         f"puis usermod -aG {name} COMPTE pour chaque vendeur)", "--group", name) from None


def _may_change(base: Path) -> None:
    try:
        owner = os.stat(base).st_uid
    except OSError as e:
        raise FactuError(f"base illisible « {base} » ({e.strerror})", "base", str(base)) from None
    if os.geteuid() not in (0, owner):
        raise FactuError(f"deploy-ssh : seul root ou le propriétaire de la base ({_account(owner)}) peut changer "
                         f"les droits de « {base} »", "compte", _account(os.geteuid()))


def _account(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def share(base: Path, gid: int) -> list[dict]:
    """The group's rights: its folder 2770 (SQLite creates -wal and -shm there; setgid keeps them
    in the group), the base 0660, its key folder 2770 (group execute: without it every clerk's
    login failed), the keys 0640, the anchor 0660 — or, once the signing service holds the key,
    the key folder 2750 (the clerks may not replace its socket). Others get nothing: the base
    holds the users' password hashes."""
    folder = base.parent
    if folder.stat().st_mode & stat.S_ISVTX or folder.resolve() in (Path("/"), Path.home().resolve()):
        raise FactuError(f"la base doit avoir son propre dossier (ex. /srv/tui-factu), pas « {folder} »",
                         "base", str(base))
    todo = [(folder, 0o2770, True), *[(Path(f"{base}{s}"), 0o660, False) for s in ("", "-wal", "-shm")]]
    keys = Path(f"{base}.d")
    if keys.exists():
        if (keys / "signing.key").exists():
            todo.append((keys, 0o2770, True))
            todo += [(keys / n, 0o640, False) for n in KEY_FILES] + [(keys / n, 0o660, False) for n in WRITTEN]
        else:                # the signing service holds the key and the anchor: the group only reads
            todo += [(keys, 0o2750, True), (keys / "signing.pub", 0o640, False)]
    return [c for path, mode, is_dir in todo if (c := _set(path, gid, mode, is_dir))]


def _set(path: Path, gid: int, mode: int, is_dir: bool) -> dict | None:
    """chgrp and chmod through a descriptor opened without following a link: a link or a
    hard-linked file is refused, never changed."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | (os.O_DIRECTORY if is_dir else 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise FactuError(f"« {path} » refusé : {'lien symbolique' if os.path.islink(path) else e.strerror}",
                         "fichier", str(path)) from None
    try:
        st = os.fstat(fd)
        if not is_dir and (not stat.S_ISREG(st.st_mode) or st.st_nlink != 1):
            raise FactuError(f"« {path} » refusé : pas un fichier ordinaire à un seul nom", "fichier", str(path))
        was = stat.S_IMODE(st.st_mode)
        new = (was & 0o700) | mode if is_dir else (was & 0o600) | mode
        os.fchown(fd, -1, gid)
        os.fchmod(fd, new)
    except PermissionError as e:
        raise FactuError(f"« {path} » : {e.strerror} (le compte doit être root, ou propriétaire et membre du "
                         "groupe)", "fichier", str(path)) from None
    finally:
        os.close(fd)
    return {"path": str(path), "mode": f"{new:04o}", "was": f"{was:04o}"}


# ---- sshd ----------------------------------------------------------------------------------

def _lines(path: Path, seen=None):
    """(keyword, arguments) of a config file, its Include files inlined (relative to /etc/ssh)."""
    seen = seen if seen is not None else set()
    if path in seen:
        return
    seen.add(path)
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, _, rest = re.match(r"(\S+?)(\s*=\s*|\s+|$)(.*)", line).groups()
        words = rest.split()
        if key.lower() == "include":
            for pattern in words:
                full = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                for name in sorted(glob.glob(full)):
                    yield from _lines(Path(name), seen)
            continue
        yield key.lower(), words


def _applies(criteria: list[str], group: str) -> bool:
    """A Match block applies to every member of the group: `all`, or nothing but Group
    criteria that name it (User, Address… depend on the clerk: not counted)."""
    if [c.lower() for c in criteria] == ["all"]:
        return True
    pairs = list(zip(criteria[::2], criteria[1::2]))
    if not pairs or len(criteria) % 2 or any(k.lower() != "group" for k, _ in pairs):
        return False
    for _, patterns in pairs:
        listed = patterns.split(",")
        if any(p.startswith("!") and fnmatch.fnmatch(group, p[1:]) for p in listed):
            return False
        if not any(not p.startswith("!") and fnmatch.fnmatch(group, p) for p in listed):
            return False
    return True


def sshd_settings(config: Path, group: str) -> dict[str, list[list[str]]]:
    """What applies to a member of the group, in sshd's order: a matching Match block's values
    override the global ones, the first value of each keyword wins; AcceptEnv and SetEnv add up."""
    outside: dict = {}
    inside: dict = {}
    current, active = outside, True
    for key, words in _lines(config):
        if key == "match":
            current, active = inside, _applies(words, group)
        elif active:
            current.setdefault(key, []).append(words)
    merged = {**outside, **inside}
    for key in ("acceptenv", "setenv"):
        merged[key] = outside.get(key, []) + inside.get(key, [])
    return merged


def _first(settings: dict, key: str, default: str = "") -> str:
    values = settings.get(key)
    return values[0][0].lower() if values and values[0] else default


def sshd_problems(config: Path, group: str, base: Path) -> list[str]:
    """What is wrong, in French, for the clerks of the group; empty when sshd is ready."""
    try:
        s = sshd_settings(config, group)
    except OSError as e:
        return [f"configuration de sshd illisible « {config} » ({e.strerror}) : --sshd-config CHEMIN"]
    problems = []
    force = s.get("forcecommand")
    if not force or not force[0]:
        problems.append(f"pas de ForceCommand pour le groupe « {group} » : « Match Group {group} » puis "
                        "« ForceCommand /opt/tui-factu/bin/tui-factu-ssh » (sinon un shell)")
    else:
        launcher = Path(force[0][0])
        if not (launcher.is_file() and os.access(launcher, os.X_OK)):
            problems.append(f"ForceCommand {launcher} : introuvable ou non exécutable (make install-system)")
        elif launcher.stat().st_mode & 0o022 or launcher.parent.stat().st_mode & 0o002:
            problems.append(f"ForceCommand {launcher} : modifiable par d'autres que son propriétaire")
    if _first(s, "permituserrc", "yes") != "no":
        problems.append(f"PermitUserRC no manque pour le groupe « {group} » : sshd exécuterait ~/.ssh/rc, "
                        "un shell hors de l'application")
    if _first(s, "permituserenvironment", "no") != "no":
        problems.append("PermitUserEnvironment doit rester à no (~/.ssh/environment choisirait la base)")
    for words in s["acceptenv"]:
        for pattern in words:
            caught = [n for n in STEERING if fnmatch.fnmatch(n, pattern)]
            if caught:
                problems.append(f"AcceptEnv {pattern} laisse le client choisir {', '.join(caught)} : retirez-le "
                                f"pour le groupe « {group} »")
    chosen = [w.split("=", 1)[1] for words in s["setenv"] for w in words if w.startswith("TUI_FACTU_DB=")]
    if not chosen:
        problems.append(f"SetEnv TUI_FACTU_DB={base} manque : chaque vendeur ouvrirait une base à lui")
    elif Path(chosen[0]).absolute() != base:
        problems.append(f"SetEnv TUI_FACTU_DB={chosen[0]} : ce n'est pas cette base ({base})")
    if _first(s, "disableforwarding") != "yes" and _first(s, "allowtcpforwarding", "yes") != "no":
        problems.append("AllowTcpForwarding no (ou DisableForwarding yes) manque : le vendeur ouvrirait des tunnels")
    if _first(s, "x11forwarding") == "yes" and _first(s, "disableforwarding") != "yes":
        problems.append("X11Forwarding no manque")
    if _first(s, "permittty", "yes") != "yes":
        problems.append("PermitTTY no : l'application a besoin d'un terminal")
    return problems


def register(sub) -> None:
    """Adds to the root's sub-commands: deploy-ssh."""
    s = sub.add_parser("deploy-ssh", help="prépare la base partagée pour les vendeurs en SSH : droits du groupe, "
                                          "vérification de sshd (administrateur ; root ou propriétaire de la base)")
    s.add_argument("--group", required=True, help="le groupe système des vendeurs (ex. factu)")
    s.add_argument("--sshd-config", default=SSHD_CONFIG, help=f"défaut : {SSHD_CONFIG}")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_deploy_ssh)
