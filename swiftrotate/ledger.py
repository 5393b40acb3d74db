"""The local ledger: which rotated units are archived and verified.

SQLite from the standard library. The ledger is a cache of facts the store
can confirm (a HEAD shows our size and sha256), so a missing or corrupt
ledger is moved aside and rebuilt from the store as files come up again;
it is never fatal. `files` lets the no-op path skip hashing: a path whose
size, mtime and inode match a row is known to be archived.

Must not: talk to a store or decide what is archived: callers record what
the store confirmed.
"""
import fnmatch
import os
import sqlite3
import threading
import time

from .errors import LocalIOError
from .ledger_runs import RUNS_SCHEMA, RunRecords, migrate

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    dest TEXT NOT NULL, unit TEXT NOT NULL, key TEXT NOT NULL,
    size INTEGER NOT NULL, sha256 TEXT NOT NULL,
    content_sha256 TEXT, content_size INTEGER,
    verified_at REAL NOT NULL,
    PRIMARY KEY (dest, unit));
CREATE TABLE IF NOT EXISTS files (
    dest TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL, unit TEXT NOT NULL,
    PRIMARY KEY (dest, path));
CREATE TABLE IF NOT EXISTS intents (
    dest TEXT NOT NULL, key TEXT NOT NULL, pid INTEGER NOT NULL, started_at REAL NOT NULL,
    PRIMARY KEY (dest, key, pid));
CREATE TABLE IF NOT EXISTS spool (
    spool_path TEXT PRIMARY KEY, original TEXT NOT NULL,
    size INTEGER NOT NULL, spooled_at REAL NOT NULL);
