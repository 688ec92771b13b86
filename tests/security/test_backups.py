"""Restore and archives against a hostile clerk and hostile files: only an administrator of the
base replaces it, only with a backup signed by its key, all at once, modes kept, bounded, and
no key copy left behind; an archive is checked in constant memory and never trusts its own key."""
import os
import resource
import subprocess
import zipfile
from pathlib import Path

import pytest

from tui_factu import backups, db as database, documents, journal, verify
from tui_factu.errors import FactuError, IntegrityFailure
from tui_factu.models import Document

from .conftest import CLERK_UID, EXE, as_os_user, cli, readable


def test_a_warehouse_clerk_cannot_restore(shared, tmp_path):
    backup = shared.parent.parent / "b.zip"
    cli(shared, "backup", "-o", str(backup), expect=0)
    cli(shared, "user", "add", "quai", "--role", "warehouse", env={"TUI_FACTU_NEW_PASSWORD": "x"}, expect=0)
    r = cli(shared, "--user", "quai", "restore", str(backup), "--force", env={"TUI_FACTU_PASSWORD": "x"}, expect=2)
    assert "droits insuffisants" in r.stderr and "sauvegarder et restaurer" in r.stderr
    env = {"TUI_FACTU_DB": str(shared), "PATH": os.environ["PATH"], "HOME": str(tmp_path)}
    r = as_os_user(CLERK_UID, [EXE, "restore", str(readable(backup)), "--force"], env=env)
    assert r.returncode == 2 and "n'est lié à aucun utilisateur" in r.stderr, r.stderr
    cli(shared, "verify", expect=0)


def test_a_backup_signed_by_another_key_needs_the_admin_to_accept_it(tmp_path):
    ours, theirs = tmp_path / "a" / "factu.db", tmp_path / "b" / "factu.db"
    for db in (ours, theirs):
        db.parent.mkdir()
        cli(db, "init", "--demo", expect=0)
    forged = tmp_path / "forged.zip"
    cli(theirs, "backup", "-o", str(forged), expect=0)          # a valid backup, another company key
    r = cli(ours, "restore", str(forged), "--force", expect=1)
    assert "signée par la clé" in r.stderr and "--accept-new-key" in r.stderr
    cli(ours, "verify", expect=0)                                 # nothing replaced
    r = cli(ours, "restore", str(forged), "--force", "--accept-new-key", expect=0)
    assert "ATTENTION" in r.stderr and "autre clé" in r.stderr
    cli(ours, "verify", expect=0)


def test_a_restore_keeps_modes_and_leaves_no_key_copy(shop, db, tmp_path):
    import tempfile
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    path = backups.backup(str(tmp_path / "b.zip"))["path"]
    os.chmod(db, 0o640)
    stale = Path(db).parent / ".tui-factu-restore-999999"          # what a killed run left
    stale.mkdir(mode=0o700)
    (stale / "signing.key").write_text("x")
    before = set(os.listdir(tempfile.gettempdir()))
    backups.restore(path, db, force=True)
    assert oct(os.stat(db).st_mode & 0o777) == "0o640"
    assert not stale.exists()
    assert not [n for n in set(os.listdir(tempfile.gettempdir())) - before if "tui-factu" in n]
    assert not [p for p in Path(db).parent.iterdir() if p.name.startswith(".tui-factu-")]
    database.connect(db)
    assert verify.run().ok


def test_a_restore_that_fails_while_swapping_changes_nothing(shop, db, tmp_path, monkeypatch):
    first = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    path = backups.backup(str(tmp_path / "b.zip"))["path"]
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    key = (Path(db + ".d") / "signing.key").read_bytes()
    real = os.replace

    def failing(src, dst):
        if str(dst) == db:
            raise OSError(28, "No space left on device")
        return real(src, dst)
    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(FactuError, match="rien n'a changé"):
        backups.restore(path, db, force=True)
    monkeypatch.setattr(os, "replace", real)
    database.connect(db)
    assert Document.select().where(Document.number.is_null(False)).count() == 2
    assert (Path(db + ".d") / "signing.key").read_bytes() == key
    assert verify.run().ok and first.number


def test_a_backup_member_past_its_bound_is_refused(shop, db, tmp_path, monkeypatch):
    path = backups.backup(str(tmp_path / "b.zip"))["path"]
    monkeypatch.setattr(backups, "MAX_BASE", 1000)
    with pytest.raises(FactuError, match="trop grand"):
        backups.restore(path, str(tmp_path / "new.db"))
    bad = tmp_path / "evil.zip"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item))
        zout.writestr("../../evil.sh", "rm -rf /")                 # a member outside: never extracted
    monkeypatch.setattr(backups, "MAX_BASE", 1 << 30)
    backups.restore(str(bad), str(tmp_path / "new.db"))
    assert not (tmp_path.parent / "evil.sh").exists() and not (tmp_path / "evil.sh").exists()


