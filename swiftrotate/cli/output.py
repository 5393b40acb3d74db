"""How results look: one line per file or archive, summaries, the table of
a rename plan, the fetch listing (text or JSON) and its progress bar, the
lifecycle difference, verify's findings (text or JSON) and its progress bar.

Owns: every line the cli/ wrappers write, to stdout or stderr (errors that
end a run are main()'s). Must not: decide anything.
"""
import logging
import os
import sys
import threading
import time

import click

from .. import lifecycle
from ..naming import escape

log = logging.getLogger("swiftrotate")


def ls_header(human):
    """The column names, on a terminal only: never in a pipe or a file."""
    if click.get_text_stream("stdout").isatty():
        click.echo(f"{'SIZE':>{10 if human else 12}}  {'STAMP':19}  KEY")


def ls_line(entry, human):
    size = f"{human_size(entry.info.size):>10}" if human else f"{entry.info.size:>12}"
    click.echo(f"{size}  {_stamp_text(entry.parts):19}  {escape(entry.info.key)}")


def ls_unread(key):
    log.warning("not shown: no stamp form reads %s, so its date is unknown (give the dateformat its logrotate "
                "stanza has: --dateformat FORMAT)", escape(key))


def _stamp_text(parts):
    """The stamp's time at the stamp's own resolution: 2026-11-26 for a day."""
    if parts is None:
        return "-"
    fmt = parts.format
    shown = ("%Y-%m-%d %H:%M:%S" if "%S" in fmt or "%s" in fmt else "%Y-%m-%d %H:%M" if "%M" in fmt
             else "%Y-%m-%d %H:00" if "%H" in fmt else "%Y-%m-%d")
    return parts.when.strftime(shown)


def fetch_window(when):
    click.echo(f"swiftrotate: lines of {when.first}..{when.last} are in files stamped {when.first}..{when.shown_end} "
               "(stamped on rotation day; --by-stamp to match stamps exactly)", err=True)


def fetch_plan(result, when, *, hosts, list_only, as_json):
    """Problems and empty ranges on stderr; with --list the plan on stdout."""
    for exc in result.plan.problems:
        log.error("%s", exc.line())
    if not result.plan.hosts:
        log.error("no host in the store matches --host %s", " ".join(escape(h) for h in hosts))
    for glob in result.plan.unmatched if result.plan.hosts else ():
        log.error("no archived log on %s matches %s", _hosts(result.plan.hosts), escape(glob))
    # with archives found, a host or log reached by a glob may lack the range; one named exactly may not
    for (host, x), (before, after) in sorted(result.plan.nearest.items()):
        if not result.plan.items or (host, x) in result.plan.asked:
            near = ", ".join(f"{w} {s}" for w, s in (("nearest before:", before), ("nearest after:", after)) if s)
            log.error("no archives of %s on %s stamped %s..%s (%s)", escape(x), escape(host), when.start.date(),
                      when.shown_end, near or _none_at_all(host, result.plan.elsewhere.get((host, x))))
    if not result.plan.items:
        return
    if not list_only:
        return
    import json  # only --json needs it, never the hook

    for item in result.plan.items:
        if as_json:
            click.echo(json.dumps({"key": item.key, "stamp": item.stamp, "size": item.size,
                                   "host": item.host, "log": item.log, "date": item.when.isoformat()}))
        else:
            click.echo(f"{item.when:%Y-%m-%d %H:%M}  {item.size:>12}  {item.host}  {item.key}")


def _hosts(hosts):
    return escape(hosts[0]) if len(hosts) == 1 else f"any of {len(hosts)} hosts"


def _none_at_all(host, elsewhere):
    if elsewhere is None:
        return "none at all"
    having, not_asked, host_known = elsewhere
    text = "none at all" + ("" if host_known else f"; the store holds nothing of {escape(host)}")
    if having:
        text += "; this log is archived from " + ", ".join(escape(h) for h in having)
    elif not not_asked:
        text += ", on no host: check the path"
    if not_asked:
        text += f"; {not_asked} more host(s) not asked: --host '*' --list looks everywhere"
    return text


def human_size(n):
    """1536 -> '1.5 KiB' (powers of 1024)."""
    if n < 1024:
        return f"{int(n)} B"
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        n /= 1024
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"


