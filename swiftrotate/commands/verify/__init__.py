"""`swiftrotate verify`: re-check that what the ledger says is archived is
readable in the store, and with --repair archive again what a local copy
still holds.

check.py judges one ledger row, repair.py re-archives one finding through
the Archiver. This module chooses the rows (the dest's; --since by the
stamp in the key; which are read in full: --deep, --sample), checks them in
parallel, stops at the first error the store cannot answer now, marks each
finding's row as not verified in the ledger (so the gate asks the store
again), repairs under the state lock, and gives the exit code.

Must not: print or exit; cli/verify.py renders findings, progress and the
summary.
"""
import random
import threading
from dataclasses import dataclass, field
from typing import Optional

from ...config import check_settings
from ...dates import parse_day, today_in
from ...errors import IntegrityError, LockBusy, SourceMissing, SwiftrotateError, TransientError, worst_exit
from ...state import StateLock, open_ledger, state_folder
from ...workers import run_threads
from .check import CATEGORIES, finding, in_range
from .check import check as check_row
from .repair import repair


@dataclass
class Result:
    dest: str
    total: int = 0  # rows chosen
    checked: int = 0
    read: int = 0  # of them read in full
    findings: list = field(default_factory=list)  # check.Finding
    stopped: Optional[SwiftrotateError] = None  # why the rest was not checked (or repaired)
    repairing: bool = False

    def count(self, category):
        return sum(1 for f in self.findings if f.category == category)

    @property
    def repaired(self):
        return sum(1 for f in self.findings if f.repaired)

    @property
    def exit_code(self):
        errors = [self.stopped] if self.stopped is not None else []
        errors += [IntegrityError(f.key) for f in self.findings if not f.repaired]
        return worst_exit(errors)

    def summary(self):
        text = f"verify: {self.checked} checked, " + ", ".join(f"{self.count(c)} {c}" for c in CATEGORIES)
        extra = [f"{self.read} read in full"] if self.read else []
        if self.repairing and self.findings:
            extra.append(f"{self.repaired} repaired, {len(self.findings) - self.repaired} not")
        if self.checked < self.total:
            extra.append(f"{self.total - self.checked} not checked")
        return text + (f" ({'; '.join(extra)})" if extra else "")


def layouts(settings):
    """(GLOB, dateformat) of each [log GLOB] section, then (None, the general one)."""
    return [(glob, settings.dateformat(glob)) for glob in settings.log_sections()] + [(None, settings.dateformat())]


def choose(rows, since_day, layouts_, deep, sample):
    """The rows to check, and the keys of those to read in full."""
    rows = [r for r in rows if in_range(r, since_day, layouts_)]
    if sample:
        return rows, {r["key"] for r in random.sample(rows, min(sample, len(rows)))}
    return rows, {r["key"] for r in rows} if deep else set()


def run(settings, *, deep=False, sample=None, since=None, repair_them=False, jobs=4, log, open_backend,
        on_start=None, on_done=None, on_repair=None):
    """Check every ledger row of the dest (see the module docstring).
    on_start(n) before the first check; on_done(row, Finding or None) after
    each; on_repair(Finding) after each repair attempt."""
    check_settings(settings)
    dest = settings.get("dest")
    since_day = parse_day(since, today_in(None)) if since else None
    folder = state_folder(settings)
    ledger = open_ledger(folder)
    try:
        rows = ledger.units(dest)
        if not rows:
            raise SourceMissing(f"nothing to verify: the ledger in {folder} records no archive in {dest}",
                                "check dest and state_dir (--dest, --state-dir): upload records what it archives")
        rows, to_read = choose(rows, since_day, layouts(settings), deep, sample)
        result = Result(dest, total=len(rows), repairing=repair_them)
        if on_start is not None:
            on_start(len(rows))
        with open_backend() as backend:
            _check_all(backend, rows, to_read, ledger, result, jobs, on_done)
            if repair_them and result.findings and result.stopped is None:
                _repair_all(settings, backend, ledger, folder, result, log, on_repair)
        return result
    finally:
        for warning in ledger.warnings:  # a corrupt ledger moved aside, a row that could not be written
            log.warning("%s", warning)
        ledger.close()


def _check_all(backend, rows, to_read, ledger, result, jobs, on_done):
    """check_row over `rows` in `jobs` threads; the first error the store
    cannot answer now (timeout, refused credentials) stops the rest."""
    paths = ledger.paths(result.dest)
    todo = iter(rows)
    lock = threading.Lock()
    stop = threading.Event()
    crashed = []

    def work():
        while not stop.is_set():
            with lock:
                row = next(todo, None)
            if row is None:
                return
            wanted = row["key"] in to_read
            try:
                outcome = check_row(backend, row, wanted)
            except SwiftrotateError as exc:
                with lock:
                    result.stopped = result.stopped or exc
                stop.set()
                return
            except BaseException as exc:  # a bug: raised in the main thread below
                crashed.append(exc)
                stop.set()
                return
            with lock:
                result.checked += 1
                result.read += bool(outcome[2]) if outcome else wanted
                found = finding(row, paths.get(row["unit"], []), outcome)
                if found is not None:
                    result.findings.append(found)
                    ledger.unverify(result.dest, row["unit"], row["key"])
                if on_done is not None:
                    on_done(row, found)

    run_threads("verify", min(jobs, len(rows)), work, stop)
    if crashed:
        raise crashed[0]
    result.findings.sort(key=lambda f: f.key)


def _repair_all(settings, backend, ledger, folder, result, log, on_repair):
    """Each finding in turn, under the state lock (an upload run must not
    archive the same file meanwhile), from the ledger row as it is now."""
    try:
        with StateLock(folder, settings.get_int("lock_timeout")):
            for found in result.findings:
                _repair_one(settings, backend, ledger, found, result, log)
                if on_repair is not None:
                    on_repair(found)
                if result.stopped is not None:
                    return
    except LockBusy as exc:
        result.stopped = exc


def _repair_one(settings, backend, ledger, found, result, log):
    row = ledger.unit(result.dest, found.unit)
    if row is None or row["key"] != found.key:
        found.note = "its ledger row changed since it was checked (another run archived it); verify again"
        return
    try:
        found.note = repair(settings, backend, ledger, found, {**row, "unit": found.unit}, log)
        found.repaired = True
    except TransientError as exc:  # the store is failing now: the other repairs would too
        found.note = exc.line()
        result.stopped = exc
    except (SwiftrotateError, OSError) as exc:
        found.note = exc.line() if isinstance(exc, SwiftrotateError) else str(exc)
