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
from .codecs import COMPRESSORS, compress_to_temp, content_sha256
from .discover import Candidate
from .download import downloaded_content
from .errors import Conflict, Incomplete, IntegrityError, NotFound, SwiftrotateError, TransientError
from .listing import Listing
from .localfile import CHUNK, hash_in_background, hash_pinned, open_rotated
from .naming import escape, split_compression, unit_id
from .outcome import Outcome

BACKGROUND_HASH_MIN = 16 * CHUNK


@dataclass(frozen=True)
class StoredForm:
    """One archived form of a unit (X or X.gz): its key, size and sha256, and
    the sha256 of what it holds uncompressed (None: not known yet)."""

    key: str
    size: int
    sha256: str
    content: Optional[str] = None

    @classmethod
    def of_row(cls, row):
        return cls(row["key"], row["size"], row["sha256"], row["content_sha256"])


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
        self.listing = Listing(backend)
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
        key, size, sha = stored.key, stored.size, stored.sha256
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

    def _work_folder(self):
        """Where temp files go: the state folder, ours and on a local disk."""
        return os.path.dirname(os.path.abspath(self.ledger.path))

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
            stored = StoredForm.of_row(row)
            return self._against(cand, local, key, unit, stored, confirmed=self.verify), stored
        found = self._stored_form(unit, prefer=key, stamp=stamp, local=local)
        if found:
            return self._against(cand, local, key, unit, found), found
        # A new unit: hash while uploading. Swift needs the sha256 only for
        # the manifest, which goes last, so a big file is read by the hash and
        # by the upload at the same time instead of one after the other.
        if local.st.st_size < BACKGROUND_HASH_MIN:  # small: a thread would cost more than it saves
            hash_pinned(local)
            return self._upload(cand, local, key, unit), StoredForm(key, local.st.st_size, local.sha256)
        status = self._upload(cand, local, key, unit, sha256=hash_in_background(local))
        return status, StoredForm(key, local.st.st_size, local.sha256)

    def _stored_form(self, unit, prefer, stamp=None, local=None):
        """The StoredForm of the unit's object in the store, preferring the
        key `prefer`; None if absent.
        The object must be whole (verify); a broken one is repaired from
        `local` (hashed here) when that holds the same bytes."""
        forms = self.listing.forms(unit, stamp)
        if not forms:
            return None
        other = prefer if prefer in forms else forms[0]
        if local is not None:
            hash_pinned(local)
        info = self._confirm(other, local if other == prefer else None)
        content = info.sha256 if unit_id(other) == other else info.metadata.get("uncompressed-sha256")
        return StoredForm(other, info.size, info.sha256, content)

    def _decide_compressed(self, cand, local, key, unit, method):
        """--compress: the unit is identified by the uncompressed sha256."""
        row = self._ledger_row(unit)
        found = StoredForm.of_row(row) if row else self._stored_form(unit, prefer=key)
        if found:
            if found.content != local.sha256:
                raise Conflict(f"{escape(cand.path)} differs from the archived {escape(found.key)}; "
                               "not overwriting", "compare the two")
            self.ledger.record(self.dest, unit, key=found.key, size=found.size, sha256=found.sha256,
                               content_sha256=found.content, content_size=local.st.st_size, path=cand.path,
                               st=local.st)
            return "present", found
        packed = compress_to_temp(local, COMPRESSORS[method], self._work_folder())
        try:
            comp = Candidate(cand.path, cand.live, cand.stamp, COMPRESSORS[method])
            status = self._upload(comp, packed, key, unit, origin=local)
        finally:
            os.close(packed.fd)
        return status, StoredForm(key, packed.st.st_size, packed.sha256)

    def _against(self, cand, local, key, unit, stored, confirmed=True):
        """Compare the local file with what the store (or, unconfirmed, the
        ledger) holds. Only a store answer refreshes the unit's verified_at."""
        size = local.st.st_size
        if (stored.key, stored.size, stored.sha256) == (key, size, local.sha256):
            if confirmed:
                seconds = self.expire_after(cand)
                if seconds:  # e.g. archived before expiry was set
                    self.backend.ensure_expiry(key, seconds)
                self.ledger.record(self.dest, unit, key=key, size=size, sha256=local.sha256,
                                   content_sha256=local.sha256 if not cand.ext else stored.content, content_size=None,
                                   path=cand.path, st=local.st)
            else:
                self.ledger.record_file(self.dest, unit, cand.path, local.st)
            return "present"
        if stored.key == key and not cand.ext:
            raise Conflict(f"{escape(cand.path)} (sha256 {local.sha256[:12]}..., {size} bytes) differs from "
                           f"the archived {escape(stored.key)} (sha256 {(stored.sha256 or '?')[:12]}..., "
                           f"{stored.size} bytes); not overwriting",
                           "compare the two; move one aside if both must be kept")
        # Two forms of one rotation (X and X.gz, our .gz and logrotate's, or a
        # .gz compressed again with another header): the same unit when the
        # uncompressed content is the same, whichever form went first.
        content, _ = content_sha256(local, cand.ext)
        stored_content = stored.content
        if stored_content is None and content is not None:
            stored_content = self._content_of(cand, stored, unit)
        if content is not None and content == stored_content:
            self.ledger.record_file(self.dest, unit, cand.path, local.st)
            return "twin"
        raise Conflict(f"{escape(cand.path)} and the archived {escape(stored.key)} are two forms of one "
                       "rotation but their content differs; not overwriting",
                       "the log was probably written to after it was archived; compare the two")

    def _content_of(self, cand, stored, unit):
        """The uncompressed sha256 of a StoredForm: a plain object's own; for a
        compressed one, from a local file with its exact bytes, else from a
        verified download. Kept in the ledger."""
        _, ext = split_compression(stored.key)
        if not ext:
            return stored.sha256
        content = None
        sibling = cand.path[: len(cand.path) - len(cand.ext)] + ext
        try:
            twin = open_rotated(sibling)
        except (SwiftrotateError, OSError):
            twin = None
        if twin is not None:
            try:
                if (twin.st.st_size, hash_pinned(twin)) == (stored.size, stored.sha256):
                    content, _ = content_sha256(twin, ext)
            except SwiftrotateError:
                pass
            finally:
                os.close(twin.fd)
        if content is None:
            content = downloaded_content(self.backend, stored.key, ext, self._work_folder())
        if content is not None:
            self.ledger.set_content(self.dest, unit, stored.key, content)
        return content

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
        if origin is not local:  # compressed on the way: what it holds is the rotated file
            content, content_size = origin.sha256, origin.st.st_size
        elif not cand.ext:
            content, content_size = local.sha256, size
        else:
            content = content_size = None
        self.ledger.record(self.dest, unit, key=key, size=size, sha256=local.sha256, content_sha256=content,
                           content_size=content_size, path=cand.path, st=origin.st)
        self.listing.add(key, cand.stamp)
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
            self.listing.forget(unit)
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
            self.listing.forget(unit)
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


def from_settings(settings, backend, ledger, log, remove=False, verify=False, compress=None):
    """The one Archiver setup, shared by upload, the gate and verify --repair:
    per-log settings are looked up once per live log, not per file (a backlog
    has thousands of files of one log). `compress` (cand -> None, "gzip" or
    "zstd") replaces the compress setting: a repair re-creates the form the
    ledger holds, whatever the setting says today."""

    @functools.lru_cache(maxsize=None)
    def expire_seconds(live):
        days = settings.get_int("expire_after", live)
        return days * 86400 if days > 0 else None

    @functools.lru_cache(maxsize=None)
    def compress_method(live):  # a bad value never gets here: check_settings ran first
        return settings.get("compress", live) or None

    return Archiver(backend, ledger, settings.get("dest"), settings.get("host"), log, remove=remove,
                    expire_after=lambda cand: expire_seconds(cand.live),
                    compress=compress or (lambda cand: compress_method(cand.live)), verify=verify)
