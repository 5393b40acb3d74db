"""The package's shape (issue 12): every command is a core in commands/ with
no click, a click wrapper in cli/; no import cycles; no module over 400
lines, no function over 60; every module says what it owns."""
import ast
import pathlib
import subprocess
import sys

import pytest

import swiftrotate

PACKAGE = pathlib.Path(swiftrotate.__file__).parent
MODULES = sorted(PACKAGE.rglob("*.py"))

# The only imports of swiftrotate's own modules made inside a function: each
# keeps something heavy off the path of the no-op hook run. (Two more are
# made by importlib, not an import statement: cli.Commands loads a command's
# module when it runs, backends.get_backend a store's module when it opens.)
LAZY = set()


def _name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path):
    """(module imported, inside a function?) for each swiftrotate import."""
    tree = ast.parse(path.read_text())
    package = _name(path) if path.name == "__init__.py" else _name(path).rpartition(".")[0]
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside.update(id(n) for n in ast.walk(node) if n is not node)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [target] + [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] == "swiftrotate":
                out.append((name, id(node) in inside))
    return out


def _graph():
    known = {_name(p): p for p in MODULES}
    graph = {}
    for name, path in known.items():
        graph[name] = {target for target, lazy in _imports(path) if not lazy and target in known and target != name}
    return graph


def test_no_import_cycles():
    graph = _graph()
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            # a package's __init__ is imported on the way to its submodules: not an edge back
            if nxt != node and node.startswith(nxt + "."):
                continue
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, cycles


def test_intra_package_imports_inside_functions_are_the_listed_lazy_loads():
    found = {(str(p.relative_to(PACKAGE)), target) for p in MODULES for target, lazy in _imports(p) if lazy}
    # `from ..commands import rename` names the module twice (package, package.name): keep the module
    found = {(f, t) for f, t in found if not any(o == f and o_t.startswith(t + ".") for o, o_t in found)}
    assert found == LAZY


@pytest.mark.parametrize("path", [p for p in MODULES if "commands" in p.parts], ids=lambda p: p.name)
def test_command_cores_import_no_click(path):
    code = f"import sys, {_name(path)}; assert 'click' not in sys.modules, 'click imported'"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_every_command_has_a_core_and_a_wrapper():
    from swiftrotate.cli import COMMANDS

    cores = {p.stem for p in (PACKAGE / "commands").iterdir() if p.suffix == ".py" and p.stem != "__init__"}
    cores |= {p.name for p in (PACKAGE / "commands").iterdir() if (p / "__init__.py").exists()}
    wrappers = {p.stem for p in (PACKAGE / "cli").glob("*.py")} - {"__init__", "context", "options", "output", "group", "hook"}
    assert cores == wrappers == set(COMMANDS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_size_and_function_length(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 400
    long = [(n.name, n.end_lineno - n.lineno + 1) for n in ast.walk(ast.parse(text))
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.end_lineno - n.lineno + 1 > 60]
    assert not long


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_opens_with_a_docstring(path):
    if path.name == "__main__.py" or (path.name == "__init__.py" and not path.read_text().strip()):
        return
    assert ast.get_docstring(ast.parse(path.read_text())), "say what the module owns and what it must not do"
