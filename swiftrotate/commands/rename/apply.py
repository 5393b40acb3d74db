"""`swiftrotate rename`, the I/O: scanning folders through directory
descriptors, the no-overwrite rename step, the journal, and undo.

Nothing below a PATH is followed if it is a symlink; every rename goes
through move_noreplace, and every run journals its plan (fsynced) before
the first rename, so `rename --undo` can reverse it.

Must not: choose names (plan.py does).
"""
import ctypes
import errno
import fnmatch
import functools
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii as _q

from ...errors import Conflict, LocalIOError, SourceMissing, SwiftrotateError, UnsafeInput, UsageError
from ...naming import escape, stamp_pattern
from .dates import dated
from .plan import EXTS, NUMBERED, Folder, classify, safe_name

JOURNAL_KIND = "swiftrotate-rename"


# ------------------------------------------------------------- scanning ---

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

    dateext = re.compile(rf".+{stamp_pattern(opts.dateformat)}(?:{EXTS})?", re.ASCII)
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
                rot = dated(fd, path, entry, kind, settings[log], opts)
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
