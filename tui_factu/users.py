"""App users: argon2 password hashes, the peer-style link to an OS account, and a lock after
repeated failed logins."""
import datetime as dt
import getpass
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import audit, journal
from .catalog import clean_text
from .db import set_user, write
from .errors import FactuError, InvalidValue, NotFound
from .models import User
from .permissions import ROLES

MAX_FAILURES = 5
LOCK_MINUTES = 15
_hasher = PasswordHasher()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def os_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def create(name: str, role: str = "sales", password: str | None = None, full_name: str = "",
           os_link: str | None = None) -> User:
    from . import permissions
    permissions.require("users.manage")
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
    """Checks the password; after MAX_FAILURES failures in a row the account is locked for
    LOCK_MINUTES (the lock and each failure are technical events)."""
    user = User.get_or_none(User.name == name)
    if user and user.locked_until and user.locked_until > _now().isoformat():
        until = dt.datetime.fromisoformat(user.locked_until).astimezone().strftime("%H:%M")
        journal.event("login_refused", {"user": name, "reason": "locked"})
        raise FactuError(f"compte « {name} » verrouillé jusqu'à {until} après {MAX_FAILURES} échecs : "
                         "réessayez plus tard ou demandez à un administrateur", "utilisateur", name)
    ok = False
    if user and user.active and user.password_hash:
        try:
            ok = _hasher.verify(user.password_hash, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
    if not ok:
        if user:
            with write():
                failures = user.failed_logins + 1
                locked = (_now() + dt.timedelta(minutes=LOCK_MINUTES)).isoformat() if failures >= MAX_FAILURES else None
                User.update(failed_logins=0 if locked else failures, locked_until=locked).where(User.id == user.id).execute()
                if locked:
                    journal.seal("event", "account_locked", name, {"action": "account_locked", "user": name,
                                                                   "until": locked})
        journal.event("login_failed", {"user": name})
        raise FactuError("utilisateur ou mot de passe incorrect", "utilisateur", name)
    if user.failed_logins or user.locked_until:
        with write():
            User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
    set_user(user.name)
    journal.event("login", {"user": user.name})
    return user


def update(name: str, role: str | None = None, password: str | None = None, active: bool | None = None,
           os_link: str | None = None, unlock: bool = False) -> User:
    """An administrator changes a user's role, password, link to an OS account, or (de)activates
    or unlocks it; every change is audited."""
    from . import permissions
    permissions.require("users.manage")
    with write():
        user = get(name)
        values = {}
        if role is not None:
            if role not in ROLES:
                raise InvalidValue("rôle", role, "rôles : " + ", ".join(ROLES))
            values["role"] = role
        if active is not None:
            values["active"] = active
        if os_link is not None:
            other = User.get_or_none((User.os_account == os_link) & (User.id != user.id))
            if other:
                raise InvalidValue("compte système", os_link, f"déjà lié à « {other.name} »")
            values["os_account"] = os_link or None
        if unlock:
            values.update(failed_logins=0, locked_until=None)
        changes = audit.diff(user, values)
        if password is not None:
            values["password_hash"] = _hasher.hash(password)
            changes["mot de passe"] = ("…", "changé")
        if (values.get("role", "admin") != "admin" or values.get("active") is False) and user.role == "admin" and \
                not User.select().where((User.role == "admin") & User.active & (User.id != user.id)).exists():
            raise InvalidValue("utilisateur", name, "c'est le dernier administrateur actif")
        User.update(**values).where(User.id == user.id).execute()
        audit.record("user", user.id, name, changes)
        journal.seal("event", "settings", name, {"action": "user", "user": name, "fields": sorted(changes)})
    return get(name)


def by_os_account(account: str | None = None) -> User | None:
    return User.get_or_none((User.os_account == (account or os_account())) & (User.active == True))  # noqa: E712


def get(name: str) -> User:
    user = User.get_or_none(User.name == name)
    if user is None:
        raise NotFound(f"utilisateur inconnu « {name} »", "utilisateur", name)
    return user


def listing() -> list[User]:
    return list(User.select().order_by(User.name))
