"""Backups while terminals keep working, and restores that refuse what they cannot trust.

A backup is one ZIP (mode 0600: it may hold the signing key): a consistent copy of the base
(SQLite's online backup API, or pg_dump), the key files and the tail anchor beside it, and a
manifest naming the company's public key. The anchor is copied before the base, so it never
claims more records than the copy holds.

A restore replaces a base only for its administrator (`backup` permission on the base being
replaced), only with a backup signed by the key pinned in that base (another key needs
`--accept-new-key`, and says so), only after every seal of the copy verified in a staging
folder, and then at once: the staged base and keys are swapped in by renames, keeping the
replaced files' modes. Key copies never leave the data folders (staging 0700, files 0600);
what a killed run left there is removed by the next one. Archive members are bounded.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import zipfile
from pathlib import Path

from . import clock, db as database, files, journal, permissions, session, signer, verify
from .errors import FactuError, IntegrityFailure

FORMAT = "tui-factu-backup/2"
MANIFEST, SIGNATURE = "backup.json", "backup.sig"
STATE_FILES = (signer.KEY, signer.PUB, signer.ANCHOR)
MAX_KEY_FILE = 1 << 20              # a key or an anchor: small files
MAX_BASE = 64 << 30                 # a base in a backup: 64 Gio at most


# ---- staging folders ----------------------------------------------------------------------

def _staging(parent: Path, tag: str) -> Path:
    """A private folder for key copies inside a data folder; stale ones of killed runs go."""
    parent.mkdir(parents=True, exist_ok=True)
    for old in parent.glob(f".tui-factu-{tag}-*"):
        pid = old.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    path = parent / f".tui-factu-{tag}-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(mode=0o700)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---- backup -------------------------------------------------------------------------------

def backup(path: str) -> dict:
    permissions.require("backup")
    state = database.state_dir()
    real = files.check_output(path, "sauvegarde", "-o")
    tmp = _staging(Path(real).parent, "backup")
    try:
        copies = {}
        for name in STATE_FILES:                        # the anchor first: never ahead of the copy
            if os.access(state / name, os.R_OK):        # the service keeps its key to itself
                shutil.copy2(state / name, tmp / name)
                copies[f"keys/{name}"] = tmp / name
        if database.is_postgres():
            base, engine = tmp / "base.dump", "postgresql"
            schema = _schema(database.location())
            r = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={base}",
                                *([f"--schema={schema}"] if schema else []), f"--dbname={database.location()}"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise FactuError(f"sauvegarde : pg_dump a échoué ({r.stderr.strip()[:200]})", "pg_dump", None)
        else:
            base, engine = tmp / "base.db", "sqlite"
            src = sqlite3.connect(database.location(), timeout=60)
            fd = os.open(base, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)
            dst = sqlite3.connect(base)
            try:
                src.backup(dst)                         # one consistent snapshot, writers keep going
            finally:
                dst.close()
                src.close()
        members = {base.name: base, **copies}
        manifest = {"format": FORMAT, "engine": engine, "created_at": clock.now().isoformat(), "source": database.location(),
                    "schema": database.schema_version(), "key_id": journal.signing_key_id(),
                    "public_key": journal.public_key_pem().decode(),
                    "files": [{"name": n, "sha256": _sha256(p), "size": p.stat().st_size}
                              for n, p in sorted(members.items())]}
        data = journal.canonical(manifest).encode()
        with files.writing(path, "sauvegarde", "-o") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(MANIFEST, data)
            z.writestr(SIGNATURE, journal.sign_manifest(data))
            for name, p in members.items():
                z.write(p, name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    journal.event("backup", {"file": os.path.basename(path), "engine": engine})
    return {"path": path, "engine": engine, "size": os.path.getsize(path)}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _schema(url: str) -> str | None:
    """The schema a PostgreSQL base lives in when its URL sets one (options=-csearch_path=X):
    then only that schema is dumped, so a restore never touches its neighbours."""
    import re
    import urllib.parse
    options = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query)).get("options", "")
    m = re.search(r"-c\s*search_path=([A-Za-z_][A-Za-z0-9_]*)", options)
    return m.group(1) if m else None


# ---- restore ------------------------------------------------------------------------------

def is_base(target: str) -> bool:
    """Whether a base (that someone may be using) stands at target."""
    if target.startswith(("postgresql://", "postgres://")):
        return True
    try:
        with open(target, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def restore(path: str, target: str, force: bool = False, accept_new_key: bool = False) -> dict:
    """Restores a backup onto `target`. A base standing there is replaced only with force, by
    an administrator of that base logged in to it (the caller connected to it first), with a
    backup whose manifest the base's company key signed, unless accept_new_key. Nothing of the
    backup is used (not even handed to pg_restore) before its manifest's signature and every
    member's hash check, and nothing replaces the base before its journal verifies."""
    replacing = is_base(target)
    pinned = None
    if replacing:
        if database.db.obj is None or database.location() != (target if target.startswith("postgres")
                                                                else os.path.abspath(target)):
            raise FactuError("restaurer remplace une base : connectez-vous d'abord à elle (--db, en administrateur)",
                             "--db", target)
        permissions.require("backup")
        found = journal.public_key()
        pinned = found[0] if found else None
    z = files.open_zip(path, "sauvegarde", "sauvegarde")
    with z:
        manifest, public = _manifest(z, path)
        key_id = manifest["key_id"]
        if manifest["engine"] not in ("sqlite", "postgresql"):
            raise FactuError(f"sauvegarde : moteur inconnu « {manifest['engine']} »", "sauvegarde", path)
        if (replacing or os.path.exists(target)) and not force:
            raise FactuError(f"« {target} » existe : --force pour le remplacer par la sauvegarde du "
                             f"{manifest['created_at'][:10]}", "--force", target)
        pg_target = target.startswith(("postgresql://", "postgres://"))
        if manifest["engine"] == "sqlite" and pg_target:
            raise FactuError("une sauvegarde SQLite se restaure dans un fichier SQLite", "--db", target)
        if manifest["engine"] == "postgresql" and not pg_target:
            raise FactuError("une sauvegarde PostgreSQL se restaure dans une base PostgreSQL (--db postgresql://…)",
                             "--db", target)
        if replacing and pinned and key_id != pinned and not accept_new_key:
            raise IntegrityFailure(f"restauration refusée : la sauvegarde est signée par la clé {key_id}, la base par "
                                   f"la clé {pinned} — une sauvegarde d'une autre société, ou refaite. "
                                   "--accept-new-key (administrateur) pour l'accepter quand même", "clé", key_id)
        parent = Path(database.default_location()).parent if pg_target else Path(os.path.abspath(target)).parent
        stage = _staging(parent, "restore")
        try:
            base = _extract(z, manifest, stage)
            own = signer.public_key(stage / "keys")
            if own is not None and own[0] != key_id:
                raise IntegrityFailure(f"restauration refusée : la clé de la sauvegarde ({own[0]}) n'est pas celle de "
                                       f"son manifeste ({key_id})", "clé", own[0])
            (stage / "keys" / signer.PUB).write_bytes(manifest["public_key"].encode())
            if manifest["engine"] == "postgresql":
                records = _restore_postgres(stage, base, target, public)
            else:
                records = _verify_copy(str(base), stage / "keys", public)
                _swap_sqlite(stage, base, Path(os.path.abspath(target)))
        finally:
            shutil.rmtree(stage, ignore_errors=True)
    return {"target": target, "created_at": manifest["created_at"], "records": records, "key_id": key_id,
            "new_key": bool(replacing and pinned and key_id != pinned)}


