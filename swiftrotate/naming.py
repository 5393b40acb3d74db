"""Pure naming rules: dateext stamps (and logrotate's extension around them), compression suffixes, object keys.

No I/O here, so every rule can be tested exhaustively and reused by the hook,
the renamer and fetch.

Must not: do I/O.
"""
import re
import string
from datetime import datetime
from fnmatch import fnmatchcase
from collections import namedtuple
from functools import lru_cache

from .errors import ConfigError, UnsafeInput

COMPRESS_SUFFIXES = (".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip")
DEFAULT_DATEFORMAT = "-%Y%m%d"

# logrotate's dateformat specifiers (logrotate.8: %Y %m %d %H %M %S %s; %V
# alone cannot name a day, so it is refused).
# Each maps to an exact ASCII digit count: "\d" would accept other scripts'
# digits, and strptime alone accepts '2026112' as 2026-11-02.
_SPECS = {
    "Y": "[0-9]{4}",
    "m": "[0-9]{2}",
    "d": "[0-9]{2}",
    "H": "[0-9]{2}",
    "M": "[0-9]{2}",
    "S": "[0-9]{2}",
    "s": "[0-9]{1,12}",
}


def _tokens(dateformat):
    """Split a dateformat into ('lit', text) and ('spec', letter) tokens."""
    out, i = [], 0
    while i < len(dateformat):
        ch = dateformat[i]
        if ch == "%":
            if i + 1 >= len(dateformat):
                raise ValueError(f"dateformat {dateformat!r} ends with a lone %")
            spec = dateformat[i + 1]
            if spec == "%":
                out.append(("lit", "%"))
            elif spec in _SPECS:
                out.append(("spec", spec))
            else:
                raise ValueError(
                    f"dateformat {dateformat!r}: %{spec} is not a logrotate specifier "
                    "(use %Y %m %d %H %M %S %s)"
                )
            i += 2
        else:
            if ch == "/" or ch == "\0":
                raise ValueError(f"dateformat {dateformat!r} may not contain '/' or NUL")
            out.append(("lit", ch))
            i += 1
    if not any(kind == "spec" for kind, _ in out):
        raise ValueError(f"dateformat {dateformat!r} has no date specifier")
    return out


def check_dateformat(dateformat):
    """Raise ValueError unless dateformat is usable; return it."""
    _tokens(dateformat)
    return dateformat


@lru_cache(maxsize=64)
def stamp_pattern(dateformat):
    """Regex source (no anchors) that matches exactly one stamp."""
    return "".join(re.escape(v) if k == "lit" else _SPECS[v] for k, v in _tokens(dateformat))


@lru_cache(maxsize=64)
def _stamp_regex(dateformat):
    return re.compile(stamp_pattern(dateformat), re.ASCII)


@lru_cache(maxsize=64)
def _fields_regex(dateformat):
    """The stamp regex with a named group per field, or None when a field
    repeats (then strptime decides)."""
    specs = [v for k, v in _tokens(dateformat) if k == "spec"]
    if len(set(specs)) != len(specs):
        return None
    return re.compile("".join(re.escape(v) if k == "lit" else f"(?P<{v}>{_SPECS[v]})"
                              for k, v in _tokens(dateformat)), re.ASCII)


def parse_stamp(stamp, dateformat=DEFAULT_DATEFORMAT):
    """Stamp text -> datetime, or None if it does not match exactly."""
    fields = _fields_regex(dateformat)
    if fields is not None:  # the common case, 10x cheaper than strptime: a backlog has thousands
        m = fields.fullmatch(stamp)
        if not m:
            return None
        g = {k: int(v) for k, v in m.groupdict().items()}
        try:
            if "s" in g:  # the seconds count says it all, whatever else the stamp repeats (-%Y%m%d-%s)
                return datetime.fromtimestamp(g["s"])
            # strptime's defaults for what the format leaves out
            return datetime(g.get("Y", 1900), g.get("m", 1), g.get("d", 1), g.get("H", 0), g.get("M", 0),
                            g.get("S", 0))
        except (ValueError, OverflowError, OSError):  # month 13, February 30, hour 24, year 33658
            return None
    if not _stamp_regex(dateformat).fullmatch(stamp) or "%s" in dateformat:  # %s twice: no one reading
        return None
    try:
        return datetime.strptime(stamp, dateformat)
    except ValueError:
        return None


def finer_format(dateformat):
    """The dateformat down to the second (-%Y%m%d -> -%Y%m%d%H%M%S), or None
    when it already is (or counts seconds with %s): the stamp `swiftrotate
    rename` gives rotations that fall on one date."""
    if "%S" in dateformat or "%s" in dateformat:
        return None
    return re.sub(r"(%[HM])+$", "", dateformat) + "%H%M%S"


def stamp_formats(dateformat):
    """Every stamp form a log with this dateformat can carry: its own, then
    the finer one rename gives same-day rotations. upload archives, and
    fetch and ls read, all of them."""
    finer = finer_format(dateformat)
    return (dateformat, finer) if finer else (dateformat,)


