"""`swiftrotate rename`: numbered rotations (messages.1, app.log.2.gz,
savelog's app.log.0) to dateext names, never overwriting anything.

The plan is pure (names, dates and the folder's existing names in, renames
out), so its promises (injective, nothing existing is a target, nothing
leaves the folder, a second run is a no-op) are property-tested. The I/O
below it goes through directory descriptors and never follows a symlink.
"""
import ctypes
import errno
import fnmatch
import functools
import itertools
import json
import os
import re
import stat
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from json.encoder import encode_basestring_ascii as _q
from typing import Optional

from .errors import (Conflict, IntegrityError, LocalIOError, SourceMissing, SwiftrotateError, UnsafeInput,
                     UsageError)
from .naming import COMPRESS_SUFFIXES, escape, format_stamp, parse_stamp, stamp_pattern

_EXTS = "|".join(re.escape(e) for e in COMPRESS_SUFFIXES)
# `<log>.<N>[<ext>]`: N is ASCII digits, no leading zero (savelog's .0 aside),
# at most 6 of them, so `.007` or `.20261126` are never taken for a count.
NUMBERED = re.compile(rf"(?P<log>.+)\.(?P<n>0|[1-9][0-9]{{0,5}})(?P<ext>{_EXTS})?", re.ASCII)
NAME_MAX = 255
JOURNAL_KIND = "swiftrotate-rename"


@dataclass
class Rotation:
    """One numbered file and the instant its date is taken from."""

    name: str
    log: str  # the live log's name, in the same folder
    number: int
    ext: str
    moment: datetime  # timezone-aware: the last write, or the last timestamp inside
    source: str = "mtime"  # or "content"
    dateformat: str = "-%Y%m%d"
    yesterday: bool = False
    # (st_dev, st_ino, st_mtime_ns, st_size) when scanned. Apply and undo check it:
    # an inode number alone is reused as soon as a file is deleted.
    ident: tuple = ()

    @property
    def stamp_moment(self):
        # logrotate's dateyesterday: the calendar day before (wall clock, not 24 h).
        return self.moment - _ONE_DAY if self.yesterday else self.moment


@dataclass
class Step:
    rot: Rotation
    new: str
    dateformat: Optional[str]  # what `new` is stamped with (upload needs it); None for -N
    note: str = ""


@functools.lru_cache(maxsize=4096)
def _is_stamp(text, dateformat):
    return parse_stamp(text, dateformat) is not None


def classify(name, dateformat_of):
    """A numbered rotation -> (log, number, ext); anything else -> None.

    Already-dateext names win: with dateformat `.%Y`, `app.log.2026` is a
    stamp, not rotation 2026.
    """
    m = NUMBERED.fullmatch(name)
    if not m or m["log"] in (".", ".."):
        return None
    log, ext = m["log"], m["ext"] or ""
    if _is_stamp(name[len(log):len(name) - len(ext)], dateformat_of(log)):
        return None
    return log, int(m["n"]), ext


def finer_format(dateformat):
    """The dateformat down to the second (-%Y%m%d -> -%Y%m%d%H%M%S), or None."""
    if "%S" in dateformat or "%s" in dateformat:
        return None
    return re.sub(r"(%[HM])+$", "", dateformat) + "%H%M%S"


@functools.lru_cache(maxsize=65536)
def _round_trips(stamp, dateformat):
    parsed = parse_stamp(stamp, dateformat)
    return parsed is not None and format_stamp(parsed, dateformat) == stamp


@functools.lru_cache(maxsize=256)
def _by_day(dateformat):
    return not re.search("%[HMSs]", dateformat)


@functools.lru_cache(maxsize=65536)
def _day_stamp(day, dateformat):
    return format_stamp(datetime(day.year, day.month, day.day), dateformat)


def stamped(rot, dateformat, suffix=""):
    moment = rot.stamp_moment
    # A day-only format depends on the date alone: one strftime per day, not per file.
    stamp = _day_stamp(moment.date(), dateformat) if _by_day(dateformat) else format_stamp(moment, dateformat)
    if not _round_trips(stamp, dateformat):  # a name upload and fetch could not read back
        raise UnsafeInput(f"{escape(rot.name)}: stamp {escape(stamp)} does not parse back with {dateformat}")
    return rot.log + stamp + suffix + rot.ext


