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