# Under logrotate the dateformat may be the stanza's alone, which a machine
# reading the store (fetch, ls, status --fleet) does not have: a key keeps its
# stamp as text, so it is also read with every form these make (separator,
# date, time of day), after the config's own. No two of them read one stamp
# (each has its own shape), and none puts %d before %m: a config's -%Y%d%m
# comes first and decides. %s is left out: bare, it would read any number at
# a key's end as a date in 1970.
KNOWN_DATEFORMATS = tuple(lead + day + time for lead in ("-", ".", "_")
                          for day in ("%Y%m%d", "%Y-%m-%d", "%Y.%m.%d", "%Y_%m_%d")
                          for time in ("", "%H", "%H%M", "%H%M%S", "-%H", "-%H%M", "-%H%M%S"))


@lru_cache(maxsize=64)
def reading_formats(*dateformats):
    """The stamp forms to read a key with: those of `dateformats` (the
    config's; stamp_formats adds rename's finer one), then the known ones."""
    return tuple(dict.fromkeys(f for d in dateformats + KNOWN_DATEFORMATS for f in stamp_formats(d)))


def parse_stamp_any(stamp, formats):
    """(datetime, format) for the first of `formats` that parses `stamp`
    exactly, or (None, None). A known form (configured or not) must also
    give a year from 1970 on: `app.log-20261129-1796010112` (a stanza's
    -%Y%m%d-%s) is no log `app.log-20261129` stamped 1796 by -%Y%m%d%H."""
    for fmt in formats:
        when = parse_stamp(stamp, fmt)
        if when is not None and (when.year >= 1970 or fmt not in reading_formats()):
            return when, fmt
    return None, None


def format_stamp(moment, dateformat=DEFAULT_DATEFORMAT):
    if "%s" in dateformat:
        dateformat = dateformat.replace("%s", str(int(moment.timestamp())))
    return moment.strftime(dateformat)


def split_compression(name):
    """'x-20261126.gz' -> ('x-20261126', '.gz'); no known suffix -> (name, '')."""
    for suffix in COMPRESS_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], suffix
    return name, ""


def split_extension(live_name, extension):
    """logrotate's `extension EXT`: (stem, EXT) when the live name ends with
    EXT and is longer, else (live_name, ''), as logrotate 3.21 splits it:
    app.log with .log rotates to app<stamp>.log[.gz], app.txt to app.txt<stamp>."""
    if extension and live_name.endswith(extension) and len(live_name) > len(extension):
        return live_name[: -len(extension)], extension
    return live_name, ""


def rotated_name(live_name, stamp, ext="", extension=""):
    """The name logrotate gives a dateext rotation: LIVE<stamp><ext>, or
    STEM<stamp>EXT<ext> under `extension`."""
    stem, kept = split_extension(live_name, extension)
    return stem + stamp + kept + ext


def match_rotated(name, live_name, dateformat=DEFAULT_DATEFORMAT, extension=""):
    """If `name` is a dateext rotation of `live_name`, return (stamp, ext).
    Under `extension` both forms count: STEM<stamp>EXT and, from before the
    stanza said extension, LIVE<stamp>."""
    base, ext = split_compression(name)
    stem, kept = split_extension(live_name, extension)
    for head, tail in dict.fromkeys([(stem, kept), (live_name, "")]):
        if not (base.startswith(head) and base.endswith(tail)) or len(base) <= len(head) + len(tail):
            continue
        stamp = base[len(head): len(base) - len(tail)]
        if parse_stamp(stamp, dateformat) is not None:
            return stamp, ext
    return None


@lru_cache(maxsize=64)
def rotated_regex(dateformat, extension=""):
    """LIVE<stamp>[.gz|...] for `dateformat`, and under `extension` also
    STEM<stamp>EXT[.gz|...]: groups live, stamp, kept (EXT or None) and ext.
    The live log's name is live_name(match)."""
    exts = "|".join(re.escape(e) for e in COMPRESS_SUFFIXES)
    kept = f"(?P<kept>{re.escape(extension)})?" if extension else "(?P<kept>(?!))?"
    # DOTALL: a newline in a log's name must not hide its rotations (the key
    # check refuses them, loudly)
    return re.compile(rf"(?P<live>.+?)(?P<stamp>{stamp_pattern(dateformat)}){kept}(?P<ext>{exts})?",
                      re.ASCII | re.DOTALL)


