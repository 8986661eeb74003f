"""The package's shape: no import cycles (counting lazy imports inside functions), a pure domain, every
module importable on its own, and no decision taken on the wording of a message."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import kiosk

ROOT = Path(kiosk.__file__).parent


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts:  # Alembic's scripts: run by Alembic, not imported
            continue
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Every kiosk module ``name`` imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name and t.startswith("kiosk."):
                found.add(t)
    return found


def test_no_import_cycles_even_through_lazy_imports():
    mods = _modules()
    graph = {m: _imports(m, p, set(mods)) for m, p in mods.items()}
    # A package's __init__ importing its own submodules is not a cycle of the design.
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    cycles, state = [], {}

    def visit(m: str, stack: list[str]) -> None:
        state[m] = "open"
        for d in sorted(graph.get(m, ())):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_domain_imports_only_the_standard_library_and_its_own_kind():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    bad = []
    for path in (ROOT / "domain").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            bad += [f"{path.name}: {n}" for n in names
                    if n.split(".")[0] not in stdlib and not n.startswith(("kiosk.domain", "kiosk.errors", "kiosk.config"))]
    assert bad == []


def test_every_module_imports_on_its_own(tmp_path):
    """Each module imported into a fresh set of kiosk modules: an order-dependent cycle fails here."""
    names = sorted(n for n in _modules() if n != "kiosk.__main__")
    script = (
        "import importlib, sys\n"
        "failed = []\n"
        f"for name in {names!r}:\n"
        "    for m in [m for m in sys.modules if m == 'kiosk' or m.startswith('kiosk.')]:\n"
        "        del sys.modules[m]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{name}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n")
    env = {**os.environ, "KIVY_NO_ARGS": "1", "KIVY_HOME": str(tmp_path), "KIVY_LOG_MODE": "PYTHON",
           "SDL_VIDEODRIVER": "offscreen"}
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr[-2000:]


# Decisions on prose: a message, note, notice, reason or stringified exception tested for its wording.
_PROSE_TEST = re.compile(r"\.(note|message|notice|reason|detail|msg)\.(startswith|endswith)\(|"
                         r"str\((exc|err|e)\)\.(startswith|endswith)\(|\bin (str\((exc|err|e)\)|msg)\b|"
                         r"\bcode\.startswith\(")


def test_no_decision_reads_the_wording_of_a_message():
    hits = []
    for path in ROOT.rglob("*.py"):
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _PROSE_TEST.search(line):
                hits.append(f"{path.relative_to(ROOT.parent)}:{i}: {line.strip()}")
    assert hits == []
