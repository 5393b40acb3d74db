"""Wait until rotated files are quiet before uploading them: a file written
to within its log's settle_seconds is not final yet (copytruncate, a slow
compressor, a writer still holding the old file).

Must not: upload, or touch the ledger.
"""
import os
import time

from .errors import TransientError
from .naming import escape
from .outcome import Outcome

FUTURE_SLACK = 2.0  # seconds: file systems and clocks disagree a little; clock skew is more


def wait_settled(settings, pending, report, deadline, start, log):
    """Files written to within the last settle_seconds are not final yet:
    wait until they are quiet instead of uploading a moving target. One
    wait for the whole run (4 x the longest settle_seconds), not one per file."""
    waiting, ready = [], []
    now = time.time()
    for cand, key, st in pending:
        ahead = _mtime(cand.path) - now
        if ahead > FUTURE_SLACK:  # no wait tells when a file stamped ahead of the clock goes quiet
            _fail_now(report, log, cand, key, TransientError(
                f"{escape(cand.path)} has an mtime {ahead:.0f}s in the future (clock skew?): cannot tell whether "
                "it is still being written", "fix the clock (NTP), or touch the file; the next run retries"))
        else:
            waiting.append((cand, key, st, settings.get_int("settle_seconds", cand.live)))
    give_up = time.monotonic() + 4 * max([settle for *_, settle in waiting] or [0])
    said = False
    while waiting:
        busy = [w for w in waiting if time.time() - _mtime(w[0].path) < w[3]]
        # a file gone meanwhile (gzipped, spooled) needs nothing
        ready += [w[:3] for w in waiting if w not in busy and os.path.lexists(w[0].path)]
        if busy and (time.monotonic() > give_up or (deadline and time.monotonic() - start > deadline)):
            for cand, key, _, _ in busy:
                _fail_now(report, log, cand, key,
                          TransientError(f"{escape(cand.path)} is still being written; the next run retries"))
            break
        if busy and not said:
            log.info("waiting for %d file(s) to be quiet (settle_seconds), e.g. %s", len(busy),
                     escape(busy[0][0].path))
            said = True
        waiting = busy
        if waiting:
            time.sleep(0.5)
    return ready


def _fail_now(report, log, cand, key, error):
    report.outcomes.append(Outcome(cand.path, key, "failed", error=error))
    log.error("not archived: %s", error.line())


def _mtime(path):
    try:
        return os.lstat(path).st_mtime
    except FileNotFoundError:
        return 0.0

