"""Verified downloads: into a folder, in date order to a stream, or into a
temp file to learn what a stored compressed form holds.

Every download is checked against our sha256 and size before it gets its
final name (or before a single byte of it reaches the stream), and is
written only through directory descriptors opened with O_NOFOLLOW, so
neither a crafted key nor a symlink planted in the output folder can make
it write elsewhere.

Owns: the output folder and the bytes. Must not: plan what to fetch.
The upload path imports this module for downloaded_content() alone, so
thread pools and temp files are imported where they are used.
"""
import errno
import itertools
import os
import shutil
import stat
import uuid

from .backends._transfer import check_content
from .codecs import content_sha256, decompress_errors, decompressor
from .errors import Conflict, IntegrityError, LocalIOError, NotFound, SourceMissing, SwiftrotateError, UnsafeInput, \
    UsageError
from .localfile import CHUNK, LocalFile, chunks_of, sha256_of, written
from .naming import escape, validate_key


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
        return sha256_of(chunks_of(fd, reader=lambda fd, n, _offset: os.read(fd, n)))
    finally:
        os.close(fd)


def download(backend, item, out, overwrite=False, on_bytes=None):
    """Fetch one item into `out`. Returns 'fetched' or 'identical'.
    on_bytes(n) as each chunk of n bytes arrives."""
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
                _receive(backend, item, fd, on_bytes)
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


def _receive(backend, item, fd, on_bytes=None):
    try:
        info, chunks = backend.open_read(item.key)
    except NotFound:
        raise SourceMissing(f"{escape(item.key)} is listed but gone (expired, or deleted meanwhile)") from None
    if on_bytes is not None:
        chunks = _counted(chunks, on_bytes)
    sha256, size = sha256_of(written(chunks, lambda chunk: _write_all(fd, chunk)))
    os.fsync(fd)
    check_content(item.key, info, size, sha256)


def _counted(chunks, on_bytes):
    for chunk in chunks:
        yield chunk
        on_bytes(len(chunk))


def _write_all(fd, chunk):
    view = memoryview(chunk)
    while view:  # os.write may write less than asked
        view = view[os.write(fd, view):]


def fetch_to_dir(backend, items, path, jobs, overwrite, on_done, on_bytes=None):
    """Download `items` into the folder `path`, `jobs` at a time;
    on_done(item, status, error) after each, on_bytes(n) as bytes arrive
    (a file found identical counts whole)."""
    from concurrent.futures import ThreadPoolExecutor

    out = OutDir(path)
    try:
        def one(item):
            try:
                status = download(backend, item, out, overwrite, on_bytes)
                if status == "identical" and on_bytes is not None:
                    on_bytes(item.size)
                return item, status, None
            except SwiftrotateError as exc:
                return item, "failed", exc

        with ThreadPoolExecutor(max(1, jobs)) as pool:
            for item, status, error in pool.map(one, items):
                on_done(item, status, error)
    finally:
        out.close()


# -- streaming to stdout -----------------------------------------------------
def fetch_to_stream(backend, items, stream, jobs, decompress, on_done, on_bytes=None):
    """Bytes in date order. Each object is verified in a private temp file
    before a single byte of it is written, so grep never sees bad data.
    on_bytes(n) as bytes arrive in the temp files."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    workdir = tempfile.mkdtemp(prefix="swiftrotate-fetch-")
    try:
        def prefetch(item):
            path = os.path.join(workdir, uuid.uuid4().hex)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                _receive(backend, item, fd, on_bytes)
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
    opener = decompressor(ext)
    if opener is not None:
        return opener
    if ext == ".zst":
        raise UsageError("reading .zst needs the zstandard package", "pip install 'swiftrotate[zstd]'")
    raise UsageError(f"cannot decompress {ext} files", "fetch them without --decompress")


def _emit(path, item, stream, decompress):
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


def downloaded_content(backend, key, ext, folder):
    """The sha256 of what `key` decompresses to, from a download into an
    unlinked temp file in `folder`, verified against its sha256 metadata."""
    import tempfile

    info, chunks = backend.open_read(key)
    fd = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=ext, dir=folder)
        os.unlink(tmp)  # at once: a killed run leaves nothing behind
        with os.fdopen(os.dup(fd), "wb") as out:
            sha256, size = sha256_of(written(chunks, out.write))
        check_content(key, info, size, sha256)
        stored = LocalFile(tmp, fd, os.fstat(fd), sha256=sha256)
        return content_sha256(stored, ext)[0]
    finally:
        getattr(chunks, "close", lambda: None)()  # the connection, if we stopped early
        if fd is not None:
            os.close(fd)
