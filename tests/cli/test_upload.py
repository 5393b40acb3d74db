"""upload on a local store: a round trip, --dry-run, a file still being written,
a missing folder, a corrupt ledger, and a key already taken."""

from tests.support.cliconfig import base_config
from tests.support.clirun import rotated, run_cli, write_config


def test_local_default_store_round(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"a\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    first = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "state/archive/web01" / str(logs / "app.log-20261125").lstrip("/")).read_bytes() == b"a\n"
    listing = run_cli("--config", cfg, "ls")
    assert f"web01{logs}/app.log-20261125" in listing.stdout


def test_dry_run_lists_and_changes_nothing(tmp_path):
    rotated(tmp_path / "logs", "app.log-20261125", b"x\n")
    rotated(tmp_path / "logs", "app.log-20261126.gz", b"not really gzip")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", "--dry-run", str(tmp_path / "logs/app.log"))
    assert proc.returncode == 0
    assert proc.stdout.count("would-upload") == 2 and "web01" in proc.stdout
    assert not (tmp_path / "state/archive").exists() or not any((tmp_path / "state/archive").rglob("*.log-*"))


def test_fresh_file_is_read_only_once_it_is_quiet(tmp_path):
    """A file still being written when the hook starts is archived with its
    last write, not half of it."""
    import subprocess
    import sys
    import threading

    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261125", b"first\n", age=0)
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, settle_seconds="2"))
    late = threading.Timer(0.7, lambda: path.open("ab").write(b"late line\n"))
    late.start()
    proc = subprocess.run([sys.executable, "-m", "swiftrotate", "--config", cfg, "upload", str(logs / "app.log")],
                          capture_output=True, text=True)
    late.join()
    assert proc.returncode == 0, proc.stderr
    stored = tmp_path / "state/archive/web01" / str(path).lstrip("/")
    assert stored.read_bytes() == b"first\nlate line\n"


def test_corrupt_ledger_is_rebuilt_from_the_store_not_fatal(tmp_path):
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261124", b"a\n")
    rotated(logs, "app.log-20261125", b"b\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    assert run_cli("--config", cfg, "upload", str(logs / "app.log")).returncode == 0
    (tmp_path / "state/ledger.sqlite").write_bytes(b"this is not a database" * 100)
    proc = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert "rebuilding it from the store" in proc.stderr and "2 already in store" in proc.stderr
    assert list((tmp_path / "state").glob("ledger.sqlite.corrupt-*"))
    quiet = run_cli("--config", cfg, "upload", "-v", str(logs / "app.log"))
    assert "2 known" in quiet.stderr  # the rebuilt ledger answers the next run


def test_a_folder_that_does_not_exist_is_66_not_nothing_to_do(tmp_path):
    """A typo in a cron line must not stay green forever; a log that has
    simply not been rotated yet (it exists, no rotation yet) is still fine."""
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs/app.log").write_text("live\n")
    assert run_cli("--config", cfg, "upload", str(tmp_path / "logs/app.log")).returncode == 0
    proc = run_cli("--config", cfg, "upload", str(tmp_path / "lgos/*.log"))
    assert proc.returncode == 66, proc.stderr
    assert "no folder" in proc.stderr and "lgos" in proc.stderr
    assert "file(s)" not in proc.stderr  # a missing folder is not counted as a file
    # beside a pattern whose folder is there (a missingok stanza): a warning, not a failure
    proc = run_cli("--config", cfg, "upload", f"{tmp_path / 'lgos/*.log'} {tmp_path / 'logs/app.log'} ")
    assert proc.returncode == 0 and "no folder" in proc.stderr, proc.stderr


def test_a_pattern_that_matches_nothing_is_66_unless_missingok(tmp_path):
    """Issue 14: `upload /var/log/ngnix/*.log` in an existing folder used to
    be a warning and exit 0, so a misspelled cron catch-up stayed green."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"x\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(logs / "ap.log"))
    assert proc.returncode == 66, proc.stderr
    assert f"{logs}/ap.log matches no file" in proc.stderr and "missingok" in proc.stderr
    assert proc.stderr.count("\n") == 1, proc.stderr  # one line, no "no rotated files found" after it
    # beside a pattern that names files (a stanza's list of logs): a warning, the rest is archived
    proc = run_cli("--config", cfg, "upload", f"{logs / 'ap.log'} {logs / 'app.log'}")
    assert proc.returncode == 0 and "matches no file" in proc.stderr, proc.stderr
    # missingok for that log: not an error, not a warning
    sections = dict(base_config(tmp_path), **{f"log {logs}/ap*.log": {"missingok": "yes"}})
    proc = run_cli("--config", write_config(tmp_path / "m.conf", sections), "upload", str(logs / "ap.log"))
    assert proc.returncode == 0 and "matches no file" not in proc.stderr, proc.stderr


def test_a_different_object_at_the_key_is_never_overwritten(store, tmp_path):
    """Create-only on every store: a different object already at the key is
    exit 65 naming both, and stays as it was (with or without a ledger)."""
    import hashlib

    from tests.support.stores import config_for

    logs = tmp_path / "logs"
    path = rotated(logs, "app.log-20261125", b"ours\n")
    key = f"web01{path}"
    planted = tmp_path / "planted"
    planted.write_bytes(b"someone else's\n")
    store.backend.put(key, str(planted), size=15, sha256=hashlib.sha256(b"someone else's\n").hexdigest())
    cfg = config_for(store, tmp_path)
    for _ in range(2):  # the second run has a ledger from the first
        proc = run_cli("--config", cfg, "upload", str(logs / "app.log"), env=store.env)
        assert proc.returncode == 65, proc.stderr
        assert str(path) in proc.stderr and key in proc.stderr and "not overwriting" in proc.stderr
    store.download(key, str(tmp_path / "out"))
    assert (tmp_path / "out").read_bytes() == b"someone else's\n" and path.exists()



def test_leftovers_are_never_the_newest_rotation_whatever_its_stamp_form(tmp_path):
    """logrotate's uncompressed newest rotation (delaycompress) beside older
    ones rename stamped to the second on the same day: those sort after it
    as text, but it is still the newest and must stay as it is."""
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261126010000.gz", b"one\n")
    rotated(logs, "app.log-20261126030000.gz", b"three\n")
    rotated(logs, "app.log-20261126", b"newest, for logrotate to compress\n")
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path))
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in logs.iterdir()) == [
        "app.log-20261126", "app.log-20261126010000.gz", "app.log-20261126030000.gz"]
