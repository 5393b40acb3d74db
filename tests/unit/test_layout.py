"""The suite's own layout: the helpers are found as the package tests.support,
never through a sys.path edit in a test module."""
import ast
import pathlib

TESTS = pathlib.Path(__file__).resolve().parent.parent


def _edits_sys_path(node):
    """sys.path.insert/append/extend(...), or sys.path assigned or augmented."""
    def is_sys_path(n):
        return (isinstance(n, ast.Attribute) and n.attr == "path"
                and isinstance(n.value, ast.Name) and n.value.id == "sys")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in ("insert", "append", "extend") and is_sys_path(node.func.value)
    if isinstance(node, (ast.Assign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(is_sys_path(t) or (isinstance(t, ast.Subscript) and is_sys_path(t.value)) for t in targets)
    return False


def test_tests_import_through_packages_not_sys_path():
    modules = sorted(TESTS.rglob("*.py"))
    assert len(modules) > 20  # the walk found the suite
    edits = [f"{path.relative_to(TESTS.parent)}:{node.lineno}" for path in modules
             for node in ast.walk(ast.parse(path.read_text(), str(path))) if _edits_sys_path(node)]
    assert edits == [], "edits sys.path (import from tests.support instead): %s" % edits
    # every folder is a package: that is what puts the repo root on sys.path
    folders = {path.parent for path in modules}
    assert sorted(str(f) for f in folders if not (f / "__init__.py").exists()) == []
