"""The ledger on its own: what it remembers, and what it refuses to trust."""
import os
import sqlite3

from swiftrotate.ledger import Ledger


def _ledger(tmp_path):
    return Ledger(str(tmp_path / "ledger.sqlite"))


def test_a_recorded_file_is_known_until_it_changes(tmp_path):
    log = tmp_path / "app.log-20261101"
    log.write_bytes(b"line\n")
    ledger = _ledger(tmp_path)
    ledger.record("d", "u", key="u", size=5, sha256="s", content_sha256="s", content_size=5, path=str(log),
                  st=os.lstat(log))
    assert ledger.known_file("d", str(log), os.lstat(log)) == "u"
    assert ledger.known_file("other-dest", str(log), os.lstat(log)) is None
    log.write_bytes(b"line\nmore\n")  # written to after it was archived: not known any more
    assert ledger.known_file("d", str(log), os.lstat(log)) is None
    row = ledger.unit("d", "u")
    assert (row["key"], row["size"], row["sha256"], row["content_sha256"]) == ("u", 5, "s", "s")
    ledger.close()


def test_known_files_answers_as_known_file_does_in_chunks(tmp_path):
    paths = [str(tmp_path / f"app.log-{n:04d}") for n in range(1203)]  # three chunks of 500
    ledger = _ledger(tmp_path)
    for n, path in enumerate(paths):
        with open(path, "wb") as f:
            f.write(b"x")
        if n % 3:  # every third one was never archived
            ledger.record("d", f"u{n}", key=f"u{n}", size=1, sha256="s", content_sha256="s", content_size=1,
                          path=path, st=os.lstat(path))
    with open(paths[1], "ab") as f:
        f.write(b"more")  # written to after it was archived: not known any more
    bad = str(tmp_path / "app.log-\udcff")  # a name that is not UTF-8: file by file
    files = [(p, os.lstat(p)) for p in paths] + [(bad, os.lstat(paths[0]))]
    expected = {p: ledger.known_file("d", p, st) for p, st in files}
    assert ledger.known_files("d", files) == {p: u for p, u in expected.items() if u}
    assert len(ledger.known_files("d", files)) == 801 and paths[1] not in ledger.known_files("d", files)
    assert ledger.known_files("other-dest", files) == {}
    ledger.close()


def test_rows_survive_a_reopen(tmp_path):
    log = tmp_path / "a"
    log.write_bytes(b"x")
    ledger = _ledger(tmp_path)
    ledger.record("d", "u", key="u.gz", size=1, sha256="s", content_sha256=None, content_size=None,
                  path=str(log), st=os.lstat(log))
    ledger.set_content("d", "u", "u.gz", "c")
    ledger.close()
    again = _ledger(tmp_path)
    assert again.unit("d", "u")["content_sha256"] == "c"
    assert again.known_file("d", str(log), os.lstat(log)) == "u"
    again.close()


def test_a_corrupt_ledger_is_moved_aside_not_fatal(tmp_path):
    (tmp_path / "ledger.sqlite").write_bytes(b"this is not a database" * 100)
    ledger = _ledger(tmp_path)
    assert ledger.unit("d", "u") is None
    assert any("ledger" in w for w in ledger.warnings)
    ledger.close()


def test_intents_of_this_process_are_not_busy_and_can_be_removed(tmp_path):
    ledger = _ledger(tmp_path)
    ledger.intent_add("d", "k")
    assert ledger.intents("d") == [("k", os.getpid())]
    assert not ledger.busy("d", "k")  # our own intent never blocks us
    ledger.intent_remove("d", "k")
    assert ledger.intents("d") == []
    ledger.close()


def test_spool_rows(tmp_path):
    ledger = _ledger(tmp_path)
    assert ledger.spool_add("/spool/1-a", "/var/log/a-20261101", 3)
    assert ledger.spooled() == [("/spool/1-a", "/var/log/a-20261101", 3)]
    ledger.spool_remove("/spool/1-a")
    assert ledger.spooled() == []
    ledger.close()


def test_units_of_a_dest_with_their_files_and_a_finding_unverifies_one(tmp_path):
    """What `verify` reads: every unit of one dest, sorted by key, with the
    local files recorded as it; a finding sets its verified_at to 0 (the
    gate then asks the store again), only for the row it was about."""
    a, b = tmp_path / "a-20261101", tmp_path / "a-20261101.gz"
    a.write_bytes(b"x")
    b.write_bytes(b"y")
    ledger = _ledger(tmp_path)
    for dest, unit, key, path in (("d", "u2", "u2", a), ("d", "u1", "u1.gz", b), ("other", "u3", "u3", a)):
        ledger.record(dest, unit, key=key, size=1, sha256="s" + unit, content_sha256=None, content_size=None,
                      path=str(path), st=os.lstat(path))
    ledger.record_file("d", "u2", str(b) + ".copy", os.lstat(b))
    rows = ledger.units("d")
    assert [(r["unit"], r["key"], r["sha256"]) for r in rows] == [("u1", "u1.gz", "su1"), ("u2", "u2", "su2")]
    assert ledger.paths("d") == {"u1": [str(b)], "u2": [str(a), str(b) + ".copy"]}
    assert all(r["verified_at"] > 0 for r in rows)
    ledger.unverify("d", "u2", "other-key")  # the row changed meanwhile: left alone
    assert ledger.unit("d", "u2")["verified_at"] > 0
    ledger.unverify("d", "u2", "u2")
    assert ledger.unit("d", "u2")["verified_at"] == 0
    assert ledger.unit("d", "u1")["verified_at"] > 0 and ledger.unit("other", "u3")["verified_at"] > 0
    ledger.close()


