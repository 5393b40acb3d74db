"""The backend contract: the verbs every store implements, and what it declares.

A backend stores whole files under string keys, each with user metadata that
carries our own `sha256` and `size`. Integrity is judged by those two values,
never by an ETag: multipart and segmented ETags are not MD5s of the content.

Errors (swiftrotate.errors): NotFound, AuthError, TransientError (network,
timeouts, 5xx after the backend's own retries), IntegrityError (the server
rejected our checksum, or downloaded bytes do not match), BackendError.

Owns ObjectInfo, Capabilities and the abstract Backend, nothing else: the
helpers that move bytes live in _transfer.py, the stores in local.py,
swift.py and s3.py. Must not import a client library or a store module.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from ..errors import ConfigError


# What check_container()'s NotFound suggests, on every store.
MISSING_HINT = "check --dest (or dest in the config): nothing was ever archived there"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str = None  # from our metadata; None means unknown
    metadata: dict = field(default_factory=dict)  # lower-case names, no prefix
    etag: str = None  # opaque server value, for reports only
    mtime: float = None

    @property
    def is_folder(self):
        """A folder list_level() shows (its key ends in '/'); no object key does."""
        return self.key.endswith("/")


@dataclass(frozen=True)
class Capabilities:
    """What a store can do, declared by each Backend class (never guessed
    from its scheme). Callers and the contract tests read these."""

    # put(exclusive=True) refuses a key taken meanwhile, atomically
    # (Conflict): Swift's If-None-Match: *. Without it, only the stat() first.
    exclusive_create: bool = False
    # put(expire_after=N) makes the store itself delete the object, and every
    # segment of it, N seconds later (Swift X-Delete-After).
    object_expiry: bool = False
    # put(expire_after=N) tags the object for a bucket lifecycle rule that
    # deletes it (S3); ensure_expiry() tags an object already stored.
    expiry_by_tag: bool = False
    # lifecycle_rules() and set_lifecycle_rules() read and replace the
    # bucket's rules (`swiftrotate lifecycle` installs the tag rules with them).
    lifecycle_rules: bool = False
    # An interrupted put can leave parts besides the object (Swift SLO
    # segments, open S3 multipart uploads): needs_cleanup() tells when, and
    # clear_leftovers() removes them.
    leftover_parts: bool = False
    # The server verifies a checksum sent with each body (Swift's MD5 ETag,
    # S3's Content-MD5 or CRC) and refuses a mismatch; without it the backend
    # checks our sha256 itself while it writes.
    server_checksum: bool = False
    # list_level(reverse=True) costs what a forward one does: the server
    # lists from the end (Swift's reverse=on), or a folder is read whole
    # anyway. Without it the level is listed forward, whole, and turned around.
    reverse_listing: bool = False


class Backend(ABC):
    """One store. Use as a context manager, or call close()."""

    scheme = ""
    capabilities = Capabilities()
    # The constructor option that lets the store create its container
    # (create_container, create_bucket, create). get_backend(create=False)
    # turns it off: reading commands (ls, fetch) never create what they read.
    create_option = ""

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
        it can do so atomically (capabilities.exclusive_create). Stores that
        cannot ignore it, which is why the check first stays.
        Raises IntegrityError if the server rejects our checksum or the file
        changed size while being read. `expire_after` (seconds) asks the
        store to delete the object, and every segment of it, after that long
        (capabilities.expiry); a store that cannot raises ConfigError.
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
        run can leave behind (segments, multipart uploads)? Never True
        without capabilities.leftover_parts."""
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

        Callers must verify what they read (check_content); fetch does.
        """

    @abstractmethod
    def list(self, prefix="", start_after=None, end_before=None):
        """Objects whose key starts with `prefix`, sorted by key.

        Only keys > start_after and < end_before are listed, and the backend
        asks its server for just that range (marker/end_marker, StartAfter),
        so a date range costs requests in proportion to the range. Paging is
        internal. Listed entries carry key and size; sha256 may be None.
        """

    def check_container(self) -> None:
        """Raise NotFound naming the container, bucket or folder this store
        is in when it does not exist ("Swift container X does not exist").
        list() cannot tell: it lists a missing container as empty, like an
        empty one. One request (a HEAD); never creates anything. Readers ask
        it when a listing comes back empty. Default: nothing (cannot tell)."""

    def list_dirs(self, prefix=""):
        """Names of the immediate 'folders' under prefix (delimiter '/')."""
        seen = set()
        for info in self.list(prefix):
            head = info.key[len(prefix):].split("/", 1)[0]
            if head not in seen and "/" in info.key[len(prefix):]:
                seen.add(head)
                yield head

    def list_level(self, prefix="", start_after=None, end_before=None, *, reverse=False,
                   limit=None):
        """One folder level under `prefix`, as a delimiter '/' listing shows
        it: the objects whose key has no '/' after the prefix, and one entry
        per sub-folder, whose key ends in '/' (ObjectInfo.is_folder, size 0).
        Sorted by key, descending with `reverse`; only keys > start_after and
        < end_before (a folder's own key counts: start_after equal to a
        folder skips all of it). At most `limit` entries, and the server is
        asked for no more than that: with limit=1 one request (reverse too,
        where capabilities.reverse_listing). This default lists the subtree.
        """
        entries, folders = [], set()
        for info in self.list(prefix):
            rest = info.key[len(prefix):]
            if "/" in rest:
                folder = prefix + rest.split("/", 1)[0] + "/"
                if folder not in folders:
                    folders.add(folder)
                    entries.append(ObjectInfo(folder, 0))
            else:
                entries.append(info)
        entries = [e for e in sorted(entries, key=lambda e: e.key, reverse=reverse)
                   if (start_after is None or e.key > start_after) and (end_before is None or e.key < end_before)]
        yield from entries[:limit]

    @abstractmethod
    def delete(self, key) -> None:
        """Remove `key` (and its segments). Raises NotFound."""

    def prepare(self):
        """Connect or authenticate before parallel work (optional)."""

    def ensure_expiry(self, key, expire_after):
        """Give an object already in the store the expiry a put with
        `expire_after` would have given it, where that can be added later
        (capabilities.expiry_by_tag). Default: nothing (Swift could only by
        replacing the object's metadata, our sha256 included)."""

    def lifecycle_rules(self) -> list:
        """The bucket's lifecycle rules, [] when it has none
        (capabilities.lifecycle_rules; others raise ConfigError)."""
        raise ConfigError(f"{self.scheme}:// stores have no lifecycle rules")

    def set_lifecycle_rules(self, rules) -> None:
        """Replace the bucket's whole lifecycle configuration with `rules`
        (capabilities.lifecycle_rules; others raise ConfigError)."""
        raise ConfigError(f"{self.scheme}:// stores have no lifecycle rules")

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
