"""How each log stands, from the ledger and the file system alone: no store.

A rotated file is pending while the ledger has no row for its path with
its inode, wherever it waits: beside its log, in olddir, or in
the spool (spooled files are also counted on their own, against spool_cap),
and however its layout names it (logrotate's extension: app-20261104.log).
A compressed file whose uncompressed form the ledger knows is logrotate's
own gzip of an archived rotation, not pending: the next upload records it
as a twin.

Owns: finding a log's pending files, telling a rotated file's log and
stamp, the thresholds and the verdict (ok, degraded, failing). Must not:
talk to a store, write the ledger, or print.
"""
import fnmatch
import os
import re
import stat
import time
from collections import defaultdict, namedtuple

from . import discover
from .config import duration, percent  # noqa: F401  (the parsers were here first)
from .ledger import running as ledger_running
from .naming import live_name, match_rotated, stamp_formats

OK, DEGRADED, FAILING = 0, 1, 2
VERDICTS = {OK: "ok", DEGRADED: "degraded", FAILING: "failing"}
_SPOOL_NAME = re.compile(r"\d+-(.+)", re.DOTALL)  # spool.spool() names copies <microseconds>-<name>


class Thresholds(namedtuple("Thresholds", "warn_pending_age crit_pending_age warn_spool crit_spool")):
    """Seconds, and percents of spool_cap. (No dataclasses here: see discover.Candidate.)"""

    __slots__ = ()

    @classmethod
    def of(cls, settings):
        return cls(*(settings.get_duration(n) for n in ("warn_pending_age", "crit_pending_age")),
                   *(settings.get_percent(n) for n in ("warn_spool", "crit_spool")))


# One rotated file not archived yet.
Waiting = namedtuple("Waiting", "path size mtime spooled", defaults=(False,))


class LogHealth:
    def __init__(self, log, pending=None, newest_stamp=None, archived_files=0, archived_bytes=0, last_success=None,
                 last_run=None):
        self.log = log
        self.pending = [] if pending is None else pending  # Waiting
        self.newest_stamp = newest_stamp
        self.archived_files, self.archived_bytes = archived_files, archived_bytes
        self.last_success = last_success
        self.last_run = last_run  # ledger_runs.RUN_FIELDS

    def __repr__(self):
        return f"LogHealth({vars(self)})"

    def oldest_age(self, now):
        return max((now - w.mtime for w in self.pending), default=0.0)


def rotation_of(settings, path):
    """(live log, stamp) of a rotated file (a spooled copy: of its original
    name, `origin`), or (None, None)."""
    fmt, live = discover.dateformat_for(settings, path)
    if not live:
        return None, None
    extension = settings.get("extension", live) or ""
    for form in stamp_formats(fmt):
        found = match_rotated(os.path.basename(path), os.path.basename(live), form, extension)
        if found:
            return live, found[0]
    return live, None


def spooled_name(spool_path):
    """The rotated name a spooled copy was made from."""
    m = _SPOOL_NAME.fullmatch(os.path.basename(spool_path))
    return m.group(1) if m else os.path.basename(spool_path)


def pending(settings, ledger, logs, layouts=None):
    """live log -> [Waiting] for `logs`. One listing per folder, not one
    per log: 50 logs in /var/log is one listdir, not 50. A file the ledger
    has recorded at this path with this inode is archived, and not stat()ed:
    status must stay cheap on a host with thousands of archived rotations.
    `layouts` (log -> [(olddir, dateformat, extension)], as ledger.layouts()
    gives the runs' records) wins over the settings: the olddir, dateformat
    or extension of a logrotate stanza is known only to that stanza's hook."""
    known = ledger.file_inodes(settings.get("dest"))
    wanted = set(logs)
    out = {log: [] for log in logs}
    scans = defaultdict(lambda: defaultdict(set))  # folder scanned -> (stamp form, extension) -> lives
    for log in logs:
        folder = os.path.dirname(log)
        for olddir, dateformat, extension in _layouts_of(settings, log, layouts):
            for where in {folder, os.path.normpath(os.path.join(folder, olddir)) if olddir else folder}:
                for fmt in stamp_formats(dateformat):
                    scans[where][fmt, extension].add(log)
    for where, forms in scans.items():
        try:
            entries = list(os.scandir(where))
        except OSError:
            continue
        regexes = _regexes(forms)
        for entry in entries:
            live, m = _live(entry.name, regexes)
            if live:
                waiting = _waiting(entry, m.group("ext"), known)
                if waiting:
                    out[live].append(waiting)
    for spool_path, original, size, spooled_at in ledger.spool_rows():
        if not os.path.exists(spool_path):
            continue
        forms = scans.get(os.path.dirname(original))
        live = forms and _live(os.path.basename(original), _regexes(forms))[0] or rotation_of(settings, original)[0]
        if live in wanted:
            out[live].append(Waiting(spool_path, size, _mtime(spool_path, spooled_at), spooled=True))
    return out


