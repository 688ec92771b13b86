"""Who a command acts as, and the passwords it asks for."""
import os
import sys

from ..errors import FactuError


def act_as(name: str | None, bootstrapping: bool = False) -> None:
    """Who this command acts as, like PostgreSQL's peer authentication: the app user linked to
    the OS account running it (the kernel's uid, never $USER), with no password; `--user NAME`
    with that user's password (TUI_FACTU_PASSWORD, else asked on the terminal) to act as
    someone else. Nobody else acts: only `init` may find a base without users, and create its
    first administrator."""
    from .. import session, users
    from ..models import User
    with session.unauthenticated():
        linked = users.by_os_account()
        has_users = User.select().exists()
    if name:
        if linked and linked.name == name:
            session.set_user(linked.name)
            return
        password = os.environ.get("TUI_FACTU_PASSWORD")
        if password is None and sys.stdin.isatty():
            import getpass
            password = getpass.getpass(f"Mot de passe de « {name} » : ")
        if password is None:
            raise FactuError(f"--user {name} : mot de passe requis (TUI_FACTU_PASSWORD ou terminal)", "--user", name)
        users.authenticate(name, password)
        return
    if linked:
        session.set_user(linked.name)
        return
    account = session.os_account()
    if has_users:
        raise FactuError(f"le compte système « {account} » n'est lié à aucun utilisateur de l'application : "
                         "utilisez --user NOM (avec son mot de passe), ou demandez à un administrateur "
                         f"« tui-factu user set NOM --link {account} »", "--user", account)
    if not bootstrapping:
        raise FactuError("cette base n'a encore aucun utilisateur : commencez par « tui-factu init »",
                         "utilisateur", account)


def new_password(prompt: str) -> str | None:
    """TUI_FACTU_NEW_PASSWORD, else asked on the terminal; None without either (OS-account
    login only)."""
    password = os.environ.get("TUI_FACTU_NEW_PASSWORD")
    if password is None and sys.stdin.isatty():
        import getpass
        password = getpass.getpass(prompt)
    return password or None
