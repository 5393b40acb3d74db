"""Prometheus metrics, in the text exposition format the node exporter's
textfile collector reads (metrics_file), and `status --prometheus` prints.

Naming follows the Prometheus conventions: base units (seconds, bytes),
`_total` on counters, HELP and TYPE for each family, a `log` label.

Owns: rendering a health.Survey, and the atomic rewrite (a temp file in the
same folder, then rename: the collector never reads half a file). Must not:
gather what it renders.
"""
import os

from .errors import LocalIOError

FAMILIES = (
    # name, type, help, value of a LogHealth (None: no sample)
    ("swiftrotate_last_run_timestamp_seconds", "gauge", "When the log's last run (upload or gate) ended.",
     lambda h, now: h.last_run and h.last_run["ended_at"]),
    ("swiftrotate_last_success_timestamp_seconds", "gauge", "When a run last ended with exit code 0 for the log.",
     lambda h, now: h.last_success),
    ("swiftrotate_last_run_exit_code", "gauge", "Exit code of the log's last run (0 ok; see swiftrotate(1)).",
     lambda h, now: h.last_run and h.last_run["exit_code"]),
    ("swiftrotate_pending_files", "gauge", "Rotated files not archived yet (beside the log, in olddir or spooled).",
     lambda h, now: len(h.pending)),
    ("swiftrotate_pending_bytes", "gauge", "Bytes of the rotated files not archived yet.",
     lambda h, now: sum(w.size for w in h.pending)),
    ("swiftrotate_oldest_pending_age_seconds", "gauge", "Age of the oldest rotated file not archived yet "
     "(0 when none is).", lambda h, now: round(h.oldest_age(now), 3)),
    ("swiftrotate_archived_bytes_total", "counter", "Bytes archived (uploaded, or found in the store) since the "
     "ledger began.", lambda h, now: h.archived_bytes),
    ("swiftrotate_archived_files_total", "counter", "Rotated files archived since the ledger began.",
     lambda h, now: h.archived_files),
    ("swiftrotate_conflicts", "gauge", "Files whose key holds another object in the store at the last run.",
     lambda h, now: h.last_run["conflict_files"] if h.last_run else 0),
)
HOST_FAMILIES = (
    ("swiftrotate_spool_bytes", "gauge", "Bytes in the spool (rotations the gate let logrotate delete before "
     "they were archived).", lambda s: s.spool_bytes),
    ("swiftrotate_spool_cap_bytes", "gauge", "spool_cap: beyond it the gate keeps files (exit 1).",
     lambda s: s.spool_cap),
)


def label(value):
    # a byte of a name that is not UTF-8 as \xNN: the exposition format is UTF-8
    value = os.fsencode(str(value)).decode("utf-8", "backslashreplace")
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def number(value):
    if isinstance(value, float) and not value.is_integer():
        return repr(value)
    return str(int(value))


def render(survey):
    """The exposition text of a health.Survey."""
    lines = []
    for name, kind, text, value in FAMILIES:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}"]
        for health in survey.logs:
            sample = value(health, survey.taken_at)
            if sample is not None and sample is not False:
                lines.append(f'{name}{{log="{label(health.log)}"}} {number(sample)}')
    for name, kind, text, value in HOST_FAMILIES:
        lines += [f"# HELP {name} {text}", f"# TYPE {name} {kind}", f"{name} {number(value(survey))}"]
    return "\n".join(lines) + "\n"


def write(path, text):
    """Replace `path` with `text` atomically (a temp file in the same folder, synced, then renamed)."""
    import tempfile  # only with metrics_file set: not on every hook run

    folder, name = os.path.split(os.path.abspath(path))
    try:
        # not *.prom: the collector reads only those; mkstemp: a name nobody could plant beforehand
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise LocalIOError(f"cannot write metrics_file {path}: {exc.strerror}",
                           "create its folder, or make it writable for this user") from None
    try:
        os.fchmod(fd, 0o644)  # the node exporter runs as its own user, whatever our umask
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
