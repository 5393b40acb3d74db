"""`swiftrotate fetch`: a date range of archived logs back, verified and safe.

Listing is bounded by start/stop keys (Swift marker/end_marker, S3
StartAfter plus an early stop), so its cost grows with the range asked for,
not with the store. Every download is checked against our sha256 and size
before it gets its final name, and is written only through directory
descriptors opened with O_NOFOLLOW, so neither a crafted key nor a symlink
planted in the output folder can make it write elsewhere.
"""
import errno
import fnmatch
import hashlib
import itertools
import os
import shutil
import stat
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .backends.base import CHUNK, check_content
from .dates import predecessor
from .errors import (Conflict, IntegrityError, LocalIOError, NotFound, SourceMissing, SwiftrotateError,
                     UnsafeInput, UsageError)
from .naming import escape, format_stamp, parse_stamp, split_compression, validate_key

GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class Item:
    host: str
    log: str  # the live log's absolute path
    key: str
    stamp: str
    when: datetime
    ext: str
    size: int

    @property
    def rel(self):
        """Where it lands under the output folder: {host}/{log path}{stamp}{ext}."""
        return f"{self.host}/{self.log.lstrip('/')}{self.stamp}{self.ext}"


@dataclass
class Plan:
    items: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # SwiftrotateError, reported, make the exit non-zero
    nearest: dict = field(default_factory=dict)  # (host, log) -> (before, after) stamps when empty


def check_log(log):
    if not log.startswith("/") or os.path.normpath(log) != log or "\x00" in log:
        raise UsageError(f"LOG must be the live log's absolute path, like /var/log/nginx/access.log; "
                         f"got {escape(log)}")
    return log


def resolve_hosts(backend, patterns, prefix_of):
    """Exact names as given; globs against the hosts found by one delimiter listing."""
    exact = [p for p in patterns if not GLOB_CHARS & set(p)]
    globs = [p for p in patterns if GLOB_CHARS & set(p)]
    hosts, problems = [], []
    for name in exact:
        _check_host(name)
        hosts.append(name)
    if globs:
        for name in backend.list_dirs(prefix_of("")):
            if any(fnmatch.fnmatchcase(name, g) for g in globs) and name not in hosts:
                try:
                    hosts.append(_check_host(name))
                except UnsafeInput as exc:
                    problems.append(exc)
    return sorted(hosts), problems


def _check_host(name):
    try:
        validate_key(name)
    except ValueError as exc:
        raise UnsafeInput(f"refusing host name from the store: {exc}") from None
    if "/" in name:
        raise UnsafeInput(f"host name {escape(name)} contains '/'")
    return name


def plan(backend, logs, hosts, start, end, dateformat_of, key_prefix):
    """Objects of each (host, log) whose stamp falls in [start, end)."""
    result = Plan()
    for host in hosts:
        for log in logs:
            fmt = dateformat_of(log)
            prefix = key_prefix(host, log)
            lo = prefix + format_stamp(start, fmt)
            hi = prefix + format_stamp(end, fmt)
            found = False
            for info in backend.list(prefix, start_after=predecessor(lo), end_before=hi):
                item = _item(host, log, prefix, fmt, info, result)
                if item and start <= item.when < end:
                    result.items.append(item)
                    found = True
            if not found:
                result.nearest[(host, log)] = _nearest(backend, host, log, prefix, fmt, start, end)
    result.items.sort(key=lambda i: (i.host, i.log, i.when, i.ext))
    return result


def _item(host, log, prefix, fmt, info, result):
    base, ext = split_compression(info.key[len(prefix):])
    when = parse_stamp(base, fmt)
    try:
        validate_key(info.key)
    except ValueError as exc:
        result.problems.append(UnsafeInput(f"refusing object key {escape(info.key)}: {exc}"))
        return None
    if when is None:
        return None  # another log sharing the prefix (access.log vs access.log.1)
    return Item(host, log, info.key, base, when, ext, info.size)


