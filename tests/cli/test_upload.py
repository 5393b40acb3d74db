"""upload on a local store: a round trip, --dry-run, a file still being written,
a missing folder, a corrupt ledger, and a key already taken."""

from tests.support.cliconfig import base_config
from tests.support.clirun import Syslog, rotated, run_cli, write_config


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
    # a retired log whose rotations are archived and gone (--remove, logrotate's expiry): fine, quiet
    proc = run_cli("--config", cfg, "upload", "--remove", str(logs / "app.log"))
    assert proc.returncode == 0 and not (logs / "app.log-20261125").exists(), proc.stderr
    proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
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



def test_an_implicit_dest_is_named_every_run_and_is_not_safe_for_the_gate(tmp_path):
    """Issue 14: with no dest anywhere, upload archived into STATE_DIR/archive
    on the same disk, silently, and the gate then let logrotate delete."""
    syslog = Syslog(tmp_path / "log")
    logs = tmp_path / "logs"
    rotated(logs, "app.log-20261125", b"a\n")
    general = {"state_dir": str(tmp_path / "state"), "host": "web01", "settle_seconds": "0",
               "syslog_socket": str(tmp_path / "log")}
    cfg = write_config(tmp_path / "c.conf", {"swiftrotate": general})
    default = f"file://{tmp_path}/state/archive"
    for _ in range(2):  # the archiving run and the no-op one after it
        proc = run_cli("--config", cfg, "upload", str(logs / "app.log"))
        assert proc.returncode == 0, proc.stderr
        assert proc.stderr.count(f"no dest is set: archiving to {default}, on this machine's own disk") == 1, \
            proc.stderr
        assert f"set dest in {cfg}" in proc.stderr
    gate = run_cli("--config", cfg, "gate", str(logs / "app.log-20261125"))
    assert gate.returncode == 1 and "gate: keeping" in gate.stderr and "no dest is set" in gate.stderr, gate.stderr
    assert (logs / "app.log-20261125").exists()
    lines = syslog.drain()
    assert sum("no dest is set" in line for line in lines) == 3, lines
    # set explicitly, the same folder is quiet, and the gate lets the verified file go
    for explicit in (["--dest", default], []):
        env = {} if explicit else {"SWIFTROTATE_DEST": default}
        proc = run_cli("--config", cfg, *explicit, "upload", str(logs / "app.log"), env=env)
        assert proc.returncode == 0 and "no dest" not in proc.stderr, proc.stderr
    gate = run_cli("--config", cfg, "--dest", default, "gate", str(logs / "app.log-20261125"))
    assert gate.returncode == 0 and "no dest" not in gate.stderr, gate.stderr


def test_creating_a_container_is_said_and_can_be_refused(store, tmp_path):
    """Issue 14: a misspelled container or bucket was created silently and
    filled up unseen. Creating one is always said, once; refused when the
    store's create option says no (66, naming the container)."""
    from tests.support.stores import bucket_name, config_for

    logs = tmp_path / "logs"
    for day in range(20, 26):  # several first uploads in parallel: they must not race to create it
        rotated(logs, f"app.log-202611{day}", b"x%d\n" % day)
    scheme, said, refuse = {"local": ("file", "created store folder", "create"),
                            "swift": ("swift", "created Swift container", "create_container")}.get(
        store.target, ("s3", "created S3 bucket", "create_bucket"))

    def fresh():
        return f"file://{tmp_path}/{bucket_name()}" if scheme == "file" else f"{scheme}://{bucket_name()}"

    dest = fresh()
    name = dest.split("://")[1]
    cfg = config_for(store, tmp_path, dest=dest)
    first = run_cli("--config", cfg, "upload", "--jobs", "6", str(logs / "app.log"), env=store.env)
    assert first.returncode == 0, first.stderr
    assert first.stderr.count(f"swiftrotate: {said} {name} (set {refuse} = no") == 1, first.stderr
    rotated(logs, "app.log-20261126", b"y\n")
    again = run_cli("--config", cfg, "upload", str(logs / "app.log"), env=store.env)
    assert again.returncode == 0 and "created" not in again.stderr, again.stderr
    section = {"local": "file", "swift": "swift"}.get(store.target, "s3")
    options = {k: str(v) for k, v in store.options.items()}
    dest = fresh()
    cfg = config_for(store, tmp_path, sections_extra={section: dict(options, **{refuse: "no"})}, dest=dest)
    refused = run_cli("--config", cfg, "upload", str(logs / "app.log"), env=store.env)
    assert refused.returncode == 66, refused.stderr
    assert f"{dest.split('://')[1]} does not exist" in refused.stderr and "created" not in refused.stderr


def test_an_mtime_in_the_future_is_said_at_once_and_busy_files_share_one_wait(tmp_path):
    """Issue 14: six files stamped ahead of the clock (clock skew, faketime)
    each waited 4 x settle_seconds in turn, then were "still being written".
    A future mtime is its own error, said without waiting; files that are
    really busy share one wait."""
    import os
    import threading

    logs = tmp_path / "logs"
    future = [rotated(logs, f"app{i}.log-20261125", b"x\n", age=-3600) for i in range(6)]
    cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, settle_seconds="600"))
    proc = run_cli("--config", cfg, "-v", "upload", f"{logs}/*.log", timeout=300)  # a wait would be 40 min
    assert proc.returncode == 75, proc.stderr
    assert proc.stderr.count("s in the future (clock skew?)") == 6 and "waiting" not in proc.stderr, proc.stderr
    assert all(p.exists() for p in future)
    # three files written to all along: one wait for the run, three failures after it
    for p in future:
        p.unlink()
    busy = [rotated(logs, f"busy{i}.log-20261125", b"x\n", age=0) for i in range(3)]
    stop = threading.Event()

    def touch():
        while not stop.wait(0.2):
            for p in busy:
                os.utime(p, None)

    toucher = threading.Thread(target=touch)
    toucher.start()
    try:
        cfg = write_config(tmp_path / "c.conf", base_config(tmp_path, settle_seconds="1"))
        proc = run_cli("--config", cfg, "-v", "upload", f"{logs}/*.log")
    finally:
        stop.set()
        toucher.join()
    assert proc.returncode == 75, proc.stderr
    assert proc.stderr.count("waiting for") == 1 and "waiting for 3 file(s)" in proc.stderr, proc.stderr
    assert proc.stderr.count("is still being written") == 3, proc.stderr
    assert all(p.exists() for p in busy)


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
