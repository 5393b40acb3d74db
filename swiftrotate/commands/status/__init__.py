"""`swiftrotate status`: how every log stands, from the ledger and the file
system alone: no store, no network, no boto3/swiftclient import, so it can
run every minute from a monitoring agent.

Exit 0 healthy, 1 degraded, 2 failing (health.verdict: the oldest pending
file's age and the spool's use against their warn_/crit_ settings, and any
conflict or failed last run as degraded).

Owns: the survey of the logs and its JSON form. Must not: print or exit.
"""
import os

from ...config import check_status_settings
from ...errors import SourceMissing
from ...health import VERDICTS, other_problems, survey
from ...ledger import Ledger
from ...naming import escape


def run(settings, patterns=()):
    """The health.Survey of the logs the ledger has run records of (or of
    `patterns`, globs or paths)."""
    check_status_settings(settings)  # a bad threshold is a config error even on a fresh host
    path = os.path.join(os.path.abspath(settings.get("state_dir")), "ledger.sqlite")
    if not os.path.exists(path):
        raise SourceMissing(f"no ledger at {escape(path)}: no upload or gate has run with this state_dir",
                            "run swiftrotate upload once (or pass the state_dir the hooks use)")
    ledger = Ledger(path, read_only=True)  # status changes nothing, a corrupt ledger included
    try:
        result = survey(settings, ledger, only=patterns)
    finally:
        ledger.close()
    if not result.logs:
        where = f" matching {escape(' '.join(patterns))}" if patterns else ""
        raise SourceMissing(f"the ledger {escape(path)} has no run recorded for any log{where}",
                            "run swiftrotate upload for the logs first, or check the pattern")
    return result


def as_dict(result):
    """The survey as plain data, for --json (times are Unix seconds)."""
    verdicts = result.verdicts()
    now = result.taken_at
    logs = []
    for h in result.logs:
        level, reasons = verdicts[h.log]
        run = dict(h.last_run) if h.last_run else None
        logs.append({
            "log": h.log, "status": VERDICTS[level], "reasons": reasons,
            "newest_archived_stamp": h.newest_stamp,
            "pending": {"files": len(h.pending), "bytes": sum(w.size for w in h.pending),
                        "oldest_age_seconds": round(h.oldest_age(now), 3),
                        "spooled_files": sum(1 for w in h.pending if w.spooled)},
            "conflicts": run["conflict_files"] if run else 0,
            "archived_files_total": h.archived_files, "archived_bytes_total": h.archived_bytes,
            "last_success": h.last_success, "last_run": run,
        })
    t = result.thresholds
    return {
        "status": VERDICTS[result.level], "exit_code": result.level, "taken_at": now, "logs": logs,
        "spool": {"files": result.spool_files, "bytes": result.spool_bytes, "cap_bytes": result.spool_cap,
                  "percent": round(result.spool_percent, 3)},
        "leftovers": result.leftovers,
        "thresholds": {"warn_pending_age": t.warn_pending_age, "crit_pending_age": t.crit_pending_age,
                       "warn_spool": t.warn_spool, "crit_spool": t.crit_spool},
    }


def others(result):
    """[(log, reason)] that make a log degraded whatever the thresholds."""
    return [(h.log, why) for h in result.logs for _, why in other_problems(h)]
