"""The backend contract: five verbs every store implements.

A backend stores whole files under string keys, each with user metadata that
carries our own `sha256` and `size`. Integrity is judged by those two values,
never by an ETag: multipart and segmented ETags are not MD5s of the content.

Errors (swiftrotate.errors): NotFound, AuthError, TransientError (network,
timeouts, 5xx after the backend's own retries), IntegrityError (the server
rejected our checksum, or downloaded bytes do not match), BackendError.
"""
import hashlib
import os
import tempfile
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Iterator, Optional

from ..errors import ConfigError, IntegrityError, LocalIOError
from ..naming import validate_key

CHUNK = 1024 * 1024
# 16x fewer Python round trips than http.client's 16 KiB, while a few
# parallel segments still keep peak memory near the peers'.
SEND_CHUNK = 256 * 1024


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: Optional[str] = None  # from our metadata; None means unknown
    metadata: dict = field(default_factory=dict)  # lower-case names, no prefix
    etag: Optional[str] = None  # opaque server value, for reports only
    mtime: Optional[float] = None


class Backend(ABC):
    """One store. Use as a context manager, or call close()."""

    scheme = ""

    @abstractmethod
    def put(self, key, path, *, size, sha256, metadata=None, expire_after=None, exclusive=False) -> ObjectInfo:
        """Upload the regular file at `path`, streaming, to `key`.

        `size` and `sha256` are the caller's values for the file; they are
        stored as metadata next to `metadata` (str -> str). `sha256` may also
        be a Future still computing it; backends call resolve() as late as
        their protocol allows (Swift: before the SLO manifest). The backend also
        sends a checksum its server verifies (MD5 ETag, Content-MD5 or a
        flexible checksum, per object, segment or part). On any failure no
        object is left at `key` (a completed upload is atomic, a failed
        multipart/segmented one is aborted or cleaned). Overwrites: callers
        that must not overwrite check with stat() first; `exclusive` also asks
        the store to refuse (Conflict) if the key was taken meanwhile, where
        it can do so atomically (Swift: If-None-Match: *). Stores that cannot
        ignore it, which is why the check first stays.
        Raises IntegrityError if the server rejects our checksum or the file
        changed size while being read. `expire_after` (seconds) asks the
        store to delete the object, and every segment of it, after that long;
        a store that cannot raises ConfigError.
        """

    @abstractmethod
    def stat(self, key) -> ObjectInfo:
        """Size and metadata of `key` (a HEAD). Raises NotFound."""

    def verify(self, key) -> ObjectInfo:
        """stat(), plus proof that a GET would return every byte: what
        "archived" means. Raises Incomplete for an object whose parts are
        not all there (a Swift SLO with a missing segment), NotFound, or a
        TransientError when that cannot be told now. Stores that assemble
        an object before it becomes visible (S3 multipart, a folder) need
        nothing beyond the HEAD."""
        return self.stat(key)

    def repair(self, key, path, incomplete) -> None:
        """Put back the parts `incomplete` (raised by verify) names, from the
        local file at `path` that holds the same bytes. Default: cannot."""
        raise incomplete

    def needs_cleanup(self, size) -> bool:
        """Would a put of `size` bytes store parts that a killed or failed
        run can leave behind (segments, multipart uploads)?"""
        return False

    def clear_leftovers(self, key, busy=lambda: False) -> bool:
        """Remove what uploads of `key` left that no object references
        (segments no manifest at `key` lists, open multipart uploads of
        `key`). True when that is proven done; False when it could not be
        told (the next run tries again). Never removes what `key` uses.
        `busy()` is asked after the listing and before any removal: True
        means another process is uploading `key` now, so nothing is removed."""
        return True

    @abstractmethod
    def open_read(self, key):
        """Return (ObjectInfo, iterator of byte chunks). Raises NotFound.

        Callers must verify what they read; get() and fetch do.
        """

    @abstractmethod
    def list(self, prefix="", start_after=None, end_before=None) -> Iterator[ObjectInfo]:
        """Objects whose key starts with `prefix`, sorted by key.

        Only keys > start_after and < end_before are listed, and the backend
        asks its server for just that range (marker/end_marker, StartAfter),
        so a date range costs requests in proportion to the range. Paging is
        internal. Listed entries carry key and size; sha256 may be None.
        """

    def list_dirs(self, prefix="") -> Iterator[str]:
        """Names of the immediate 'folders' under prefix (delimiter '/')."""
        seen = set()
        for info in self.list(prefix):
            head = info.key[len(prefix):].split("/", 1)[0]
            if head not in seen and "/" in info.key[len(prefix):]:
                seen.add(head)
                yield head

    @abstractmethod
    def delete(self, key) -> None:
        """Remove `key` (and its segments). Raises NotFound."""

    def get(self, key, dest) -> ObjectInfo:
        """Download `key` to the file `dest`, verified, then renamed.

        Bytes go to a temp file beside `dest`; only when size and our sha256
        metadata match is it renamed into place. Raises IntegrityError (no
        file is left at dest), NotFound.
        """
        validate_key(key)
        info, chunks = self.open_read(key)
        folder = os.path.dirname(os.path.abspath(dest))
        fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=".part", dir=folder)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            check_content(key, info, size, digest.hexdigest())
            os.rename(tmp, dest)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise LocalIOError(f"cannot write {dest}: {exc.strerror}") from exc
        except BaseException:
            _unlink_quietly(tmp)
            raise
        return info

    def prepare(self):
        """Connect or authenticate before parallel work (optional)."""

    def ensure_expiry(self, key, expire_after):
        """Give an object already in the store the expiry a put with
        `expire_after` would have given it, where that can be added later
        (S3 tags). Default: nothing (Swift could only by replacing the
        object's metadata, our sha256 included)."""

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_content(key, info, size, sha256):
    """Raise IntegrityError unless (size, sha256) match the stored metadata."""
    if info.sha256 is None:
        raise IntegrityError(f"{key}: no sha256 metadata, cannot verify the download")
    if size != info.size or sha256 != info.sha256:
        raise IntegrityError(
            f"{key}: downloaded {size} bytes with sha256 {sha256[:12]}..., "
            f"stored metadata says {info.size} bytes, {info.sha256[:12]}..."
        )


