"""The shipped files are found in a clone and in an installation (no source tree there: the
SSH deployment's `pdf` failed on a missing font)."""
import sys

from tui_factu import resources


def test_the_data_folder_of_a_clone_then_of_an_installation(tmp_path, monkeypatch):
    monkeypatch.delenv("TUI_FACTU_DATA", raising=False)
    assert (resources.data_dir() / "fonts" / "DejaVuSans.ttf").is_file()           # this clone
    monkeypatch.setattr(resources, "__file__", str(tmp_path / "site-packages" / "tui_factu" / "resources.py"))
    (tmp_path / "share" / "tui-factu" / "fonts").mkdir(parents=True)
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    assert resources.data_dir() == tmp_path / "share" / "tui-factu"                 # pip install .