OLD_RUNS = """CREATE TABLE runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, kind TEXT NOT NULL,
    started_at REAL NOT NULL, ended_at REAL NOT NULL, exit_code INTEGER NOT NULL,
    archived_files INTEGER NOT NULL, archived_bytes INTEGER NOT NULL,
    failed_files INTEGER NOT NULL, failed_bytes INTEGER NOT NULL,
    pending_files INTEGER NOT NULL, pending_bytes INTEGER NOT NULL,
    conflict_files INTEGER NOT NULL, conflict_bytes INTEGER NOT NULL, error TEXT);
INSERT INTO runs VALUES (NULL, '/var/log/app.log', 'upload', 1, 2, 0, 1, 10, 0, 0, 0, 0, 0, 0, NULL);
"""


def run_row(log, **extra):
    return {**dict(log=log, kind="upload", started_at=3, ended_at=4, exit_code=0, archived_files=0,
                   archived_bytes=0, failed_files=0, failed_bytes=0, pending_files=0, pending_bytes=0,
                   conflict_files=0, conflict_bytes=0, error=None), **extra}


def test_a_ledger_from_before_the_layout_columns_is_read_then_migrated(tmp_path):
    """Finding 5: runs gained olddir and dateformat. status (read only) reads an old ledger as it
    is, with no layout; the first run that writes adds the columns, and keeps the old rows."""
    path = tmp_path / "ledger.sqlite"
    Ledger(str(path)).close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE runs;" + OLD_RUNS)
    db.close()
    old = Ledger(str(path), read_only=True)
    assert old.last_runs()["/var/log/app.log"]["olddir"] is None and old.layouts() == {}
    old.close()
    ledger = Ledger(str(path))
    assert ledger.record_runs([run_row("/var/log/app.log", olddir="old", dateformat=".%Y-%m-%d")], 10)
    assert ledger.layouts() == {"/var/log/app.log": [("old", ".%Y-%m-%d", None)]}
    assert [r["archived_files"] for r in ledger.runs("/var/log/app.log")] == [0, 1]
    ledger.close()
    Ledger(str(path)).close()  # a second open finds the columns there


def test_a_ledger_from_before_the_extension_column_is_read_then_migrated(tmp_path):
    """runs gained extension after olddir and dateformat: status (read only) reads such a ledger
    with the recorded olddir and dateformat and no extension (None: the settings' then); the
    first run that writes adds the column, keeps the old rows, and records the extension."""
    path = tmp_path / "ledger.sqlite"
    ledger = Ledger(str(path))
    assert ledger.record_runs([run_row("/var/log/app.log", olddir="old", dateformat=".%Y-%m-%d")], 10)
    ledger.close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE runs DROP COLUMN extension")
    db.close()
    old = Ledger(str(path), read_only=True)
    assert old.last_runs()["/var/log/app.log"]["extension"] is None
    assert old.layouts() == {"/var/log/app.log": [("old", ".%Y-%m-%d", None)]}
    old.close()
    ledger = Ledger(str(path))
    assert ledger.record_runs([run_row("/var/log/app.log", olddir="old", dateformat=".%Y-%m-%d",
                                       extension=".log")], 10)
    assert sorted(ledger.layouts()["/var/log/app.log"], key=str) == [("old", ".%Y-%m-%d", ".log"),
                                                                      ("old", ".%Y-%m-%d", None)]
    assert [r["extension"] for r in ledger.runs("/var/log/app.log")] == [".log", None]
    ledger.close()
    Ledger(str(path)).close()  # a second open finds the column there


def test_runs_of_a_log_whose_name_is_not_utf8_are_recorded(tmp_path):
    """Finding 9: SQLite refused the name, and the run went unrecorded without a word."""
    log = os.fsdecode(b"/var/log/caf\xe9.log")
    ledger = Ledger(str(tmp_path / "ledger.sqlite"))
    assert ledger.record_runs([run_row(log, olddir=os.fsdecode(b"\xe9t\xe9"), dateformat="-%Y%m%d")], 10)
    assert ledger.record_runs([run_row(log, exit_code=65)], 10)
    assert ledger.last_runs()[log]["exit_code"] == 65 and [r["log"] for r in ledger.runs(log)] == [log, log]
    assert log in ledger.log_totals() and ledger.layouts() == {log: [(os.fsdecode(b"\xe9t\xe9"), "-%Y%m%d", None)]}
    ledger.close()
