"""Every upload and gate run leaves a record: one ledger row per log it
covered (start, end, exit code, files and bytes archived, failed, pending
and conflicting, the worst error's line), then the metrics file is
rewritten for Prometheus.

`recorded(kind)` wraps a command's core run(settings, target, ...): a run
that raises (a bad setting, the lock busy, Ctrl-C) is recorded with the
exit code cli/__init__.py gives that exception, then the exception goes on.
A record that cannot be written is a warning: it never changes the run's
own outcome. upload's clearing of interrupted uploads' leftovers happens
inside its run, so it is part of that run's record.

Must not: decide what is archived, or print.
"""
import functools
import glob
import logging
import os
import time

from . import discover, health, metrics
from .config import GENERAL, check_metrics_file
from .errors import Conflict, ExitCode, SwiftrotateError, worst_exit
from .naming import escape, split_compression, split_extension
from .state import open_ledger, state_folder

log = logging.getLogger("swiftrotate")
ARCHIVED = ("uploaded", "present")  # newly in the store: what the _total counters count
IN_STORE = ARCHIVED + ("known", "twin")


def recorded(kind):
    """Decorator for a core run(settings, target, ...) whose result is an
    upload Report (kind "upload") or the gate's exit code (kind "gate")."""
    def wrap(run):
        @functools.wraps(run)
        def recording(settings, target, *args, **kwargs):
            if kwargs.get("dry_run"):
                return run(settings, target, *args, **kwargs)
            started, errors = time.time(), _ErrorLines()
            log.addHandler(errors)
            try:
                result = run(settings, target, *args, **kwargs)
            except BaseException as exc:
                _record(settings, kind, target, started, None, errors.last(), exc)
                raise
            finally:
                log.removeHandler(errors)
            _record(settings, kind, target, started, result, errors.last())
            return result
        return recording
    return wrap


def exit_code_of(exc):
    """The exit code cli/__init__.py main() gives this exception, and its line."""
    if isinstance(exc, SwiftrotateError):
        return int(exc.exit_code), exc.line()
    if isinstance(exc, KeyboardInterrupt):
        return int(ExitCode.INTERRUPTED), "interrupted"
    return int(ExitCode.SOFTWARE), f"internal error: {type(exc).__name__}: {exc}"


class _ErrorLines(logging.Handler):
    """The run's own error lines (the gate says why it keeps a file only there)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage().splitlines()[0] if record.getMessage() else "")

    def last(self):
        return self.lines[-1] if self.lines else None


def _record(settings, kind, target, started, result, logged_error, exc=None):
    try:
        ledger = open_ledger(state_folder(settings))
    except Exception:  # no state folder: the run itself has said so, or will
        return
    said = bool(ledger.warnings)  # unwritable, rebuilt: the run's own ledger has said so
    try:
        try:
            rows = _rows(settings, kind, target, started, result, logged_error, exc, ledger)
            layouts = ledger.layouts()
            for row in rows:  # this run's own layout, though not recorded yet
                layouts.setdefault(row["log"], []).append((row["olddir"], row["dateformat"], row["extension"]))
            waiting = health.pending(settings, ledger, [row["log"] for row in rows], layouts)
        except SwiftrotateError:  # a bad setting: the run says so itself; on record as given
            rows = _rows(None, kind, target, started, result, logged_error, exc)
            waiting = {}
        for row in rows:
            row["pending_files"] = len(waiting.get(row["log"], []))
            row["pending_bytes"] = sum(w.size for w in waiting.get(row["log"], []))
        if not ledger.record_runs(rows, _keep(settings)) and not said:
            log.warning("%s: this run of %s is not on record, so status does not show it (free the disk, or fix "
                        "the ledger's permissions)", ledger.warnings[-1], ", ".join(escape(r["log"]) for r in rows))
        path = check_metrics_file(settings)  # a typo'd one is not written to: the run has said so
        if path:
            metrics.write(path, metrics.render(health.survey(settings, ledger)))
    except SwiftrotateError as err:
        if exc is None:  # else the run's own error says what is wrong
            log.warning("%s", err.line())
    except Exception as err:  # a bug here must not change the run's outcome
        log.warning("run not recorded: %s: %s", type(err).__name__, err)
    finally:
        ledger.close()


def _keep(settings):
    """runs_kept; a typo there fails the run (check_settings), which is then recorded all the same."""
    try:
        return max(1, settings.get_int("runs_kept"))
    except SwiftrotateError:
        return int(GENERAL["runs_kept"])


def _rows(settings, kind, target, started, result, logged_error, exc, ledger=None):
    """The run's rows; settings None: the logs as named, without counts."""
    ended = time.time()
    if settings is None:
        names = [target] if kind == "gate" else discover.split_patterns(target)
        by_log = {os.path.abspath(name): _empty() for name in names}
        for row in by_log.values():
            row["exit_code"] = 0 if result is None else int(result) if kind == "gate" else int(result.exit_code)
    elif kind == "gate":
        by_log = _gate_rows(settings, target, result, exc, ledger, started)
    else:
        by_log = _upload_rows(settings, target, result)
    rows = []
    for live, row in sorted(by_log.items()):
        code, error = row.pop("exit_code"), row.pop("error")
        if exc is not None:
            code, error = exit_code_of(exc)
        elif code and not error:
            error = logged_error  # the gate says why it keeps a file only in its log line
        layout = {} if settings is None else {"olddir": settings.get("olddir", live),
                                              "dateformat": settings.dateformat(live),
                                              "extension": settings.get("extension", live) or ""}
        rows.append(dict(row, log=live, kind=kind, started_at=started, ended_at=ended, exit_code=code,
                         error=error, **layout))
    return rows


