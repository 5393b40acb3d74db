"""The logrotate hook's own line runs without click (cli/hook.py, issue 13's
100 ms no-op bar): it must take exactly the forms it can read as click
would, give the same results, and leave every other form to click."""
import inspect
import os
import re
import subprocess
import sys

import pytest

from swiftrotate.cli import hoist_globals, hook
from tests.support.clirun import rotated, write_config

HookLine = hook.HookLine


@pytest.mark.parametrize("argv, expected", [
    (["upload", "/var/log/app.log"], HookLine(["/var/log/app.log"])),
    (["upload", "/var/log/*.log /var/log/b.log "], HookLine(["/var/log/*.log /var/log/b.log "])),
    (["--config", "/etc/s.conf", "upload", "-q", "/a", "/b"], HookLine(["/a", "/b"], config="/etc/s.conf", quiet=True)),
    (["upload", "--config", "F", "/a", "-v"], HookLine(["/a"], config="F", verbose=True)),
    (["upload", "--config=F", "--state-dir", "S", "/a"], HookLine(["/a"], config="F", state_dir="S")),
    (["--debug", "--dest", "file:///x", "upload", "/a"], HookLine(["/a"], dest="file:///x", debug=True)),
    (["-v", "upload", "--quiet", "/a"], HookLine(["/a"], verbose=True, quiet=True)),
    (["upload"], None),  # click says what is missing
    (["upload", "-qv", "/a"], None),  # bundled short flags: click's
    (["upload", "--dry-run", "/a"], None),
    (["upload", "-n", "/a"], None),
    (["upload", "--", "-odd-name.log"], None),
    (["upload", "-", "/a"], None),
    (["upload", "--help"], None),
    (["--version"], None),
    (["status"], None),
    (["fetch", "upload", "/a"], None),
    (["--config", "A", "--config", "B", "upload", "/a"], None),  # which one wins is click's to say
    (["--confg", "A", "upload", "/a"], None),  # a typo gets click's "no such option"
    (["upload", "--olddir", "old", "/a"], None),
])
def test_parse_takes_only_the_forms_it_reads_as_click_does(argv, expected, monkeypatch):
    monkeypatch.delenv("SWIFTROTATE_CONFIG", raising=False)
    assert hook.parse(hoist_globals(argv)) == expected


def test_parse_takes_the_config_from_the_environment_as_click_does(monkeypatch):
    monkeypatch.setenv("SWIFTROTATE_CONFIG", "/etc/env.conf")
    assert hook.parse(["upload", "/a"]).config == "/etc/env.conf"
    assert hook.parse(["--config", "/etc/flag.conf", "upload", "/a"]).config == "/etc/flag.conf"
    monkeypatch.setenv("SWIFTROTATE_CONFIG", "")  # click: an empty variable is unset
    assert hook.parse(["upload", "/a"]).config is None


def test_the_options_the_hook_line_leaves_out_have_the_same_defaults_both_ways():
    """archive() is called without them on the hook's path: a default added
    or changed in the click option only would make the two paths differ."""
    from swiftrotate.cli.upload import upload

    given = upload.make_context("upload", ["/a"]).params  # what click passes for a bare `upload LOG`
    own = inspect.signature(hook.archive).parameters
    read_by_parse = {"patterns", "quiet", "verbose", "debug"}
    checked = 0
    for param in upload.params:
        if param.name in read_by_parse:
            continue
        expected = own[param.name].default if param.name in own else None  # None: a flag not set
        assert given[param.name] == expected, param.name
        checked += 1
    assert checked >= 10


