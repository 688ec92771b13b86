"""The end-to-end tests' base: the demo built once per session (the clock is frozen: the same
base every run), copied for each test."""
import pytest

from support import copy_base, run_cli


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "cli.db"
    run_cli(db, "init", "--demo")
    return db


@pytest.fixture
def base(tmp_path, demo_template):
    """A copy of the demo base and its state folder for one test."""
    return copy_base(demo_template, tmp_path / "cli.db")