_ONE_DAY = timedelta(days=1)


def safe_name(name):
    return (name not in ("", ".", "..") and "/" not in name and "\0" not in name
            and len(os.fsencode(name)) <= NAME_MAX)


_SUFFIXES = frozenset(COMPRESS_SUFFIXES)


def _unit(name):
    """split_compression(name)[0], fast: it runs for every name in the folder."""
    i = name.rfind(".")
    return name[:i] if i > 0 and name[i:] in _SUFFIXES else name


def plan_folder(rotations, existing, on_collision="finer", where=""):
    """Rotations of one folder -> (steps, problems).

    `existing` is every name in the folder. No new name is an existing name
    or another step's, so the plan is injective and its order is free. Names
    are compared by unit (without compression suffix) because upload takes X
    and X.gz for one rotation; only the two forms of one rotation (x.1 and
    x.1.gz) may share a unit.
    """
    existing_units = set(existing)
    existing_units.update(map(_unit, existing))
    taken = set(existing_units)
    steps, problems = [], []

    def here(name):
        return escape(os.path.join(where, name))

    def free(triples):
        if len(triples) == 1:  # nearly every group
            return triples[0][1] not in taken and triples[0][2] not in taken
        owners = defaultdict(set)
        for rot, new, unit in triples:
            if new in taken or unit in taken:
                return False
            owners[unit].add((rot.log, rot.number))
        return all(len(who) == 1 for who in owners.values())

    def claim(triples, fmt_of, note=""):
        for rot, new, unit in triples:
            taken.add(new)
            taken.add(unit)
            steps.append(Step(rot, new, fmt_of(rot), note))

    groups = defaultdict(list)
    for rot in rotations:
        try:
            new = stamped(rot, rot.dateformat)
        except SwiftrotateError as exc:
            problems.append(exc)
            continue
        # Room for a finer stamp or a -N suffix too, so no later step can fail on length.
        if len(new) > 64 and len(os.fsencode(new)) > NAME_MAX - 16:
            problems.append(UnsafeInput(f"{here(rot.name)}: its dateext name would be too long"))
            continue
        unit = _unit(new)
        groups[unit].append((rot, new, unit))
    clashing = []
    for unit, triples in groups.items():
        if free(triples):
            claim(triples, _plain)
        else:
            clashing.append(unit)
    for unit in sorted(clashing):  # after every clean name is claimed, so those stay plain
        triples = groups[unit]
        why = (f"{escape(unit)} exists" if unit in existing_units
               else " and ".join(sorted(escape(r.name) for r, _, _ in triples)) + " fall on one date")
        if on_collision != "skip" and all(finer_format(r.dateformat) for r, _, _ in triples):
            finer = [(r, n, _unit(n)) for r, _, _ in triples for n in [stamped(r, finer_format(r.dateformat))]]
            if free(finer):
                claim(finer, lambda r: finer_format(r.dateformat), f"finer stamp: {why}")
                continue
        if on_collision == "suffix":
            claim(_suffixed([r for r, _, _ in triples], taken), lambda r: None, f"suffix: {why}")
            continue
        for rot, _, _ in triples:
            problems.append(Conflict(f"{here(rot.name)} not renamed: {why}",
                                     "nothing was overwritten; see --on-collision"))
    return steps, problems


def _plain(rot):
    return rot.dateformat


def _suffixed(rotations, taken):
    """-1, -2, ... oldest first; the two forms of one rotation share a number."""
    forms = defaultdict(list)
    for rot in rotations:
        forms[(rot.moment, -rot.number, rot.log)].append(rot)
    out, i = [], 0
    for key in sorted(forms):
        while True:
            i += 1
            names = [stamped(r, r.dateformat, f"-{i}") for r in forms[key]]
            if not any(n in taken or _unit(n) in taken for n in names):
                break
        out.extend((r, n, _unit(n)) for r, n in zip(forms[key], names))
        taken.update(n for name in names for n in (name, _unit(name)))
    return out


