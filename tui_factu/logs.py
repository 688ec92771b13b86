"""The log file of each user (the data directory's `erreurs.log`): internal errors with their
traceback, never with local variables (they would hold passwords typed at the login), rotated."""
import os
import sys
import traceback
from pathlib import Path

MAX_BYTES = 1 << 20


def path() -> Path:
    import platformdirs
    return Path(platformdirs.user_log_dir("tui-factu")) / "erreurs.log"


def crash(exc_info=None) -> str:
    """Writes the current exception (no locals) to the log; returns the log's path, or why it
    could not be written."""
    target = path()
    exc_info = exc_info or sys.exc_info()
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if target.exists() and target.stat().st_size > MAX_BYTES:
            os.replace(target, target.with_suffix(".log.1"))
        fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            f.write("".join(traceback.format_exception(*exc_info)) + "\n")
    except OSError:
        return "(journal d'erreurs inaccessible)"
    return str(target)
