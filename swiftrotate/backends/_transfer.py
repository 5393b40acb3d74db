"""How bytes travel between a local file and a store, for every backend.

Owns the pieces the backends share: byte-range readers that hash what they
hand out (RangeReader, RangeChunks), small bodies read once (small_body,
BytesBody), MD5s for the checksums servers verify, our integrity metadata
(integrity_metadata, parse_metadata), the check of downloaded bytes against
it (check_content), and the message for a refused TLS certificate.

Must not know any store's protocol or client library (no boto3, no
swiftclient, no HTTP), and must not hold the contract: that is base.py.
"""
import hashlib
import os

from ..errors import ConfigError, IntegrityError, TransientError

MIB = 1024 * 1024
CHUNK = MIB
# 16x fewer Python round trips than http.client's 16 KiB, while a few
# parallel segments still keep peak memory near the peers'.
SEND_CHUNK = 256 * 1024
SMALL = 1024 * 1024  # read into memory at once: a backlog of small files is bound by per-file overhead


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


def tls_refusal(exc, what, url, ca_setting, name_setting):
    """A ConfigError (78) when the server's certificate was refused somewhere
    behind `exc`, else None. No retry fixes a refused certificate: a setting
    must, so it is not a TransientError."""
    import ssl
    from urllib.parse import urlsplit

    for e in _chain(exc):
        if isinstance(e, ssl.SSLCertVerificationError):
            reason, wrong_name = (e.verify_message or str(e)).rstrip("."), e.verify_code in (62, 64)
            break
        if type(e).__name__ == "CertificateError":  # urllib3's own host name check
            reason, wrong_name = str(e), True
            break
    else:
        return None
    if wrong_name:
        hint = f"the certificate is issued for another name: use that name in {name_setting}, or reissue the certificate"
    else:
        hint = f"if the server's CA is private, set {ca_setting}"
    parts = urlsplit(url)
    return ConfigError(f"{what}: TLS certificate of {parts.scheme}://{parts.netloc} refused: {reason}", hint)


def _chain(exc):
    """`exc` and every exception behind it: requests, urllib3 and botocore
    wrap the socket's error in args, reason, kwargs or the cause."""
    todo, seen = [exc], set()
    while todo:
        e = todo.pop()
        if id(e) not in seen:
            seen.add(id(e))
            yield e
            todo += [x for x in (*e.args, getattr(e, "reason", None), *getattr(e, "kwargs", {}).values(),
                                 e.__cause__, e.__context__) if isinstance(x, BaseException)]


def unreachable(exc, what, url, url_setting):
    """The TransientError for a network failure: which endpoint, and why
    (refused, DNS, timeout, reset, TLS) in words, not the library's text."""
    import errno
    import socket
    import ssl
    from urllib.parse import urlsplit

    chain = list(_chain(exc))
    names = {type(e).__name__ for e in chain}
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        cause = "connection refused"
    elif any(isinstance(e, socket.gaierror) for e in chain):
        cause = "the host name does not resolve (DNS)"
    elif any(isinstance(e, OSError) and e.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH) for e in chain):
        cause = "no route to the host"
    elif names & {"ReadTimeoutError", "ReadTimeout"}:
        cause = "no answer within read_timeout"
    elif names & {"ConnectTimeoutError", "ConnectTimeout"} or any(isinstance(e, TimeoutError) for e in chain):
        cause = "connecting timed out (connect_timeout)"
    elif any(isinstance(e, ConnectionResetError) for e in chain) or names & {"ConnectionClosedError",
                                                                                  "RemoteDisconnected"}:
        cause = "the server closed the connection"
    elif any(isinstance(e, ssl.SSLError) for e in chain):
        cause = "TLS failed: " + next(str(e.reason or e) for e in chain if isinstance(e, ssl.SSLError))
    else:
        first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
        cause = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    parts = urlsplit(url or "")
    return TransientError(f"{what}: cannot reach {parts.scheme}://{parts.netloc}: {cause}",
                          f"check {url_setting} and that the server is up; the next run retries")


def unlink_quietly(path):
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


def small_body(path, size, sha256):
    """The whole of a small file, read once, checked against the size and
    sha256 it was hashed with (a string; a Future only comes for big files)."""
    with open(path, "rb") as f:  # buffered: read() loops until EOF or size + 1 bytes
        data = f.read(size + 1)
    if len(data) != size or (isinstance(sha256, str) and hashlib.sha256(data).hexdigest() != sha256):
        raise IntegrityError(f"{path} changed after it was hashed")
    return data


def b64(raw):
    """Base64 of a raw digest, as Content-MD5 wants it."""
    import base64

    return base64.b64encode(raw).decode("ascii")


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
