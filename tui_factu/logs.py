"""The log of each OS account (the data directory's `tui-factu.log`, standard `logging`, rotated):
commands run, who acts, refusals and internal errors with their traceback — never local
variables (they would hold a password typed at the login) and never a secret: every record goes
through a filter that masks passwords, tokens, keys and bearer headers, whatever logged them, and
every secret value this process was given (`secret`: a password typed at the login, in
TUI_FACTU_PASSWORD…), wherever it shows — even in an exception's message."""
import logging
import logging.handlers
import os
import re
import sys
import traceback
from pathlib import Path

MAX_BYTES = 1 << 20
BACKUPS = 3
LOGGER = "tui_factu"
# key=value / key: value pairs whose value is a secret, a bearer token, a PEM block
_SECRET = re.compile(r"(?i)\b(password|passwd|mot[ _-]?de[ _-]?passe|secret|token|client_secret|api[_-]?key)"
                     r"(\s*[=:]\s*|\s+)(\"[^\"]*\"|'[^']*'|\S+)")
_BEARER = re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+")
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S)
_SECRET_VARIABLES = ("TUI_FACTU_PASSWORD", "TUI_FACTU_NEW_PASSWORD", "TUI_FACTU_SMTP_PASSWORD", "TUI_FACTU_P12_PASSWORD",
                     "TUI_FACTU_PA_SECRET")
_given: set[str] = set()            # the secret values this process holds, masked wherever they show
SHORTEST = 3                        # shorter values would mask ordinary words


def secret(value: str | None) -> None:
    """A secret this process was given (a password typed or passed): masked from now on in
    every record, whatever its pattern — an exception's message, a query, a repr."""
    if value and len(value) >= SHORTEST:
        _given.add(value)


def path() -> Path:
    import platformdirs
    return Path(platformdirs.user_log_dir("tui-factu")) / "tui-factu.log"


def mask(text: str) -> str:
    for value in sorted(_given, key=len, reverse=True):
        for form in {value, repr(value)[1:-1], value.encode("unicode_escape").decode()}:
            text = text.replace(form, "***")
    text = _PEM.sub("[clé privée masquée]", text)
    text = _BEARER.sub("Bearer ***", text)
    return _SECRET.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)


class _Masking(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = mask("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        return True


def setup() -> logging.Logger:
    """Once per process: the rotated file, 0600 in a 0700 folder. A log that cannot be written
    (read-only home) never stops the work."""
    logger = logging.getLogger(LOGGER)
    for name in _SECRET_VARIABLES:
        secret(os.environ.get(name))
    target = path()
    for h in list(logger.handlers):
        if getattr(h, "_tui_factu", None) == target:
            return logger
        if getattr(h, "_tui_factu", None):          # the data directory moved (tests): follow it
            logger.removeHandler(h)
            h.close()
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not target.exists():
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT, 0o600))
        handler = logging.handlers.RotatingFileHandler(target, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                                       encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler._tui_factu = target
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    handler.addFilter(_Masking())
    logger.addHandler(handler)
    return logger


def crash(exc_info=None, text: str = "") -> str:
    """Logs an exception (the current one by default; its traceback without locals, masked) or
    a text already rendered; returns the log's path, or why it could not be written. The one
    road of every unexpected error: the command line (cli/main.py) and the app
    (screens/app.py) show only one French line naming this path."""
    logger = setup()
    if text:
        logger.error("erreur interne\n%s", text)
    else:
        logger.error("erreur interne", exc_info=exc_info or sys.exc_info())
    if not any(isinstance(h, logging.handlers.RotatingFileHandler) for h in logger.handlers):
        return "(journal d'erreurs inaccessible)"
    return str(path())
