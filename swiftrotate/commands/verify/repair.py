"""verify --repair: archive a finding's local copy again, through the
Archiver, when that copy still holds what the ledger recorded.

A local file qualifies when its bytes are the archive's (same sha256), or,
where the ledger knows the archive's uncompressed content, when its
content is that (X for our X.gz, logrotate's own X.gz for ours). Then:
  - missing: the Archiver uploads it (the key is free);
  - broken (a Swift large object with a segment gone): with the same bytes
    the Archiver puts the segments back; with the same content only, the
    broken object is deleted and the copy uploaded;
  - differ, found by reading the bytes (the store's metadata is the
    ledger's, its bytes are not): the rotten object is deleted and the copy
    uploaded. Neither deletion loses anything: the object cannot be read
    whole, and the copy was just checked;
  - differ, seen by a HEAD (another object, with metadata of its own, sits
    at the key): never deleted; the Archiver refuses to overwrite it
    (unless it turns out to hold the same content).

Owns: choosing the local copy and the form to re-create. Must not: print,
or upload by any path but the Archiver.
"""
import os

from ...archiver import from_settings
from ...codecs import content_sha256
from ...errors import IntegrityError, NotFound, SwiftrotateError
from ...localfile import hash_pinned, open_rotated
from ...naming import escape, split_compression, unit_id
from ...spool import candidate_of, dateformat_for
from .check import BROKEN, DIFFER, check

# The forms the Archiver can make from a plain file (upload --compress).
METHODS = {".gz": "gzip", ".zst": "zstd"}


class CannotRepair(IntegrityError):
    """No local copy holds what the ledger recorded, or the store refuses."""


def local_copy(settings, row, paths):
    """(candidate, key to archive it as, compress method, same bytes?) for
    the first recorded local file that holds the archive; CannotRepair
    naming why each one does not."""
    reasons = []
    for path in paths:
        if not os.path.lexists(path):
            reasons.append(f"{escape(path)} is gone")
            continue
        dateformat, live = dateformat_for(settings, path)
        if live is None:
            reasons.append(f"{escape(path)} no longer matches the dateformat {dateformat}")
            continue
        cand = candidate_of(path, live, dateformat, settings.get("extension", live) or "")
        try:
            form = _matching_form(cand, row)
        except (SwiftrotateError, OSError) as exc:
            reasons.append(exc.line() if isinstance(exc, SwiftrotateError) else f"{escape(path)}: {exc}")
            continue
        if isinstance(form, tuple):
            return (cand, *form)
        reasons.append(f"{escape(path)} has changed since it was archived ({form})")
    raise CannotRepair("; ".join(reasons) if reasons else "no local copy is recorded for it",
                       "if a copy exists elsewhere, put it back under its old name and rerun with --repair")


def _matching_form(cand, row):
    """(key, method, same bytes?) to archive `cand` as; else a str saying how it differs."""
    local = open_rotated(cand.path)
    try:
        sha256 = hash_pinned(local)
        if (local.st.st_size, sha256) == (row["size"], row["sha256"]):
            return row["key"], None, True
        content = content_sha256(local, cand.ext)[0] if row["content_sha256"] else None
        if content is None or content != row["content_sha256"]:
            return (f"{local.st.st_size} bytes, sha256 {sha256[:12]}...; the archive: {row['size']} bytes, "
                    f"{row['sha256'][:12]}...")
    finally:
        os.close(local.fd)
    unit = unit_id(row["key"])
    _, stored_ext = split_compression(row["key"])
    if not cand.ext and stored_ext in METHODS:  # compressed on the way: compress it again
        return unit, METHODS[stored_ext], False
    return unit + cand.ext, None, False


def repair(settings, backend, ledger, found, row, log):
    """Repair one Finding from its local copy; returns what was done, or
    raises (CannotRepair or the store's error)."""
    cand, key, method, same_bytes = local_copy(settings, row, found.paths)
    if (found.category == DIFFER and found.read) or (found.category == BROKEN and not same_bytes):
        try:
            backend.delete(found.key)
        except NotFound:
            pass
        log.info("deleted %s: %s; archiving %s again", escape(found.key), found.detail, escape(cand.path))
    archiver = from_settings(settings, backend, ledger, log, verify=True, compress=lambda c: method)
    outcome = archiver.archive(cand, key)
    _confirm(backend, ledger, found, archiver.dest)
    if outcome.status not in ("uploaded", "present"):  # twin: another form of it was there, and is now recorded
        return f"{escape(outcome.key)} holds it ({outcome.status}) from {escape(cand.path)}"
    verb = {"uploaded": "uploaded again", "present": "parts put back" if found.category == BROKEN
            else "whole again in the store"}[outcome.status]
    return f"{verb} from {escape(cand.path)}" + (f" as {escape(outcome.key)}" if outcome.key != found.key else "")


def _confirm(backend, ledger, found, dest):
    """Check the repaired archive as it was found: a HEAD, and where the
    bytes were the problem, a read in full. "Repaired" is never a guess."""
    row = ledger.unit(dest, found.unit)
    if row is None:  # the ledger could not record it (a warning says why): the Archiver's HEAD stands
        return
    outcome = check(backend, row, found.read)
    if outcome is not None:
        raise CannotRepair(f"archived again, but still {outcome[0]}: {outcome[1]}")