def _manifest(z: zipfile.ZipFile, path: str) -> tuple[dict, bytes]:
    """The manifest and the public key that signed it; refused unless the signature holds."""
    def refuse(why: str):
        raise FactuError(f"« {path} » n'est pas une sauvegarde tui-factu ({why})", "sauvegarde", path)
    try:
        infos = [z.getinfo(MANIFEST), z.getinfo(SIGNATURE)]
    except KeyError:
        refuse("manifeste ou signature absent — une sauvegarde d'avant la version 2 se refait")
    if any(i.file_size > MAX_KEY_FILE for i in infos):
        refuse("manifeste trop grand")
    data, signature = z.read(MANIFEST), z.read(SIGNATURE)
    try:
        manifest = json.loads(data)
        pem = manifest["public_key"].encode()
        key_id, public, _ = signer.parse_public(pem)
    except (ValueError, KeyError, TypeError, AttributeError):
        refuse("manifeste illisible")
    if manifest.get("format") != FORMAT:
        refuse(f"format « {manifest.get('format')} »")
    if key_id != manifest.get("key_id") or not signer.verify_manifest(public, data, signature):
        raise IntegrityFailure(f"restauration refusée : « {path} » n'est pas signée par la clé qu'elle annonce "
                               "(refaite hors de tui-factu ?)", "sauvegarde", path)
    return manifest, pem