def resolve(sha256):
    """The hex digest, waiting for it if the caller is still hashing."""
    return sha256.result() if hasattr(sha256, "result") else sha256


def content_type(key):
    """So that a browser or `swift download` treats .gz archives as gzip."""
    return "application/gzip" if key.endswith(".gz") else "application/octet-stream"


def no_expiry(scheme, expire_after):
    if expire_after:
        raise ConfigError(f"{scheme}:// stores cannot expire objects by themselves",
                          "drop expire_after for this store, or use a Swift or S3 store")


def tls_refusal(exc, what, url, ca_setting, name_setting):
    """A ConfigError (78) when the server's certificate was refused somewhere
    behind `exc`, else None. No retry fixes a refused certificate: a setting
    must, so it is not a TransientError."""
    import ssl
    from urllib.parse import urlsplit

    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if isinstance(e, ssl.SSLCertVerificationError):
            reason, wrong_name = (e.verify_message or str(e)).rstrip("."), e.verify_code in (62, 64)
            break
        if type(e).__name__ == "CertificateError":  # urllib3's own host name check
            reason, wrong_name = str(e), True
            break
        if id(e) not in seen:
            seen.add(id(e))
            todo += [x for x in (*e.args, getattr(e, "reason", None), *getattr(e, "kwargs", {}).values(),
                                 e.__cause__, e.__context__) if isinstance(x, BaseException)]
    else:
        return None
    if wrong_name:
        hint = f"the certificate is issued for another name: use that name in {name_setting}, or reissue the certificate"
    else:
        hint = f"if the server's CA is private, set {ca_setting}"
    parts = urlsplit(url)
    return ConfigError(f"{what}: TLS certificate of {parts.scheme}://{parts.netloc} refused: {reason}", hint)


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def integrity_metadata(size, sha256, extra=None):
    meta = {str(k).lower(): str(v) for k, v in (extra or {}).items()}
    meta["sha256"] = sha256
    meta["size"] = str(size)
    return meta


