"""Files the product writes go only where the user may write: the ForceCommand escape through
`~/.ssh/rc`, an export over the live base, a symbolic link out of an export folder; and what
is written cannot attack a spreadsheet or an accountant's import."""
import csv
import os

import pytest

from tui_factu import catalog, clock, csvout, documents, exchange, fec, files, reports, settings
from tui_factu.errors import FactuError, InvalidValue

from .conftest import cli


@pytest.fixture
def home(tmp_path, monkeypatch, shop):
    """The clerk's home is the export folder (the TUI's default place), as over SSH."""
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    settings.set_value("files.output_dirs", str(home))
    return home


def test_the_journal_export_to_ssh_rc_is_refused(home):
    """A customer renamed to a shell line, then the sales journal written to ~/.ssh/rc."""
    catalog.save_customer({"code": "C1", "name": "id > pwned"})
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    for target in (home / ".ssh" / "rc", home / ".bashrc", home / ".profile"):
        with pytest.raises(FactuError, match="fichier ou dossier caché"):
            csvout.write(reports.sales_journal(None, None), str(target), french=True)
        assert not target.exists()
    assert csvout.write(reports.sales_journal(None, None), str(home / "journal.csv"), french=True) == 1


def test_no_export_outside_the_export_folders_nor_over_the_base(home, db, tmp_path):
    with pytest.raises(FactuError, match="hors des dossiers d'export autorisés"):
        csvout.write([{"a": "1"}], str(tmp_path / "elsewhere.csv"))
    settings.set_value("files.output_dirs", str(tmp_path))          # the base's own folder, allowed
    for target in (db, db + "-wal", str(tmp_path / "factu.db.d" / "signing.key")):
        with pytest.raises(FactuError, match="base de données|caché"):
            csvout.write([{"a": "1"}], target)
    other = tmp_path / "autre.db"                                    # nor any other base
    other.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    with pytest.raises(FactuError, match="base de données"):
        csvout.write([{"a": "1"}], str(other))


def test_a_symbolic_link_out_of_the_export_folder_is_refused(home, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (home / "lien").symlink_to(outside)
    with pytest.raises(FactuError, match="hors des dossiers"):
        csvout.write([{"a": "1"}], str(home / "lien" / "x.csv"))
    (home / "x.csv").symlink_to(outside / "victim.csv")
    with pytest.raises(FactuError, match="lien symbolique"):
        csvout.write([{"a": "1"}], str(home / "x.csv"))
    assert not (outside / "victim.csv").exists()


def test_the_command_line_refuses_the_same_paths(tmp_path):
    db = tmp_path / "base" / "factu.db"
    db.parent.mkdir()
    cli(db, "init", "--demo", expect=0)
    r = cli(db, "export", str(db), expect=2)                         # over the live base
    assert "base de données" in r.stderr
    r = cli(db, "report", "sales-journal", "--csv", str(tmp_path / ".hidden" / "x.csv"), expect=2)
    assert "caché" in r.stderr or "introuvable" in r.stderr


def test_formula_cells_are_neutralised_in_both_csv_formats(home):
    rows = [{"name": "=HYPERLINK(\"http://x\")", "other": "+33 1 23", "at": "@SUM(A1)", "minus": "-12.50",
             "text": "-x", "tab": "\tcmd"}]
    for french in (False, True):
        path = home / f"f{french}.csv"
        csvout.write(rows, str(path), french)
        with open(path, encoding="utf-8-sig") as f:
            got = next(csv.DictReader(f, delimiter=";" if french else ","))
        assert got["name"].startswith("'=") and got["other"].startswith("'+") and got["at"].startswith("'@")
        assert got["text"] == "'-x" and got["tab"].startswith("'")
        assert got["minus"] == ("-12,50" if french else "-12.50")     # a number stays a number


def test_a_tab_or_a_newline_never_breaks_a_fec_record(home, shop):
    with pytest.raises(InvalidValue, match="caractère de contrôle"):
        catalog.save_customer({"code": "C1", "name": "Client\tUn"})
    from tui_factu.models import Customer
    Customer.update(name="Client\tUn\nSARL|x").where(Customer.code == "C1").execute()   # written by hand
    documents.validate(documents.create("invoice", "C1", None, [{"product": "VIS"}]).id)
    import datetime as dt
    for sep in ("\t", "|"):
        done = fec.export(clock.today().year, str(home), sep)
        with open(done["path"], encoding="utf-8") as f:
            lines = f.read().splitlines()
        assert all(len(line.split(sep)) == 18 for line in lines), lines[:3]


def test_the_base_file_is_created_for_its_owner_only(tmp_path):
    db = tmp_path / "new.db"
    cli(db, "init", expect=0, env={"TUI_FACTU_NEW_PASSWORD": "x"})
    assert oct(os.stat(db).st_mode & 0o777) == "0o600"               # password hashes inside
    assert oct(os.stat(f"{db}.d/signing.key").st_mode & 0o777) == "0o600"


def test_exports_write_whole_files_into_allowed_folders_only(home):
    bundle = exchange.export_bundle()
    with files.writing(home / "export.json", "export", "fichier", "w") as f:
        f.write(str(len(bundle["documents"])))
    assert (home / "export.json").exists()
    assert not [p for p in home.iterdir() if p.name.endswith(".part")]


def test_a_hidden_folder_is_refused_wherever_the_command_runs(home):
    from tui_factu import files as f
    f.allow_folder(str(home / ".ssh"))                      # `cd ~/.ssh && tui-factu report … --csv rc`
    try:
        with pytest.raises(FactuError, match="caché"):
            csvout.write([{"a": "1"}], str(home / ".ssh" / "rc"))
    finally:
        f._extra_roots.clear()
