"""Archive rotated files: hash, check the store, upload, verify, record.

A file counts as archived only when a HEAD of its key shows our size and our
sha256 metadata, either after our own upload or because the same bytes were
already there. A different object at the key is never overwritten. X and
X.gz are one unit: whichever form is archived first is kept, and the other
form is recognised by its uncompressed content.
"""
import hashlib
import os
import stat
import threading
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import quote

from . import __version__
from .errors import Conflict, Incomplete, IntegrityError, NotFound, SwiftrotateError, TransientError, UnsafeInput
from .discover import Candidate, insecure_folder
from .naming import COMPRESS_SUFFIXES, escape, split_compression, unit_id, validate_key

CHUNK = 1024 * 1024
BACKGROUND_HASH_MIN = 16 * CHUNK


def decompressor(ext):
    """An opener (path, mode) for `ext` from Python itself, or None."""
    # imported here: the no-op hook path never decompresses anything
    import bz2
    import gzip
    import lzma

    if ext == ".zst":
        try:
            import zstandard
        except ImportError:
            return None

        def zstd_open(source, mode="rb"):  # like gzip.open: a path or a binary file
            owned = isinstance(source, (str, bytes, os.PathLike))
            raw = open(source, "rb") if owned else source
            # read_across_frames: zstd -c of several inputs, or an appended frame, is one file
            return zstandard.ZstdDecompressor().stream_reader(raw, closefd=owned, read_across_frames=True)

        return zstd_open
    return {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(ext)


def decompress_errors():
    """What the decompressors raise on bytes that are not what their suffix says."""
    import lzma
    import zlib

    errors = (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error)
    try:
        import zstandard
    except ImportError:
        return errors
    return errors + (zstandard.ZstdError,)


# Forms Python cannot read by itself (logrotate's compresscmd may make any of
# them): the tool that can, writing the content to stdout.
# The file goes in on stdin; unzip, which must seek, opens it as /dev/stdin.
READERS = {".zst": ("zstd", "-dcq"), ".lz4": ("lz4", "-dcq"), ".Z": ("gzip", "-dc"),
           ".zip": ("unzip", "-p", "/dev/stdin")}


@dataclass
class Outcome:
    path: str
    key: str = ""
    status: str = ""  # uploaded, present, known, twin, would-upload, failed
    size: int = 0
    error: Optional[SwiftrotateError] = None
    removed: bool = False


@dataclass
class LocalFile:
    """An open rotated file, pinned by descriptor so it cannot be swapped."""

    path: str
    fd: int
    st: os.stat_result
    sha256: str = ""
    io_path: str = field(init=False)

    def __post_init__(self):
        # Re-opening /proc/self/fd/N reaches the same inode even if someone
        # replaces the name with a symlink after we checked it.
        self.io_path = f"/proc/self/fd/{self.fd}" if os.path.exists(f"/proc/self/fd/{self.fd}") else self.path

    def changed(self):
        now = os.fstat(self.fd)
        return (now.st_size, now.st_mtime_ns, now.st_ino) != (self.st.st_size, self.st.st_mtime_ns, self.st.st_ino)


def open_rotated(path):
    """Open a rotated file for reading; refuse symlinks and non-regular files."""
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise TransientError(f"{escape(path)} vanished before it could be archived") from None
    if stat.S_ISLNK(before.st_mode):
        raise UnsafeInput(f"refusing symlink {escape(path)}",
                          "rotated logs must be regular files; remove the link")
    if not stat.S_ISREG(before.st_mode):
        raise UnsafeInput(f"refusing {escape(path)}: not a regular file")
    # O_NONBLOCK: a FIFO swapped in after the lstat would block open() forever
    # (and logrotate with it); on a regular file it changes nothing.
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    st = os.fstat(fd)
    if (st.st_dev, st.st_ino) != (before.st_dev, before.st_ino) or not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise UnsafeInput(f"{escape(path)} was replaced while being opened")
    if st.st_nlink > 1 and os.geteuid() == 0 and insecure_folder(os.path.dirname(path)):
        # logrotate's own worry about such folders: whoever can write there can
        # plant a hard link to a file they may not read, named like a rotation.
        os.close(fd)
        raise UnsafeInput(f"refusing {escape(path)}: it has {st.st_nlink} hard links and its folder is "
                          "writable by others or by a group other than root, so it may be a planted link "
                          "to someone else's file",
                          "if it is a genuine log, remove its other link (find -samefile) and rerun")
    return LocalFile(path, fd, st)


def _hash(local):
    """Set local.sha256; refuse a file that is still growing."""
    local.sha256, size = sha256_fd(local.fd)
    if size != local.st.st_size or local.changed():
        raise TransientError(f"{escape(local.path)} is still being written; the next run retries")
    return local.sha256


def _log_prefix(unit, stamp):
    """The key prefix all of one log's archives share: the unit without its stamp."""
    return unit[: len(unit) - len(stamp)] if stamp and unit.endswith(stamp) else unit


def _hash_in_background(local):
    from concurrent.futures import Future  # only big uploads need it, never the no-op path

    future = Future()

    def work():
        try:
            future.set_result(_hash(local))
        except BaseException as exc:
            future.set_exception(exc)

    threading.Thread(target=work, name="sha256", daemon=True).start()
    return future


def copy_fd(fd, out):
    """Write all of a pinned file to `out` (a compressor), 1 MiB at a time."""
    offset = 0
    while True:
        data = os.pread(fd, CHUNK, offset)
        if not data:
            return offset
        out.write(data)
        offset += len(data)


def sha256_fd(fd):
    digest, size, offset = hashlib.sha256(), 0, 0
    while True:
        data = os.pread(fd, CHUNK, offset)
        if not data:
            break
        digest.update(data)
        offset += len(data)
    size = offset
    return digest.hexdigest(), size


def content_sha256(local, ext):
    """sha256 and size of the uncompressed content, or (None, None) when the
    file does not decompress (truncated, or not really compressed). Raises
    ConfigError when nothing here can read `ext`: "cannot tell" is not
    "differs"."""
    if not ext:
        return local.sha256, local.st.st_size
    opener = decompressor(ext)
    if opener is None:
        return _content_sha256_by_tool(local, ext)
    digest, size = hashlib.sha256(), 0
    try:
        with opener(local.io_path, "rb") as f:
            while True:
                data = f.read(CHUNK)
                if not data:
                    break
                digest.update(data)
                size += len(data)
    except decompress_errors():
        return None, None
    return digest.hexdigest(), size


def _content_sha256_by_tool(local, ext):
    import shutil
    import subprocess

    from .errors import ConfigError

    tool = READERS.get(ext)
    if tool is None or shutil.which(tool[0]) is None:
        if tool is None:
            need = "compress with gzip, bzip2, xz, zstd or lz4"
        elif ext == ".zst":
            need = "install zstd or pip install 'swiftrotate[zstd]'"
        else:
            need = f"install {tool[0]}"
        raise ConfigError(f"cannot compare {escape(local.path)} with its archived other form: nothing here reads "
                          f"{ext} files", need)
    # The child reads the same pinned file through a descriptor of its own
    # (zstd and lz4 refuse a /proc/self/fd path: "is a symbolic link").
    with open(local.io_path, "rb") as pinned:
        proc = subprocess.Popen(tool, stdin=pinned, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        digest, size = hashlib.sha256(), 0
        with proc.stdout:
            for data in iter(lambda: proc.stdout.read(CHUNK), b""):
                digest.update(data)
                size += len(data)
        return (digest.hexdigest(), size) if proc.wait() == 0 else (None, None)


def _gzip_writer(out, level):
    import gzip

    # mtime=0 and no file name: the same input always gives the same bytes
    return gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=level, mtime=0)


def _zstd_writer(out, level):
    try:
        import zstandard
    except ImportError:
        from .errors import ConfigError

        raise ConfigError("--compress zstd needs the zstandard package",
                          "pip install 'swiftrotate[zstd]', or use --compress gzip") from None
    return zstandard.ZstdCompressor(level=level).stream_writer(out, closefd=False)


COMPRESSORS = {"gzip": (".gz", _gzip_writer, 6), "zstd": (".zst", _zstd_writer, 3)}


def compress_to_temp(local, method, folder):
    """Compress the pinned file into an unlinked-on-close temp file in
    `folder`, streaming in 1 MiB chunks (memory stays flat). Returns an open
    LocalFile of the result with its sha256 set."""
    import tempfile

    ext, writer, level = COMPRESSORS[method]
    fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=ext, dir=folder)
    os.unlink(tmp)  # at once: the descriptor keeps it, and a killed run leaves nothing behind
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            with writer(out, level) as packer:
                copy_fd(local.fd, packer)
        packed = LocalFile(tmp, fd, os.fstat(fd))
        packed.sha256, _ = sha256_fd(fd)
        return packed
    except BaseException:
        os.close(fd)
        raise


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
    from .errors import ConfigError

    if not template.endswith("{stamp}{ext}") or "{path}" not in template:
        raise ConfigError(f"key_template {template!r} must contain {{path}} and end with {{stamp}}{{ext}}",
                          "fetch lists one log's archives by key range, so the date must sort last")
    try:
        template.format(host="h", path="p", stamp="s", ext="e")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigError(f"key_template {template!r}: unknown field {exc}",
                          "use only {host} {path} {stamp} {ext}") from None
    return template


