"""Screens navigate through the app: the independence contract of pyproject.toml (run by
tests/test_layers.py) covers every screen module, a new one included."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = {"screens.app", "screens.pickers", "screens.commands", "screens.bench"}   # in no screen's place


def _contract(name_start: str) -> dict:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c["name"].startswith(name_start))


def test_every_screen_module_is_in_the_independence_contract():
    independent = set(_contract("Screens are independent")["modules"])
    modules = {f"screens.{p.stem}" for p in (ROOT / "screens").glob("*.py") if p.stem != "__init__"}
    assert modules - SHARED == independent, "a screen module to add to the contract, or to SHARED with a reason"
    assert not SHARED & independent


def test_the_app_opens_every_screen_a_screen_asks_for():
    """What screens ask of the app exists on it (a typo would only fail when the key is pressed)."""
    import re
    from screens.app import FactuApp
    asked = set()
    for path in (ROOT / "screens").glob("*.py"):
        asked |= set(re.findall(r"self\.app\.(open_\w+|new_document)\(", path.read_text()))
    assert asked >= {"open_document", "open_situation", "open_links", "new_document"}
    assert all(callable(getattr(FactuApp, name, None)) for name in asked), asked