def _nearest(backend, host, log, prefix, fmt, start, end):
    before = after = None
    for info in backend.list(prefix):
        base, _ = split_compression(info.key[len(prefix):])
        when = parse_stamp(base, fmt)
        if when is None:
            continue
        if when < start:
            before = base
        elif when >= end and after is None:
            after = base
    return before, after


# -- writing into the output folder ------------------------------------------
class OutDir:
    """The output folder, reached only through O_NOFOLLOW directory fds."""

    def __init__(self, path):
        if os.path.exists(path) and not os.path.isdir(path):
            raise UsageError(f"output {escape(path)} is not a folder", "-o names a folder to download into; "
                             "use --stdout to write the bytes out")
        try:
            os.makedirs(path, exist_ok=True)
            self.fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise LocalIOError(f"cannot open output folder {escape(path)}: {exc.strerror}") from None
        self.path = path

    def folder(self, parts):
        """fd of the folder parts[...] below the root, created as needed."""
        fd = os.dup(self.fd)
        for part in parts:
            try:
                os.mkdir(part, 0o750, dir_fd=fd)
            except FileExistsError:
                pass
            try:
                nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except OSError as exc:
                os.close(fd)
                why = {errno.ELOOP: "it is a symlink", errno.ENOTDIR: "it is a file, not a folder"}.get(
                    exc.errno, exc.strerror)
                raise UnsafeInput(f"refusing to write below {escape(part)} in {escape(self.path)}: {why}",
                                  "move it aside, or fetch into another folder with -o") from None
            os.close(fd)
            fd = nfd
        return fd

    def close(self):
        os.close(self.fd)


