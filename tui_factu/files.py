"""Files the product writes: only where the user may write them, and whole or not at all.

Where: inside one of the output folders (setting `files.output_dirs`; by default the user's
documents folder `tui-factu` and the system's temporary folder, plus the folder a command was
run from), never a hidden file or folder (`~/.ssh/rc`, `~/.bashrc` run code at the next
login), never through a symbolic link, never over the base, its journal files, its keys or any
other SQLite base. Whole: into a temporary beside the target, renamed over it at the end; a
failure names the file in French and leaves neither the target half-written nor the
temporary behind.
"""
import contextlib
import os
import tempfile
from pathlib import Path

from .errors import FactuError

SETTING = "files.output_dirs"
_extra_roots: list[str] = []


def allow_folder(path: str) -> None:
    """Adds a folder for this process (the CLI adds the one it was run from)."""
    _extra_roots.append(os.path.realpath(path))


def default_folder() -> Path:
    """Where the TUI proposes to write (PDF, CSV): the user's documents folder, `tui-factu`."""
    import platformdirs
    folder = Path(platformdirs.user_documents_dir()) / "tui-factu"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def output_roots() -> list[str]:
    from . import settings
    configured = settings.get(SETTING)
    roots = [p for p in configured.split(os.pathsep) if p.strip()] if configured else \
        [str(default_folder()), tempfile.gettempdir()]
    return [os.path.realpath(os.path.expanduser(r.strip())) for r in roots] + _extra_roots


def _protected() -> list[str]:
    """The base and what lives beside it that an export must never replace."""
    from . import db as database
    out = []
    if database.db.obj is not None and not database.is_postgres():
        base = os.path.realpath(database.location())
        out += [base] + [base + s for s in ("-wal", "-shm", "-journal")]
        out.append(os.path.realpath(str(database.state_dir())))
    return out


def _is_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def check_output(path, what: str, field: str) -> str:
    """The absolute path to write, or a refusal naming the file and the reason."""
    text = os.fspath(path)
    target = os.path.abspath(os.path.expanduser(text))
    parent = os.path.realpath(os.path.dirname(target))
    real = os.path.join(parent, os.path.basename(target))

    def refuse(reason: str):
        raise FactuError(f"{what} : écriture refusée « {text} » ({reason})", field, text)
    if not os.path.isdir(parent):
        raise FactuError(f"{what} : écriture impossible « {text} » (dossier introuvable)", field, text)

    root = next((r for r in output_roots() if parent == r or parent.startswith(r.rstrip(os.sep) + os.sep)), None)
    if root is None:
        refuse("hors des dossiers d'export autorisés : " + ", ".join(output_roots())
               + f" — réglage {SETTING}")
    if any(part.startswith(".") for part in real.split(os.sep)):      # wherever it is: ~/.ssh, ~/.bashrc
        refuse("fichier ou dossier caché")
    if os.path.islink(target) or os.path.islink(real):
        refuse("lien symbolique")
    for p in _protected():
        if real == p or real.startswith(p.rstrip(os.sep) + os.sep):
            refuse("c'est la base de données ou ses clés")
    if os.path.exists(real) and (not os.path.isfile(real) or _is_sqlite(real)):
        refuse("une base de données ou un fichier spécial ne se remplace pas" if os.path.isfile(real)
               else "ce n'est pas un fichier ordinaire")
    return real


def check_folder(path, what: str, field: str) -> str:
    """A folder to write several files into (created if needed), under the same rules."""
    folder = os.path.abspath(os.fspath(path))
    if not os.path.isdir(folder):
        check_output(folder, what, field)                 # may it stand there?
        try:
            os.makedirs(folder)
        except OSError as e:
            raise FactuError(f"{what} : dossier impossible à créer « {path} » ({e.strerror})", field, path) from None
    return os.path.dirname(check_output(os.path.join(folder, "x"), what, field))


@contextlib.contextmanager
def writing(path, what: str, field: str, mode: str = "wb", **options):
    """with writing("x.csv", "CSV", "--csv", "w", newline="") as f: ... — f is a new file with a
    random name beside the target (created exclusively, 0600: a name planted in advance, or a
    link, is never followed); it becomes the target at the end, or vanishes on failure."""
    real = check_output(path, what, field)
    fd, tmp = tempfile.mkstemp(prefix=".tui-factu-", suffix=".part", dir=os.path.dirname(real))
    try:
        with os.fdopen(fd, mode, **options) as f:
            yield f
        os.replace(tmp, real)
    except OSError as e:
        raise FactuError(f"{what} : écriture impossible « {path} » ({e.strerror})", field, os.fspath(path)) from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)


def open_zip(path, what: str, field: str):
    """The ZIP at path, or a refusal saying in French why it cannot be read."""
    import zipfile
    path = os.fspath(path)
    if os.path.isdir(path):
        reason = "c'est un dossier : donnez le fichier"
    elif not os.path.exists(path):
        reason = "fichier introuvable"
    else:
        try:
            return zipfile.ZipFile(path)
        except zipfile.BadZipFile:
            reason = "ce n'est pas un fichier ZIP"
        except OSError as e:
            reason = e.strerror or type(e).__name__
    raise FactuError(f"{what} illisible « {path} » ({reason})", field, path)