def order_problems(rotations, where=""):
    """`.1` is newer than `.2`. Dates that say otherwise (a copy reset the
    mtimes, say) would put a wrong day on every name: report them."""
    out, prev = [], None  # prev: (log, the oldest file of the previous number)
    key = lambda r: (r.log, r.number)  # noqa: E731
    for (log, _), same in itertools.groupby(sorted(rotations, key=key), key=key):
        same = list(same)
        if len(same) > 1:  # x.1 and x.1.gz: compare the extremes
            same.sort(key=lambda r: r.moment)
        if prev is not None and prev[0] == log and same[-1].moment > prev[1].moment:
            newer, older = prev[1], same[-1]
            out.append(IntegrityError(
                f"{escape(os.path.join(where, newer.name))} ({newer.source} {newer.moment:%Y-%m-%d %H:%M:%S}) "
                f"is older than {escape(older.name)} ({older.source} {older.moment:%Y-%m-%d %H:%M:%S})"))
        prev = (log, same[0])
    return out


# ------------------------------------------------------------- scanning ---

@dataclass
class Folder:
    path: str
    dev_ino: tuple
    names: list = field(default_factory=list)
    rotations: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    dateext: int = 0
    steps: list = field(default_factory=list)


@dataclass
class Options:
    recursive: bool = False
    include: tuple = ()
    exclude: tuple = ()
    date_from: str = "mtime"
    zone: object = None  # a tzinfo; None = the local zone
    dateformat_of: object = lambda live: "-%Y%m%d"  # absolute live log path -> dateformat
    yesterday_of: object = lambda live: False  # absolute live log path -> bool
    dateformat: str = "-%Y%m%d"  # only for counting names that are already dateext


def _glob_hit(globs, name, rel):
    return globs and any(fnmatch.fnmatchcase(rel if "/" in g else name, g) for g in globs)


def scan(paths, opts):
    """PATHs (folders, numbered files, or live logs) -> [Folder], each rotation dated.

    A folder PATH may be a symlink (as with find -H); nothing below is followed.
    """
    wanted = {}  # (dev, ino) -> [path, selection, rel]; selection None = every rotation
    for raw in paths:
        path = os.path.abspath(raw)
        try:
            st = os.stat(path)
        except FileNotFoundError:
            st = None
        except OSError as exc:
            raise LocalIOError(f"{escape(path)}: {exc.strerror}") from None
        if st is not None and stat.S_ISDIR(st.st_mode):
            _walk(path, None, opts, wanted, "")
            continue
        folder, name = os.path.split(path)
        if st is None and (NUMBERED.fullmatch(name) or not os.path.isdir(folder)):
            raise SourceMissing(f"{escape(path)}: no such file or folder")
        _walk(folder, name, opts, wanted, "")
    return [_scan_folder(path, dev_ino, selection, rel, opts)
            for dev_ino, (path, selection, rel) in sorted(wanted.items(), key=lambda kv: kv[1][0])]


def _open_dir(name, parent_fd=None):
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | (os.O_NOFOLLOW if parent_fd is not None else 0)
    return os.open(name, flags, dir_fd=parent_fd)


