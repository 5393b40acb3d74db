"""`swiftrotate gate FILE`: logrotate's preremove hook, so that no rotated log
is deleted before a verified copy exists.

logrotate 3.21 calls preremove for every expiry (rotate N, maxage) and also
for the uncompressed original right after gzip wrote FILE.gz. A non-zero
exit keeps the file but also stops that log from rotating in that run, so a
plain veto turns an outage into a live log that grows without bound. The
default is therefore "spool and allow": hard-link the file into a spool
folder (instant, no extra space on the same filesystem), record it, and
allow the deletion; the next `upload` archives the spool first. Beyond the
spool's size cap the gate vetoes on purpose: a stalled rotation beats a
lost log.

Owns: the allow/veto decision and its deadline. Must not: print or exit.
"""
import os
import signal
import stat
import time
from contextlib import contextmanager

from .. import runs
from ..archiver import from_settings
from ..codecs import content_sha256
from ..config import check_settings, implicit_dest_warning
from ..errors import Conflict, DeadlineExceeded, SwiftrotateError, UnsafeInput
from ..localfile import open_rotated, sha256_fd
from ..naming import COMPRESS_SUFFIXES, build_key, check_template, escape
from ..outcome import GateExit
from ..spool import ALLOW, VETO, candidate_of, dateformat_for, spool
from ..state import open_ledger, state_folder
from ..under_logrotate import prepare


@contextmanager
def deadline(seconds, path):
    """Raise DeadlineExceeded in the main thread after `seconds` (0: never):
    logrotate waits for the gate, and every log after this one with it."""
    def expired(signum, frame):
        raise DeadlineExceeded(f"gate_deadline of {seconds}s reached while archiving {escape(path)}")

    if seconds <= 0:
        yield
        return
    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@runs.recorded("gate")
def run(settings, path, *, mode, log, open_backend):
    """0 (logrotate may delete `path`) or 1 (keep it), within gate_deadline."""
    with deadline(settings.get_int("gate_deadline"), path):
        return gate(settings, path, mode=mode or settings.get("gate_mode"), log=log, open_backend=open_backend)


def gate(settings, path, *, mode, log, open_backend):
    """Return 0 (logrotate may delete `path`) or 1 (keep it)."""
    prepare(settings, [path], log)  # under logrotate: its stanza's dateformat and olddir name the file
    check_settings(settings)  # a typo keeps the file (78) today, not during the next outage
    path = os.path.abspath(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return ALLOW  # nothing left to protect
    if not stat.S_ISREG(st.st_mode):
        return ALLOW  # a link or special file holds no log data of its own
    if _compressed_twin_complete(path):
        return ALLOW  # logrotate's own cleanup after gzip (notes §5)
    if settings.implicit_dest():
        # the default folder shares this disk with the log: not a copy worth deleting for
        log.error("gate: keeping %s: %s", escape(path), implicit_dest_warning(settings))
        return VETO
    dateformat, live = dateformat_for(settings, path)
    if live is None:
        # Nothing archives a name no dateformat parses, so its deletion would
        # lose it: most often the dateformat differs from logrotate's.
        log.error("gate: keeping %s: its name is not a dateext rotation for dateformat %s, so it cannot be "
                  "archived (set dateformat to logrotate's; rename numbered rotations with swiftrotate rename)",
                  escape(path), dateformat)
        return VETO
    cand = candidate_of(path, live, dateformat, settings.get("extension", live) or "")
    try:
        key = build_key(check_template(settings.get("key_template", live)), settings.get("host"), live,
                        cand.stamp, cand.ext)
    except UnsafeInput as exc:  # a name no key can hold: kept, like any file we cannot archive
        log.error("gate: keeping %s: %s", escape(path), exc.line())
        return VETO
    ledger = open_ledger(state_folder(settings))
    try:
        if _recently_verified(settings, ledger, path, st):
            return ALLOW
        try:
            with open_backend() as backend:
                # verify: allow the deletion only on what the store shows now
                from_settings(settings, backend, ledger, log, verify=True).archive(cand, key)
            return ALLOW
        except UnsafeInput as exc:  # e.g. a planted hard link: never into the spool, never archived
            log.error("gate: keeping %s: %s", escape(path), exc.line())
            return VETO
        except (SwiftrotateError, OSError) as exc:
            reason = exc.line() if isinstance(exc, SwiftrotateError) else str(exc)
            conflict = isinstance(exc, Conflict)
        if mode == "veto":
            log.error("gate: keeping %s: not archived (%s)", escape(path), reason)
            code = VETO
        else:
            code = spool(settings, ledger, path, st, reason, log)
        return GateExit.of_conflict(code) if conflict else code
    finally:
        ledger.close()


def _compressed_twin_complete(path):
    """True when path + .gz (etc.) exists and holds exactly path's bytes."""
    for suffix in COMPRESS_SUFFIXES:
        twin = path + suffix
        if os.path.isfile(twin) and not os.path.islink(twin):
            opened = []
            try:
                original = open_rotated(path)
                opened.append(original.fd)
                twin_file = open_rotated(twin)
                opened.append(twin_file.fd)
                original.sha256, _ = sha256_fd(original.fd)
                content, _ = content_sha256(twin_file, suffix)
                return content is not None and content == original.sha256
            except (SwiftrotateError, OSError):
                return False
            finally:
                for fd in opened:
                    os.close(fd)
    return False


def _recently_verified(settings, ledger, path, st):
    dest = settings.get("dest")
    unit = ledger.known_file(dest, path, st)
    if not unit:
        return False
    row = ledger.unit(dest, unit)
    max_age = settings.get_int("gate_max_age")
    # An old ledger row is re-confirmed by the archive flow (a HEAD).
    return bool(row) and time.time() - row["verified_at"] <= max_age