def _clock(seconds):
    hours, rest = divmod(int(round(seconds)), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def progress_line(done, total, elapsed, files):
    """'1/3 file(s)  10.0 MiB / 40.0 MiB   25%  2.0 MiB/s  ETA 0:15'; files
    is (finished, all)."""
    percent = min(100, done * 100 // total) if total else 100
    rate = done / elapsed if elapsed > 0 else 0
    eta = _clock((total - done) / rate) if rate > 0 else "--:--"
    return (f"{files[0]}/{files[1]} file(s)  {human_size(done)} / {human_size(total)}  {percent:3d}%  "
            f"{human_size(rate)}/s  ETA {eta}")


class FetchProgress:
    """One line on stderr redrawn as bytes arrive (sizes, rate, ETA), with
    -o and --stdout alike, when stderr is a terminal and neither -v nor -q:
    never in a log or a pipe. Failures as they happen; with -v one line per
    archive. bytes() is called from the download threads."""

    REDRAW = 0.1  # seconds between redraws: a fast download must not spend its time drawing

    def __init__(self, show_bar, verbose, stream=None):
        self.stream = stream or sys.stderr
        self.show, self.verbose = show_bar and self.stream.isatty(), verbose
        self.lock = threading.Lock()
        self.total = self.got = self.files = self.count = 0
        self.started = self.drawn_at = None

    def start(self, result):
        with self.lock:
            self.total = sum(i.size for i in result.plan.items)
            self.count, self.started = len(result.plan.items), time.monotonic()
            self._draw(force=True)

    def bytes(self, done):
        with self.lock:
            self.got = max(self.got, done)
            self._draw()

    def done(self, item, status, error):
        with self.lock:
            self.files += 1
            if error is not None or self.verbose:
                self._clear()
        if error is not None:
            log.error("not fetched: %s", error.line())
        elif self.verbose:
            click.echo(f"{status:9} {item.key}", err=True)
        with self.lock:
            self._draw(force=error is not None)

    def finish(self):
        with self.lock:
            if self.drawn_at is not None:
                self._draw(force=True)
                self.stream.write("\n")
                self.stream.flush()

    def _draw(self, force=False):
        if not self.show or self.started is None or not self.count:
            return
        now = time.monotonic()
        if not force and self.drawn_at is not None and now - self.drawn_at < self.REDRAW:
            return
        line = progress_line(self.got, self.total, now - self.started, (self.files, self.count))
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self.drawn_at = now

    def _clear(self):
        if self.drawn_at is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def fetch_summary(result, folder):
    missing = result.plan.missing()
    click.echo(f"swiftrotate: {result.fetched} of {len(result.plan.items)} archive(s) in {folder}, verified"
               + (f"; {len(missing)} asked for by name had none in the range (above)" if missing else ""), err=True)


class VerifyProgress:
    """verify: a progress bar on a terminal (stderr, unless -q), each finding
    and repair as it happens (not with --json: the document has them), and
    with -v one line per archive found whole."""

    def __init__(self, show_bar, verbose, as_json):
        self.bar, self.show_bar, self.verbose, self.as_json = None, show_bar, verbose, as_json

    def start(self, total):
        if self.show_bar and sys.stderr.isatty() and total:
            self.bar = click.progressbar(length=total, file=sys.stderr, label="verify", show_pos=True,
                                         show_percent=True)

    def done(self, row, found):
        if self.bar is not None:
            self.bar.update(1)
        if self.as_json:
            return
        if found is not None:
            log.error("verify: %s %s: %s (%s)", found.category, escape(found.key), found.detail, found.where())
        elif self.verbose:
            click.echo(f"ok       {escape(row['key'])}", err=True)

    def repaired(self, found):
        if self.as_json:
            return
        if found.repaired:
            log.warning("verify: repaired %s: %s", escape(found.key), found.note)
        else:
            log.error("verify: cannot repair %s: %s", escape(found.key), found.note)

    def finish(self):
        if self.bar is not None:
            self.bar.render_finish()


def verify_summary(result, *, quiet, as_json):
    """The summary line (an error when anything is wrong, else shown unless
    -q), or with --json the one document on stdout."""
    if as_json:
        import json  # only --json needs it

        counts = {c: result.count(c) for c in ("missing", "broken", "differ")}
        click.echo(json.dumps({
            "dest": result.dest, "checked": result.checked, "read": result.read, **counts,
            "repaired": result.repaired, "not_checked": result.total - result.checked,
            "stopped": result.stopped.line() if result.stopped is not None else None,
            "findings": [{"category": f.category, "key": f.key, "path": f.path, "paths": f.paths,
                          "detail": f.detail, "found_by": "read" if f.read else "head", "repaired": f.repaired,
                          "note": f.note} for f in result.findings]}, indent=1))
    if result.stopped is not None:
        log.error("verify: stopped: %s", result.stopped.line())
    if as_json:
        return
    if result.exit_code:
        log.error("%s", result.summary())
    elif not quiet:
        click.echo(f"swiftrotate: {result.summary()}", err=True)


def lifecycle_diff(result):
    for line in lifecycle.diff_lines(result.plan):
        click.echo(line)


def lifecycle_summary(result):
    plan = result.plan
    if not plan.needed:
        click.echo(f"{result.where}: lifecycle up to date ({len(plan.rules)} rules)")
    elif not result.written:
        click.echo(f"{result.where}: dry run, nothing changed ({len(plan.added)} to add, "
                   f"{len(plan.changed)} to replace)")
    else:
        click.echo(f"{result.where}: lifecycle installed ({len(plan.added)} added, {len(plan.changed)} replaced)")


def note(text):
    click.echo(text, err=True)


def problems(errors):
    for exc in errors:
        click.echo(f"swiftrotate: {exc.line()}", err=True)


def undo_lines(restored):
    for r in restored:
        click.echo(f"{escape(os.path.join(r['dir'], r['new']))} -> {escape(r['old'])}")


def rename_table(steps):
    steps = sorted(steps, key=lambda fs: (fs[0].path, fs[1].rot.log, fs[1].rot.number, fs[1].rot.ext))
    rows = [(_show(f"{f.path}/{s.rot.name}"), _show(s.new),
             f"{s.rot.source} {s.rot.moment.isoformat(' ', 'seconds')}" + (" dateyesterday" if s.rot.yesterday else "")
             + (f" ({s.note})" if s.note else "")) for f, s in steps]
    if not rows:
        return
    wide = [max(len(r[i]) for r in rows + [("OLD", "NEW")]) for i in (0, 1)]
    out = [f"{'OLD':{wide[0]}}    {'NEW':{wide[1]}}  DATE FROM"]
    out += [f"{a:{wide[0]}} -> {b:{wide[1]}}  {c}" for a, b, c in rows]
    click.echo("\n".join(out))


def _show(name):
    # escape() (no newlines, no terminal escapes), skipped for the usual plain names: 100k rows.
    return name if name.isascii() and name.isprintable() and '"' not in name and "\\" not in name else escape(name)


def doctor_report(result, *, quiet, as_json):
    """doctor's findings, one line each on stdout (notes left out with -q), then the counts on
    stderr; or with --json the one document on stdout."""
    if as_json:
        import json  # only --json needs it

        click.echo(json.dumps({
            "paths": result.paths, "context": result.context or None, "stanzas": result.stanzas, "hooked": result.hooked,
            "errors": result.count("error"), "warnings": result.count("warning"), "notes": result.count("info"),
            "exit_code": result.exit_code,
            "findings": [{"file": f.file, "line": f.line, "severity": f.severity, "problem": f.problem,
                          "fix": f.fix} for f in result.findings]}, indent=1))
        return
    for finding in result.findings:
        if not (quiet and finding.severity == "info"):
            # a finding quotes the config: only what a terminal would act on is escaped
            click.echo("".join(c if c.isprintable() else escape(c) for c in finding.text()))
    if not quiet:
        within = f" (as {result.context} includes them)" if result.context else ""
        click.echo(f"doctor: {result.stanzas} stanzas{within}, {result.hooked} with the hook: "
                   f"{result.count('error')} errors, {result.count('warning')} warnings, {result.count('info')} notes",
                   err=True)


def json_document(data):
    import json  # only --json needs it, never the hook

    click.echo(json.dumps(data, indent=2, sort_keys=True))


def _age(seconds):
    if seconds is None:
        return "-"
    seconds = max(0, seconds)
    return f"{seconds / 86400:.1f}d" if seconds >= 86400 else f"{seconds / 3600:.1f}h" if seconds >= 3600 \
        else f"{seconds / 60:.0f}m"


def status_table(doc, color):
    """status: one row per log, then the host's spool and leftovers."""
    now = doc["taken_at"]
    rows = [("LOG", "STATUS", "NEWEST", "PENDING", "BYTES", "OLDEST", "CONFL", "LAST OK", "LAST RUN")]
    for log_ in doc["logs"]:
        run, pending = log_["last_run"], log_["pending"]
        rows.append((escape(log_["log"]), log_["status"], log_["newest_archived_stamp"] or "-",
                     str(pending["files"]), human_size(pending["bytes"]),
                     _age(pending["oldest_age_seconds"]) if pending["files"] else "-", str(log_["conflicts"]),
                     _age(now - log_["last_success"]) + " ago" if log_["last_success"] else "never",
                     f"{run['kind']} exit {run['exit_code']}" if run else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        text = "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
        bad = n and row[1] != "ok"
        click.echo(click.style(text, fg="red" if row[1] == "failing" else "yellow") if color and bad else text)
    spool = doc["spool"]
    click.echo(f"spool: {spool['files']} file(s), {human_size(spool['bytes'])} of {human_size(spool['cap_bytes'])} "
               f"({spool['percent']:.0f}%); leftovers awaiting cleanup: {doc['leftovers']}; status: {doc['status']}")
    for log_ in doc["logs"]:
        for reason in log_["reasons"]:
            click.echo(f"{escape(log_['log'])}: {reason}")
        if log_["last_run"] and log_["last_run"]["error"]:
            click.echo(f"{escape(log_['log'])}: last error: {log_['last_run']['error']}")