def _walk(path, name, opts, wanted, rel, parent_fd=None):
    try:
        fd = _open_dir(path if parent_fd is None else os.path.basename(path), parent_fd)
    except OSError as exc:
        if parent_fd is not None and exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
            return  # a symlinked (or vanished) folder below PATH: not followed
        raise LocalIOError(f"cannot open folder {escape(path)}: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        entry = wanted.setdefault((st.st_dev, st.st_ino), [path, set(), rel])
        if name is None:
            entry[1] = None
        elif entry[1] is not None:
            entry[1].add(name)
        if name is not None or not opts.recursive:
            return
        with os.scandir(fd) as it:
            subdirs = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
        for sub in subdirs:
            if not _glob_hit(opts.exclude, sub, rel + sub):
                _walk(os.path.join(path, sub), None, opts, wanted, rel + sub + "/", fd)
    finally:
        os.close(fd)


def _scan_folder(path, dev_ino, selection, rel, opts):
    folder = Folder(path, dev_ino)
    settings = {}  # live log name -> (dateformat, yesterday): [log GLOB] lookups are not free

    def dateformat_of(log):
        if log not in settings:
            live = os.path.join(path, log)
            settings[log] = (opts.dateformat_of(live), bool(opts.yesterday_of(live)))
        return settings[log][0]

    dateext = re.compile(rf".+{stamp_pattern(opts.dateformat)}(?:{_EXTS})?", re.ASCII)
    fd = _open_dir(path)
    try:
        st = os.fstat(fd)
        if (st.st_dev, st.st_ino) != dev_ino:
            raise LocalIOError(f"folder {escape(path)} was replaced while being scanned")
        with os.scandir(fd) as it:
            entries = list(it)
        for entry in entries:
            name = entry.name
            folder.names.append(name)
            kind = classify(name, dateformat_of)
            if kind is None:
                folder.dateext += bool(dateext.fullmatch(name))
                continue
            log = kind[0]
            if selection is not None and name not in selection and log not in selection:
                continue
            if (opts.include and not _glob_hit(opts.include, name, rel + name)) or \
                    _glob_hit(opts.exclude, name, rel + name):
                continue
            try:
                rot = _dated(fd, path, entry, kind, settings[log], opts)
            except SwiftrotateError as exc:
                folder.problems.append(exc)
                continue
            if rot is not None:
                folder.rotations.append(rot)
    finally:
        os.close(fd)
    if selection is not None and not folder.rotations and not folder.problems:
        for name in sorted(selection):
            if not os.path.lexists(os.path.join(path, name)):
                raise SourceMissing(f"{escape(os.path.join(path, name))}: no such file, and no rotations of it")
    return folder


def _dated(fd, folder, entry, kind, log_settings, opts):
    path = folder + "/" + entry.name  # only for messages
    try:
        st = entry.stat(follow_symlinks=False)
    except FileNotFoundError:
        return None  # gone since the listing: nothing left to rename
    except OSError as exc:
        raise LocalIOError(f"{escape(path)}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise UnsafeInput(f"refusing symlink {escape(path)}: not followed, not renamed")
    if stat.S_ISDIR(st.st_mode):
        return None  # a folder named like a rotation is not one
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeInput(f"refusing {escape(path)}: not a regular file")
    if st.st_nlink > 1:
        # Most likely a link-then-unlink rename cut short; renaming it again
        # would leave a third name, and upload would archive the file twice.
        raise UnsafeInput(f"refusing {escape(path)}: it has {st.st_nlink} hard links",
                          "an interrupted run? undo it with rename --undo JOURNAL, or remove the extra name")
    written = datetime.fromtimestamp(st.st_mtime, opts.zone)
    written = written if opts.zone else written.astimezone()
    moment, source = written, "mtime"
    if opts.date_from == "content":
        moment, source = last_timestamp(fd, entry.name, kind[2], st, written, opts.zone, path), "content"
    return Rotation(entry.name, kind[0], kind[1], kind[2], moment, source, log_settings[0], log_settings[1],
                    (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size))


def plan(folders, on_collision):
    """Fill each folder's steps; return (problems, order problems)."""
    problems, order = [], []
    for folder in folders:
        folder.steps, found = plan_folder(folder.rotations, folder.names, on_collision, folder.path)
        problems += folder.problems + found
        order += order_problems(folder.rotations, folder.path)
    return problems, order


# ------------------------------------------------ --date-from content ---

TAIL = 64 * 1024
_CLF = re.compile(r"\[([0-9]{2})/([A-Z][a-z]{2})/([0-9]{4}):([0-9]{2}:[0-9]{2}:[0-9]{2}) ([+-][0-9]{4})\]", re.ASCII)
_APACHE = re.compile(r"\[[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([0-9]{2}) ([0-9:]{8})(?:\.[0-9]+)? ([0-9]{4})\]", re.ASCII)
_SYSLOG = re.compile(r"(?:<[0-9]{1,3}>)?([A-Z][a-z]{2}) +([0-9]{1,2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(?![0-9])", re.ASCII)
# At the start of the line, after at most a syslog <PRI>, a bracket, or one
# "Key: " (apt's Start-Date:): a date quoted later in a message is not the line's.
_ISO = re.compile(r"(?:<[0-9]{1,3}>[0-9]? ?|\[|[A-Za-z][A-Za-z-]{0,20}: +)?"
                  r"([0-9]{4})[-/]([0-9]{2})[-/]([0-9]{2})(?:T| +)([0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?)"
                  r"(Z|[+-][0-9]{2}(?::?[0-9]{2})?)?(?![0-9])", re.ASCII)


def _aware(moment, zone):
    if moment.tzinfo is None:  # the log wrote local time: the zone the day is taken in
        moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
    return moment.astimezone(zone) if zone else moment.astimezone()


def line_time(line, zone, written):
    """The timestamp a log line starts with, timezone-aware, or None.

    Where the stamp sits is found with ASCII regexes (so a date quoted in a
    message is not taken); python-dateutil parses it. Syslog has no year: the
    latest year that does not put the line after the file's last write.
    """
    from dateutil import parser

    head = line[:200]
    try:
        if m := _CLF.search(head):
            return _aware(parser.parse(f"{m[1]} {m[2]} {m[3]} {m[4]} {m[5]}"), zone)
        if m := _APACHE.match(head):
            return _aware(parser.parse(f"{m[1]} {m[2]} {m[4]} {m[3]}"), zone)
        if m := _SYSLOG.match(head):
            for year in range(written.year, written.year - 8, -1):
                try:
                    moment = _aware(parser.parse(f"{m[1]} {m[2]} {m[3]}", default=datetime(year, 1, 1)), zone)
                except ValueError:  # Feb 29 in a common year
                    continue
                if moment <= written + timedelta(days=1):
                    return moment
            return None
        if m := _ISO.match(head):
            return _aware(parser.parse(f"{m[1]}-{m[2]}-{m[3]}T{m[4].replace(',', '.')}{m[5] or ''}"), zone)
    except (ValueError, OverflowError):
        return None  # month 13, 25 o'clock: not a timestamp after all
    return None


def last_timestamp(fd, name, ext, st, written, zone, path):
    data, cut = _tail(fd, name, ext, st, path)
    lines = data.split(b"\n")[1 if cut else 0:]  # a cut first line may start mid-message
    for raw in reversed(lines):
        if raw.strip():
            moment = line_time(raw[:200].decode("utf-8", "replace"), zone, written)
            if moment is not None:
                return moment
    raise IntegrityError(f"{escape(path)}: no syslog, ISO 8601 or common-log timestamp in its last "
                         f"{TAIL // 1024} KiB", "date it by --date-from mtime, or --exclude it")


def _tail(fd, name, ext, st, path):
    """The last TAIL bytes (decompressed), and whether anything came before."""
    import lzma
    import zlib

    from .archive import DECOMPRESSORS

    if ext and ext not in DECOMPRESSORS:
        raise IntegrityError(f"{escape(path)}: cannot read {ext} content here",
                             "date such files by --date-from mtime")
    try:
        raw = open(os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=fd), "rb")
    except OSError as exc:
        raise LocalIOError(f"cannot read {escape(path)}: {exc.strerror}") from None
    with raw:
        now = os.fstat(raw.fileno())
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise UnsafeInput(f"{escape(path)} was replaced while being read")
        if not ext:
            raw.seek(max(0, now.st_size - TAIL))
            return raw.read(TAIL), now.st_size > TAIL
        tail, total = b"", 0
        try:
            with DECOMPRESSORS[ext](raw) as stream:  # no seeking in a compressed stream: keep the last window
                while chunk := stream.read(1 << 20):
                    total += len(chunk)
                    tail = (tail + chunk)[-TAIL:]
        except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
            raise IntegrityError(f"{escape(path)}: cannot decompress: {exc}") from None
        return tail, total > TAIL


# ------------------------------------------------- applying and undoing ---

RENAME_NOREPLACE = 1


@functools.lru_cache(maxsize=1)
def _renameat2():
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):  # not glibc >= 2.28: link + unlink only
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn


