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


ROOT = TESTS.parent
CONFIG_SUFFIXES = (".conf", ".cfg", ".ini", ".env", ".rc")
ALLOWED_AT_ROOT = {"pytest.ini", "setup.cfg"}  # tool configuration, not a swiftrotate config


def _tracked():
    """The files git tracks (CI runs on a clone), else every file on disk."""
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=True).stdout
        return [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [p for p in ROOT.rglob("*") if p.is_file() and ".git" not in p.parts]


def test_no_config_file_is_committed_at_the_root():
    """Issue 14: s3p.conf and s3r.conf, test leftovers holding a canary
    secret, sat at the root of the repository. Configs belong in examples/."""
    files = _tracked()
    assert any(p.name == "setup.py" for p in files)  # the listing found the repository
    stray = sorted(p.name for p in files if p.parent == ROOT and p.name.endswith(CONFIG_SUFFIXES)
                   and p.name not in ALLOWED_AT_ROOT)
    assert stray == [], f"config files at the repository root (move them to examples/ or delete them): {stray}"
    # and no committed file outside tests/ holds the suite's canary secrets
    leaked = sorted(str(p.relative_to(ROOT)) for p in files if "tests" not in p.relative_to(ROOT).parts[:1]
                    and p.is_file() and b"canary-secret" in p.read_bytes())
    assert leaked == [], leaked
