"""logrotate's own configuration, read the way logrotate 3.21 (Debian 12) reads it (issue 13).

Owns: the grammar of logrotate.conf and what it includes (global directives; stanzas of one or
more patterns, quoted or not, on one line or several, before `{`; `#` comments, which start only
where a directive or pattern could; `include` of a file or a folder, whose files are read in byte
order except the taboo list and `tabooext`/`taboopat`; script blocks kept verbatim), each
stanza's effective settings (a stanza starts as a copy of the global settings in force where it
begins, and a file's global lines go on applying to the files read after it), logrotate's
recovery from mistakes (a bad line is ignored, a bad stanza skipped, a bad file skipped with its
global changes undone), and which stanza a hook's `$1` belongs to (`stanza_for`). A port of
readConfigFile() in logrotate 3.21's config.c, character for character where it matters, checked
against the real `logrotate -d` (tests/integration/test_logrotate_debian_confs.py).

Must not: rotate, glob the log tree, stat an olddir, resolve users or groups, run scripts, print,
or import click. It reads only the config files and folders it is given (stat, listdir, read), so
these logrotate checks are not made here: unknown users or groups in create/su, a missing olddir
or one on another device, and a log matched by two stanzas.

Why our own: PyPI has pylogrotate 1.1.0 (a rotator with its own YAML config), logrotated 0.0.3
(writes configs), dargslan-log-rotate 1.0.0 (a regex scan: no include, scripts or defaults),
`logrotate` 0.1.0 (a logging handler) and tree-sitter-logrotate 0.2.1 (a syntax tree in a native
wheel: no include, taboo list, inherited defaults or error recovery); Debian has none
(`apt-cache search logrotate`: logrotate itself and a Puppet module).
"""
import os
import re
import stat
from dataclasses import dataclass

from .errors import LogrotateConfError
from .logrotate_directives import DEFAULTS, popt_split
from .logrotate_grammar import Conf, ConfigFile, FileAbort, Stanza

__all__ = ["Reading", "Stanza", "glob_match", "read", "read_config", "stanza_for"]
# logrotate 3.21's defTabooExts (its man page still lists the shorter, older list)
TABOO_EXTS = (",v", ".bak", ".cfsaved", ".disabled", ".dpkg-bak", ".dpkg-del", ".dpkg-dist", ".dpkg-new",
              ".dpkg-old", ".dpkg-tmp", ".rhn-cfg-tmp-*", ".rpmnew", ".rpmorig", ".rpmsave", ".swp",
              ".ucf-dist", ".ucf-new", ".ucf-old", "~")


@dataclass(frozen=True)
class Reading:
    stanzas: tuple
    errors: tuple  # LogrotateConfError, each with .file, .line, .kind
    sources: tuple = ()  # every file and folder looked at (a cache of the reading is valid while none changes)


def read_config(paths):
    """Every stanza logrotate would build from these config paths (files or folders, in order, as
    on its command line), and every mistake it would report on the way."""
    reader = _Reader()
    conf = Conf(dict(DEFAULTS), {})
    for path in [paths] if isinstance(paths, (str, os.PathLike)) else paths:
        reader.read_path(os.fspath(path), conf, None)
    return Reading(tuple(o.finish() for o in reader.stanzas), tuple(reader.errors),
                   tuple(dict.fromkeys(reader.sources)))


def read(paths, *, strict=True):
    """The stanzas; with strict, the first mistake is raised (LogrotateConfError naming file:line)."""
    reading = read_config(paths)
    if strict and reading.errors:
        raise reading.errors[0]
    return list(reading.stanzas)


def stanza_for(stanzas, arg):
    """The stanza a script's $1 belongs to: its exact pattern text (a shared script, firstaction,
    lastaction: "a.log b.log "), the same patterns however spaced, or the first stanza whose glob
    matches a log path (a per-log prerotate/postrotate), as logrotate gives a log to the first
    stanza that matches it. None when nothing matches."""
    for s in stanzas:
        if s.pattern_text == arg:
            return s
    words = popt_split(arg) or []
    for s in stanzas:
        if words and list(s.patterns) == words:
            return s
    for s in stanzas:
        if any(glob_match(p, arg) for p in s.patterns):
            return s
    return None