def live_name(match):
    """The live log's name from a rotated_regex match: the extension goes back on the end."""
    return match.group("live") + (match.group("kept") or "")


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def validate_key(key):
    """Raise ValueError unless `key` is a safe, canonical object key.

    Canonical keys can never name a path outside a folder when joined to it,
    and every store (rclone's included) accepts them.
    """
    if not isinstance(key, str) or not key:
        raise ValueError("empty object key")
    if len(key.encode("utf-8", "surrogateescape")) > 1024:
        raise ValueError(f"object key longer than 1024 bytes: {escape(key[:60])}...")
    if key.startswith("/") or "\\" in key:
        raise ValueError(f"object key is absolute or has a backslash: {escape(key)}")
    if _CONTROL.search(key):
        raise ValueError(f"object key has a control character: {escape(key)}")
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:  # a name in another encoding, kept by Python as surrogates
        raise ValueError(f"object key is not valid UTF-8: {escape(key)}") from None
    for part in key.split("/"):
        if part in ("", ".", ".."):
            raise ValueError(f"object key has an empty, '.' or '..' segment: {escape(key)}")
    return key


def escape(text):
    """Printable form of an untrusted name for logs and listings: no newline,
    no terminal escape, no bidi override; printable non-ASCII (é) stays, a
    byte that was not UTF-8 shows as \\xNN."""
    return "".join(c if c.isprintable() and c not in '"\\' else _escape_char(c) for c in text)


def _escape_char(c):
    if c in '"\\':
        return "\\" + c
    if 0xDC80 <= ord(c) <= 0xDCFF:  # os.fsdecode's stand-in for an undecodable byte
        return "\\x%02x" % (ord(c) - 0xDC00)
    return c.encode("unicode_escape").decode("ascii")


def unit_id(key):
    """The unit a key belongs to: X and X.gz are one rotation."""
    return split_compression(key)[0]


# host: None when the template has no {host}; log: the live log's absolute
# path; when: the stamp as a datetime; format: the stamp form it was read with
KeyParts = namedtuple("KeyParts", "host log stamp ext when format")


# Every stamp a KNOWN_DATEFORMATS form (or rename's finer one) writes, and
# nothing else: one pattern, not 84 alternatives tried at each '-' or '.'
# of a key (ls and status --fleet read every key).
_KNOWN_SHAPE = "[-._][0-9]{4}(?P<sep>[-._]?)[0-9]{2}(?P=sep)[0-9]{2}(?:-?[0-9]{2}(?:[0-9]{2}){0,2})?"


@lru_cache(maxsize=64)
def _key_regex(template, formats):
    known = set(reading_formats()) if set(reading_formats()) <= set(formats) else set()
    shapes = [stamp_pattern(f) for f in formats if f not in known] + [_KNOWN_SHAPE] * bool(known)
    stamps = "|".join(f"(?:{shape})" for shape in shapes)
    exts = "|".join(re.escape(e) for e in COMPRESS_SUFFIXES)
    # {path} is lazy and the whole key must match: the stamp is the last one
    fields = {"host": "[^/]+", "path": ".+?", "stamp": stamps, "ext": f"(?:{exts})?"}
    out, seen = [], set()
    for literal, name, _, _ in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if name is not None:
            out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{fields[name]})")
            seen.add(name)
    return re.compile("".join(out), re.ASCII | re.DOTALL)


def parse_key(key, template, formats):
    """An archived key -> KeyParts (host, live log, stamp, ext, time), read
    with `template` (checked by check_template) and the stamp `formats`;
    None if it is not an archive key of that shape."""
    m = _key_regex(template, tuple(formats)).fullmatch(key)
    if not m:
        return None
    when, fmt = parse_stamp_any(m["stamp"], formats)
    if when is None:
        return None
    return KeyParts(m.groupdict().get("host"), "/" + m["path"], m["stamp"], m["ext"] or "", when, fmt)


def glob_match(path, pattern):
    """fnmatch folder by folder: '*' does not cross '/', as in a shell glob."""
    a, b = path.split("/"), pattern.split("/")
    return len(a) == len(b) and all(fnmatchcase(x, y) for x, y in zip(a, b))


def under_log(rest, log):
    """Whether `rest`, a key's text from its path on (no leading '/'), is
    the log `log` (a path, or a glob as fetch takes) and more: a stamp no
    form reads may follow."""
    if not set("*?[") & set(log):
        path = log.lstrip("/")
        return rest.startswith(path) and len(rest) > len(path)
    return any(glob_match("/" + rest[:i], log) for i in range(1, len(rest)))


def build_key(template, host, live, stamp, ext):
    key = template.format(host=host, path=live.lstrip("/"), stamp=stamp, ext=ext)
    try:
        return validate_key(key)
    except ValueError as exc:
        raise UnsafeInput(f"object key for {escape(live + stamp + ext)}: {exc}",
                          "only printable UTF-8 names can be archived: rename the file (and the log), "
                          "then rerun") from None


def check_template(template):
    """One log's archives must sort by date: {stamp}{ext} come last."""
    if not template.endswith("{stamp}{ext}") or "{path}" not in template:
        raise ConfigError(f"key_template {template!r} must contain {{path}} and end with {{stamp}}{{ext}}",
                          "fetch lists one log's archives by key range, so the date must sort last")
    try:
        template.format(host="h", path="p", stamp="s", ext="e")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"key_template {template!r}: unknown field {exc}",
                          "use only {host} {path} {stamp} {ext}") from None
    return template