def _extract(z: zipfile.ZipFile, manifest: dict, stage: Path) -> Path:
    """Only the members the signed manifest lists, each of the size and SHA-256 it says, within
    its bound and the free space (a crafted archive that inflates to terabytes stops here)."""
    base_name = "base.db" if manifest["engine"] == "sqlite" else "base.dump"
    bounds = {base_name: MAX_BASE, **{f"keys/{n}": MAX_KEY_FILE for n in STATE_FILES}}
    listed = {f["name"]: f for f in manifest.get("files", []) if f.get("name") in bounds}
    if base_name not in listed:
        raise FactuError(f"sauvegarde incomplète : {base_name} absent", "sauvegarde", base_name)
    free = shutil.disk_usage(stage).free
    for name, f in listed.items():
        if not isinstance(f.get("size"), int) or f["size"] > bounds[name]:
            raise FactuError(f"sauvegarde refusée : {name} trop grand ({f.get('size')} octets)", "sauvegarde", name)
    if sum(f["size"] for f in listed.values()) > free:
        raise FactuError(f"sauvegarde refusée : {sum(f['size'] for f in listed.values())} octets à extraire, "
                         f"{free} libres", "sauvegarde", None)
    (stage / "keys").mkdir(mode=0o700)
    for name, f in listed.items():
        dest = stage / name
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        digest = hashlib.sha256()
        try:
            with z.open(name) as src, os.fdopen(fd, "wb") as out:
                left = f["size"] + 1
                for chunk in iter(lambda: src.read(min(1 << 20, left)), b""):
                    left -= len(chunk)
                    if left <= 0:
                        break
                    digest.update(chunk)
                    out.write(chunk)
        except KeyError:
            raise FactuError(f"sauvegarde incomplète : {name} absent", "sauvegarde", name) from None
        if left <= 0 or digest.hexdigest() != f.get("sha256"):
            raise IntegrityFailure(f"restauration refusée : {name} n'est pas celui que le manifeste signé décrit",
                                   "sauvegarde", name)
    return stage / base_name


def _verify_copy(base: str, keys: Path, public_pem: bytes) -> int:
    """Opens the copy with the keys it came with and verifies every seal against the key that
    signed the backup; refuses otherwise."""
    previous = database.db.obj
    saved_keys = os.environ.get("TUI_FACTU_KEYS")
    os.environ["TUI_FACTU_KEYS"] = str(keys)
    journal.forget_signers()
    try:
        database.connect(base)
        with session.unauthenticated():         # the copy's own users are not the caller's
            if not base.startswith("postgres"):
                database.ensure_schema()         # an older copy is upgraded in the staged file only
            report = verify.run(workers=1, trusted_key=public_pem)
        if not report.ok:
            raise IntegrityFailure("restauration refusée : le journal de la sauvegarde ne se vérifie pas — "
                                   + report.failures[0][1], "sauvegarde", base)
        return sum(c.records for c in report.chains)
    finally:
        database.db.close()
        if saved_keys is None:
            os.environ.pop("TUI_FACTU_KEYS", None)
        else:
            os.environ["TUI_FACTU_KEYS"] = saved_keys
        journal.forget_signers()
        if previous is not None:
            database.db.initialize(previous)