def _layouts_of(settings, log, layouts):
    """[(olddir, dateformat, extension)] to search `log`'s rotations with: its recorded ones (an
    extension not recorded, from a run before there was one: the settings'), and always the
    settings': a run that failed on a wrong --dateformat records its layout too, and must not
    hide the files it missed."""
    own = settings.get("extension", log) or ""
    recorded = [(olddir, fmt, own if extension is None else extension)
                for olddir, fmt, extension in (layouts or {}).get(log) or []]
    return list(dict.fromkeys(recorded + [(settings.get("olddir", log), settings.dateformat(log), own)]))


def _regexes(forms):
    """[(regex, {live's name: live})] for a scanned folder's (stamp form, extension)s (an
    absolute olddir may hold the rotations of logs in several folders)."""
    return [(discover.rotated_regex(fmt, extension), {os.path.basename(live): live for live in sorted(lives)})
            for (fmt, extension), lives in forms.items()]


def _live(name, regexes):
    """(live log, match) of a rotated file's name, or (None, None)."""
    for regex, lives in regexes:
        m = regex.fullmatch(name)
        if m and live_name(m) in lives:
            return lives[live_name(m)], m
    return None, None


def _waiting(entry, ext, known):
    if known.get(entry.path) == entry.inode():
        return None
    if ext and entry.path[: -len(ext)] in known:
        return None  # logrotate's gzip of an archived rotation
    try:
        st = entry.stat(follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return Waiting(entry.path, st.st_size, st.st_mtime)


def _mtime(path, default):
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return default


def verdict(health, spool_percent, thresholds, now=None):
    """(OK/DEGRADED/FAILING, [reasons]) for one log. A value beyond a
    threshold counts, as in the Monitoring Plugins' ranges."""
    now = time.time() if now is None else now
    age = health.oldest_age(now)
    found = []
    if age > thresholds.crit_pending_age:
        found.append((FAILING, f"a rotated file has waited {age / 3600:.0f}h"))
    elif age > thresholds.warn_pending_age:
        found.append((DEGRADED, f"a rotated file has waited {age / 3600:.0f}h"))
    if spool_percent > thresholds.crit_spool:
        found.append((FAILING, f"spool {spool_percent:.0f}% full"))
    elif spool_percent > thresholds.warn_spool:
        found.append((DEGRADED, f"spool {spool_percent:.0f}% full"))
    found += other_problems(health)
    return max((level for level, _ in found), default=OK), [why for _, why in found]


def other_problems(health):
    """[(DEGRADED, reason)] beyond the age and spool thresholds: conflicts
    (which no retry solves) and a last run that failed."""
    found = []
    run = health.last_run
    if run and run["conflict_files"]:
        found.append((DEGRADED, f"{run['conflict_files']} conflict(s)"))
    if run and run["exit_code"] != 0:
        found.append((DEGRADED, f"last {run['kind']} exited {run['exit_code']}"))
    return found


class Survey(namedtuple("Survey", "logs spool_files spool_bytes spool_cap leftovers thresholds taken_at")):
    """Every log's health (LogHealth, sorted by log), and the host-wide spool
    and leftovers (interrupted uploads whose parts the next upload clears)."""

    __slots__ = ()

    @property
    def spool_percent(self):
        return 100.0 * self.spool_bytes / self.spool_cap if self.spool_cap else 0.0

    def verdicts(self):
        """log -> (level, reasons)."""
        return {h.log: verdict(h, self.spool_percent, self.thresholds, self.taken_at) for h in self.logs}

    @property
    def level(self):
        return max((level for level, _ in self.verdicts().values()), default=OK)


def survey(settings, ledger, only=(), now=None):
    """The Survey of the logs the ledger has run records of (or of `only`:
    globs or paths, as given to status)."""
    now = time.time() if now is None else now
    totals, last = ledger.log_totals(), ledger.last_runs()
    logs = sorted(set(totals) | set(last))
    if only:
        logs = [log for log in logs if any(_matches(log, pattern) for pattern in only)]
    waiting = pending(settings, ledger, logs, ledger.layouts())
    out = []
    for log in logs:
        health = LogHealth(log, waiting[log], last_run=last.get(log))
        for name, value in totals.get(log, {}).items():
            setattr(health, name, value)
        out.append(health)
    spooled = [row for row in ledger.spool_rows() if os.path.exists(row[0])]
    dest = settings.get("dest")
    leftovers = sum(1 for _, pid in ledger.intents(dest) if not running_elsewhere(pid))
    return Survey(out, len(spooled), sum(row[2] for row in spooled), settings.get_size("spool_cap"),
                  leftovers, Thresholds.of(settings), now)


def running_elsewhere(pid):
    """Is `pid` another swiftrotate, still running?"""
    return pid != os.getpid() and ledger_running(pid)


def _matches(log, pattern):
    pattern = os.path.abspath(pattern)
    return log == pattern or discover.GLOB_CHARS.search(pattern) and fnmatch.fnmatchcase(log, pattern)
