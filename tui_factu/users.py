"""App users: argon2 password hashes, and the peer-style link to an OS account."""
import getpass
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import audit, journal
from .catalog import clean_text
from .db import set_user, write
from .errors import FactuError, InvalidValue, NotFound
from .models import User

ROLES = ("admin", "manager", "sales", "warehouse", "accountant")
_hasher = PasswordHasher()


def os_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def create(name: str, role: str = "sales", password: str | None = None, full_name: str = "",
           os_link: str | None = None) -> User:
    name = clean_text("utilisateur", name, 40, required=True)
    if role not in ROLES:
        raise InvalidValue("rôle", role, "rôles : " + ", ".join(ROLES))
    with write():
        if User.get_or_none(User.name == name):
            raise InvalidValue("utilisateur", name, "existe déjà")
        if os_link and User.get_or_none(User.os_account == os_link):
            os_link = None      # an OS account maps to one app user only
        user = User.create(name=name, role=role, full_name=full_name, os_account=os_link,
                           password_hash=_hasher.hash(password) if password else None)
        audit.record("user", user.id, name, {"création": (None, role)})
    return user


def authenticate(name: str, password: str) -> User:
    user = User.get_or_none(User.name == name)
    ok = False
    if user and user.active and user.password_hash:
        try:
            ok = _hasher.verify(user.password_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:
        journal.event("login_failed", {"user": name})
        raise FactuError("utilisateur ou mot de passe incorrect", "utilisateur", name)
    set_user(user.name)
    journal.event("login", {"user": user.name})
    return user


def by_os_account(account: str | None = None) -> User | None:
    return User.get_or_none((User.os_account == (account or os_account())) & (User.active == True))  # noqa: E712


def get(name: str) -> User:
    user = User.get_or_none(User.name == name)
    if user is None:
        raise NotFound(f"utilisateur inconnu « {name} »", "utilisateur", name)
    return user


def listing() -> list[User]:
    return list(User.select().order_by(User.name))