def _same_mode(new: Path, old: Path) -> None:
    """The replaced file's permissions and owners (a shared base keeps its group)."""
    try:
        st = os.stat(old)
    except OSError:
        return
    os.chmod(new, st.st_mode & 0o7777)
    try:
        os.chown(new, st.st_uid, st.st_gid)
    except PermissionError:
        pass


def _swap_sqlite(stage: Path, base: Path, dest: Path) -> None:
    """The staged keys and base take the old ones' places by renames; a failure puts the old
    ones back. The terminals must be stopped (the old base's WAL would not fit the new one)."""
    state = Path(str(dest) + ".d")
    new_state = stage / "state"
    new_state.mkdir(mode=0o700)
    if state.is_dir():
        os.chmod(new_state, os.stat(state).st_mode & 0o7777)
    for p in (stage / "keys").iterdir():
        shutil.move(str(p), new_state / p.name)
        _same_mode(new_state / p.name, state / p.name)
    if not (new_state / signer.KEY).exists() and (state / signer.KEY).exists():
        kept = signer.public_key(state)                 # a backup without the key keeps the one here
        if kept and kept[0] == signer.public_key(new_state)[0]:
            shutil.copy2(state / signer.KEY, new_state / signer.KEY)
    _same_mode(base, dest)
    database.db.close()
    old_state = Path(f"{dest}.d.avant-restauration-{clock.now():%Y%m%d%H%M%S}")
    moved = False
    if state.exists():
        if (state / signer.SOCKET).exists():
            raise FactuError("cette base signe par un service de signature : arrêtez-le, restaurez, puis relancez-le "
                             "avec la clé de la sauvegarde", "signature", str(state))
        os.replace(state, old_state)                    # kept aside (0700), never deleted
        moved = True
    try:
        os.replace(new_state, state)
        for suffix in ("-wal", "-shm"):
            Path(str(dest) + suffix).unlink(missing_ok=True)
        os.replace(base, dest)
    except OSError as e:
        if moved:
            shutil.rmtree(state, ignore_errors=True)
            os.replace(old_state, state)
        raise FactuError(f"restauration : remplacement impossible ({e.strerror}) ; rien n'a changé", "--db",
                         str(dest)) from None
    journal.forget_signers()


def _restore_postgres(stage: Path, dump: Path, target: str, public_pem: bytes) -> int:
    """The dump is restored into a scratch database on the same server and verified there
    first; only then is the target replaced."""
    import urllib.parse
    import uuid
    import psycopg
    parts = urllib.parse.urlparse(target)
    scratch_name = "tf_restore_" + uuid.uuid4().hex[:10]
    server = parts._replace(path="/postgres").geturl()
    scratch = parts._replace(path=f"/{scratch_name}").geturl()
    try:
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{scratch_name}"')
    except psycopg.Error as e:
        raise FactuError(f"restauration : base de vérification impossible à créer ({str(e).strip()[:160]})",
                         "postgresql", None) from None
    try:
        _pg_restore(dump, scratch)
        records = _verify_copy(scratch, stage / "keys", public_pem)
    finally:
        database.db.close()
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
    _pg_restore(dump, target)
    database.connect(target)
    state = database.state_dir()
    for p in (stage / "keys").iterdir():
        if p.name == signer.PUB and not (stage / "keys" / signer.KEY).exists() and (state / signer.KEY).exists():
            continue                                      # the key here stays with its own public half
        tmp = state / f".{p.name}.{os.getpid()}"
        shutil.copyfile(p, tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, state / p.name)
    journal.forget_signers()
    return records


def _pg_restore(dump: Path, url: str) -> None:
    r = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={url}", str(dump)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise FactuError(f"restauration : pg_restore a échoué ({r.stderr.strip()[:200]})", "pg_restore", None)
