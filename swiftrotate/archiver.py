"""Archive one rotated file: hash, check the store, upload, verify, record.

A file counts as archived only when the store's verify() of its key shows
our size and our sha256 metadata, either after our own upload or because
the same bytes were already there. A different object at the key is never
overwritten. X and X.gz are one unit: whichever form is archived first is
kept, and the other form is recognised by its uncompressed content.

Owns: the decision per file (upload, present, twin, conflict) and the
ledger rows it proves. Must not: find files, parse settings beyond
from_settings(), or print.
"""
import functools
import os
import threading
from dataclasses import dataclass
from typing import Optional
from urllib.parse import quote

from . import __version__
from .backends.base import check_content
from .codecs import COMPRESSORS, compress_to_temp, content_sha256
from .discover import Candidate
from .errors import Conflict, Incomplete, IntegrityError, NotFound, SwiftrotateError, TransientError
from .localfile import CHUNK, LocalFile, hash_in_background, hash_pinned, open_rotated, sha256_of, written
from .naming import COMPRESS_SUFFIXES, escape, split_compression, unit_id

BACKGROUND_HASH_MIN = 16 * CHUNK


@dataclass
class Outcome:
    path: str
    key: str = ""
    status: str = ""  # uploaded, present, known, twin, would-upload, failed
    size: int = 0
    error: Optional[SwiftrotateError] = None
    removed: bool = False


def _log_prefix(unit, stamp):
    """The key prefix all of one log's archives share: the unit without its stamp."""
    return unit[: len(unit) - len(stamp)] if stamp and unit.endswith(stamp) else unit


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
                    hash_pinned(local)
                    outcome.key = key + COMPRESSORS[method]
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
            hash_pinned(local)
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
            hash_pinned(local)
            return self._upload(cand, local, key, unit), (key, local.st.st_size, local.sha256)
        status = self._upload(cand, local, key, unit, sha256=hash_in_background(local))
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
            hash_pinned(local)
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
        packed = compress_to_temp(local, COMPRESSORS[method], os.path.dirname(os.path.abspath(self.ledger.path)))
        try:
            comp = Candidate(cand.path, cand.live, cand.stamp, COMPRESSORS[method], cand.pattern)
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
                if (twin.st.st_size, hash_pinned(twin)) == (size, sha256):
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

        info, chunks = self.backend.open_read(key)
        fd = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=".swiftrotate-", suffix=ext,
                                       dir=os.path.dirname(os.path.abspath(self.ledger.path)))
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

    def _upload(self, cand, local, key, unit, origin=None, sha256=None):
        """Upload `local`; `origin` is the rotated file it was compressed from.
        `sha256` may be a Future still hashing `local`."""
        origin = origin or local
        size = local.st.st_size
        # Before the first byte: a killed run's segments or multipart upload
        # are then found and cleared by the next run (clear_leftovers).
        parts = self.backend.needs_cleanup(size)
        if parts:
            self.ledger.intent_add(self.dest, key)
        taken = self._put(cand, local, key, unit, origin, sha256)
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

    def _put(self, cand, local, key, unit, origin, sha256):
        """The PUT itself. Returns True when the key was taken meanwhile by
        the same bytes (not ours to drop), False for our own object."""
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
        try:
            self.backend.put(key, local.io_path, size=size, sha256=sha256 or local.sha256, metadata=meta,
                             expire_after=self.expire_after(cand), exclusive=True)
            return False
        except Conflict:  # the key was taken since we listed it (Swift refused to overwrite)
            if sha256 is not None:
                local.sha256 = sha256.result()
            info = self._confirm(key, local)
            if (info.size, info.sha256) != (size, local.sha256):
                raise Conflict(f"{escape(cand.path)} (sha256 {local.sha256[:12]}..., {size} bytes) differs from "
                               f"{escape(key)} (sha256 {(info.sha256 or '?')[:12]}..., {info.size} bytes), which "
                               "appeared in the store while we uploaded; not overwriting",
                               "compare the two; move one aside if both must be kept") from None
            return True  # the same bytes: recorded like our own upload
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


def from_settings(settings, backend, ledger, log, remove=False, verify=False):
    """The one Archiver setup, shared by upload and the gate: per-log
    settings are looked up once per live log, not per file (a backlog has
    thousands of files of one log)."""

    @functools.lru_cache(maxsize=None)
    def expire_seconds(live):
        days = settings.get_int("expire_after", live)
        return days * 86400 if days > 0 else None

    @functools.lru_cache(maxsize=None)
    def compress_method(live):  # a bad value never gets here: check_settings ran first
        return settings.get("compress", live) or None

    return Archiver(backend, ledger, settings.get("dest"), settings.get("host"), log, remove=remove,
                    expire_after=lambda cand: expire_seconds(cand.pattern),
                    compress=lambda cand: compress_method(cand.pattern), verify=verify)
