"""`swiftrotate doctor`'s checks of one logrotate stanza, and of the dateformats of all of them:
where the hook sits in the scripts, what can skip it or lose its exit status (a here-document
that never ends included), `$2` where it is empty, dateext and dateformat, extension, how long a
store outage may last before logrotate deletes a rotation never archived, copytruncate,
nocreate, a compresscmd whose format is not the rotations' extension, and the swiftrotate
settings that contradict the stanza. Facts about logrotate 3.21 behind them: docs/doctor.md.

Pure: a Stanza (logrotate_conf.py) and the settings given in, findings out. Must not: do I/O.
"""
import os
import re
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase

from ...logrotate_directives import COMPRESS_EXTS
from ...naming import COMPRESS_SUFFIXES, check_dateformat, format_stamp, parse_stamp, stamp_formats
from .scripts import arg2_line, commands, hook_flags, hook_kind, status_lost, stoppers, unclosed_heredoc, uses_arg2

ERROR, WARNING, INFO = "error", "warning", "info"
# the shortest time between two rotations (a month is 28 to 31 days); a size-rotated log rotates
# at most once a logrotate run, counted as a day (Debian's logrotate.timer runs it daily)
PERIOD_DAYS = {"hourly": 1 / 24, "daily": 1, "weekly": 7, "monthly": 28, "yearly": 365, "size": 1}
SMALL_DAYS = 7  # an outage over a long weekend must not cost logs
GATE = 'a preremove `swiftrotate gate "$1"`'
# the finest unit each specifier names, and what a stanza's frequency needs
_UNIT = {"%s": 0, "%S": 0, "%M": 1, "%H": 2, "%d": 3, "%m": 4, "%Y": 5}
_NEEDS = {"hourly": 2, "daily": 3, "weekly": 3, "monthly": 4, "yearly": 5}
_UNIT_NAME = {2: "hour", 3: "day", 4: "month", 5: "year"}
# what each compressor writes, by the suffix of its format; logrotate picks the extension itself only
# for the tools in COMPRESS_EXTS, and keeps .gz (or the compressext before) for the others
WRITES = {"gzip": ".gz", "pigz": ".gz", "bzip2": ".bz2", "pbzip2": ".bz2", "lbzip2": ".bz2", "xz": ".xz",
          "pixz": ".xz", "pxz": ".xz", "zstd": ".zst", "zstdmt": ".zst", "pzstd": ".zst", "lz4": ".lz4",
          "compress": ".Z"}
FORMATS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".lz4": "lz4", ".Z": "compress"}


@dataclass(frozen=True)
class Finding:
    file: str
    line: int  # 0: the file as a whole, or a folder
    severity: str  # error, warning, info
    problem: str
    fix: str

    def text(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.problem}; {self.fix}"


@dataclass(frozen=True)
class Hook:
    script: str  # postrotate, lastaction, ...
    kind: str  # upload or gate
    cmds: tuple  # the script's commands
    index: int  # the hook's among them

    @property
    def line(self):
        return self.cmds[self.index].line


def hooks(stanza):
    """Every command of the stanza's scripts that runs swiftrotate upload or gate."""
    out = []
    for name, (text, line) in sorted(stanza.scripts.items(), key=lambda kv: kv[1][1]):
        cmds = tuple(commands(text, line))
        out += [Hook(name, kind, cmds, i) for i, c in enumerate(cmds) if (kind := hook_kind(c))]
    return out


def check_stanza(stanza, config):
    """The findings for one stanza. `config`: the swiftrotate settings set explicitly for its logs
    (dateformat, olddir, dateyesterday), each (value, where) or absent."""
    out = arg2_findings(stanza) + swallowed(stanza)
    found = hooks(stanza)
    uploads = [h for h in found if h.kind == "upload"]
    gated = any(h.kind == "gate" and h.script == "preremove" for h in found)
    out += placement(stanza, found)
    for h in found:
        out += order(stanza, h, gated)
    if not uploads:
        return out
    out += dates(stanza)
    out += extension(stanza)
    out += retention(stanza, uploads, gated)
    out += copying(stanza, uploads)
    out += contradictions(stanza, config)
    out += compression(stanza)
    out += flag_contradictions(stanza, uploads)
    return out


def _at(stanza, severity, problem, fix, line=None):
    return Finding(stanza.file, line or stanza.line, severity, problem, fix)