""" + RUNS_SCHEMA
# Tables are only ever added (CREATE ... IF NOT EXISTS), and columns (ledger_runs.migrate): a
# ledger an older swiftrotate wrote gains them on its first open for writing.


def running(pid):
    """Is `pid` a swiftrotate that is still running? (A pid the kernel gave
    to another program since is not.)"""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"swiftrotate" in f.read()
    except OSError:
        return False


def _corrupt(exc):
    """Is this the file's fault (not SQLite's, the disk's or the folder's)?"""
    name = getattr(exc, "sqlite_errorname", "")  # Python >= 3.11
    if name:
        return name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB"))
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text


class Ledger(RunRecords):
    def __init__(self, path, *, read_only=False):
        """read_only: for a reader like `status`, which must neither set a corrupt ledger aside nor
        create tables: a ledger it cannot read is a LocalIOError naming it."""
        self.path = path
        self.warnings = []
        self._lock = threading.Lock()
        self._relaxed = False  # synchronous=NORMAL (only with WAL)
        folder = os.path.dirname(os.path.abspath(path))
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise LocalIOError(f"cannot create ledger folder {folder}: {exc.strerror}",
                               "set state_dir to a writable folder") from None
        self.db = self._reader() if read_only else self._open()

    def _reader(self):
        db = self._read_only(fallback=False)
        if db is None:
            raise LocalIOError(f"cannot read the ledger {self.path}: not a readable SQLite database",
                               "run swiftrotate upload: it sets a corrupt ledger aside and rebuilds it from the store")
        return db

    def _open(self):
        try:
            db = self._connect()
            db.execute("SELECT count(*) FROM units").fetchone()
            return db
        except sqlite3.DatabaseError as exc:
            if not _corrupt(exc):
                # A full disk, an I/O error or a read-only folder says nothing
                # about the file: keep it (its spool rows are the only record
                # of spooled logs) and read it as it is.
                self.warnings.append(f"ledger {self.path} cannot be written ({exc}); reading it as it is, "
                                     "and relying on the store for what is new")
                return self._read_only()
            aside = self._aside()
            self.warnings.append(f"ledger {self.path} was unreadable ({exc}); "
                                 f"rebuilding it from the store" + (f", old copy kept as {aside}" if aside else ""))
            try:
                return self._connect()
            except sqlite3.DatabaseError as exc2:
                self.warnings.append(f"ledger unusable ({exc2}); working from the store only")
                return self._memory()

    def _aside(self):
        """Move a corrupt ledger to a name no earlier copy has; None if that fails."""
        stamp, n = int(time.time()), 0
        while os.path.exists(f"{self.path}.corrupt-{stamp}" + (f".{n}" if n else "")):
            n += 1
        aside = f"{self.path}.corrupt-{stamp}" + (f".{n}" if n else "")
        try:
            os.replace(self.path, aside)
        except OSError:
            return None
        for suffix in ("-wal", "-shm"):  # never pair the old log with the new database
            try:
                os.replace(self.path + suffix, aside + suffix)
            except OSError:
                pass
        return aside

    def _read_only(self, fallback=True):
        from urllib.parse import quote

        # immutable=1 last: a WAL ledger needs its -shm file even to be read,
        # which a full or read-only disk may not allow
        for mode in ("ro", "ro&immutable=1"):
            try:
                db = sqlite3.connect(f"file:{quote(os.path.abspath(self.path))}?mode={mode}", uri=True,
                                     check_same_thread=False, isolation_level=None)
                db.execute("SELECT count(*) FROM units").fetchone()
                return db
            except sqlite3.Error:
                continue
        return self._memory() if fallback else None

    def _connect(self):
        new = not os.path.exists(self.path)
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        if new:
            os.chmod(self.path, 0o600)
        # WAL with synchronous=NORMAL: a commit costs no fsync (the four of a
        # rollback journal made the ledger the backlog's bottleneck). A power
        # cut may drop the last rows; units and files are re-confirmed from the
        # store by HEAD, and the spool rows, which nothing else knows, are
        # written with FULL (spool_add).
        try:
            wal = db.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        except sqlite3.OperationalError:  # full disk, odd filesystem: the rollback journal still works
            wal = False
        # NORMAL is safe only with WAL; a rollback journal keeps FULL
        db.execute("PRAGMA synchronous=NORMAL" if wal else "PRAGMA synchronous=FULL")
        self._relaxed = wal
        db.executescript(SCHEMA)
        migrate(db)
        return db

    def _memory(self):
        db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        db.executescript(SCHEMA)
        return db

    def _write(self, *statements, durable=False):
        """One transaction of (sql, args) statements. A failed ledger write
        (full disk) is a warning, not a lost log: the object is verified in
        the store and the next run re-confirms it."""
        with self._lock:
            try:
                if durable:
                    self.db.execute("PRAGMA synchronous=FULL")
                with self.db:  # BEGIN ... COMMIT, or ROLLBACK on error
                    self.db.execute("BEGIN")
                    for sql, args in statements:
                        self.db.execute(sql, args)
                return True
            except (sqlite3.Error, ValueError) as exc:  # ValueError: a name that is not UTF-8
                self.warnings.append(f"could not record in ledger {self.path}: {exc}")
                return False
            finally:
                if durable and self._relaxed:
                    try:
                        self.db.execute("PRAGMA synchronous=NORMAL")
                    except sqlite3.Error:
                        pass

    def known_file(self, dest, path, st):
        with self._lock:
            try:
                row = self.db.execute(
                    "SELECT size, mtime_ns, ino, unit FROM files WHERE dest=? AND path=?",
                    (dest, path)).fetchone()
            except (sqlite3.Error, ValueError):
                return None
        if row and row[0] == st.st_size and row[1] == st.st_mtime_ns and row[2] == st.st_ino:
            return row[3]
        return None

    def known_files(self, dest, files):
        """{path: unit} of the (path, stat) pairs known_file would answer:
        one query per 500 files, not one per file (the no-op hook's 1000)."""
        files, out = list(files), {}
        for i in range(0, len(files), 500):
            chunk = dict(files[i:i + 500])
            try:
                with self._lock:
                    rows = self.db.execute(
                        f"SELECT path, size, mtime_ns, ino, unit FROM files WHERE dest=? AND path IN "
                        f"({','.join('?' * len(chunk))})", (dest, *chunk)).fetchall()
            except ValueError:  # a name that is not UTF-8: file by file, as known_file takes it
                rows = [(p, None, None, None, self.known_file(dest, p, st)) for p, st in chunk.items()]
            except sqlite3.Error:
                continue
            for path, size, mtime_ns, ino, unit in rows:
                st = chunk[path]
                if size is None or (size == st.st_size and mtime_ns == st.st_mtime_ns and ino == st.st_ino):
                    out[path] = unit
        return {path: unit for path, unit in out.items() if unit}

    def unit(self, dest, unit):
        with self._lock:
            try:
                row = self.db.execute(
                    "SELECT key, size, sha256, content_sha256, content_size, verified_at "
                    "FROM units WHERE dest=? AND unit=?", (dest, unit)).fetchone()
            except sqlite3.Error:
                return None
        if not row:
            return None
        keys = ("key", "size", "sha256", "content_sha256", "content_size", "verified_at")
        return dict(zip(keys, row))

    def units(self, dest):
        """Every unit row of `dest` (dicts as unit() gives, plus "unit"), sorted by key."""
        with self._lock:
            try:
                rows = self.db.execute(
                    "SELECT unit, key, size, sha256, content_sha256, content_size, verified_at "
                    "FROM units WHERE dest=? ORDER BY key", (dest,)).fetchall()
            except sqlite3.Error:
                return []
        keys = ("unit", "key", "size", "sha256", "content_sha256", "content_size", "verified_at")
        return [dict(zip(keys, row)) for row in rows]

    def paths(self, dest):
        """unit -> the local paths recorded as that unit (sorted), for `dest`."""
        out = {}
        with self._lock:
            try:
                rows = self.db.execute("SELECT unit, path FROM files WHERE dest=? ORDER BY path",
                                       (dest,)).fetchall()
            except sqlite3.Error:
                return out
        for unit, path in rows:
            out.setdefault(unit, []).append(path)
        return out

    def unverify(self, dest, unit, key):
        """The store did not confirm the unit archived as `key`: its row no
        longer counts as recently verified (the gate asks the store again)."""
        self._write(("UPDATE units SET verified_at=0 WHERE dest=? AND unit=? AND key=?", (dest, unit, key)))

    def record(self, dest, unit, *, key, size, sha256, content_sha256, content_size, path, st):
        """The unit is archived as `key` (verified now), and the file at
        `path` with stat `st` is known to be it."""
        self._write(("INSERT OR REPLACE INTO units VALUES (?,?,?,?,?,?,?,?)",
                     (dest, unit, key, size, sha256, content_sha256, content_size, time.time())),
                    self._file_row(dest, unit, path, st))

    def record_file(self, dest, unit, path, st):
        self._write(self._file_row(dest, unit, path, st))

    @staticmethod
    def _file_row(dest, unit, path, st):
        return ("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?,?)",
                (dest, path, st.st_size, st.st_mtime_ns, st.st_ino, unit))

    def archived_like(self, dest, globs):
        """True when a file whose path matches one of `globs` was ever
        recorded for dest."""
        with self._lock:
            try:
                paths = [row[0] for row in self.db.execute("SELECT path FROM files WHERE dest=?", (dest,))]
            except sqlite3.Error:
                return False
        return any(fnmatch.fnmatchcase(path, g) for path in paths for g in globs)

    def set_content(self, dest, unit, key, content_sha256):
        """Remember the uncompressed sha256 of the unit's stored compressed form."""
        self._write(("UPDATE units SET content_sha256=? WHERE dest=? AND unit=? AND key=?",
                     (content_sha256, dest, unit, key)))

    def intent_add(self, dest, key):
        """An upload of `key` that may leave parts behind is about to start."""
        self._write(("INSERT OR REPLACE INTO intents VALUES (?,?,?,?)", (dest, key, os.getpid(), time.time())))

    def intent_remove(self, dest, key, pid=None):
        self._write(("DELETE FROM intents WHERE dest=? AND key=? AND pid=?",
                     (dest, key, os.getpid() if pid is None else pid)))

    def busy(self, dest, key):
        """Is another swiftrotate that is still running uploading `key`
        (a gate, which takes no lock; or a run still under way)?"""
        with self._lock:
            try:
                pids = [r[0] for r in self.db.execute("SELECT pid FROM intents WHERE dest=? AND key=?",
                                                      (dest, key)).fetchall()]
            except sqlite3.Error:
                return True  # cannot tell: leave its parts alone
        return any(pid != os.getpid() and running(pid) for pid in pids)

    def intents(self, dest):
        """(key, pid) of uploads that started and were not seen through, by
        any run: a killed one's leftovers are for clear_leftovers."""
        with self._lock:
            try:
                return self.db.execute("SELECT key, pid FROM intents WHERE dest=? ORDER BY key",
                                       (dest,)).fetchall()
            except sqlite3.Error:
                return []

    def spool_add(self, spool_path, original, size):
        # Durable before the gate lets logrotate unlink the original name.
        return self._write(("INSERT OR REPLACE INTO spool VALUES (?,?,?,?)",
                            (spool_path, original, size, time.time())), durable=True)

    def spool_remove(self, spool_path):
        self._write(("DELETE FROM spool WHERE spool_path=?", (spool_path,)))

    def spooled(self):
        with self._lock:
            try:
                return self.db.execute("SELECT spool_path, original, size FROM spool ORDER BY original").fetchall()
            except sqlite3.Error:
                return []

    def spool_rows(self):
        """(spool_path, original, size, spooled_at) of every spooled file."""
        return self._read("SELECT spool_path, original, size, spooled_at FROM spool ORDER BY original")

    def file_inodes(self, dest):
        """path -> inode of every file recorded for `dest`: one query, for
        status, which checks every rotated file of every log."""
        return dict(self._read("SELECT path, ino FROM files WHERE dest=?", (dest,)))

    def _read(self, sql, args=()):
        with self._lock:
            try:
                return self.db.execute(sql, args).fetchall()
            except (sqlite3.Error, ValueError):
                return []

    def close(self):
        try:
            self.db.close()
        except sqlite3.Error:
            pass