def move_noreplace(dir_fd, old, new, method=None):
    """Rename old -> new inside one folder; FileExistsError if new exists.

    renameat2(RENAME_NOREPLACE) is atomic. Where the kernel or file system
    lacks it: link (fails with EEXIST, so nothing is replaced) then unlink.
    Neither follows a symlink. Returns the method used.
    """
    fn = _renameat2() if method != "link" else None
    if fn is not None:
        if fn(dir_fd, os.fsencode(old), dir_fd, os.fsencode(new), RENAME_NOREPLACE) == 0:
            return "renameat2"
        err = ctypes.get_errno()
        if err not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP) or method == "renameat2":
            raise OSError(err, os.strerror(err), old, None, new)
    os.link(old, new, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    os.unlink(old, dir_fd=dir_fd)
    return "link"


class Journal:
    """JSON lines: a header, every planned rename, fsynced before the first
    one happens, then a closing line. One fsync for the whole plan (not one
    per file, which would cost more than the renames); undo treats a rename
    that never happened as nothing to do, so a crash mid-run is still undone."""

    def __init__(self, path):
        self.path = os.path.abspath(path)
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        except OSError as exc:
            raise LocalIOError(f"cannot create journal folder {escape(os.path.dirname(self.path))}: {exc.strerror}",
                               "nothing was renamed; set --journal or state_dir to a writable place") from None
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            raise UsageError(f"journal {escape(self.path)} already exists", "give a new --journal") from None
        except OSError as exc:
            raise LocalIOError(f"cannot create journal {escape(self.path)}: {exc.strerror}",
                               "nothing was renamed; set --journal or state_dir to a writable place") from None
        self.file = open(fd, "w", encoding="ascii")

    _encode = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode  # one encoder, not one per line

    def write(self, record):
        self.file.write(self._encode(record) + "\n")

    def sync(self):
        try:
            self.file.flush()
            os.fsync(self.file.fileno())
            dir_fd = os.open(os.path.dirname(self.path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            raise LocalIOError(f"cannot write journal {escape(self.path)}: {exc.strerror}") from None

    def close(self):
        self.file.close()


def apply(folders, journal):
    """Journal every step, then rename. Returns (renamed steps, problems)."""
    journal.write({"journal": JOURNAL_KIND, "version": 1, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                   "count": sum(len(f.steps) for f in folders)})
    for folder in folders:
        # What json.dumps would write, built by hand: a dict and an encoder call per
        # file cost more than the rename itself at 100k files.
        head = '{"op":"rename","dir":%s,"dir_id":[%d,%d],' % (_q(folder.path), *folder.dev_ino)
        journal.file.writelines(
            f'{head}"old":{_q(s.rot.name)},"new":{_q(s.new)},"log":{_q(s.rot.log)},"dateformat":'
            f'{"null" if s.dateformat is None else _q(s.dateformat)},"id":[{",".join(map(str, s.rot.ident))}],'
            f'"source":"{s.rot.source}","date":"{s.rot.moment.isoformat()}"}}\n' for s in folder.steps)
    journal.sync()
    done, problems = [], []
    for folder in (f for f in folders if f.steps):
        try:
            fd = _reopen(folder.path, folder.dev_ino)
        except SwiftrotateError as exc:
            problems.append(exc)
            continue
        try:
            for s in folder.steps:
                try:
                    _rename(fd, folder.path, s)
                    done.append((folder, s))
                except SwiftrotateError as exc:
                    problems.append(exc)
            os.fsync(fd)  # the renames themselves survive a crash too
        finally:
            os.close(fd)
    journal.write({"op": "done", "renamed": len(done), "failed": len(problems)})
    journal.sync()
    return done, problems


def _reopen(path, dev_ino):
    try:
        fd = _open_dir(path)
    except OSError as exc:
        raise LocalIOError(f"cannot open folder {escape(path)}: {exc.strerror}") from None
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != tuple(dev_ino):
        os.close(fd)
        raise Conflict(f"folder {escape(path)} is not the one scanned or journaled; nothing renamed in it")
    return fd


def _rename(fd, where, s):
    try:
        st = os.stat(s.rot.name, dir_fd=fd, follow_symlinks=False)
        if (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size) != s.rot.ident:
            raise Conflict(f"{escape(os.path.join(where, s.rot.name))} changed since it was dated; not renamed",
                           "run rename again")
        move_noreplace(fd, s.rot.name, s.new)
    except FileNotFoundError:
        raise SourceMissing(f"{escape(os.path.join(where, s.rot.name))} vanished before it was renamed") from None
    except FileExistsError:
        raise Conflict(f"{escape(os.path.join(where, s.rot.name))} not renamed: {escape(s.new)} appeared "
                       "meanwhile; nothing overwritten") from None
    except OSError as exc:
        raise LocalIOError(f"cannot rename {escape(os.path.join(where, s.rot.name))} to {escape(s.new)}: "
                           f"{exc.strerror}") from None


def read_journal(path):
    """The rename records of a journal, each checked: a journal is input too."""
    try:
        with open(path, encoding="ascii") as f:
            lines = [line for line in f.read().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceMissing(f"cannot read journal {escape(path)}: {getattr(exc, 'strerror', exc)}") from None
    try:
        records = json.loads("[" + ",".join(lines) + "]")  # one parse, not one per line
    except ValueError:
        try:  # only the closing line can be torn: every rename line was fsynced first
            records = json.loads("[" + ",".join(lines[:-1]) + "]")
        except ValueError:
            records = []
    if not records or not isinstance(records[0], dict) or records[0].get("journal") != JOURNAL_KIND:
        raise UsageError(f"{escape(path)} is not a swiftrotate rename journal")
    out = []
    for r in records[1:]:
        if not isinstance(r, dict) or r.get("op") != "rename":
            continue
        d = r.get("dir")
        if not (type(d) is str and d[:1] == "/" and "\0" not in d
                and _ints(r.get("id"), 4) and _ints(r.get("dir_id"), 2)
                and type(r.get("old")) is str and safe_name(r["old"])
                and type(r.get("new")) is str and safe_name(r["new"])):
            raise UnsafeInput(f"{escape(path)}: malformed record {escape(json.dumps(r)[:200])}")
        out.append(r)
    return out


def _ints(value, n):
    return type(value) is list and len(value) == n and all(type(v) is int for v in value)


def undo(path, dry_run=False):
    """Rename back, newest first, with the same no-overwrite step. Returns
    (restored records, problems). A record whose rename never happened (a
    crash or a failure mid-run) is nothing to do; a second undo is a no-op."""
    fds, restored, problems = {}, [], []
    try:
        for r in reversed(read_journal(path)):
            try:
                if r["dir"] not in fds:
                    fds[r["dir"]] = None  # one error per folder, not one per file
                    fds[r["dir"]] = _reopen(r["dir"], r["dir_id"])
                fd = fds[r["dir"]]
                if fd is None:
                    continue
                ident, new = tuple(r["id"]), _ident(fd, r["new"])
                if new == ident and not dry_run:
                    try:
                        move_noreplace(fd, r["new"], r["old"])  # the common case: one stat, one rename
                        restored.append(r)
                        continue
                    except FileExistsError:
                        pass
                old = _ident(fd, r["old"])
                if new == ident and old is None:
                    restored.append(r)  # dry run
                elif new == ident and old == ident:  # a crash between link and unlink
                    if not dry_run:
                        os.unlink(r["new"], dir_fd=fd)
                    restored.append(r)
                elif new is None and old == ident:
                    continue  # never renamed (the run failed or crashed first), or undone already
                else:
                    why = ("is missing" if new is None else "is another file now" if new != ident
                           else f"{escape(r['old'])} exists and is another file")
                    problems.append(Conflict(f"cannot undo {_where(r)} -> {escape(r['old'])}: {why}",
                                             "nothing was overwritten"))
            except SwiftrotateError as exc:
                problems.append(exc)
            except OSError as exc:
                problems.append(LocalIOError(f"cannot undo {_where(r)}: {exc.strerror}"))
    finally:
        for fd in filter(None, fds.values()):
            os.fsync(fd)
            os.close(fd)
    return restored, problems


def _where(record):
    return escape(os.path.join(record["dir"], record["new"]))


def _ident(fd, name):
    try:
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