def arg2_findings(stanza):
    out = []
    shared = stanza.settings["sharedscripts"]
    for name, (text, line) in stanza.scripts.items():
        if not uses_arg2(text):
            continue
        if name in ("postrotate", "prerotate") and shared:
            why = f"$2 is empty in {name} under sharedscripts (logrotate passes only the pattern text as $1)"
        elif name != "postrotate":
            why = f"$2 is empty in {name} (logrotate gives it only {'the file' if name == 'preremove' else '$1'})"
        else:
            continue
        fix = "use $1 (swiftrotate upload \"$1\" finds the rotated files itself)"
        out.append(_at(stanza, ERROR, why, fix, arg2_line(text, line)))
    return out


def swallowed(stanza):
    """A here-document that never ends and whose body holds the hook: the hook never runs (and
    logrotate, whose script exits 0, says nothing)."""
    out = []
    for name, (text, line) in stanza.scripts.items():
        found = unclosed_heredoc(text, line)
        if found is None:
            continue
        at, word, body_line = found
        body = "\n".join(text.split("\n")[body_line - line:])
        hooked = [c for c in commands(body, body_line) if hook_kind(c)]
        if hooked:
            out.append(_at(stanza, ERROR, f"the here-document <<{word} never ends (its terminator must stand alone at "
                                          "the start of a line, after tabs only with <<-), so the rest of "
                                          f"{name} is its text: the hook at line {hooked[0].line} never runs",
                           f"write {word} alone at the start of its line", at))
    return out


def placement(stanza, found):
    out = []
    for h in found:
        if h.kind == "upload" and h.script in ("prerotate", "firstaction"):
            out.append(_at(stanza, ERROR, f"the hook runs in {h.script}, before anything is rotated: each "
                                          "rotation waits a whole cycle to be archived",
                           "move it to postrotate (or lastaction)", h.line))
        elif h.kind == "gate" and h.script != "preremove":
            out.append(_at(stanza, WARNING, f"swiftrotate gate runs in {h.script}: only preremove can keep "
                                            "logrotate from deleting a file", "move it to preremove", h.line))
    return out


def order(stanza, hook, gated):
    out = [_at(stanza, severity, problem, fix, line) for severity, line, problem, fix in stoppers(hook.cmds, hook.index)]
    lost = status_lost(hook.cmds, hook.index)
    if lost:
        if hook.kind == "gate":
            severity, why = ERROR, "its veto never reaches logrotate"
        else:
            severity, why = (INFO if gated else WARNING), "logrotate compresses and expires files it failed on"
        out.append(_at(stanza, severity, f"the {'gate' if hook.kind == 'gate' else 'hook'}'s exit status is lost: "
                                         f"{lost}, so {why}",
                       "make the hook the last command of the script, with nothing after it", hook.line))
    return out


def dates(stanza):
    s = stanza.settings
    if not s["dateext"]:
        return [_at(stanza, ERROR, "the hook archives dated rotations only, and this stanza has no dateext: "
                                   "logrotate names them .1, .2 and nothing is archived",
                    "add dateext (and run `swiftrotate rename` once on the numbered files)")]
    fmt = s["dateformat"]
    try:
        check_dateformat(fmt)
    except ValueError as exc:
        return [_at(stanza, ERROR, f"the hook cannot read this stanza's stamps: {exc}",
                    "use logrotate's %Y %m %d %H %M %S or %s, e.g. dateformat -%Y%m%d")]
    out = []
    unit = min((u for spec, u in _UNIT.items() if spec in fmt), default=5)
    needs = 2 if s["frequency"] == "hourly" else _NEEDS.get(s["frequency"], 3)
    if unit > needs:
        out.append(_at(stanza, ERROR, f"dateformat {fmt} names one file per {_UNIT_NAME[unit]}, but the log "
                                      f"rotates {s['frequency']}: logrotate skips each rotation whose name "
                                      "exists already (\"destination ... already exists\")",
                       f"add {'%H' if needs == 2 else '%d' if needs == 3 else '%m'} to the dateformat"))
    elif "%Y" not in fmt and "%s" not in fmt:
        out.append(_at(stanza, WARNING, f"dateformat {fmt} has no year: fetch and ls read its stamps as 1900",
                       "add %Y to the dateformat"))
    return out


