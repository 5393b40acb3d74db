"""One logrotate config file, read character by character as logrotate 3.21's readConfigFile()
reads it (config.c), for logrotate_conf.py, which owns reading files and folders and the public
API. Owns the states (directives, a pattern list, a script, skipping a bad line or stanza), where
each directive, pattern, `}` and script starts and ends, and what a mistake costs (the line, the
stanza, or the rest of the file). Its quirks are logrotate's, kept on purpose: `#` starts a
comment only where a directive or pattern could start (`rotate 5 # x` is a bad count, `compress
# x` is fine); while a bad stanza is skipped, only a `}` at the start of a line ends it.

Must not: touch the file system (the reader reads files and includes), resolve users, glob, print,
or import anything of swiftrotate's but logrotate_directives.py (each directive's own rules).
"""
import bisect
import re
from dataclasses import dataclass

from .logrotate_directives import ALPHA, BLANK, DIRECTIVES, FLAGS, SCRIPTS, SPACE, popt_split

# parser states, bits as in config.c (DEFAULT is none of them)
DEFAULT, SKIP_LINE, DEF_END, SKIP_CONFIG, LOAD_SCRIPT, ERROR = 0, 4, 8, 16, 32, 64


@dataclass(frozen=True)
class Stanza:
    patterns: tuple  # the patterns as logrotate globs them (quotes removed)
    pattern_text: str  # the text before `{` as written: what a shared script gets as $1
    file: str
    line: int  # where the first pattern is
    settings: dict  # every key of DEFAULTS, effective; dateformat filled in as logrotate uses it
    scripts: dict  # name -> (text between the keyword and endscript, line of the keyword)


class Conf:
    """One logInfo: the global settings, or one stanza's."""

    def __init__(self, settings, scripts):
        self.settings, self.scripts = settings, scripts

    def copy(self):
        return Conf(dict(self.settings), dict(self.scripts))

    def assign(self, other):
        self.settings, self.scripts = dict(other.settings), dict(other.scripts)


class Open:
    """A stanza while it is read."""

    def __init__(self, conf, file, line):
        self.conf, self.file, self.line, self.text, self.patterns = conf, file, line, "", ()

    def finish(self):
        settings = dict(self.conf.settings)
        if settings["dateformat"] is None:
            settings["dateformat"] = "-%Y%m%d%H" if settings["frequency"] == "hourly" else "-%Y%m%d"
        return Stanza(tuple(self.patterns), self.text, self.file, self.line, settings, dict(self.conf.scripts))


class FileAbort(Exception):
    """config.c's `goto error`: the rest of the file is skipped."""


