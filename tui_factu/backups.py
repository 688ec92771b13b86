"""Backups while terminals keep working, and restores that refuse a base whose journal does not
verify. A backup is one ZIP (mode 0600: it holds the signing key): a consistent copy of the
base (SQLite's online backup API, or pg_dump), the signing key and the tail anchor beside it.
The anchor is copied before the base, so it never claims more records than the copy holds."""
import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from pathlib import Path

from . import db as database, files, journal, permissions
from .errors import FactuError, IntegrityFailure

FORMAT = "tui-factu-backup/1"
STATE_FILES = ("signing.key", "signing.pub", "anchor.log")


def backup(path: str) -> dict:
    permissions.require("backup")
    state = database.state_dir()
    with tempfile.TemporaryDirectory(prefix="tui-factu-backup-") as tmp:
        copies = {}
        for name in STATE_FILES:                        # the anchor first: never ahead of the copy
            if (state / name).exists():
                shutil.copy2(state / name, Path(tmp) / name)
                copies[name] = Path(tmp) / name
        if database.is_postgres():
            base, engine = Path(tmp) / "base.dump", "postgresql"
            schema = _schema(database.location())
            r = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={base}",
                                *([f"--schema={schema}"] if schema else []), f"--dbname={database.location()}"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise FactuError(f"sauvegarde : pg_dump a échoué ({r.stderr.strip()[:200]})", "pg_dump", None)
        else:
            base, engine = Path(tmp) / "base.db", "sqlite"
            src = sqlite3.connect(database.location(), timeout=60)
            dst = sqlite3.connect(base)
            try:
                src.backup(dst)                         # one consistent snapshot, writers keep going
            finally:
                dst.close()
                src.close()
        manifest = {"format": FORMAT, "engine": engine, "created_at": dt.datetime.now(dt.timezone.utc)
                    .replace(microsecond=0).isoformat(), "source": database.location(),
                    "schema": database.schema_version(), "files": [base.name] + sorted(copies)}
        with files.replacing(path, "sauvegarde", "-o") as part:
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("backup.json", json.dumps(manifest, indent=1))
                z.write(base, base.name)
                for name, p in copies.items():
                    z.write(p, f"keys/{name}")
    journal.event("backup", {"file": os.path.basename(path), "engine": engine})
    return {"path": path, "engine": engine, "size": os.path.getsize(path)}


def _schema(url: str) -> str | None:
    """The schema a PostgreSQL base lives in when its URL sets one (options=-csearch_path=X):
    then only that schema is dumped, so a restore never touches its neighbours."""
    import re
    import urllib.parse
    options = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query)).get("options", "")
    m = re.search(r"-c\s*search_path=([A-Za-z_][A-Za-z0-9_]*)", options)
    return m.group(1) if m else None


def restore(path: str, target: str, force: bool = False) -> dict:
    """Restores a backup onto `target` once its journal verifies in a scratch copy; an existing
    base is replaced only with force. Runs without opening the target first (it may not exist
    yet): stop the terminals before replacing a base in use."""
    z = files.open_zip(path, "sauvegarde", "sauvegarde")
    with z, tempfile.TemporaryDirectory(prefix="tui-factu-restore-") as tmp:
        try:
            manifest = json.loads(z.read("backup.json"))
        except (KeyError, ValueError):
            raise FactuError(f"« {path} » n'est pas une sauvegarde tui-factu", "sauvegarde", path) from None
        if manifest.get("format") != FORMAT:
            raise FactuError(f"format de sauvegarde inconnu « {manifest.get('format')} »", "sauvegarde", path)
        z.extractall(tmp)
        keys = Path(tmp) / "keys"
        keys.mkdir(exist_ok=True)
        if manifest["engine"] != "sqlite":
            return _restore_postgres(Path(tmp), manifest, target, force)
        scratch = str(Path(tmp) / "base.db")
        report = _verify_copy(scratch, keys)
        destination = target
        if destination.startswith(("postgresql://", "postgres://")):
            raise FactuError("une sauvegarde SQLite se restaure dans un fichier SQLite", "--db", destination)
        dest = Path(destination)
        if dest.exists() and not force:
            raise FactuError(f"« {dest} » existe : --force pour le remplacer par la sauvegarde du "
                             f"{manifest['created_at'][:10]}", "--force", str(dest))
        dest.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(str(dest) + suffix).unlink(missing_ok=True)
        shutil.copy2(scratch, str(dest) + ".restoring")
        os.replace(str(dest) + ".restoring", dest)
        state = Path(str(dest) + ".d")
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        for p in keys.iterdir():
            shutil.copy2(p, state / p.name)
            os.chmod(state / p.name, 0o600)
    return {"target": str(dest), "created_at": manifest["created_at"], "records": report}


def _verify_copy(base: str, keys: Path) -> int:
    """Opens the copy with the keys it came with and verifies every seal; refuses otherwise."""
    previous = database.db.obj
    saved_keys = os.environ.get("TUI_FACTU_KEYS")
    os.environ["TUI_FACTU_KEYS"] = str(keys)
    journal._keys.clear()
    try:
        database.connect(base)
        if not base.startswith("postgres"):
            database.ensure_schema()             # an older copy is upgraded in the scratch file only
        report = journal.verify(workers=1)
        if not report.ok:
            raise IntegrityFailure("restauration refusée : le journal de la sauvegarde ne se vérifie pas — "
                                   + report.as_dict()["first_failure"]["error"], "sauvegarde", base)
        return sum(c.records for c in report.chains)
    finally:
        database.db.close()
        if saved_keys is None:
            os.environ.pop("TUI_FACTU_KEYS", None)
        else:
            os.environ["TUI_FACTU_KEYS"] = saved_keys
        journal._keys.clear()
        if previous is not None:
            database.db.initialize(previous)


def _restore_postgres(tmp: Path, manifest: dict, target: str, force: bool) -> dict:
    """The dump is restored into a scratch database on the same server and verified there
    first; only then is the target replaced."""
    import urllib.parse
    import uuid
    import psycopg
    if not target.startswith(("postgresql://", "postgres://")):
        raise FactuError("une sauvegarde PostgreSQL se restaure dans une base PostgreSQL (--db postgresql://…)",
                         "--db", target)
    if not force:
        raise FactuError("restaurer une base PostgreSQL remplace son contenu : --force pour confirmer", "--force", target)
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
        _pg_restore(tmp, scratch)
        records = _verify_copy(scratch, tmp / "keys")
    finally:
        database.db.close()
        with psycopg.connect(server, autocommit=True) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{scratch_name}" WITH (FORCE)')
    _pg_restore(tmp, target)
    database.connect(target)
    state = database.state_dir()
    for p in (tmp / "keys").iterdir():
        shutil.copy2(p, state / p.name)
        os.chmod(state / p.name, 0o600)
    return {"target": target, "created_at": manifest["created_at"], "records": records}


def _pg_restore(tmp: Path, url: str) -> None:
    r = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={url}",
                        str(tmp / "base.dump")], capture_output=True, text=True)
    if r.returncode != 0:
        raise FactuError(f"restauration : pg_restore a échoué ({r.stderr.strip()[:200]})", "pg_restore", None)
