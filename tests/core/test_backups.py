"""Backups taken while another process writes, restores that verify first."""
import sqlite3
import subprocess
import sys
import textwrap
import zipfile

import pytest

from tui_factu import backups, db as database, documents, journal, verify
from tui_factu.errors import FactuError, IntegrityFailure
from tui_factu.models import Document


def _writer(db_path, seconds=3.0):
    """Another terminal validating invoices as fast as it can."""
    code = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(sys.path[0])!r})
        from tui_factu import db, documents, session
        db.connect({db_path!r}); session.set_user("testeur")
        end = time.monotonic() + {seconds}
        while time.monotonic() < end:
            documents.validate(documents.create("invoice", "C1", None, [{{"product": "VIS"}}]).id)
    """)
    return subprocess.Popen([sys.executable, "-c", code])


def test_backups_taken_while_another_process_validates_restore_and_verify(shop, db, tmp_path):
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    writer = _writer(db)
    paths = []
    try:
        for i in range(3):
            paths.append(backups.backup(str(tmp_path / f"b{i}.zip"))["path"])
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    for i, path in enumerate(paths):
        target = str(tmp_path / f"restored{i}.db")
        done = backups.restore(path, target)
        assert done["records"] > 0
    database.connect(paths and str(tmp_path / "restored2.db"))
    assert verify.run().ok and Document.select().count() >= 1


def test_a_backup_whose_journal_does_not_verify_is_refused_and_nothing_replaced(shop, tmp_path):
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS", "quantity": "2"}]).id)
    good = backups.backup(str(tmp_path / "b.zip"))["path"]
    bad = str(tmp_path / "bad.zip")
    with zipfile.ZipFile(good) as z:
        z.extractall(tmp_path / "x")
    con = sqlite3.connect(tmp_path / "x" / "base.db")
    con.execute("DROP TRIGGER document_line_sealed_update")
    con.execute("UPDATE document_line SET unit_price = 10000 WHERE document_id = ?", (inv.id,))
    con.commit()
    con.close()
    altered = (tmp_path / "x" / "base.db").read_bytes()
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            data = altered if item.filename == "base.db" else zin.read(item)
            zout.writestr(item, data)
    target = tmp_path / "target.db"
    target.write_bytes(b"previous base")
    with pytest.raises(IntegrityFailure, match="base.db n'est pas celui que le manifeste signé décrit"):
        backups.restore(bad, str(target), force=True)
    # someone holding the key re-signs the manifest: the journal of the copy still says no
    import hashlib
    import json
    with zipfile.ZipFile(good) as zin:
        manifest = json.loads(zin.read("backup.json"))
    for f in manifest["files"]:
        if f["name"] == "base.db":
            f.update(sha256=hashlib.sha256(altered).hexdigest(), size=len(altered))
    data = journal.canonical(manifest).encode()
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(bad, "w") as zout:
        for item in zin.infolist():
            content = {"base.db": altered, "backup.json": data,
                       "backup.sig": journal.sign_manifest(data)}.get(item.filename) or zin.read(item)
            zout.writestr(item, content)
    with pytest.raises(IntegrityFailure, match=f"{inv.number} ne correspond plus"):
        backups.restore(bad, str(target), force=True)
    assert target.read_bytes() == b"previous base"
    with pytest.raises(FactuError, match="--force"):
        backups.restore(good, str(target))
    with pytest.raises(FactuError, match="pas une sauvegarde"):
        (tmp_path / "nope.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
        backups.restore(str(tmp_path / "nope.zip"), str(tmp_path / "n.db"))


@pytest.mark.backends
def test_backup_and_restore_round_trip_on_both_backends(shop, db, tmp_path):
    """SQLite's online backup, or pg_dump restored into a scratch database, verified, then in place."""
    inv = documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    path = backups.backup(str(tmp_path / "pg.zip"))["path"]
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)   # after the backup
    done = backups.restore(path, db, force=True)
    assert done["records"] >= 1
    database.connect(db)
    assert [d.number for d in Document.select().where(Document.number.is_null(False))] == [inv.number]
    assert verify.run().ok
