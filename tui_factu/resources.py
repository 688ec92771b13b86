"""Where the files shipped with tui-factu are (fonts, ISO 20022 schemas, the SSH launcher): the
data/ folder beside the sources in a clone or an editable install, PREFIX/share/tui-factu once
installed (pyproject.toml, data-files): `make install-system` copies no source tree."""
import os
import sys
from pathlib import Path


def data_dir() -> Path:
    if os.environ.get("TUI_FACTU_DATA"):
        return Path(os.environ["TUI_FACTU_DATA"])
    beside = Path(__file__).resolve().parent.parent / "data"
    installed = Path(sys.prefix) / "share" / "tui-factu"
    return beside if (beside / "fonts").is_dir() or not (installed / "fonts").is_dir() else installed
