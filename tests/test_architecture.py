"""The dependency direction and the one-home-per-concern rules of STYLE.md, enforced.

Parsed with ``ast``, not imported: a core module that imports django would otherwise pass here
simply because django is installed. Runs in milliseconds, needs no service.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from django_kue.core import scripts

PACKAGE = Path(__file__).resolve().parent.parent / "django_kue"
CORE = PACKAGE / "core"
LUA = CORE / "lua"
KEYS_MODULE = CORE / "keys.py"

# Shapes of a Redis key of this app: a hash tag followed by ":" ("{q}:..."), or one of the key
# templates' own words. A literal like this outside core/keys.py is a second home for key names.
KEY_SHAPED = re.compile(
    r"\{[^{}\s]*\}:|:jobs?:|^jobs?:|job:types|stats:(work-time|second)|search:(word|object):"
    r"|^wake:|mirror:lock"
)
HEADER_ORDER = ("KEYS[1]", "ARGV[", "Returns", "Events")


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "migrations" not in p.parts)


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def docstring_nodes(tree: ast.AST) -> set[int]:
    """ids of the constants that are docstrings (prose may show a key as an example)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def string_literals(tree: ast.AST) -> list[tuple[int, str]]:
    skip = docstring_nodes(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip]


@pytest.mark.parametrize("path", python_files(CORE), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_imports_neither_django_nor_rest_framework(path):
    tree = ast.parse(path.read_text(), str(path))
    bad = [f"{path.name}:{line} imports {name}" for line, name in imported_modules(tree)
           if name.split(".")[0] in ("django", "rest_framework", "django_kue")
           and not name.startswith("django_kue.core")]
    assert not bad, "core/ must stay Django-free (STYLE.md, Dependency direction): " + "; ".join(bad)


def test_core_relative_imports_stay_inside_core():
    """``from .. import conf`` would reach the Django layer without naming django."""
    bad = []
    for path in python_files(CORE):
        depth = len(path.relative_to(CORE).parts)  # 1 for core/x.py
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level > depth:
                bad.append(f"{path.name}:{node.lineno}")
    assert not bad, f"relative imports leaving core/: {bad}"


def absolute_imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, relative imports resolved (``..conf`` -> ``django_kue.conf``),
    with ``from x import y`` also counted as ``x.y`` (y may be a module)."""
    package = ["django_kue", *path.relative_to(PACKAGE).parent.parts]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((node.lineno, module))
            found += [(node.lineno, f"{module}.{alias.name}") for alias in node.names]
    return found


# STYLE.md's table: which Django-layer modules may not import which (core is checked above)
LAYERS = [
    (("conf", "checks", "connection", "registry", "signals"),
     ("django_kue.models", "django_kue.mirror", "django_kue.admin", "django_kue.api",
      "django_kue.dashboard", "django.db", "rest_framework")),
    (("models", "mirror"), ("django_kue.admin", "django_kue.api", "django_kue.dashboard")),
    (("admin", "dashboard"), ("django_kue.api",)),
    (("api",), ("django_kue.admin", "django_kue.dashboard")),
]


@pytest.mark.parametrize("modules, forbidden", LAYERS, ids=lambda v: "+".join(v[:2]))
def test_django_layer_dependencies_point_one_way(modules, forbidden):
    bad = []
    for name in modules:
        files = [PACKAGE / f"{name}.py"] if (PACKAGE / f"{name}.py").exists() else \
            python_files(PACKAGE / name) if (PACKAGE / name).is_dir() else []
        for path in files:
            bad += [f"{path.relative_to(PACKAGE)}:{line} imports {module}"
                    for line, module in absolute_imports(path)
                    if any(module == f or module.startswith(f + ".") for f in forbidden)]
    assert not bad, "; ".join(bad)


def test_relative_imports_resolve():
    """Guards the layer test: ``from ..conf import x`` in api/ counts as django_kue.conf."""
    modules = {m for _, m in absolute_imports(PACKAGE / "api" / "kue.py")}
    assert {"django_kue.conf", "django_kue.connection", "django_kue.api.base"} <= modules


def test_no_pickle_anywhere():
    bad = [f"{path.relative_to(PACKAGE)}:{line}" for path in python_files(PACKAGE)
           for line, name in imported_modules(ast.parse(path.read_text()))
           if name.split(".")[0] in ("pickle", "cPickle", "dill", "cloudpickle", "_pickle")]
    assert not bad, f"job data is JSON; pickle is imported at {bad}"


def test_key_shaped_literals_live_only_in_keys_py():
    bad = []
    for path in python_files(PACKAGE):
        if path == KEYS_MODULE:
            continue
        for line, text in string_literals(ast.parse(path.read_text())):
            if KEY_SHAPED.search(text):
                bad.append(f"{path.relative_to(PACKAGE)}:{line} {text[:60]!r}")
    assert not bad, "build keys with core/keys.py, not by hand: " + "; ".join(bad)


def test_keys_py_has_the_key_templates():
    """Guards the test above: if the shapes stopped matching keys.py's own templates, the
    literal check would pass vacuously."""
    tree = ast.parse(KEYS_MODULE.read_text())
    assert sum(bool(KEY_SHAPED.search(text)) for _, text in string_literals(tree)) >= 5


def test_lua_scripts_have_no_key_literals():
    """Lua builds keys with the generated K.<name>(...) functions, never by concatenation."""
    quoted = re.compile(r"""(['"])([^'"]*)\1""")
    bad = []
    for path in sorted(LUA.rglob("*.lua")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("--", 1)[0]
            bad += [f"{path.name}:{number} {m.group(2)!r}" for m in quoted.finditer(code)
                    if KEY_SHAPED.search(m.group(2)) or m.group(2).startswith(":")]
    assert not bad, f"key literals in Lua: {bad}"


def lua_header(path: Path) -> list[str]:
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return lines


@pytest.mark.parametrize("path", sorted(LUA.glob("*.lua")), ids=lambda p: p.name)
def test_every_script_opens_with_its_header(path):
    """BullMQ's format: purpose, KEYS[1], ARGV[i] with units, Returns, Events, in that order."""
    header = lua_header(path)
    assert header, f"{path.name} has no header comment"
    assert header[0].startswith(f"{path.stem}: ") and len(header[0]) > len(path.stem) + 10, (
        f"{path.name}: the first line must be '-- {path.stem}: <what it does>'")
    positions = []
    for label in HEADER_ORDER:
        found = [i for i, line in enumerate(header) if line.startswith(label)]
        assert found, f"{path.name}: the header has no '-- {label}' line"
        positions.append(found[0])
    assert positions == sorted(positions), f"{path.name}: header order must be {HEADER_ORDER}"


def test_script_names_and_files_match():
    files = {p.stem for p in LUA.glob("*.lua")}
    assert set(scripts.NAMES) == files, (
        f"registered but no file: {set(scripts.NAMES) - files}; file but not registered: "
        f"{files - set(scripts.NAMES)}")
    assert len(scripts.NAMES) == len(set(scripts.NAMES)), "a script name is listed twice"


def test_the_checks_would_catch_a_violation(tmp_path):
    """The detectors themselves: each finds the thing it hunts for."""
    tree = ast.parse('import django.db\nfrom rest_framework import views\nimport pickle\n'
                     'KEY = "{q}:job:7"\n')
    assert [name for _, name in imported_modules(tree)] == ["django.db", "rest_framework", "pickle"]
    assert [text for _, text in string_literals(tree) if KEY_SHAPED.search(text)] == ["{q}:job:7"]
    script = tmp_path / "claim.lua"
    script.write_text("-- claim: take jobs\n-- ARGV[1] now\nreturn 1\n")
    assert not any(line.startswith("KEYS[1]") for line in lua_header(script))
