"""Fixtures of the screen tests: an app for a sales clerk and one for the boss, every
notification kept readable (tests/pilot.py reads them)."""
import pytest

from tui_factu import users


@pytest.fixture(autouse=True)
def _notes_kept(monkeypatch):
    """Every notification an app shows, kept in app.notes through the public App.notify (a
    toast expires; what it said stays readable here)."""
    from screens.app import FactuApp
    shown = FactuApp.notify

    def notify(self, message, *args, **kwargs):
        vars(self).setdefault("notes", []).append(str(message))
        return shown(self, message, *args, **kwargs)
    monkeypatch.setattr(FactuApp, "notify", notify)


@pytest.fixture
def app(shop):
    users.create("clerc", "sales", "secret")
    from screens.app import FactuApp
    return FactuApp("clerc")


@pytest.fixture
def admin_app(shop):
    users.create("patron", "admin", "secret")
    from screens.app import FactuApp
    return FactuApp("patron")