def _imports(args, env):
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "swiftrotate", *args],
                          capture_output=True, text=True, env=env)
    return proc, {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWIFTROTATE_", "ST_", "OS_", "AWS_"))}
    env.update(extra)
    return env


def test_the_hook_line_imports_no_click_and_other_lines_do(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "s.conf", {"swiftrotate": {
        "dest": f"file://{tmp_path}/store", "state_dir": str(tmp_path / "state")}})
    log = str(tmp_path / "logs/app.log")
    proc, modules = _imports(["--config", cfg, "upload", log], _env())
    assert proc.returncode == 0, proc.stderr
    assert "swiftrotate.cli.hook" in modules and "click" not in modules
    proc, modules = _imports(["--config", cfg, "upload", "--dry-run", log], _env())
    assert proc.returncode == 0, proc.stderr
    assert "click" in modules


def _run(folder, plain_hook, *args, env=None):
    code = "import sys; from swiftrotate.cli import main; main(sys.argv[2:], plain_hook=sys.argv[1] == '1')"
    proc = subprocess.run([sys.executable, "-c", code, "1" if plain_hook else "0", *args], capture_output=True,
                          text=True, env=_env(**(env or {})), cwd=folder)
    norm = lambda text: re.sub(r"\d+\.\d+s\b", "N.NNs", text.replace(str(folder), "ROOT"))  # noqa: E731
    return proc.returncode, norm(proc.stdout), norm(proc.stderr)


def _fixture(folder):
    rotated(folder / "logs", "app.log-20261124", b"one\n")
    rotated(folder / "logs", "app.log-20261125.gz", b"\x1f\x8b two\n")
    (folder / "logs/app.log").write_bytes(b"live\n")
    write_config(folder / "s.conf", {"swiftrotate": {"dest": f"file://{folder}/store",
                                                     "state_dir": str(folder / "state"), "host": "h1"}})
    (folder / "bad.conf").write_text(f"[swiftrotate]\ndateformat = -%Q\nstate_dir = {folder}/state\n"
                                     f"dest = file://{folder}/store\n")
    return folder


STEPS = [
    ("--config", "s.conf", "upload", "ROOT/logs/app.log"),  # archives two files
    ("--config", "s.conf", "upload", "-v", "ROOT/logs/app.log"),  # knows them
    ("upload", "--config", "s.conf", "ROOT/logs/app.log", "-q"),
    ("--config", "s.conf", "upload", "ROOT/logs/*.log ROOT/logs/gone.log "),  # warns of one
    ("--config", "s.conf", "upload", "ROOT/logs/gone.log"),  # 66
    ("--config", "bad.conf", "upload", "ROOT/logs/app.log"),  # 78
    ("upload", "ROOT/logs/app.log"),  # the config from SWIFTROTATE_CONFIG
    ("--config", "s.conf", "--debug", "upload", "ROOT/logs/gone.log"),
]


def test_the_hook_line_gives_what_click_gives(tmp_path):
    """The same steps on two copies of a folder, one by the hook's own path
    and one through click: the same exit codes and lines, and the same store."""
    plain, clicked = _fixture(tmp_path / "plain"), _fixture(tmp_path / "clicked")
    codes = []
    for step in STEPS:
        results = []
        for folder, plain_hook in ((plain, True), (clicked, False)):
            args = [a.replace("ROOT", str(folder)) for a in step]
            results.append(_run(folder, plain_hook, *args, env={"SWIFTROTATE_CONFIG": str(folder / "s.conf")}))
        assert results[0] == results[1], step
        codes.append(results[0][0])
    assert codes == [0, 0, 0, 0, 66, 78, 0, 66]  # the steps did what they say
    stored = [sorted(p.relative_to(f / "store").as_posix().replace(str(f).lstrip("/"), "ROOT")
                     for p in (f / "store").rglob("*") if p.is_file()) for f in (plain, clicked)]
    assert stored[0] == stored[1] and len(stored[0]) >= 2


def test_errors_end_the_hooks_run_as_they_end_clicks(monkeypatch, capsys):
    """main() maps what the hook's path raises as it always has: a typed
    error without an exit code of its own keeps its "error:" prefix (70),
    EOF is an interruption (click makes it an Abort), a bug names itself."""
    from swiftrotate import cli
    from swiftrotate.errors import SwiftrotateError

    def raising(exc):
        def run(line):
            raise exc
        return run

    for exc, code, line in ((SwiftrotateError("Swift: HEAD x: internal error"), 70,
                             "swiftrotate: error: Swift: HEAD x: internal error\n"),
                            (EOFError(), 130, "swiftrotate: interrupted\n"),
                            (KeyboardInterrupt(), 130, "swiftrotate: interrupted\n"),
                            (ValueError("bad"), 70, "swiftrotate: internal error: ValueError: bad (rerun with --debug "
                                                    "for a traceback, and report it)\n")):
        monkeypatch.setattr(cli.hook, "run", raising(exc))
        with pytest.raises(SystemExit) as ended:
            cli.main(["upload", "/var/log/app.log"])
        assert (ended.value.code, capsys.readouterr().err) == (code, line)
