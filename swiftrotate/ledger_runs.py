"""The ledger's run records (issue 15): one row per log per upload or gate run, a bounded
history, and each log's running totals, for `status` and the metrics file.

Owns: the runs and log_totals tables and their queries; Ledger (ledger.py) mixes this in and
gives it _read and _write, so a run is recorded in the ledger's own transaction discipline.
Each run row also keeps the layout the run searched with (olddir, dateformat, extension): under
logrotate those may come from the stanza alone, which `status` and another stanza's hook never see.
"""
import os
import sqlite3

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT, log TEXT NOT NULL, kind TEXT NOT NULL,
    started_at REAL NOT NULL, ended_at REAL NOT NULL, exit_code INTEGER NOT NULL,
    archived_files INTEGER NOT NULL, archived_bytes INTEGER NOT NULL,
    failed_files INTEGER NOT NULL, failed_bytes INTEGER NOT NULL,
    pending_files INTEGER NOT NULL, pending_bytes INTEGER NOT NULL,
    conflict_files INTEGER NOT NULL, conflict_bytes INTEGER NOT NULL, error TEXT,
    olddir TEXT, dateformat TEXT, extension TEXT);
CREATE INDEX IF NOT EXISTS runs_by_log ON runs (log, id);
CREATE TABLE IF NOT EXISTS log_totals (
    log TEXT PRIMARY KEY, archived_files INTEGER NOT NULL, archived_bytes INTEGER NOT NULL,
    newest_stamp TEXT, last_success REAL);
"""
RUN_FIELDS = ("log", "kind", "started_at", "ended_at", "exit_code", "archived_files", "archived_bytes",
              "failed_files", "failed_bytes", "pending_files", "pending_bytes", "conflict_files",
              "conflict_bytes", "error", "olddir", "dateformat", "extension")
# added after the runs table was: a ledger written before has none of them until migrate()
# (extension came later than the other two: a ledger may have those and not it)
LAYOUT_FIELDS = ("olddir", "dateformat", "extension")


def migrate(db):
    """Add LAYOUT_FIELDS to a runs table an older swiftrotate made (SQLite has no ADD COLUMN IF
    NOT EXISTS; two runs may race here, and the loser finds the column there)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(runs)")}
    for name in LAYOUT_FIELDS:
        if name not in have:
            try:
                db.execute(f"ALTER TABLE runs ADD COLUMN {name} TEXT")
            except sqlite3.OperationalError as exc:
                if "duplicate column" not in str(exc):
                    raise


def stored(name):
    """A path as SQLite can hold it: a name that is not UTF-8 (kept by Python as surrogates) as
    its bytes, a BLOB, so that its runs are recorded rather than refused by the driver."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name)
    except AttributeError:  # None
        return name


def loaded(value):
    """The path stored() kept."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def _success(row):
    """A run that exited 0; a gate only when it archived its file: one that spooled it exits 0
    too (logrotate may delete it), and during an outage that must not look like a success."""
    return row["exit_code"] == 0 and not (row["kind"] == "gate" and not row["archived_files"])


class RunRecords:
    def record_runs(self, rows, keep):
        """One transaction: a run's row per log (dicts of RUN_FIELDS), the
        logs' running totals, and each log's history cut to its `keep` newest."""
        statements = []
        for row in rows:
            statements += [
                (f"INSERT INTO runs ({', '.join(RUN_FIELDS)}) VALUES ({', '.join('?' * len(RUN_FIELDS))})",
                 tuple(stored(row.get(k)) if k in ("log", "olddir", "extension") else row.get(k) for k in RUN_FIELDS)),
                ("INSERT OR IGNORE INTO log_totals VALUES (?, 0, 0, NULL, NULL)", (stored(row["log"]),)),
                ("UPDATE log_totals SET archived_files = archived_files + ?, archived_bytes = archived_bytes + ?, "
                 "newest_stamp = max(coalesce(newest_stamp, ''), coalesce(?, '')), "
                 "last_success = CASE WHEN ? THEN ? ELSE last_success END WHERE log = ?",
                 (row["archived_files"], row["archived_bytes"], row.get("newest_stamp"), _success(row),
                  row["ended_at"], stored(row["log"]))),
                ("DELETE FROM runs WHERE log = ? AND id NOT IN "
                 "(SELECT id FROM runs WHERE log = ? ORDER BY id DESC LIMIT ?)",
                 (stored(row["log"]), stored(row["log"]), keep)),
            ]
        return self._write(*statements)

    def _run_columns(self):
        """RUN_FIELDS as a SELECT list: NULL for a column an older ledger, read only (status),
        has not gained yet."""
        have = {row[1] for row in self._read("PRAGMA table_info(runs)")}
        return ", ".join(self._run_column(k, have) for k in RUN_FIELDS)

    def _run_column(self, name, have=None):
        """`name`, or NULL AS `name` when an older ledger read only has no such column yet."""
        if have is None:
            have = {row[1] for row in self._read("PRAGMA table_info(runs)")}
        return name if name in have or name not in LAYOUT_FIELDS else f"NULL AS {name}"

    def last_runs(self):
        """log -> its newest run (a dict of RUN_FIELDS)."""
        rows = self._read(f"SELECT {self._run_columns()} FROM runs WHERE id IN "
                          "(SELECT max(id) FROM runs GROUP BY log)")
        return {loaded(row[0]): _run(row) for row in rows}

    def runs(self, log, limit=100):
        """The newest `limit` runs of `log`, newest first."""
        rows = self._read(f"SELECT {self._run_columns()} FROM runs WHERE log = ? ORDER BY id DESC LIMIT ?",
                          (stored(log), limit))
        return [_run(row) for row in rows]

    def layouts(self):
        """log -> [(olddir, dateformat, extension)] its kept runs searched with (a manual run
        between two hooks must not hide the stanza's); a log with none recorded is absent.
        extension is None where not recorded (a run from before the column, or an older ledger
        read only): the caller's settings say it."""
        out = {}
        for log, olddir, dateformat, extension in self._read(
                f"SELECT DISTINCT log, olddir, dateformat, {self._run_column('extension')} FROM runs "
                "WHERE dateformat IS NOT NULL"):
            out.setdefault(loaded(log), []).append((loaded(olddir), dateformat, extension))
        return out

    def log_totals(self):
        """log -> {archived_files, archived_bytes, newest_stamp, last_success}."""
        keys = ("archived_files", "archived_bytes", "newest_stamp", "last_success")
        return {loaded(row[0]): dict(zip(keys, row[1:])) for row in
                self._read("SELECT log, archived_files, archived_bytes, nullif(newest_stamp, ''), last_success "
                           "FROM log_totals")}


def _run(row):
    run = dict(zip(RUN_FIELDS, row))
    run["log"], run["olddir"], run["extension"] = loaded(run["log"]), loaded(run["olddir"]), loaded(run["extension"])
    return run
