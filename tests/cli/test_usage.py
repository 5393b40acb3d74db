"""Help, usage errors, global options on either side of the command name, and
which exit code a run with several errors ends with."""

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config


def test_help_teaches_the_hook():
    out = run_cli("--help").stdout
    assert 'swiftrotate upload "$1"' in out and "never on the command line" in out
    up = run_cli("upload", "--help").stdout
    for flag in ("--dry-run", "--dateformat", "--olddir", "--host", "--deadline", "-v", "--quiet"):
        assert flag in up


def test_usage_error_is_2():
    assert run_cli("upload").returncode == 2
    assert run_cli("nosuchcommand").returncode == 2


def test_global_options_also_after_the_command_name(tmp_path):
    """Operators type `swiftrotate upload --config F LOG`: --config, --dest
    and --state-dir work on either side of the command name."""
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    live = str(tmp_path / "logs/app.log")
    proc = run_cli("upload", "--config", cfg, f"--dest=file://{tmp_path / 'elsewhere'}", live)
    assert proc.returncode == 0, proc.stderr
    assert list((tmp_path / "elsewhere").rglob("app.log-20261125"))
    listed = run_cli("ls", "--state-dir", str(tmp_path / "state"), "--dest", f"file://{tmp_path / 'elsewhere'}")
    assert listed.returncode == 0 and "app.log-20261125" in listed.stdout, listed.stderr
    assert run_cli("upload", live, "--config").returncode == 2  # no value: refused, not an empty --config


def test_the_exit_code_names_what_most_needs_a_human():
    from swiftrotate.errors import (AuthError, Conflict, SwiftrotateError, TransientError, worst_exit)

    assert worst_exit([TransientError("t"), Conflict("c")]) == 65
    assert worst_exit([Conflict("c"), SwiftrotateError("a bug")]) == 70  # a bug is not hidden behind 65
    assert worst_exit([SwiftrotateError("a bug"), AuthError("a")]) == 77
    assert worst_exit([TransientError("t")]) == 75 and worst_exit([]) == 0