def glob_match(pattern, path):
    """Whether glob(3) (no GLOB_PERIOD, GLOB_TILDE) would list `path` for `pattern`."""
    if pattern.startswith("~"):
        pattern = os.path.expanduser(pattern)
    pparts, sparts = pattern.split("/"), path.split("/")
    if len(pparts) != len(sparts):
        return False
    for p, s in zip(pparts, sparts):
        if s.startswith(".") and not p.startswith((".", "\\.")):
            return False
        if not re.fullmatch(_glob_re(p), s, re.S):
            return False
    return True


def _glob_re(p):
    """A regex for one glob component (no '/' in it): *, ?, [...], [!...], backslash escapes."""
    out, i = [], 0
    while i < len(p):
        c = p[i]
        if c == "[":
            j = i + 2 if p[i + 1:i + 2] in ("!", "^") else i + 1
            j = p.find("]", j + 1 if p[j:j + 1] == "]" else j)  # a ']' first is a member
            if j > 0:
                body = p[i + 1:j]
                neg = body[:1] in ("!", "^")
                out.append("[" + "^" * neg + "".join(ch if ch == "-" else re.escape(ch) for ch in body[neg:]) + "]")
                i = j + 1
                continue
        escaped = c == "\\" and i + 1 < len(p)
        if escaped:
            i += 1
            c = p[i]
        out.append(re.escape(c) if escaped or c not in "*?" else ".*" if c == "*" else ".")
        i += 1
    return "".join(out)


class _Reader:
    """What one logrotate run shares across its files: the taboo list, include depth, the stanzas."""

    def __init__(self):
        self.taboo = ["*" + ext for ext in TABOO_EXTS]
        self.errors, self.stanzas, self.depth, self.cwd, self.sources = [], [], 0, "", []

    def error(self, file, line, message, kind):
        self.errors.append(LogrotateConfError(f"{file}:{line}: {message}", file=file, line=line, kind=kind))

    def read_path(self, path, conf, where):
        """readConfigPath(): a file, or a folder's files; False when one of them failed."""
        path = os.path.join(self.cwd, path)
        self.sources.append(path)
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
            names = sorted(n for n in os.listdir(path) if not self._taboo(n)) if is_dir else None
        except OSError as e:
            self.error(*(where or (path, 0)), f"cannot read {path}: {e.strerror}", "ignored")
            return False
        if not is_dir:
            return self._read_file(path, conf)
        ok, outer, self.cwd = True, self.cwd, path  # logrotate chdir()s into the folder
        try:
            for name in names:
                self.sources.append(os.path.join(path, name))
                ok = self._read_file(os.path.join(path, name), conf) and ok
        finally:
            self.cwd = outer
        return ok

    def _taboo(self, name):
        if name in (".", ".."):
            return True
        return any(_fnmatch_period(p, name) for p in self.taboo)

    def _read_file(self, path, conf):
        backup = conf.copy()
        try:
            text = self._load(path)
            if text is not None:
                ConfigFile(self, path, text, conf).run()
            return True
        except FileAbort:
            conf.assign(backup)
            return False

    def _load(self, path):
        """The file's text, or None for a file logrotate ignores."""
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                return None
            if os.getuid() == 0 and (st.st_mode & 0o022 or st.st_uid != 0):
                why = "it is writable by group or others" if st.st_mode & 0o022 else "the file owner is wrong"
                self.error(path, 0, f"ignoring {path} because {why}", "ignored")
                return None
            if st.st_size > 0xffffff:
                self.error(path, 0, f"file {path} too large, probably not a config file", "file")
                raise FileAbort()
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            self.error(path, 0, f"failed to open config file {path}: {e.strerror}", "file")
            raise FileAbort() from None
        if not data:
            return None
        text = data.decode("utf-8", "surrogateescape")
        return text if text.endswith("\n") else text + "\n"


def _fnmatch_period(pattern, name):
    """fnmatch(pattern, name, FNM_PERIOD): a leading '.' is matched only by a '.'."""
    if name.startswith(".") and not pattern.startswith("."):
        return False
    return re.fullmatch(_glob_re(pattern), name, re.S) is not None

