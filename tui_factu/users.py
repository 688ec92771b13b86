"""App users: argon2 password hashes, the peer-style link to an OS account, and a lock after
repeated failed logins (counted atomically: parallel tries lock as sequential ones do)."""
import logging
import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import clock, audit, journal, logs, session
from .catalog import clean_text
from .db import is_postgres, write
from .errors import FactuError, InvalidValue, NotFound
from .models import User
from .permissions import ROLES

log = logging.getLogger(__name__)

MAX_FAILURES = 5
LOCK_MINUTES = 15


class _Hasher(PasswordHasher):
    """Every password hashed or checked is a secret the log masks from then on (logs.secret)."""
    def hash(self, password, **kwargs):
        logs.secret(password if isinstance(password, str) else None)
        return super().hash(password, **kwargs)

    def verify(self, hash, password):
        logs.secret(password if isinstance(password, str) else None)
        return super().verify(hash, password)


_hasher = _Hasher()


def _now() -> dt.datetime:
    return clock.now()


os_account = session.os_account
_REFUSED = (f"utilisateur ou mot de passe incorrect (après {MAX_FAILURES} échecs, le compte attend "
            f"{LOCK_MINUTES} minutes)")
# Checked when the name is unknown or the account locked, so that the answer takes as long as a
# wrong password. A constant, not made on first use: each command is a new process, where that
# first hash made unknown names the slow ones (tests/security: its parameters are the hasher's).
DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$088tlUmlUXRLZZOOMn8OPA$9jU4KHMb4hmMtWFbEECNrT9Jyso1gkRBc2r47jNosG0"


def _dummy_hash() -> str:
    return DUMMY_HASH


def bootstrap_admin(name: str, password: str | None, os_link: str | None, full_name: str = "") -> User:
    """The first administrator of a base that has no user at all (`init`): nobody is logged in
    yet, and nobody could be."""
    with session.unauthenticated(), write():
        if User.select().exists():
            raise FactuError("la base a déjà des utilisateurs : connectez-vous", "utilisateur", name)
        name = clean_text("utilisateur", name, 40, required=True)
        user = User.create(name=name, role="admin", full_name=full_name, os_account=os_link,
                           password_hash=_hasher.hash(password) if password else None)
        session.set_user(user.name)
        audit.record("user", user.id, name, {"création": (None, "admin")})
    return user


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


def authenticate(name: str, password: str, act: bool = True) -> User:
    """Checks the password; after MAX_FAILURES failures in a row the account is locked for
    LOCK_MINUTES (the lock and each failure are technical events). An unknown name and a wrong
    password get the same answer, after the same work. With act, this process then acts as
    that user (a front end's login); without, it only opens a door (the web gate of serve)."""
    with session.unauthenticated():
        user = User.get_or_none(User.name == name)
        if user and user.locked_until and user.locked_until > _now().isoformat():
            _locked(user)
        try:
            ok = _hasher.verify(user.password_hash if user and user.active and user.password_hash
                                else _dummy_hash(), password or "")
            ok = ok and bool(user and user.active and user.password_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            if user:
                _count_failure(user)
            journal.event("login_failed", {"user": name})
            log.warning("connexion refusée pour « %s »", name)
            raise FactuError(_REFUSED, "utilisateur", name)
        with write():
            current = User.get_by_id(user.id)            # a lock set meanwhile by a parallel try
            if current.locked_until and current.locked_until > _now().isoformat():
                _locked(current)
            if current.failed_logins or current.locked_until:
                User.update(failed_logins=0, locked_until=None).where(User.id == user.id).execute()
    log.info("connexion de « %s »%s", user.name, "" if act else " (web)")
    if not act:
        with session.unauthenticated():
            journal.event("login", {"user": user.name, "channel": "web"})
        return user
    session.set_user(user.name)
    journal.event("login", {"user": user.name})
    return user


def _locked(user: User):
    """A locked account gets the answer of a wrong password, after the same work: its name
    tells an outsider nothing (the lock is in the events and in `user list`)."""
    try:
        _hasher.verify(_dummy_hash(), "x")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass
    journal.event("login_refused", {"user": user.name, "reason": "locked"})
    raise FactuError(_REFUSED, "utilisateur", user.name)


def _count_failure(user: User) -> None:
    """One more failure, counted in the database itself (an increment, never a value read
    before): sixteen parallel tries count sixteen."""
    with write():
        if is_postgres():
            User.select(User.id).where(User.id == user.id).for_update().execute()
        User.update(failed_logins=User.failed_logins + 1).where(User.id == user.id).execute()
        failures = User.select(User.failed_logins).where(User.id == user.id).scalar()
        if failures >= MAX_FAILURES:
            locked = (_now() + dt.timedelta(minutes=LOCK_MINUTES)).isoformat()
            User.update(failed_logins=0, locked_until=locked).where(User.id == user.id).execute()
            journal.seal("event", "account_locked", user.name, {"action": "account_locked", "user": user.name,
                                                                "until": locked})


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
