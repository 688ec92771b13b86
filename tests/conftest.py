"""Fixtures: a fresh database per test, as a SQLite *file* (worker threads and other processes
must see it) or, for tests marked `backends`, on PostgreSQL as well.

PostgreSQL: TUI_FACTU_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test); each test
gets its own schema. Without a server those tests skip and say why; with TUI_FACTU_NO_SKIP=1
(set by .ci/run) any skip fails the run.
"""
import os
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from support import need  # noqa: E402

import datetime as _dt

TODAY = _dt.date(2026, 12, 1)                 # the day the tests live in, whatever the calendar says
PG_URL = os.environ.get("TUI_FACTU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "benchmark: measures a figure and prints it; asserts no timing")
    # frozen from collection on: a module-level `clock.today()` is the tests' day too
    os.environ["TUI_FACTU_TODAY"] = TODAY.isoformat()


def pytest_generate_tests(metafunc):
    if "db" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("db", ["sqlite", "postgresql"], indirect=True)


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`-n 2 --dist loadgroup`), the PostgreSQL tests run in one worker:
    their schemas are apart, but advisory locks are server-wide."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec and callspec.params.get("db") == "postgresql":
            item.add_marker(pytest.mark.xdist_group("postgresql"))


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("TUI_FACTU_NO_SKIP"):
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter and reporter.stats.get("skipped"):
            session.exitstatus = 1


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Keys, logs and default paths of the app stay in the test's own folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "documents"))
    monkeypatch.delenv("TUI_FACTU_DB", raising=False)
    monkeypatch.delenv("TUI_FACTU_KEYS", raising=False)
    from tui_factu import clock, journal, session
    session.set_user("")
    journal.forget_signers()
    clock.freeze(TODAY)                       # every test's today, and its subprocesses' too
    monkeypatch.setenv("TUI_FACTU_TODAY", TODAY.isoformat())
    yield
    clock.freeze(None)


_pg_state = {}


def pg_url_for_test():
    """A fresh schema on the test server: (url, drop)."""
    if "reason" not in _pg_state:
        try:
            import psycopg
            with psycopg.connect(PG_URL, connect_timeout=3):
                _pg_state["reason"] = None
        except Exception as e:  # noqa: BLE001
            _pg_state["reason"] = f"PostgreSQL indisponible à {PG_URL} ({type(e).__name__})"
    need(_pg_state["reason"] is None, _pg_state["reason"])
    import psycopg
    schema = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"

    def drop():
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", drop


@pytest.fixture
def db(request, tmp_path):
    """An initialised, empty database whose administrator « testeur » is logged in; yields
    its URL or path."""
    from tui_factu import db as database, users
    drop = None
    if getattr(request, "param", "sqlite") == "postgresql":
        url, drop = pg_url_for_test()
    else:
        url = str(tmp_path / "factu.db")
    database.connect(url)
    database.ensure_schema()
    users.bootstrap_admin("testeur", None, None)
    yield url
    database.db.close()
    if drop:
        drop()


@pytest.fixture
def shop(db):
    """A small shop: company, two customers, four products."""
    from support import make_shop
    return make_shop()
