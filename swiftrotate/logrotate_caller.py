"""Whether this process runs under logrotate, and with what: the config files on the logrotate
process's command line, the script text it handed to `/bin/sh -c`, and the `$1 [$2]` it passed.

logrotate runs every script as `sh -c SCRIPT logrotate_script $1 [$2]`, so walking up from our
parent through /proc finds that shell (its arguments are logrotate's, whatever the hook line
forwarded) and, above it, logrotate itself. A cron or manual run finds no logrotate: None.

Owns: the /proc walk, the reading of logrotate's and the shell's command lines, and Taken (what
the calling stanza says; stanza_settings.py fills it in, under_logrotate.py caches it).
Must not: read logrotate's config (stanza_settings.py does), print, or import click.
"""
import os
from collections import namedtuple

DEFAULT_CONF = "/etc/logrotate.conf"
MAX_DEPTH = 16  # a hook line may go through wrappers (env, nice, timeout, a script); not through more
# logrotate 3.21's options that take a value (popt: "-s FILE", "-sFILE", "--state FILE", "--state=FILE")
_SHORT_WITH_VALUE = "sml"
_LONG_WITH_VALUE = ("--state", "--log", "--mail")


class Call(namedtuple("Call", "pid configs script args")):
    """pid: the logrotate process; configs: absolute config paths, in logrotate's order; script:
    the script text given to sh -c, or None (no shell seen between us and logrotate); args: the
    script's $1 [$2] as logrotate passed them, () when no shell was seen. (A namedtuple, not a
    dataclass: see discover.Candidate.)"""

    __slots__ = ()

    @property
    def rotated(self):
        """postrotate's $2 (the file just rotated), or None (shared scripts, lastaction, logrotate < 3.15)."""
        return self.args[1] if len(self.args) > 1 and self.args[1] else None


def config_paths(argv, cwd="/"):
    """The config paths on a logrotate command line (its options skipped), absolute against
    logrotate's working folder; /etc/logrotate.conf when it names none."""
    paths, i, options = [], 1, True
    while i < len(argv):
        word = argv[i]
        i += 1
        if not options or word == "-" or not word.startswith("-"):
            paths.append(word)
        elif word == "--":
            options = False
        elif word.startswith("--"):
            if word in _LONG_WITH_VALUE:
                i += 1
        else:
            for n, letter in enumerate(word[1:], 1):
                if letter in _SHORT_WITH_VALUE:
                    i += n == len(word) - 1  # "-s FILE"; "-sFILE" holds its value
                    break
    return tuple(os.path.join(cwd, p) for p in paths) or (DEFAULT_CONF,)


def script_call(argv):
    """(script text, (args...)) when argv is logrotate's `sh -c SCRIPT logrotate_script $1 [$2]`, else None."""
    if len(argv) >= 4 and argv[1] == "-c" and os.path.basename(argv[0]).endswith("sh"):
        return argv[2], tuple(argv[4:])
    return None


def is_logrotate(argv):
    return bool(argv) and os.path.basename(argv[0]) == "logrotate"


def find(start=None):
    """The logrotate run this process is a script of, or None."""
    pid = os.getppid() if start is None else start
    below = None  # the process just below the one looked at: logrotate's own child is its shell
    for _ in range(MAX_DEPTH):
        if pid <= 1:
            return None
        argv, parent = _cmdline(pid), _parent(pid)
        if argv is None or parent is None:
            return None
        if is_logrotate(argv):
            try:
                cwd = os.readlink(f"/proc/{pid}/cwd")
            except OSError:
                cwd = "/"
            shell = script_call(below) if below else None
            return Call(pid, config_paths(argv, cwd), *(shell or (None, ())))
        below, pid = argv, parent
    return None


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            data = f.read()
    except OSError:
        return None
    return [w.decode("utf-8", "surrogateescape") for w in data.split(b"\0")[:-1]] if data else []


def _parent(pid):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except OSError:
        return None
    # the name in (...) may hold spaces and parentheses: the fields start after the last ')'
    fields = data[data.rfind(b")") + 2:].split()
    return int(fields[1]) if len(fields) > 1 else None


class Taken(namedtuple("Taken", "where pattern_text patterns values dateext compress_ext extension start rotate "
                               "shared hook hooked", defaults=((),))):
    """What the logrotate stanza that ran the hook says about its rotated names.
    where: "FILE:LINE" of the stanza; values: swiftrotate setting -> value as
    swiftrotate reads it ("yes"/"no" for a flag); compress_ext: the suffix
    logrotate gives compressed rotations, or None; hook: the script kind that
    ran us ("postrotate", ...), or None when not told; hooked: the script
    kinds of the stanza that call swiftrotate (when the shell exec'd us, bash
    as sh or `exec` in the script, neither the script nor $2 reaches us, and
    these tell what ran)."""

    __slots__ = ()

    @property
    def source(self):
        return f"logrotate stanza {self.where}"

    def context(self):
        """The stanza's other facts, for --dry-run and messages."""
        ext = self.compress_ext or "no"
        return (f"dateext {'yes' if self.dateext else 'no'}, compression {ext}, extension {self.extension or 'none'}, "
                f"rotate {self.rotate}, start {self.start}" + (f", hook {self.hook}" if self.hook else ""))
