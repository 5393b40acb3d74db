"""`swiftrotate doctor [LOGROTATE_CONF...]`: lint logrotate's configuration (default: the one
logrotate uses, /etc/logrotate.conf with what it includes) and swiftrotate's together, one
finding per problem with its file:line, its severity and the fix.

logrotate's own mistakes come from logrotate_conf.py (read exactly as logrotate 3.21 reads
them); checks.py judges each stanza (pure), places.py the folders on this machine. This module
runs them in order on the first reading of each stanza (as logrotate keeps it: a file read twice,
through an include cycle or two includes, is one warning, not every finding twice), finds the
swiftrotate settings that are set explicitly for each stanza's logs, and gives the exit code:
0 clean (notes only), 1 warnings, 2 errors.

Must not: print or exit (cli/doctor.py renders), or change anything.
"""
import fnmatch
import os
from dataclasses import dataclass, field

from ...logrotate_conf import Reading, read_config
from . import checks, places
from .checks import ERROR, INFO, WARNING, Finding

DEFAULT_CONF = "/etc/logrotate.conf"
COMPARED = ("dateformat", "olddir", "dateyesterday")
# what logrotate does about each kind of mistake (LogrotateConfError.kind)
_KINDS = {"ignored": (WARNING, "logrotate ignores this line: correct or remove it"),
          "stanza": (ERROR, "logrotate skips this whole stanza, so its logs are not rotated: correct it"),
          "file": (ERROR, "logrotate skips the rest of this file and undoes its global settings: correct it")}


@dataclass
class Result:
    paths: list
    findings: list = field(default_factory=list)
    stanzas: int = 0
    hooked: int = 0
    context: str = ""  # the main config the paths were read within, when it includes them

    def count(self, severity):
        return sum(f.severity == severity for f in self.findings)

    @property
    def exit_code(self):
        return 2 if self.count(ERROR) else 1 if self.count(WARNING) else 0


def run(settings, paths=(), *, main=DEFAULT_CONF, mounts=places.MOUNTS):
    """Every finding for these logrotate config paths (files or folders, as on logrotate's command
    line) and the swiftrotate settings. Files that `main` includes are judged with the global
    settings they get there (a `rotate 4` in logrotate.conf), as logrotate's own run sees them."""
    result = Result(list(paths) or [main or DEFAULT_CONF])
    reading = read_config(result.paths)
    if paths and main and os.path.isfile(main):
        reading, result.context = in_context(reading, main)
    reading, times = once(reading)
    result.findings += [parse_error(e) for e in reading.errors]
    result.stanzas = len(reading.stanzas)
    hooked = [s for s in reading.stanzas if checks.hooks(s)]
    result.hooked = sum(any(h.kind == "upload" for h in checks.hooks(s)) for s in hooked)
    for stanza in reading.stanzas:
        result.findings += checks.check_stanza(stanza, explicit(settings, stanza))
    result.findings += checks.collisions(hooked)
    result.findings += [Finding(s.file, s.line, WARNING, f"logrotate reads this stanza {times[_key(s)]} times (a file "
                                "that includes itself, an include cycle, or a file included twice): it rotates its "
                                "logs with the first reading and reports \"duplicate log entry\" for the others, "
                                "exiting 1", "include each file once") for s in reading.stanzas if times[_key(s)] > 1]
    if not result.hooked:
        result.findings.append(Finding(result.paths[0], 0, WARNING, "no stanza runs `swiftrotate upload`, so "
                                       "logrotate archives nothing", 'add `swiftrotate upload "$1"` to the '
                                       "postrotate script of each stanza whose logs you keep"))
    result.findings += places.folders(settings, mounts)
    result.findings += places.spool_devices(settings, hooked)
    result.findings = list(dict.fromkeys(result.findings))
    return result


def _key(item):
    return os.path.realpath(item.file), item.line


def once(reading):
    """`reading` with each stanza and error once, as logrotate keeps the first reading of a log
    (a later one is a "duplicate log entry"), and how many times each stanza was read."""
    times, stanzas, errors = {}, [], {}
    for s in reading.stanzas:
        times[_key(s)] = times.get(_key(s), 0) + 1
        stanzas += [s] if times[_key(s)] == 1 else []
    for e in reading.errors:
        errors.setdefault((*_key(e), str(e)), e)
    return Reading(tuple(stanzas), tuple(errors.values())), times


def in_context(reading, main):
    """`reading`'s stanzas and errors as read within `main`, when `main` includes every file they
    come from; else `reading` as it is."""
    def real(path):
        return os.path.realpath(path)

    files = {real(s.file) for s in reading.stanzas} | {real(e.file) for e in reading.errors}
    whole = read_config([main])
    if not files or not files <= {real(s.file) for s in whole.stanzas} | {real(e.file) for e in whole.errors}:
        return reading, ""
    return Reading(tuple(s for s in whole.stanzas if real(s.file) in files),
                   tuple(e for e in whole.errors if real(e.file) in files)), main


def parse_error(error):
    severity, fix = _KINDS.get(error.kind, (ERROR, "correct it"))
    if not error.line:  # a whole file ignored or unreadable: every stanza in it is missing
        severity, fix = ERROR, "logrotate reads none of this file until that is fixed"
    message = str(error)
    prefix = f"{error.file}:{error.line}: "
    return Finding(error.file, error.line, severity, message[len(prefix):] if message.startswith(prefix)
                   else message, fix)


def explicit(settings, stanza):
    """name -> (value, where) for the COMPARED settings that the swiftrotate config (a [log GLOB]
    section matching one of the stanza's patterns, or [swiftrotate]) or the environment sets."""
    out = {}
    for name in COMPARED:
        variable = "SWIFTROTATE_" + name.upper()
        if settings.environ.get(variable):
            out[name] = (settings.environ[variable], variable)
            continue
        for section in settings.parser.sections():
            if (section.startswith("log ") and name in settings.parser[section]
                    and any(fnmatch.fnmatchcase(p, section[4:].strip()) for p in stanza.patterns)):
                out[name] = (settings.parser[section][name], settings.where(section, name))
                break
        else:
            if settings.parser.has_section("swiftrotate") and name in settings.parser["swiftrotate"]:
                out[name] = (settings.parser["swiftrotate"][name], settings.where("swiftrotate", name))
    return out


__all__ = ["DEFAULT_CONF", "ERROR", "INFO", "WARNING", "Finding", "Result", "run"]