def _sha256_at(dfd, name):
    """sha256 and size of an existing file, or None if absent; refuses symlinks."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=dfd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise UnsafeInput(f"refusing {escape(name)}: {'it is a symlink' if exc.errno == errno.ELOOP else exc.strerror}")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeInput(f"refusing {escape(name)}: not a regular file")
        digest, size = hashlib.sha256(), 0
        while True:
            data = os.read(fd, CHUNK)
            if not data:
                return digest.hexdigest(), size
            digest.update(data)
            size += len(data)
    finally:
        os.close(fd)


def download(backend, item, out, overwrite=False):
    """Fetch one item into `out`. Returns 'fetched' or 'identical'."""
    parts = item.rel.split("/")
    try:
        validate_key(item.rel)
        dfd = out.folder(parts[:-1])
    except ValueError as exc:
        raise UnsafeInput(f"refusing {escape(item.rel)}: {exc}") from None
    except OSError as exc:
        raise LocalIOError(f"cannot create the folder for {escape(item.rel)}: {exc.strerror}") from None
    name = parts[-1]
    try:
        existing = _sha256_at(dfd, name)
        if existing is not None:
            info = backend.stat(item.key)
            if existing == (info.sha256, info.size):
                return "identical"
            if not overwrite:
                raise Conflict(f"{escape(out.path)}/{escape(item.rel)} exists and differs from {escape(item.key)}",
                               "move it aside, or pass --overwrite")
        tmp = f".swiftrotate-{uuid.uuid4().hex}.part"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640, dir_fd=dfd)
        try:
            try:
                _receive(backend, item, fd)
            finally:
                os.close(fd)
            if existing is not None:  # --overwrite: rename replaces the name itself, never follows it
                os.rename(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd)
            else:
                os.link(tmp, name, src_dir_fd=dfd, dst_dir_fd=dfd, follow_symlinks=False)
        finally:
            try:
                os.unlink(tmp, dir_fd=dfd)
            except FileNotFoundError:
                pass
        return "fetched"
    except FileExistsError:
        raise Conflict(f"{escape(out.path)}/{escape(item.rel)} appeared while fetching; not overwriting") from None
    except OSError as exc:
        raise LocalIOError(f"writing {escape(item.rel)}: {exc.strerror or exc}") from None
    finally:
        os.close(dfd)


def _receive(backend, item, fd):
    try:
        info, chunks = backend.open_read(item.key)
    except NotFound:
        raise SourceMissing(f"{escape(item.key)} is listed but gone (expired, or deleted meanwhile)") from None
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        view = memoryview(chunk)
        while view:  # os.write may write less than asked
            view = view[os.write(fd, view):]
    os.fsync(fd)
    check_content(item.key, info, size, digest.hexdigest())


def fetch_to_dir(backend, items, path, jobs, overwrite, on_done):
    out = OutDir(path)
    try:
        def one(item):
            try:
                return item, download(backend, item, out, overwrite), None
            except SwiftrotateError as exc:
                return item, "failed", exc

        with ThreadPoolExecutor(max(1, jobs)) as pool:
            for item, status, error in pool.map(one, items):
                on_done(item, status, error)
    finally:
        out.close()


# -- streaming to stdout -----------------------------------------------------
def fetch_to_stream(backend, items, stream, jobs, decompress, on_done):
    """Bytes in date order. Each object is verified in a private temp file
    before a single byte of it is written, so grep never sees bad data."""
    workdir = tempfile.mkdtemp(prefix="swiftrotate-fetch-")
    try:
        def prefetch(item):
            path = os.path.join(workdir, uuid.uuid4().hex)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _receive(backend, item, fd)
            finally:
                os.close(fd)
            return path

        with ThreadPoolExecutor(max(1, jobs)) as pool:
            # At most `jobs` objects ahead of the reader: a slow pipe must not
            # make the whole range pile up in the temp folder.
            pending = iter(items)
            window = [(item, pool.submit(prefetch, item)) for item in itertools.islice(pending, max(1, jobs))]
            while window:
                item, future = window.pop(0)
                try:
                    path = future.result()
                except (OSError, SwiftrotateError) as exc:
                    if isinstance(exc, OSError):  # our temp folder is full, say
                        exc = LocalIOError(f"cannot stage {escape(item.key)} in {workdir}: {exc.strerror or exc}")
                    on_done(item, "failed", exc)
                    for _, later in window:
                        later.cancel()
                    return  # stop the output at the first bad object
                _emit(path, item, stream, decompress)
                os.unlink(path)
                on_done(item, "streamed", None)
                following = next(pending, None)
                if following is not None:
                    window.append((following, pool.submit(prefetch, following)))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _opener(ext):
    from .archive import decompressor

    opener = decompressor(ext)
    if opener is not None:
        return opener
    if ext == ".zst":
        raise UsageError("reading .zst needs the zstandard package", "pip install 'swiftrotate[zstd]'")
    raise UsageError(f"cannot decompress {ext} files", "fetch them without --decompress")


def _emit(path, item, stream, decompress):
    from .archive import decompress_errors

    opener = _opener(item.ext) if decompress and item.ext else lambda p, mode: open(p, mode)
    with opener(path, "rb") as src:
        while True:
            try:
                data = src.read(CHUNK)
            except decompress_errors() as exc:
                raise IntegrityError(f"{escape(item.key)}: cannot decompress: {exc}") from None
            if not data:
                break
            _write_out(stream, item, data)
    _write_out(stream, item, None)


def _write_out(stream, item, data):
    """Write (or, with None, flush) to the output stream. A full disk or a
    dead terminal is a local problem (74), not a bad archive."""
    try:
        if data is None:
            stream.flush()
        else:
            stream.write(data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise LocalIOError(f"writing {escape(item.key)} to standard output: {exc.strerror or exc}",
                           "make room where the output goes, or fetch to a folder with -o") from None


def default_stream():
    return sys.stdout.buffer


# -- the command -------------------------------------------------------------
def run_fetch(obj, logs, *, since, until, hosts, output, to_stdout, decompress, list_only, as_json, jobs,
              overwrite, by_stamp, tz, log):
    """Plan, report the plan or fetch it; return the exit code."""
    import json

    import click

    from .archive import check_template
    from .dates import parse_day, stamp_window, today_in, zone

    settings = obj.settings
    if decompress and not to_stdout:
        raise UsageError("--decompress goes with --stdout")
    if as_json and to_stdout:
        raise UsageError("--json lists archives; --stdout writes their bytes: choose one")
    list_only = list_only or as_json  # --json is a listing for scripts, never a download into "."
    logs = [check_log(x) for x in logs]
    today = today_in(zone(tz))
    first = parse_day(since, today) if since else datetime(1970, 1, 2).date()
    last = parse_day(until, today) if until else today
    yesterday = {x: settings.get_bool("dateyesterday", x) for x in logs}
    start, end = stamp_window(first, last, dateyesterday=all(yesterday.values()), by_stamp=by_stamp)
    shown_end = (end - timedelta(days=1)).date()
    if (since or until) and not (by_stamp or all(yesterday.values())) and not obj.quiet:
        click.echo(f"swiftrotate: lines of {first}..{last} are in files stamped {first}..{shown_end} "
                   "(stamped on rotation day; --by-stamp to match stamps exactly)", err=True)
    templates = {x: check_template(settings.get("key_template", x)) for x in logs}

    def key_prefix(host, x):
        return templates[x].format(host=host, path=x.lstrip("/"), stamp="", ext="")

    with obj.open_backend() as backend:
        host_prefix = templates[logs[0]].split("{host}")[0].format(path="", stamp="", ext="")
        chosen, problems = resolve_hosts(backend, hosts or [settings.get("host")],
                                         lambda p: host_prefix + p)
        result = plan(backend, logs, chosen, start, end, settings.dateformat, key_prefix)
        result.problems[:0] = problems
        failures = list(result.problems)
        for exc in failures:
            log.error("%s", exc.line())
        if not result.items:
            for (host, x), (before, after) in sorted(result.nearest.items()):
                near = ", ".join(f"{w} {s}" for w, s in (("nearest before:", before), ("nearest after:", after)) if s)
                log.error("no archives of %s on %s stamped %s..%s%s", x, host, start.date(), shown_end,
                          f" ({near})" if near else " (none at all)")
            return worst_exit_or(failures, 66)
        if list_only:
            for item in result.items:
                if as_json:
                    click.echo(json.dumps({"key": item.key, "stamp": item.stamp, "size": item.size,
                                           "host": item.host, "log": item.log, "date": item.when.isoformat()}))
                else:
                    click.echo(f"{item.when:%Y-%m-%d %H:%M}  {item.size:>12}  {item.host}  {item.key}")
            return worst_exit_or(failures, 0)

        bar = None
        if sys.stderr.isatty() and not (to_stdout or obj.verbose or obj.quiet):
            bar = click.progressbar(length=sum(i.size for i in result.items), file=sys.stderr,
                                    label=f"{len(result.items)} file(s)", show_pos=True)

        def on_done(item, status, error):
            if bar is not None:
                bar.update(item.size)
            if error is not None:
                failures.append(error)
                log.error("not fetched: %s", error.line())
            elif obj.verbose:
                click.echo(f"{status:9} {item.key}", err=True)

        if to_stdout:
            fetch_to_stream(backend, result.items, default_stream(), jobs, decompress, on_done)
        else:
            fetch_to_dir(backend, result.items, output, jobs, overwrite, on_done)
        if bar is not None:
            bar.render_finish()
        if not obj.quiet and not to_stdout:
            ok = len(result.items) - (len(failures) - len(result.problems))
            click.echo(f"swiftrotate: {ok} of {len(result.items)} archive(s) in {output}, verified", err=True)
    return worst_exit_or(failures, 0)


def worst_exit_or(errors, default):
    from .errors import worst_exit

    return worst_exit(errors) if errors else default