def extension(stanza):
    """`extension EXT`: logrotate names a rotation STEM<stamp>EXT, which the hook reads from the
    stanza. What still goes wrong: a pattern that also matches those names rotates the rotations
    again (app-20261102-20261104.log); `addextension` is not read, so the hook exits 66."""
    out = []
    added = stanza.settings["addextension"]
    if added:
        out.append(_at(stanza, ERROR, f"addextension {added}: swiftrotate does not read the names it gives, so the "
                                      "hook exits 66 and archives nothing",
                       f"use extension {added} with logs named *{added}, or remove addextension"))
    ext, fmt = stanza.settings["extension"], stanza.settings["dateformat"] or "-%Y%m%d"
    if not ext or stanza.settings["olddir"]:
        return out
    try:
        sample = format_stamp(datetime(2026, 11, 2), fmt)
    except ValueError:
        return out  # dates() says what is wrong with the dateformat
    for pattern in stanza.patterns:
        base = os.path.basename(pattern)
        # a log name the pattern matches: each * or ? one letter, each [class] its first member
        live = re.sub(r"\[(?![!^])(.)[^]]*\]|\[[^]]*\]|[*?]", lambda m: m.group(1) or "x", base)
        rotated = f"{live[:-len(ext)]}{sample}{ext}"
        if live.endswith(ext) and fnmatchcase(rotated, base):
            again = f"{live[:-len(ext)]}{sample}{sample}{ext}"
            out.append(_at(stanza, WARNING, f"{pattern} also matches the rotations extension {ext} names "
                                            f"({rotated}), so logrotate rotates them again ({again})",
                           "name the logs without a glob that matches their rotations, or set olddir"))
            break
    return out


def collisions(stanzas):
    """Two dateformats in use whose stamps read as each other's with another date (-%Y%m%d and
    -%Y%d%m), so fetch and ls take one day for another. Reported at the later stanza."""
    seen, out = {}, []
    for stanza in stanzas:
        fmt = stanza.settings["dateformat"]
        if not stanza.settings["dateext"] or not any(h.kind == "upload" for h in hooks(stanza)):
            continue
        try:
            check_dateformat(fmt)
        except ValueError:
            continue
        for other, first in seen.items():
            if other != fmt and _collide(fmt, other):
                out.append(_at(stanza, WARNING, f"dateformat {fmt} and {other} (at {first.file}:{first.line}) "
                                                "write stamps that read as each other with other dates",
                               "use one dateformat for every log"))
        seen.setdefault(fmt, stanza)
    return out


def _collide(a, b):
    for moment in (datetime(2026, 11, 5, 12, 34, 56), datetime(2026, 5, 11, 8, 9, 10)):
        for fa in stamp_formats(a):
            stamp = format_stamp(moment, fa)
            for fb in stamp_formats(b):
                when = parse_stamp(stamp, fb)
                if when is not None and when != parse_stamp(stamp, fa):
                    return True
    return False


def outage_days(settings):
    """How many days a rotation stays on disk (None: forever), from rotate × period and maxage."""
    count, maxage = settings["rotate"], settings["maxage"]
    days = None if count < 0 else count * PERIOD_DAYS.get(settings["frequency"], 1)
    if maxage > 0:
        days = maxage if days is None else min(days, maxage)
    return days


def retention(stanza, uploads, gated):
    s = stanza.settings
    if gated:
        return []
    if s["rotate"] == 0 and all(h.script in ("lastaction",) for h in uploads):
        return [_at(stanza, ERROR, "rotate 0: logrotate deletes each rotation before lastaction runs, so "
                                   "nothing is archived", f"move the hook to postrotate, or set rotate 7 and "
                                   f"add {GATE}")]
    days = outage_days(s)
    if days is None:
        return []
    if s["rotate"] == 0:
        return [_at(stanza, WARNING, "rotate 0 and no preremove gate: logrotate deletes each rotation right "
                                     "after postrotate, kept only when the hook exits non-zero",
                    f"add {GATE}, or keep rotations (rotate 7)")]
    shown, why, sooner, shortest = window(s, days)
    problem = (f"no preremove gate: a store outage longer than {shown} ({', '.join(why)}){sooner} lets logrotate "
               "delete rotations never archived")
    return [_at(stanza, WARNING if shortest < SMALL_DAYS else INFO, problem, f"add {GATE}")]


def window(s, days):
    """How retention() words the outage window of `days`: (the window, why, the shorter one that
    maxsize allows or "", the shortest days for the severity). With maxsize, a rotation can come at
    any logrotate run, so the period's days are an upper bound."""
    count, freq, maxage = s["rotate"], s["frequency"], s["maxage"]
    shown = f"{days * 24:g} hours" if days < 1 else f"{days:g} day" + "s" * (days != 1)
    why = []
    if count > 0 and freq == "size":
        why.append(f"rotate {count}, and size {_bytes(s['size'])} rotates at most once a run: {count} "
                   f"day{'s' * (count != 1)} when logrotate runs daily")
        shown = f"{count} logrotate run" + "s" * (count != 1) if days == count else shown
    elif count > 0:
        why.append(f"rotate {count} × {freq}" + (", counting 28 days a month" if freq == "monthly" else ""))
    why += [f"maxage {maxage}"] if maxage > 0 else []
    sooner, shortest = "", days
    if s["maxsize"] and count > 0 and freq not in ("size", "hourly"):
        sooner = f", or only {count} logrotate runs when the log outgrows maxsize {_bytes(s['maxsize'])},"
        shortest = min(days, count)
    return shown, why, sooner, shortest


