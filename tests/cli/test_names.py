"""Which names are archived: the live log and bad stamps never, names no key
can hold refused and kept (the gate vetoes), other dateformats named."""
import os

import pytest

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config


def test_live_log_and_bad_stamps_are_never_uploaded(tmp_path):
    logs = tmp_path / "logs"
    for name in ("app.log", "app.log-2026112", "app.log-202611260", "app.log-20261326", "app.log.1",
                 "app.log-20261125.tmp", "app.log-20261125"):
        rotated(logs, name, name.encode())
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", "--dry-run", str(logs / "app.log"))
    assert proc.stdout.count("would-upload") == 1 and "app.log-20261125 ->" in proc.stdout


@pytest.mark.parametrize("name", ["we\nird.log", os.fsdecode(b"caf\xe9.log")])
def test_unarchivable_names_are_refused_loudly_and_kept(tmp_path, name):
    """A log whose name has a newline, or is not UTF-8 (no object key can
    hold it): exit 65 on one line naming the file (escaped) and the fix,
    also on --dry-run; the file stays. Found by the pattern's glob."""
    rotated(tmp_path / "logs", name + "-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    for extra in ([], ["--dry-run"]):
        proc = run_cli("--config", cfg, "upload", *extra, str(tmp_path / "logs/*.log"))
        assert proc.returncode == 65, (extra, proc.stderr)
        error = [line for line in proc.stderr.splitlines() if "not archived" in line]
        assert len(error) == 1 and "rename the file" in error[0] and "Traceback" not in proc.stderr
    assert (tmp_path / "logs" / (name + "-20261125")).exists()


def test_gate_keeps_what_it_cannot_archive(tmp_path):
    """A name no dateformat parses (logrotate's differs, or the live log
    itself) would be lost if deleted: the gate vetoes and says why."""
    rotated(tmp_path / "logs", "app.log-2026-11-25", b"x\n")  # logrotate's -%Y-%m-%d, ours -%Y%m%d
    rotated(tmp_path / "logs", "app.log", b"live\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    for path in ("logs/app.log-2026-11-25", "logs/app.log"):
        proc = run_cli("--config", cfg, "gate", str(tmp_path / path))
        assert proc.returncode == 1, proc.stderr
        assert "keeping" in proc.stderr and "dateformat" in proc.stderr


def test_rotations_that_miss_the_dateformat_fail_the_run_naming_file_and_fix(tmp_path):
    """logrotate's dateformat differs from ours: its rotations would never be
    archived. A warning and exit 0 let that go unseen for ever (issue 14):
    each is named with the fix, and the run (a dry run too) exits 78 while
    one is left; everything else is archived all the same. Once archived
    with its own --dateformat, the ledger knows it and the run is clean.
    Numbered and undated names stay out of it."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-2026-11-25.gz", b"x\n")  # logrotate: dateformat -%Y-%m-%d
    rotated(logs, "app.log-20261124", b"ok\n")  # ours: archived
    rotated(logs, "app.log.1", b"numbered\n")
    rotated(logs, "app.log-old", b"by hand\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    for extra in (["-n"], []):
        proc = run_cli("--config", cfg, "upload", *extra, str(logs / "app.log"))
        assert proc.returncode == 78, proc.stderr
        named = [line for line in proc.stderr.splitlines() if "looks like a dated rotation" in line]
        assert len(named) == 1 and "app.log-2026-11-25.gz" in named[0] and "-%Y%m%d" in named[0], proc.stderr
        assert "dateformat" in named[0].split("(", 1)[1], named[0]  # the fix, after the reason
    assert list((tmp_path / "state/archive").rglob("app.log-20261124"))
    other = run_cli("--config", cfg, "upload", "--dateformat", "-%Y-%m-%d", str(logs / "app.log"))
    assert other.returncode == 0, other.stderr
    again = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert again.returncode == 0 and "looks like a dated rotation" not in again.stderr, again.stderr


def test_the_finer_stamp_rename_gives_is_archived_and_its_suffix_form_fails(tmp_path):
    """rename's finer stamp (-%Y%m%d%H%M%S beside -%Y%m%d) is one of the
    log's own forms: archived by a plain run. Its `--on-collision suffix`
    form (-20261126-1) matches no stamp: named, exit 78."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261126.gz", b"day\n")
    rotated(logs, "app.log-20261127130000", b"second\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert proc.returncode == 0 and "looks like" not in proc.stderr, proc.stderr
    archived = tmp_path / "state/archive/web01" / str(logs).lstrip("/")
    assert sorted(p.name for p in archived.iterdir() if not p.name.endswith(".srmeta")) == [
        "app.log-20261126.gz", "app.log-20261127130000"]
    rotated(logs, "app.log-20261128-1", b"suffixed\n")
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert proc.returncode == 78 and "app.log-20261128-1" in proc.stderr, proc.stderr


def test_gate_vetoes_a_name_no_key_can_hold(tmp_path):
    """A rotation whose name has a control character: the gate keeps it
    (exit 1, the veto), naming it escaped on one line."""
    logs = tmp_path / "logs"
    rotated(logs, "we\tird.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "gate", str(logs / "we\tird.log-20261125"))
    assert proc.returncode == 1, proc.stderr
    line, = proc.stderr.strip().splitlines()
    assert "keeping" in line and "we\\tird.log" in line