@pytest.mark.parametrize("member", ["a document's PDF", "the journal"])
def test_an_archive_bomb_is_checked_in_constant_memory(shared, tmp_path, member):
    archive = tmp_path / "a.zip"
    cli(shared, "archive", "2026", "-o", str(archive), expect=0)
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        target = "journal.jsonl" if member == "the journal" else \
            next(n for n in zin.namelist() if n.startswith("documents/") and n.endswith(".pdf"))
        for item in zin.infolist():
            if item.filename != target:
                zout.writestr(item, zin.read(item))
        with zout.open(target, "w") as f:                           # 400 Mo of zeros, ~400 Ko stored
            block = b"\0" * (1 << 20)
            for _ in range(400):
                f.write(block)
    assert bomb.stat().st_size < archive.stat().st_size + (1 << 20)     # 400 Mo expand from < 1 Mo stored
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = subprocess.run([EXE, "verify-archive", str(bomb), "--trust-embedded-key"], capture_output=True, text=True)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert r.returncode == 1 and f"fichier altéré : {target}" in r.stderr
    assert peak_mb < 200 or before / 1024 >= 200, peak_mb


def test_restore_refuses_an_integrity_failure_and_says_it(shop, tmp_path):
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    path = backups.backup(str(tmp_path / "b.zip"))["path"]
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "keys/anchor.log":
                data = b"invoice 99 " + b"0" * 64 + b"\n"           # an anchor further than the base
            zout.writestr(item, data)
    with pytest.raises(IntegrityFailure, match="keys/anchor.log n'est pas celui que le manifeste signé décrit"):
        backups.restore(str(bad), str(tmp_path / "new.db"))
    assert journal.read_anchor()


def test_a_backup_built_by_a_clerk_is_refused_before_anything_is_used(shop, db, tmp_path, monkeypatch):
    """A base copied and cut by someone without the key, dressed as a backup with the company's
    public key: its manifest is not signed by that key. A PostgreSQL dump is not even handed to
    pg_restore (it could run SQL) before that check."""
    import json
    import shutil as sh
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    good = backups.backup(str(tmp_path / "good.zip"))["path"]
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(forged, "w") as zout:
        for item in zin.infolist():
            if item.filename == "backup.sig":
                zout.writestr(item, b"AAAA" * 22)
            elif not item.filename.startswith("keys/"):
                zout.writestr(item, zin.read(item))
    with pytest.raises(IntegrityFailure, match="n'est pas signée par la clé qu'elle annonce"):
        backups.restore(str(forged), db, force=True)
    called = []
    monkeypatch.setattr(backups, "_pg_restore", lambda *a: called.append(a))
    monkeypatch.setattr(backups, "is_base", lambda target: False)     # a new PostgreSQL base to fill
    with zipfile.ZipFile(good) as zin:
        manifest = json.loads(zin.read("backup.json"))
    manifest.update(engine="postgresql", files=[{"name": "base.dump", "sha256": "0" * 64, "size": 10}])
    pg = tmp_path / "pg.zip"
    with zipfile.ZipFile(pg, "w") as z:
        z.writestr("backup.json", json.dumps(manifest))
        z.writestr("backup.sig", b"AAAA" * 22)
        z.writestr("base.dump", b"CREATE FUNCTION pwned")
    with pytest.raises(IntegrityFailure, match="n'est pas signée"):
        backups.restore(str(pg), "postgresql://x@127.0.0.1/y", force=True)
    assert not called
    database.connect(db)
    assert verify.run().ok and sh.which("true")


def test_no_temporary_name_can_be_planted_in_a_shared_export_folder(shop, tmp_path):
    """A clerk plants links named like the temporaries of a coming backup: they are not used."""
    import os
    folder = tmp_path / "partage"
    folder.mkdir()
    loot = tmp_path / "loot"
    loot.write_bytes(b"")
    for pid in range(os.getpid() - 50, os.getpid() + 50):
        (folder / f".nightly.zip.{pid}.part").symlink_to(loot)
    backups.backup(str(folder / "nightly.zip"))
    assert loot.read_bytes() == b"" and not (folder / "nightly.zip").is_symlink()
    with zipfile.ZipFile(folder / "nightly.zip") as z:
        assert "keys/signing.key" in z.namelist()          # the key went into the backup, and only there