def _empty():
    return dict(archived_files=0, archived_bytes=0, failed_files=0, failed_bytes=0, conflict_files=0,
                conflict_bytes=0, pending_files=0, pending_bytes=0, newest_stamp=None, exit_code=0, error=None)


def _gate_rows(settings, path, result, exc, ledger, started):
    """The gate's one file: archived when the ledger shows it verified by
    this run; a conflict when its key held other bytes; failed when kept
    (exit 1); else neither (spooled: pending)."""
    path = os.path.abspath(path)
    live, stamp = health.rotation_of(settings, path)
    row = _empty()
    if exc is None:
        row["exit_code"] = int(result)
        conflict = getattr(result, "conflict", False)  # outcome.GateExit: spooled or kept, a conflict
        if result or conflict:
            which = "conflict" if conflict else "failed"
            row[f"{which}_files"] = 1
            row[f"{which}_bytes"] = _size(path)
        else:
            dest = settings.get("dest")
            try:
                st = os.lstat(path)
            except OSError:
                return {live or path: row}
            unit = ledger.known_file(dest, path, st)
            verified = unit and ledger.unit(dest, unit)
            if verified and verified["verified_at"] >= started:
                row.update(archived_files=1, archived_bytes=st.st_size, newest_stamp=stamp)
    return {live or path: row}


def _upload_rows(settings, patterns, report):
    logs = _named_logs(settings, patterns)
    if report is None:
        return {live: _empty() for live in logs}
    owners = _Owners(settings, logs)
    by_log = {live: _empty() for live in logs}
    errors = {}
    for outcome in report.outcomes:
        live, stamp = (outcome.live, outcome.stamp) if outcome.live else owners.of(outcome.path)
        if live is None:
            continue
        row = by_log.setdefault(live, _empty())
        if outcome.error is not None:
            which = "conflict" if isinstance(outcome.error, Conflict) else "failed"
            row[f"{which}_files"] += 1
            row[f"{which}_bytes"] += outcome.size or _size(outcome.path)
            errors.setdefault(live, []).append(outcome.error)
        elif outcome.status in IN_STORE:
            if outcome.status in ARCHIVED:
                row["archived_files"] += 1
                row["archived_bytes"] += outcome.size
            if stamp and stamp > (row["newest_stamp"] or ""):
                row["newest_stamp"] = stamp
    for live, row in by_log.items():
        mine = errors.get(live, []) + report.problems
        row["exit_code"] = int(worst_exit(mine)) if mine else 0
        if mine:
            row["error"] = max(mine, key=lambda e: int(e.exit_code)).line()
    return by_log


def _named_logs(settings, patterns):
    """The live logs the arguments name (a pattern naming none: itself, so
    that a typo's failing run is on record too)."""
    out = set()
    for pattern in discover.split_patterns(patterns):
        pattern = os.path.abspath(pattern)
        matches = glob.glob(pattern) if discover.GLOB_CHARS.search(pattern) else [pattern]
        for match in matches:
            live, stamp = health.rotation_of(settings, match)
            out.add(live if live and stamp else match)
        if not matches:
            out.add(pattern)
    return out


class _Owners:
    """A rotated file's log and stamp, by name: the log whose name (or, under its extension,
    whose stem, with the extension after the stamp) is the longest prefix of the file's, in the
    log's folder or its olddir; for a spooled copy (named <microseconds>-<rotated name>), in any
    folder."""

    def __init__(self, settings, logs):
        self.settings = settings
        self.spool = os.path.abspath(settings.get("spool_dir"))
        self.all = list(logs)
        self.folders = {}
        self.extensions = {live: settings.get("extension", live) or "" for live in logs}
        for live in logs:
            folder = os.path.dirname(live)
            olddir = settings.get("olddir", live)
            for where in {folder, os.path.join(folder, olddir) if olddir else folder}:
                self.folders.setdefault(os.path.normpath(where), []).append(live)

    def of(self, path):
        name = os.path.basename(path)
        spooled = os.path.dirname(path) == self.spool
        if spooled:
            name = health.spooled_name(path)
        base = split_compression(name)[0]
        # the longest name around the stamp wins: app-1.log is app.log's (under .log), not app's
        found = [(len(head) + len(tail), live, base[len(head): len(base) - len(tail)])
                 for live in (self.all if spooled else self.folders.get(os.path.dirname(path), []))
                 for head, tail in _forms(os.path.basename(live), self.extensions.get(live, ""))
                 if base.startswith(head) and base.endswith(tail) and len(base) > len(head) + len(tail)]
        if not found:
            return (None, None) if spooled else health.rotation_of(self.settings, path)
        _, live, stamp = max(found)
        return live, stamp


def _forms(live_name, extension):
    """(head, tail) around the stamp of a rotation of `live_name`: LIVE<stamp>, and under
    `extension` STEM<stamp>EXT."""
    return dict.fromkeys([(live_name, ""), split_extension(live_name, extension)])


def _size(path):
    try:
        return os.lstat(path).st_size
    except OSError:
        return 0
