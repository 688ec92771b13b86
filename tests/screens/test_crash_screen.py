"""An unexpected error shows no data (#16, point 2): wherever it rises — the login's worker, a
screen's compose or callback, Textual's own panic, a command — the terminal gets one French line
naming the log, and neither the terminal nor the log holds the password or a local variable.
Textual's own crash screen printed the locals: `password = 'clerk123'`, four times."""
import pytest

from tui_factu import logs, users
from tui_factu.models import User

from pilot import run, until

PASSWORD = "clerk-7Hq2x"        # what the clerk typed, in a local and in the error's message
LOCAL = "IBAN FR76 3000 6000 0112 3456 7890 189"      # only ever in a local variable


def _log_text() -> str:
    return logs.path().read_text() if logs.path().exists() else ""


def _shows_no_data(err: str) -> None:
    """The terminal after the crash (stderr, where Textual prints it) and the log file."""
    log = _log_text()
    line = err.replace("\n", "")                                               # wrapped at 80 columns
    assert "tui-factu : erreur interne" in line and str(logs.path()) in line   # French, names the log
    assert "erreur interne" in log and "Traceback" in log                       # the log has the details…
    for shown in (err, log):
        assert PASSWORD not in shown                                            # …but never the password
        assert LOCAL not in shown                                               # nor any local variable
    assert "Traceback" not in err


def test_a_crash_at_login_shows_neither_the_password_nor_a_local(app, monkeypatch, capfd):
    def broken_login(name, password, act=True):
        typed, iban = password, LOCAL                                          # noqa: F841 - locals to leak
        raise RuntimeError(f"base illisible pendant la connexion de {name} avec {password}")
    monkeypatch.setattr(users, "authenticate", broken_login)

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press(*PASSWORD, "enter")
            await until(pilot, lambda: app.return_code is not None)
    with pytest.raises(Exception, match="connexion"):      # Pilot hands the error back to the test…
        run(go())
    assert app.return_code == 3                 # …the app ended as an internal error, exit code 3
    _shows_no_data(capfd.readouterr().err)
    assert "RuntimeError" in _log_text() and "connexion de clerc avec ***" in _log_text()


@pytest.mark.parametrize("where", ["compose", "callback", "panic"])
def test_a_crash_in_a_screen_shows_no_local(app, where, capfd):
    """The same end for an error in a screen's compose, in a callback, and for Textual's panic
    (its input thread's failure)."""
    from textual.screen import Screen

    class Broken(Screen):
        def compose(self):
            typed, iban = PASSWORD, LOCAL                                      # noqa: F841
            raise ValueError(f"compose : {PASSWORD}")
            yield

    async def go():
        async with app.run_test(size=(80, 24)) as pilot:
            logs.secret(PASSWORD)                       # as the login does with what was typed
            if where == "compose":                      # a screen opens only after a login
                await pilot.press(*"secret", "enter")
                await until(pilot, lambda: app.user_name == "clerc")
                app.push_screen(Broken())
            elif where == "callback":
                def later():
                    typed, iban = PASSWORD, LOCAL                              # noqa: F841
                    raise KeyError(PASSWORD)
                app.call_later(later)
            else:
                try:
                    typed, iban = PASSWORD, LOCAL                              # noqa: F841
                    raise OSError(f"entrée du terminal perdue ({PASSWORD})")
                except OSError:
                    from rich.traceback import Traceback
                    app.panic(Traceback(show_locals=True))
            await until(pilot, lambda: app.return_code is not None)
    try:
        run(go())
    except Exception:  # noqa: BLE001 - Pilot hands the error back; what the user saw is the point
        pass
    assert app.return_code == 3
    _shows_no_data(capfd.readouterr().err)


def test_a_command_that_crashes_prints_one_french_line_without_the_password(db, monkeypatch, capfd):
    from tui_factu import cli, reports
    with_link = User.update(os_account=users.os_account()).where(User.name == "testeur")
    with_link.execute()
    monkeypatch.setenv("TUI_FACTU_PASSWORD", PASSWORD)

    def broken(*args, **kwargs):
        secret, iban = PASSWORD, LOCAL                                         # noqa: F841
        raise RuntimeError(f"password={PASSWORD} refusé par le serveur ; {PASSWORD}")
    monkeypatch.setattr(reports, "aging", broken)
    assert cli.main(["--db", db, "report", "aging"]) == 3
    err = capfd.readouterr().err
    assert err.startswith("tui-factu : erreur interne (RuntimeError")
    _shows_no_data(err)