class ConfigFile:
    """readConfigFile() over one file's text. `reader` gives .error(), .stanzas, .read_path(),
    .taboo, .depth; `defaults` is the global Conf, changed in place as the file says."""

    def __init__(self, reader, path, text, defaults):
        self.r, self.path, self.s, self.defaults = reader, path, text, defaults
        self.newlines = [m.start() for m in re.finditer("\n", text)]
        self.cur, self.i, self.state, self.script = None, 0, DEFAULT, None

    def run(self):
        try:
            self._loop()
        except FileAbort:
            if self.cur is not None:
                self.r.stanzas.remove(self.cur)
            raise

    def _loop(self):
        steps = {DEF_END: self._def_end, SKIP_CONFIG: self._skip_config, DEFAULT: self._default}
        while self.i < len(self.s):
            if self.state & SKIP_LINE:
                self.i = self.s.index("\n", self.i)
                self.state &= ~SKIP_LINE
            elif self.state & LOAD_SCRIPT:
                self._load_script()
            elif self.state == ERROR:
                self.state = SKIP_CONFIG  # this step eats one character, as in config.c
            else:
                steps[self.state]()
            self.i += 1
        if self.script is not None:
            self.fail("prerotate, postrotate or preremove without endscript", self.script[2])

    # -- states --
    def _default(self):
        c = self.s[self.i]
        if c in BLANK or c == "\n":
            return
        if c == "#":
            self.state = SKIP_LINE
        elif c in ALPHA:
            self._keyword()
        elif c in "/\"'~":
            self._pattern()
        elif c == "}":
            if self.cur is None:
                self.fail("unexpected }")
            self.cur, self.state = None, DEF_END
        else:
            self.raise_("lines must begin with a keyword or a filename (possibly in double quotes)")

    def _def_end(self):
        c = self.s[self.i]
        if c == "\n":
            self.state = DEFAULT
        elif c not in BLANK:
            self.note("unexpected text after }", "ignored")
            self.state = SKIP_LINE

    def _skip_config(self):
        if self.s[self.i] == "}":
            self.r.stanzas.remove(self.cur)
            self.cur, self.state = None, DEFAULT
            return
        word = self._word()
        if word in SCRIPTS:
            self.state = LOAD_SCRIPT | SKIP_CONFIG
        elif self.s[self.i] != "\n":
            self.state = SKIP_LINE | SKIP_CONFIG

    def _load_script(self):
        skipping = self.state & SKIP_CONFIG
        if self._word() != "endscript":
            self.state = (0 if self.s[self.i] == "\n" else SKIP_LINE) | LOAD_SCRIPT | skipping
            return
        if not skipping:
            name, start, line, conf = self.script
            end = self.s.rfind("\n", 0, self.i - 9) + 1
            conf.scripts[name] = (self.s[start:end] if end >= start else "", line)
            self.script = None
        self.state = skipping

    # -- helpers --
    @property
    def target(self):
        return self.cur.conf if self.cur is not None else self.defaults

    def line(self, i=None):
        return bisect.bisect_left(self.newlines, self.i if i is None else i) + 1

    def note(self, message, kind, line=None):
        self.r.error(self.path, line or self.line(), message, kind)

    def fail(self, message, line=None):
        self.note(message, "file", line)
        raise FileAbort()

    def raise_(self, message):
        """RAISE_ERROR(): in a stanza, skip the stanza; outside one, the rest of the file."""
        if self.cur is None:
            self.fail(message)
        self.skip_stanza(message)

    def skip_stanza(self, message):
        """STATE_ERROR: skip to the next '}' at the start of a line (the next char is eaten)."""
        self.note(message, "stanza")
        self.state = ERROR

    def _word(self):
        """isolateWord(): skip blanks, take letters; self.i ends just after them."""
        s, i = self.s, self.i
        while s[i] in BLANK:
            i += 1
        j = i
        while s[j] in ALPHA:
            j += 1
        self.i = j
        return s[i:j]

    def rest(self, at=None):
        """isolateLine(): the rest of the line from `at`, right-stripped; self.i ends before '\\n'."""
        at = self.i if at is None else at
        eol = self.s.index("\n", at)
        self.i = eol - 1
        return self.s[at:eol].rstrip(SPACE)

    def value(self):
        """isolateValue(): skip blanks and one '='; None (self.i kept) when the line ends there."""
        s, j = self.s, self.i
        while s[j] in BLANK:
            j += 1
        if s[j] == "=":
            j += 1
            while s[j] in BLANK:
                j += 1
        return None if s[j] == "\n" else self.rest(j)

    # -- a directive --
    def _keyword(self):
        key = self._word()
        sep = self.s[self.i]
        if sep not in SPACE and sep != "=":
            return self.raise_(f"keyword '{key}' not properly separated, found {ord(sep):#x}")
        conf = self.target
        if key in FLAGS:
            conf.settings.update(FLAGS[key])
        elif key in SCRIPTS:
            conf.scripts.pop(key, None)
            self.script, self.state = (key, self.i, self.line(), conf), LOAD_SCRIPT
        elif key in DIRECTIVES:
            DIRECTIVES[key](self, key, conf.settings)
        else:
            self.note(f"unknown option '{key}' -- ignoring line", "ignored")
            if sep != "\n":
                self.state = SKIP_LINE

    def _pattern(self):
        if self.cur is not None:
            return self.skip_stanza("unexpected log filename")
        d = self.defaults.settings
        for key, value in (("compresscmd", "/bin/gzip"), ("uncompresscmd", "/bin/gunzip"), ("compressext", ".gz")):
            d[key] = d[key] or value
        self.cur = Open(self.defaults.copy(), self.path, self.line())
        self.r.stanzas.append(self.cur)
        self.cur.text = self._glob_string()
        self.cur.patterns = popt_split(self.cur.text)
        if self.cur.patterns is None:
            self.fail("error parsing filename", self.cur.line)

    def _glob_string(self):
        """parseGlobString(): everything up to '{', less the comment lines; self.i ends on '{'."""
        s, i, out, state = self.s, self.i, [], "data"
        while i < len(s):
            c = s[i]
            if state == "init":
                state = "comment" if c == "#" else "init" if c in SPACE else "data"
            elif c == "\n":
                state = "init"
            if state != "comment":
                if c in "{}":
                    self.i = i
                    if c == "}":
                        self.fail("unexpected } (missing previous '{')")
                    return "".join(out)
                out.append(c)
            i += 1
        self.fail("missing '{' after log files definition", self.cur.line)

