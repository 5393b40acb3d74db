"""file:///DIR: a local or NFS folder as a store.

Each object is a plain file at DIR/KEY with its metadata in DIR/KEY.srmeta
(JSON). Writes go to a hidden temp file, are fsynced and renamed, so a
reader never sees half an object; temp files and sidecars are never listed.
A folder cannot expire objects, refuse a key atomically, or check a
checksum itself: put() verifies our sha256 while it copies.

Owns the folder layout (sidecars, temp names); must not import a client
library, and leaves what moves bytes between stores to _transfer.py.
"""
import errno
import json
import logging
import os
import tempfile
import time

from ..errors import AuthError, BackendError, ConfigError, IntegrityError, NotFound
from ..localfile import sha256_of, written
from ..naming import validate_key
from ._transfer import CHUNK, integrity_metadata, resolve, unlink_quietly
from .base import MISSING_HINT, Backend, Capabilities, ObjectInfo

log = logging.getLogger("swiftrotate")

META_SUFFIX = ".srmeta"
TMP_PREFIX = ".srtmp-"
STALE_TEMP_SECONDS = 86400  # a put's temp file this old belongs to a killed run


class LocalBackend(Backend):
    scheme = "file"
    capabilities = Capabilities(reverse_listing=True)  # a folder is read whole either way
    create_option = "create"

    def __init__(self, root, create=True, list_page_size=None):
        # list_page_size: a folder lists in one go; accepted so that the same
        # options work for every store (fleet reads it as the page it takes whole).
        if not root or not os.path.isabs(root):
            raise ConfigError(f"file:// store needs an absolute folder, got {root!r}",
                              "write it as file:///var/backups/logs")
        self.root = os.path.realpath(root)
        self.list_page_size = int(list_page_size) if list_page_size else None
        self._cleared = set()  # folders whose stale temp files are gone (once per run)
        if not os.path.isdir(self.root):
            if not create:
                self.check_container()
            try:
                os.makedirs(self.root, mode=0o750, exist_ok=True)
            except OSError as exc:
                raise _translate(exc, self.root) from exc
            log.warning("created store folder %s (set create = no in [file] to refuse instead)", self.root)

    def check_container(self):
        if not os.path.isdir(self.root):
            raise NotFound(f"store folder {self.root} does not exist", MISSING_HINT)

    def _path(self, key):
        validate_key(key)
        if key.endswith(META_SUFFIX) or any(p.startswith(TMP_PREFIX) for p in key.split("/")):
            raise ValueError(f"key {key!r} uses a name reserved by the file:// store")
        return os.path.join(self.root, *key.split("/"))

    def put(self, key, path, *, size, sha256, metadata=None, expire_after=None, exclusive=False):
        if expire_after:
            raise ConfigError("file:// stores cannot expire objects by themselves",
                              "drop expire_after for this store, or use a Swift or S3 store")
        sha256 = resolve(sha256)
        dest = self._path(key)
        meta = integrity_metadata(size, sha256, metadata)
        try:
            os.makedirs(os.path.dirname(dest), mode=0o750, exist_ok=True)
            tmp_data = self._copy_verified(path, dest, size, sha256)
            try:
                tmp_meta = _write_temp(os.path.dirname(dest), json.dumps(meta).encode())
                # Sidecar first: the object exists once its data file does,
                # and by then its metadata is already in place.
                os.rename(tmp_meta, dest + META_SUFFIX)
                os.rename(tmp_data, dest)
            except BaseException:
                unlink_quietly(tmp_data)
                raise
            _fsync_dir(os.path.dirname(dest))
        except OSError as exc:
            raise _translate(exc, dest) from exc
        self._clear_stale_temps(os.path.dirname(dest))
        return ObjectInfo(key, size, sha256, meta, etag=None, mtime=os.path.getmtime(dest))

    def _clear_stale_temps(self, folder):
        """Temp files a killed put left in `folder` (never listed, but they
        take space): removed once per folder and run, when a day old, so a
        put still under way elsewhere is never touched."""
        if folder in self._cleared:
            return
        self._cleared.add(folder)
        try:
            names = [n for n in os.listdir(folder) if n.startswith(TMP_PREFIX)]
        except OSError:
            return
        for name in names:
            path = os.path.join(folder, name)
            try:
                if time.time() - os.lstat(path).st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(path)
            except OSError:
                pass

    def _copy_verified(self, path, dest, size, sha256):
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=os.path.dirname(dest))
        try:
            with open(path, "rb", buffering=0) as src, os.fdopen(fd, "wb") as out:
                copied_sha256, copied = sha256_of(written(iter(lambda: src.read(CHUNK), b""), out.write))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o640)
            if copied != size or copied_sha256 != sha256:
                raise IntegrityError(f"{path} changed while being stored: "
                                     f"{copied} bytes read, {size} expected, or sha256 differs")
        except BaseException:
            unlink_quietly(tmp)
            raise
        return tmp

    def stat(self, key):
        dest = self._path(key)
        try:
            st = os.stat(dest)
        except FileNotFoundError:
            raise NotFound(f"no object {key}") from None
        except OSError as exc:
            raise _translate(exc, dest) from exc
        try:
            with open(dest + META_SUFFIX, "rb") as f:
                meta = json.load(f)
        except (OSError, ValueError):
            meta = {}
        return ObjectInfo(key, st.st_size, meta.get("sha256"), meta, mtime=st.st_mtime)

    def open_read(self, key):
        info = self.stat(key)
        dest = self._path(key)

        def chunks():
            with open(dest, "rb", buffering=0) as f:
                while True:
                    data = f.read(CHUNK)
                    if not data:
                        return
                    yield data

        return info, chunks()

    def list(self, prefix="", start_after=None, end_before=None):
        # Keys sort as whole strings ('a-c' < 'a/b'), which a folder walk does
        # not give, so collect the subtree under the prefix's folder, then sort.
        top = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        base = os.path.join(self.root, *top.split("/")) if top else self.root
        keys = []
        for folder, dirs, files in os.walk(base):
            dirs[:] = [d for d in dirs if not d.startswith(TMP_PREFIX)]
            rel = os.path.relpath(folder, self.root)
            rel = "" if rel == "." else rel.replace(os.sep, "/") + "/"
            for name in files:
                key = rel + name
                if (name.startswith(TMP_PREFIX) or name.endswith(META_SUFFIX)
                        or not key.startswith(prefix)
                        or (start_after is not None and key <= start_after)
                        or (end_before is not None and key >= end_before)):
                    continue
                keys.append(key)
        for key in sorted(keys):
            try:
                st = os.stat(os.path.join(self.root, *key.split("/")))
            except FileNotFoundError:
                continue
            yield ObjectInfo(key, st.st_size, mtime=st.st_mtime)

    def list_level(self, prefix="", start_after=None, end_before=None, *, reverse=False, limit=None):
        # One folder read: the level is whole in memory either way, so reversed costs the same.
        top, _, start = prefix.rpartition("/")
        top = top + "/" if top else ""
        try:
            found = list(os.scandir(os.path.join(self.root, *top.split("/"))))
        except (FileNotFoundError, NotADirectoryError):
            return
        entries = []
        for item in found:
            if not item.name.startswith(start) or item.name.startswith(TMP_PREFIX) or item.name.endswith(META_SUFFIX):
                continue
            key = top + item.name + ("/" if item.is_dir() else "")
            if (start_after is None or key > start_after) and (end_before is None or key < end_before):
                entries.append(key)
        for key in sorted(entries, reverse=reverse)[:limit]:
            try:
                size = 0 if key.endswith("/") else os.stat(os.path.join(self.root, *key.split("/"))).st_size
            except FileNotFoundError:  # deleted meanwhile
                continue
            yield ObjectInfo(key, size)

    def delete(self, key):
        dest = self._path(key)
        try:
            os.unlink(dest)
        except FileNotFoundError:
            raise NotFound(f"no object {key}") from None
        except OSError as exc:
            raise _translate(exc, dest) from exc
        unlink_quietly(dest + META_SUFFIX)


def _write_temp(folder, data):
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, dir=folder)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o640)
    return tmp


def _fsync_dir(folder):
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _translate(exc, path):
    if exc.errno in (errno.EACCES, errno.EPERM):
        return AuthError(f"permission denied on {path}")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return BackendError(f"store folder is full: {path}")
    return BackendError(f"{path}: {exc.strerror}")


def from_url(netloc, path, options):
    """file:///DIR (or file://localhost/DIR) plus [file] options."""
    if netloc not in ("", "localhost"):
        raise ConfigError(f"file:// URL {'file://' + netloc + path!r} names a host", "write file:///ABSOLUTE/DIR")
    return LocalBackend(path, **options)
