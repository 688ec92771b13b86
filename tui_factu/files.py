"""Files written whole or not at all: into a temporary beside the target, renamed over it at
the end. A failure names the file in French and leaves neither the target half-written nor
the temporary behind."""
import contextlib
import os

from .errors import FactuError


@contextlib.contextmanager
def replacing(path, what: str, field: str):
    """with replacing("x.csv", "CSV", "--csv") as tmp: write tmp; on success tmp becomes x.csv."""
    path = os.fspath(path)
    tmp = path + ".part"
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as e:
        raise FactuError(f"{what} : écriture impossible « {path} » ({e.strerror})", field, path) from None
    finally:
        if os.path.exists(tmp):
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