class Archiver:
    """Archives candidates into one store, recording verified units."""

    def __init__(self, backend, ledger, dest, host, log, remove=False, expire_after=None, compress=None,
                 verify=False):
        self.backend, self.ledger, self.dest, self.host, self.log = backend, ledger, dest, host, log
        self.remove = remove
        # verify: a ledger row alone is not proof; HEAD the store (gate, spool)
        self.verify = verify
        self._unit_locks = {}
        # cand -> None, "gzip" or "zstd": compress uncompressed files on the way
        self.compress = compress or (lambda cand: None)
        self._lock = threading.Lock()
        self._listed = {}  # log key prefix -> keys in the store, listed once per run
        self._stale_units = set()  # units whose failed upload may have been stored after all
        self.expire_after = expire_after or (lambda cand: None)  # cand -> seconds or None

    def archive(self, cand, key):
        outcome = Outcome(cand.path, key)
        local = open_rotated(cand.path)
        try:
            outcome.size = local.st.st_size
            unit = unit_id(key)
            method = None if cand.ext else self.compress(cand)
            # X and X.gz of one rotation may both be found in one run: one at a time
            with self._unit_lock(unit):
                if method:
                    _hash(local)
                    outcome.key = key + COMPRESSORS[method][0]
                    outcome.status, stored = self._decide_compressed(cand, local, outcome.key, unit, method)
                else:
                    outcome.status, stored = self._decide(cand, local, key, unit, cand.stamp)
            if self.remove:
                self._remove(cand, local, outcome.status, stored)
                outcome.removed = True
        finally:
            os.close(local.fd)
        return outcome

    def _remove(self, cand, local, status, stored):
        """Unlink a rotated file only after a fresh HEAD confirms its archive
        and only if it is still exactly the file we hashed."""
        key, size, sha = stored
        if status != "uploaded":  # an upload was just verified
            info = self._confirm(key, local if (local.st.st_size, local.sha256) == (size, sha) else None)
            if (info.size, info.sha256) != (size, sha):
                raise IntegrityError(f"{escape(key)} no longer matches what was archived; "
                                     f"keeping {escape(cand.path)}")
        now = os.lstat(cand.path)
        if local.changed() or (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) != (
                local.st.st_dev, local.st.st_ino, local.st.st_size, local.st.st_mtime_ns):
            raise TransientError(f"{escape(cand.path)} changed after it was hashed; kept for the next run")
        os.unlink(cand.path)
        self.log.info("removed %s (archived as %s)", escape(cand.path), escape(key))

    def _unit_lock(self, unit):
        with self._lock:
            return self._unit_locks.setdefault(unit, threading.Lock())

    def _ledger_row(self, unit):
        """The ledger's row for `unit`; in verify mode only if a HEAD agrees."""
        row = self.ledger.unit(self.dest, unit)
        if row and self.verify:
            try:
                info = self.backend.verify(row["key"])
            except (NotFound, Incomplete):  # looked at again, with the local file, by _stored_form
                return None
            if (info.size, info.sha256) != (row["size"], row["sha256"]):
                return None
        return row

    def _decide(self, cand, local, key, unit, stamp):
        row = self._ledger_row(unit)
        if row:
            _hash(local)
            stored = (row["key"], row["size"], row["sha256"])
            return self._against(cand, local, key, unit, *stored, row["content_sha256"],
                                 confirmed=self.verify), stored
        found = self._stored_form(unit, prefer=key, stamp=stamp, local=local)
        if found:
            stored, content = found
            return self._against(cand, local, key, unit, *stored, content), stored
        # A new unit: hash while uploading. Swift needs the sha256 only for
        # the manifest, which goes last, so a big file is read by the hash and
        # by the upload at the same time instead of one after the other.
        if local.st.st_size < BACKGROUND_HASH_MIN:  # small: a thread would cost more than it saves
            _hash(local)
            return self._upload(cand, local, key, unit), (key, local.st.st_size, local.sha256)
        status = self._upload(cand, local, key, unit, sha256=_hash_in_background(local))
        return status, (key, local.st.st_size, local.sha256)

    def _forget_listing(self, unit, stamp):
        """Only this unit's keys are listed again, not the whole log."""
        with self._lock:
            self._stale_units.add(unit)

    def _listed_add(self, key, stamp):
        prefix = _log_prefix(unit_id(key), stamp)
        with self._lock:
            if prefix in self._listed:
                self._listed[prefix].add(key)

    def _stored_form(self, unit, prefer, stamp=None, local=None):
        """((key, size, sha256), uncompressed sha256 or None) of the unit's
        object in the store, preferring the key `prefer`; None if absent.
        The object must be whole (verify); a broken one is repaired from
        `local` (hashed here) when that holds the same bytes."""
        forms = self._store_forms(unit, stamp)
        if not forms:
            return None
        other = prefer if prefer in forms else forms[0]
        if local is not None:
            _hash(local)
        info = self._confirm(other, local if other == prefer else None)
        content = info.sha256 if unit_id(other) == other else info.metadata.get("uncompressed-sha256")
        return (other, info.size, info.sha256), content

    def _decide_compressed(self, cand, local, key, unit, method):
        """--compress: the unit is identified by the uncompressed sha256."""
        row = self._ledger_row(unit)
        found = ((row["key"], row["size"], row["sha256"]), row["content_sha256"]) if row else \
            self._stored_form(unit, prefer=key)
        if found:
            stored, content = found
            if content != local.sha256:
                raise Conflict(f"{escape(cand.path)} differs from the archived {escape(stored[0])}; "
                               "not overwriting", "compare the two")
            self.ledger.record(self.dest, unit, stored[0], stored[1], stored[2], content,
                               local.st.st_size, cand.path, local.st)
            return "present", stored
        packed = compress_to_temp(local, method, os.path.dirname(os.path.abspath(self.ledger.path)))
        try:
            comp = Candidate(cand.path, cand.live, cand.stamp, COMPRESSORS[method][0], cand.pattern)
            status = self._upload(comp, packed, key, unit, origin=local)
        finally:
            os.close(packed.fd)
        return status, (key, packed.st.st_size, packed.sha256)

    def _store_forms(self, unit, stamp=None):
        """Keys of this unit already in the store (X, X.gz, ...).

        One LIST per log and run, not one per file: a backlog of a thousand
        rotations of one log costs one (paged) listing."""
        prefix = _log_prefix(unit, stamp)
        with self._lock:
            keys = self._listed.get(prefix)
            if keys is None:
                keys = self._listed[prefix] = {o.key for o in self.backend.list(prefix)}
            elif unit in self._stale_units:
                keys |= {o.key for o in self.backend.list(unit)}
            self._stale_units.discard(unit)
        wanted = [unit] + [unit + s for s in COMPRESS_SUFFIXES]
        return [k for k in wanted if k in keys]

    def _against(self, cand, local, key, unit, stored_key, stored_size, stored_sha, stored_content,
                 confirmed=True):
        """Compare the local file with what the store (or, unconfirmed, the
        ledger) holds. Only a store answer refreshes the unit's verified_at."""
        size = local.st.st_size
        if stored_key == key and stored_size == size and stored_sha == local.sha256:
            if confirmed:
                seconds = self.expire_after(cand)
                if seconds:  # e.g. archived before expiry was set
                    self.backend.ensure_expiry(key, seconds)
                self.ledger.record(self.dest, unit, key, size, local.sha256,
                                   local.sha256 if not cand.ext else stored_content, None, cand.path, local.st)
            else:
                self.ledger.record_file(self.dest, unit, cand.path, local.st)
            return "present"
        if stored_key == key and not cand.ext:
            raise Conflict(f"{escape(cand.path)} (sha256 {local.sha256[:12]}..., {size} bytes) differs from "
                           f"the archived {escape(stored_key)} (sha256 {(stored_sha or '?')[:12]}..., "
                           f"{stored_size} bytes); not overwriting",
                           "compare the two; move one aside if both must be kept")
        # Two forms of one rotation (X and X.gz, our .gz and logrotate's, or a
        # .gz compressed again with another header): the same unit when the
        # uncompressed content is the same, whichever form went first.
        content, _ = content_sha256(local, cand.ext)
        if stored_content is None and content is not None:
            stored_content = self._content_of(cand, stored_key, stored_size, stored_sha, unit)
        if content is not None and content == stored_content:
            self.ledger.record_file(self.dest, unit, cand.path, local.st)
            return "twin"
        raise Conflict(f"{escape(cand.path)} and the archived {escape(stored_key)} are two forms of one "
                       "rotation but their content differs; not overwriting",
                       "the log was probably written to after it was archived; compare the two")

    def _content_of(self, cand, key, size, sha256, unit):
        """The uncompressed sha256 of the stored `key` (size, sha256): a plain
        object's own; for a compressed one, from a local file with its exact
        bytes, else from a verified download. Kept in the ledger."""
        _, ext = split_compression(key)
        if not ext:
            return sha256
        content = None
        sibling = cand.path[: len(cand.path) - len(cand.ext)] + ext
        try:
            twin = open_rotated(sibling)
        except (SwiftrotateError, OSError):
            twin = None
        if twin is not None:
            try:
                if (twin.st.st_size, _hash(twin)) == (size, sha256):
                    content, _ = content_sha256(twin, ext)
            except SwiftrotateError:
                pass
            finally:
                os.close(twin.fd)
        if content is None:
            content = self._downloaded_content(key, ext)
        if content is not None:
            self.ledger.set_content(self.dest, unit, key, content)
        return content

    def _downloaded_content(self, key, ext):
        """Download `key` into an unlinked temp file (verified against its
        sha256 metadata) and hash what it decompresses to."""
        import tempfile

        from .backends.base import check_content

        info, chunks = self.backend.open_read(key)
        fd = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=ext,
                                       dir=os.path.dirname(os.path.abspath(self.ledger.path)))
            os.unlink(tmp)  # at once: a killed run leaves nothing behind
            digest, size = hashlib.sha256(), 0
            with os.fdopen(os.dup(fd), "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            check_content(key, info, size, digest.hexdigest())
            stored = LocalFile(tmp, fd, os.fstat(fd), sha256=digest.hexdigest())
            return content_sha256(stored, ext)[0]
        finally:
            getattr(chunks, "close", lambda: None)()  # the connection, if we stopped early
            if fd is not None:
                os.close(fd)

    def _upload(self, cand, local, key, unit, origin=None, sha256=None):
        """Upload `local`; `origin` is the rotated file it was compressed from.
        `sha256` may be a Future still hashing `local`."""
        origin = origin or local
        size = local.st.st_size
        meta = {
            "host": quote(self.host), "path": quote(cand.path), "mtime": "%.6f" % origin.st.st_mtime,
            "swiftrotate-version": __version__,
        }
        if not cand.ext:
            meta["uncompressed-size"] = str(size)
        elif origin is not local:
            meta["uncompressed-size"] = str(origin.st.st_size)
            meta["uncompressed-sha256"] = origin.sha256
        taken = False  # the object at the key is not (known to be) from this upload: never _drop it
        # Before the first byte: a killed run's segments or multipart upload
        # are then found and cleared by the next run (clear_leftovers).
        parts = self.backend.needs_cleanup(size)
        if parts:
            self.ledger.intent_add(self.dest, key)
        try:
            self.backend.put(key, local.io_path, size=size, sha256=sha256 or local.sha256, metadata=meta,
                             expire_after=self.expire_after(cand), exclusive=True)
        except Conflict:  # the key was taken since we listed it (Swift refused to overwrite)
            taken = True
            if sha256 is not None:
                local.sha256 = sha256.result()
            info = self._confirm(key, local)
            if (info.size, info.sha256) != (size, local.sha256):
                raise Conflict(f"{escape(cand.path)} (sha256 {local.sha256[:12]}..., {size} bytes) differs from "
                               f"{escape(key)} (sha256 {(info.sha256 or '?')[:12]}..., {info.size} bytes), which "
                               "appeared in the store while we uploaded; not overwriting",
                               "compare the two; move one aside if both must be kept") from None
            # the same bytes: recorded below like our own upload
        except IntegrityError:
            self._forget_listing(unit, cand.stamp)
            if sha256 is not None:
                sha256.exception()
            if local.changed() or origin.changed():  # a writer, not the store: retry, like below
                raise TransientError(f"{escape(cand.path)} changed while it was uploaded; the next run retries") \
                    from None
            raise
        except BaseException:
            # A failed upload may still have been stored (its answer lost): the
            # other form of this rotation, next in this run, must list the
            # store again instead of trusting the run's listing.
            self._forget_listing(unit, cand.stamp)
            if sha256 is not None:
                sha256.exception()  # let the hash finish before the descriptor is closed
            raise
        if sha256 is not None:
            local.sha256 = sha256.result()  # raises if the file was still being written
        if local.changed() or origin.changed():
            if not taken:
                self._drop(key)
            raise TransientError(f"{escape(cand.path)} changed while it was uploaded; the next run retries")
        info = self._confirm(key, local)
        if info.size != size or info.sha256 != local.sha256:
            if not taken:
                self._drop(key)
            raise IntegrityError(f"{escape(key)}: after upload the store shows {info.size} bytes, sha256 "
                                 f"{(info.sha256 or 'missing')[:12]}...; we sent {size} bytes, "
                                 f"{local.sha256[:12]}...")
        if origin is local:
            self.ledger.record(self.dest, unit, key, size, local.sha256, local.sha256 if not cand.ext else None,
                               size if not cand.ext else None, cand.path, local.st)
        else:
            self.ledger.record(self.dest, unit, key, size, local.sha256, origin.sha256, origin.st.st_size,
                               cand.path, origin.st)
        self._listed_add(key, cand.stamp)
        try:  # the file is archived whatever this says; a row left here is retried by the next run
            if parts and self.backend.clear_leftovers(key, busy=lambda: self.ledger.busy(self.dest, key)):
                self.ledger.intent_remove(self.dest, key)
        except SwiftrotateError:
            pass
        self.log.info("archived %s -> %s (%d bytes, sha256 %s)", escape(cand.path), escape(key), size,
                      local.sha256[:12])
        return "uploaded"

    def _confirm(self, key, local=None):
        """The store's word that `key` is whole (Backend.verify). A broken
        object of ours is repaired from `local` when that holds the bytes
        its metadata names; otherwise it is never counted as archived."""
        try:
            return self.backend.verify(key)
        except Incomplete as exc:
            info = exc.info
            if local is None or not local.sha256 or info is None or \
                    (info.size, info.sha256) != (local.st.st_size, local.sha256):
                raise Incomplete(f"{exc}; no local copy with its bytes is here to repair it from",
                                 "fetch cannot read it; if a copy exists elsewhere, delete the object and upload "
                                 "that copy", info=info, missing=exc.missing) from None
            self.backend.repair(key, local.io_path, exc)
            self.log.warning("repaired %s: put back %d missing part(s) from %s", escape(key), len(exc.missing),
                             escape(local.path))
            return self.backend.verify(key)

    def _drop(self, key):
        try:
            self.backend.delete(key)
        except SwiftrotateError:
            pass
