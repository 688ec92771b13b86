"""Who acts in this process: the app user a front end authenticated, and nobody else.

The identity of the OS account comes from the kernel (the real uid through the password
database), never from $LOGNAME or $USER, which the caller controls. Until a front end has
authenticated an app user (a login, or peer authentication of the linked OS account), the
database refuses every statement: no code path reads or writes for an anonymous caller. The
few steps that must run before anyone is known (opening the base, the login itself) say so
with `unauthenticated()`.
"""
import contextlib
import os
import pwd
import threading

from .errors import FactuError

_actor = {"name": ""}
_local = threading.local()


class NotAuthenticated(FactuError):
    """Exit code 2 on the command line; the TUI never gets here (its login screen comes first)."""


def set_user(name: str) -> None:
    """The app user on whose behalf this process acts (sealed records and audit carry it). Only
    the front ends call it, once they have authenticated that user."""
    _actor["name"] = name or ""


def current_user() -> str:
    return _actor["name"]


def os_account() -> str:
    """The OS account running this process, from the kernel's uid (the environment lies)."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@contextlib.contextmanager
def unauthenticated():
    """Lets this thread use the database before anyone is logged in (opening the base, the
    schema, the login and its events)."""
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        yield
    finally:
        _local.depth = depth


def check() -> None:
    """Raises unless an app user acts (or the caller is inside `unauthenticated()`)."""
    if not _actor["name"] and not getattr(_local, "depth", 0):
        raise NotAuthenticated("accès refusé : aucun utilisateur connecté", "utilisateur", None)