def _bytes(n):
    for unit, size in (("G", 1024 ** 3), ("M", 1024 ** 2), ("k", 1024)):
        if n and n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def copying(stanza, uploads):
    s, out = stanza.settings, []
    if s["copytruncate"]:
        out.append(_at(stanza, WARNING, "copytruncate: lines written between logrotate's copy and its truncate "
                                        "are lost, as logrotate(8) says", "use create and make the daemon "
                                        "reopen its log in postrotate, where it can"))
        if s["rotate"] == 0:
            out.append(_at(stanza, ERROR, "copytruncate with rotate 0: logrotate (since 3.15) makes no copy, so "
                                          "there is nothing to archive", "set rotate 1 or more"))
    if not (s["create"] or s["copytruncate"] or s["copy"]) and any(h.script == "lastaction" for h in uploads):
        out.append(_at(stanza, INFO, "nocreate: the live log is absent after rotation until the daemon writes "
                                     "again; the lastaction hook archives the rotations all the same",
                       "nothing to do"))
    return out


def contradictions(stanza, config):
    s, out = stanza.settings, []
    for name, theirs in (("dateformat", s["dateformat"]), ("olddir", s["olddir"]),
                         ("dateyesterday", s["dateyesterday"])):
        if name not in config:
            continue
        ours, where = config[name]
        if _same(name, ours, theirs):
            continue
        shown = theirs if theirs not in (None, True, False) else {None: "none", True: "yes", False: "no"}[theirs]
        severity = WARNING if name == "dateyesterday" else ERROR
        out.append(_at(stanza, severity, f"{where} sets {name} = {ours}, but this stanza's is {shown}, and "
                                         "swiftrotate's setting wins", f"remove {name} from the swiftrotate "
                                         "config (the hook reads the stanza)"))
    ext = s["compressext"]
    if s["compress"] and ext and ext not in COMPRESS_SUFFIXES:
        out.append(_at(stanza, ERROR, f"compressext {ext} is not a compression swiftrotate knows, so it takes "
                                      "the compressed rotations for other files",
                       f"use one of {' '.join(COMPRESS_SUFFIXES)}"))
    return out


def compression(stanza):
    """A compresscmd whose format is not what the rotations are named (logrotate 3.21, config.c:
    `compresscmd xz` sets .xz itself; `compresscmd lz4` keeps .gz). A compressext swiftrotate
    does not know at all is contradictions()'s."""
    s = stanza.settings
    cmd, ext = s["compresscmd"] or "gzip", s["compressext"]
    tool = os.path.basename(cmd)
    want = WRITES.get(tool)
    if not s["compress"] or want is None or ext == want or ext not in FORMATS:
        return []
    if tool in COMPRESS_EXTS:  # logrotate set `want`: a compressext after compresscmd changed it
        named, fix = f"compressext {ext} names", f"set compressext {want} (or remove it: logrotate picks {want} for {tool})"
        named += f" the rotations {ext}"
    else:
        tools = ", ".join(t for t in COMPRESS_EXTS if t != "zip")
        named = f"logrotate names the rotations {ext} (it picks the extension itself only for {tools} and zip)"
        fix = f"add compressext {want} after the compresscmd line"
    return [_at(stanza, ERROR, f"compresscmd {cmd} writes {FORMATS[want]} data, but {named}: swiftrotate archives "
                               f"them as {ext}, and fetch --decompress reads them as {FORMATS[ext]} and fails", fix)]


def flag_contradictions(stanza, uploads):
    out = []
    for h in uploads:
        for name, value in hook_flags(h.cmds[h.index]).items():
            theirs = stanza.settings[name]
            if not _same(name, value, theirs):
                out.append(_at(stanza, ERROR, f"the hook's --{name} {value} is not this stanza's {name} "
                                              f"({theirs or 'none'}), and the flag wins", f"drop --{name} from "
                                              "the hook (it reads the stanza)", h.line))
    return out


def _same(name, ours, theirs):
    if name == "dateyesterday":
        return (str(ours).lower() in ("1", "yes", "true", "on")) == bool(theirs)
    if name == "olddir":
        return (os.path.normpath(ours) if ours else None) == (os.path.normpath(theirs) if theirs else None)
    return ours == theirs
