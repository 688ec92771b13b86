"""Who acts: the kernel's uid, never the environment; nobody before a login; the same answer
for an unknown name and a wrong password; parallel tries lock the account as sequential ones do."""
import asyncio
import os
import pwd
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tui_factu import catalog, documents, reports, session, settings, users
from tui_factu.errors import FactuError
from tui_factu.models import User
from tui_factu.session import NotAuthenticated

from .conftest import CLERK_UID, EXE, as_os_user, cli


def test_the_environment_does_not_say_who_runs_the_command(monkeypatch):
    monkeypatch.setenv("LOGNAME", "root")
    monkeypatch.setenv("USER", "root")
    assert session.os_account() == pwd.getpwuid(os.getuid()).pw_name


def test_a_clerk_account_claiming_to_be_root_adds_no_admin(shared):
    """`env LOGNAME=root tui-factu user add evil --role admin` from the warehouse OS account."""
    env = {"TUI_FACTU_DB": str(shared), "LOGNAME": "root", "USER": "root", "PATH": os.environ["PATH"],
           "HOME": "/tmp"}
    r = as_os_user(CLERK_UID, [EXE, "user", "add", "evil", "--role", "admin"], env=env)
    assert r.returncode == 2 and "n'est lié à aucun utilisateur" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    listed = cli(shared, "user", "list", expect=0).stdout
    assert "evil" not in listed


def test_nothing_runs_for_nobody(shop):
    session.set_user("")
    for call in (lambda: documents.listing(), lambda: reports.dashboard(),
                 lambda: catalog.save_product({"code": "VIS", "name": "Vis", "price": "0.01"}),
                 lambda: settings.set_value("margin.floor_percent", "0")):
        with pytest.raises(NotAuthenticated, match="aucun utilisateur connecté"):
            call()
    session.set_user("testeur")
    assert catalog.product_by_code("VIS").price == 12.5


def test_the_app_shows_only_its_login_before_a_login(shop):
    from screens.app import FactuApp
    from screens.catalog import ProductsScreen
    users.create("clerc", "sales", "secret")
    session.set_user("")
    app = FactuApp("clerc")

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause(0.1)
            for key in ("ctrl+p", "f12", "f1"):
                await pilot.press(key)
                await pilot.pause(0.05)
                if type(app.screen).__name__ == "HelpScreen":        # the key map of the login, harmless
                    await pilot.press("escape")
            assert type(app.screen).__name__ == "LoginScreen"
            app.push_screen(ProductsScreen())                         # any other way in: refused
            await pilot.pause(0.05)
            assert type(app.screen).__name__ == "LoginScreen"
            app.logged_in("clerc")                                    # the app's word is not a login
            await pilot.pause(0.05)
            assert type(app.screen).__name__ == "LoginScreen" and session.current_user() == ""
            await pilot.press(*"secret", "enter")
            for _ in range(50):
                await app.workers.wait_for_complete()
                await pilot.pause(0.02)
                if type(app.screen).__name__ == "HomeScreen":
                    break
            assert type(app.screen).__name__ == "HomeScreen" and session.current_user() == "clerc"
    asyncio.run(go())


def test_unknown_user_and_wrong_password_get_the_same_answer_after_the_same_work(shop, monkeypatch):
    users.create("clerc", "sales", "secret")
    calls = []
    real = users._hasher

    class Counting:
        def verify(self, h, p):
            calls.append(h)
            return real.verify(h, p)

        def hash(self, p):
            calls.append("hash")
            return real.hash(p)
    monkeypatch.setattr(users, "_hasher", Counting())
    calls.clear()
    messages = []
    for name in ("clerc", "personne"):
        with pytest.raises(FactuError) as e:
            users.authenticate(name, "faux")
        messages.append(str(e.value))
    users.User.update(locked_until="2999-01-01T00:00:00+00:00").where(users.User.name == "clerc").execute()
    with pytest.raises(FactuError) as e:           # a locked account: the same answer, the same work
        users.authenticate("clerc", "secret")
    messages.append(str(e.value))
    assert messages[0] == messages[1] == messages[2] and messages[0].startswith("utilisateur ou mot de passe incorrect")
    assert len(calls) == 3 and "hash" not in calls  # one argon2 check each: the timing tells nothing
    assert not real.check_needs_rehash(users.DUMMY_HASH)   # the decoy costs what a real password costs


def test_the_command_line_says_the_same_to_an_unknown_user(shared):
    cli(shared, "user", "add", "clerc", "--role", "sales", env={"TUI_FACTU_NEW_PASSWORD": "secret"}, expect=0)
    answers = [cli(shared, "--user", name, "doc", "list", env={"TUI_FACTU_PASSWORD": "faux"}, expect=2).stderr
               for name in ("clerc", "personne")]
    assert answers[0] == answers[1] and "utilisateur ou mot de passe incorrect" in answers[0]


def test_sixteen_parallel_wrong_passwords_lock_the_account(shared):
    env = dict(os.environ, TUI_FACTU_DB=str(shared), TUI_FACTU_PASSWORD="faux")
    cli(shared, "user", "add", "clerc", "--role", "sales", env={"TUI_FACTU_NEW_PASSWORD": "secret"}, expect=0)
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: subprocess.run([EXE, "--user", "clerc", "doc", "list"], env=env,
                                                         capture_output=True, text=True), range(16)))
    assert all(r.returncode == 2 for r in results)
    r = cli(shared, "--user", "clerc", "doc", "list", env={"TUI_FACTU_PASSWORD": "secret"}, expect=2)
    assert "incorrect" in r.stderr                 # the right password no longer opens it, and says nothing more
    assert "verrouillé" in cli(shared, "user", "list", expect=0).stdout


def test_parallel_failures_are_counted_in_the_base(shop):
    users.create("clerc", "sales", "secret")
    clerc = User.get(User.name == "clerc")
    for _ in range(3):
        users._count_failure(clerc)                # each an increment of the row, never a value read before
    assert User.get(User.name == "clerc").failed_logins == 3
