"""The arrows of ARCHITECTURE.md, kept by import-linter: the core imports no screen, printer or
UI library (the cli package excepted, the composition root); printers never import screens;
the core's floors point down; and no module of the core reaches back to itself."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is a test dependency (pip install -e '.[test]')"
    r = subprocess.run([exe, str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "KEPT" in r.stdout and "BROKEN" not in r.stdout


def test_no_module_of_the_core_reaches_back_to_itself():
    """Module by module (a lazy import inside a function counts): no cycle anywhere in the core."""
    import grimp
    graph = grimp.build_graph("tui_factu")
    modules = {m for m in graph.modules if m not in ("tui_factu", "tui_factu.documents")}
    deps = {m: {d for d in graph.find_modules_directly_imported_by(m) if d in modules} for m in modules}
    seen, on_path, cycles = set(), [], []

    def walk(m):
        if m in on_path:
            cycles.append(on_path[on_path.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        on_path.append(m)
        for d in sorted(deps[m]):
            walk(d)
        on_path.pop()
    for m in sorted(modules):
        walk(m)
    assert not cycles, "cycle : " + " -> ".join(cycles[0])


def test_no_two_test_files_share_a_name():
    """Test folders are not packages: two tests/*/test_x.py stop the whole suite at collection."""
    from collections import Counter
    from pathlib import Path
    tests = Path(__file__).parent
    names = Counter(p.name for p in tests.glob("*/test_*.py") if not (p.parent / "__init__.py").exists())
    assert [n for n, k in names.items() if k > 1] == []