def parse_metadata(raw):
    """Lower-case metadata names (rclone Title-Cases them) -> (sha256, dict)."""
    meta = {k.lower(): v for k, v in raw.items()}
    return meta.get("sha256"), meta


class RangeReader:
    """A file-like view of `length` bytes of `path` from `offset`.

    Computes the MD5 of what it hands out, restarting on seek(0) so that a
    client library's retry (which seeks back) does not double-count.
    """

    def __init__(self, path, offset, length, md5=True):
        self._f = open(path, "rb", buffering=0)
        self._offset, self._length = offset, length
        # botocore reads an S3 part up to three times (checksum, signature,
        # body): an MD5 nobody compares would triple the CPU spent on it.
        self._want_md5 = md5
        self.seek(0)

    def seek(self, pos, whence=0):
        if whence != 0 or pos != 0:
            raise OSError("RangeReader can only rewind to the start")
        self._f.seek(self._offset)
        self._left = self._length
        self.md5 = hashlib.md5() if self._want_md5 else _NoDigest()
        return 0

    def tell(self):
        return self._length - self._left

    def read(self, size=-1):
        if self._left <= 0:
            return b""
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._f.read(size)
        self._left -= len(data)
        self.md5.update(data)
        return data

    def __len__(self):
        return self._length

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class RangeChunks:
    """`length` bytes of `path` from `offset` as an iterable of 256 KiB chunks,
    with their MD5, for HTTP clients that send iterables chunk by chunk:
    a file-like body is read in 16 KiB blocks by http.client, which costs
    the CPU a 2-core host also needs for hashing. reset() rewinds it for a
    client library's retry (swiftclient calls it)."""

    def __init__(self, path, offset, length):
        self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self._offset, self._length = offset, length
        self.reset()

    def reset(self, *args, **kwargs):
        self.md5 = hashlib.md5()
        self.sent = 0

    def __iter__(self):
        self.reset()
        pos, end = self._offset, self._offset + self._length
        while pos < end:
            data = os.pread(self._fd, min(SEND_CHUNK, end - pos), pos)
            if not data:
                raise OSError(f"file shrank while it was read: {self.sent} of {self._length} bytes")
            self.md5.update(data)
            pos += len(data)
            self.sent += len(data)
            yield data

    def __len__(self):
        return self._length

    def __bool__(self):
        return True

    def close(self):
        os.close(self._fd)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class BytesBody:
    """A small body in memory that an HTTP client library can send again:
    python-swiftclient retries only bodies it can rewind (str, seek/tell, or
    reset()), and a bare bytes object it refuses to resend after a lost answer."""

    def __init__(self, data):
        self.data = data

    def __iter__(self):
        yield self.data

    def reset(self, *args, **kwargs):
        pass

    def __len__(self):
        return len(self.data)

    def __bool__(self):
        return True


class _NoDigest:
    def update(self, data):
        pass


SMALL = 1024 * 1024  # read into memory at once: a backlog of small files is bound by per-file overhead


def small_body(path, size, sha256):
    """The whole of a small file, read once, checked against the size and
    sha256 it was hashed with (a string; a Future only comes for big files)."""
    with open(path, "rb") as f:  # buffered: read() loops until EOF or size + 1 bytes
        data = f.read(size + 1)
    if len(data) != size or (isinstance(sha256, str) and hashlib.sha256(data).hexdigest() != sha256):
        raise IntegrityError(f"{path} changed after it was hashed")
    return data


def md5_of(data):
    """MD5 of bytes in memory: the small-file twin of file_md5."""
    return hashlib.md5(data)


def file_md5(path, offset=0, length=None):
    """MD5 of a byte range; what Swift's etag and S3's Content-MD5 want."""
    digest = hashlib.md5()
    with open(path, "rb", buffering=0) as f:
        f.seek(offset)
        left = os.fstat(f.fileno()).st_size - offset if length is None else length
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                break
            digest.update(data)
            left -= len(data)
    return digest
