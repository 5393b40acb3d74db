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
"""
import os
import shutil
import stat
import time

from . import discover
from .archive import build_key, check_template, content_sha256, open_rotated, sha256_fd
from .errors import ConfigError, SwiftrotateError, UnsafeInput
from .ledger import Ledger
from .naming import COMPRESS_SUFFIXES, escape

ALLOW, VETO = 0, 1
# Beside each spooled copy, the path it was spooled from: the ledger's spool
# rows are the first record, this one survives a ledger rebuilt from scratch.
ORIGIN = ".origin"


def gate(settings, path, *, mode, log, open_backend):
    """Return 0 (logrotate may delete `path`) or 1 (keep it)."""
    from .hook import check_settings

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
    dateformat, live = dateformat_for(settings, path)
    if live is None:
        # Nothing archives a name no dateformat parses, so its deletion would
        # lose it: most often the dateformat differs from logrotate's.
        log.error("gate: keeping %s: its name is not a dateext rotation for dateformat %s, so it cannot be "
                  "archived (set dateformat to logrotate's; rename numbered rotations with swiftrotate rename)",
                  escape(path), dateformat)
        return VETO
    cand = _candidate(path, live, dateformat)
    try:
        key = build_key(check_template(settings.get("key_template", live)), settings.get("host"), live,
                        cand.stamp, cand.ext)
    except UnsafeInput as exc:  # a name no key can hold: kept, like any file we cannot archive
        log.error("gate: keeping %s: %s", escape(path), exc.line())
        return VETO
    from .hook import state_folder

    folder = state_folder(settings)
    ledger = Ledger(os.path.join(folder, "ledger.sqlite"))
    try:
        if _recently_verified(settings, ledger, path, st):
            return ALLOW
        try:
            from .hook import make_archiver

            with open_backend() as backend:
                # verify: allow the deletion only on what the store shows now
                make_archiver(settings, backend, ledger, log, verify=True).archive(cand, key)
            return ALLOW
        except UnsafeInput as exc:  # e.g. a planted hard link: never into the spool, never archived
            log.error("gate: keeping %s: %s", escape(path), exc.line())
            return VETO
        except (SwiftrotateError, OSError) as exc:
            reason = exc.line() if isinstance(exc, SwiftrotateError) else str(exc)
        if mode == "veto":
            log.error("gate: keeping %s: not archived (%s)", escape(path), reason)
            return VETO
        return _spool(settings, ledger, path, st, reason, log)
    finally:
        ledger.close()


def _candidate(path, live, dateformat):
    from .naming import match_rotated

    stamp, ext = match_rotated(os.path.basename(path), os.path.basename(live), dateformat)
    return discover.Candidate(path, live, stamp, ext, live)


def _compressed_twin_complete(path):
    """True when path + .gz (etc.) exists and holds exactly path's bytes."""
    for suffix in COMPRESS_SUFFIXES:
        twin = path + suffix
        if os.path.isfile(twin) and not os.path.islink(twin):
            try:
                original, twin_file = open_rotated(path), open_rotated(twin)
            except (SwiftrotateError, OSError):
                return False
            try:
                original.sha256, _ = sha256_fd(original.fd)
                content, _ = content_sha256(twin_file, suffix)
                return content is not None and content == original.sha256
            finally:
                os.close(original.fd)
                os.close(twin_file.fd)
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


def spool_folder(settings):
    folder = os.path.abspath(settings.get("spool_dir"))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise ConfigError(f"cannot use spool folder {folder}: {exc.strerror}",
                          "set spool_dir to a root-owned folder on the logs' filesystem") from None
    return folder


def _spool(settings, ledger, path, st, reason, log):
    folder = spool_folder(settings)
    cap = settings.get_size("spool_cap")
    used = sum(size for _, _, size in ledger.spooled())
    if used + st.st_size > cap:
        log.error("gate: keeping %s: not archived (%s) and the spool %s is full (%d of %d bytes); "
                  "logrotate will not rotate this log until the store is back", escape(path), reason,
                  folder, used, cap)
        return VETO
    name = f"{int(time.time() * 1e6)}-{os.path.basename(path)}"
    target = os.path.join(folder, name)
    try:
        os.link(path, target, follow_symlinks=False)  # same filesystem: instant, no extra space
    except OSError:
        _copy_synced(path, target)
    if not (_write_origin(target, path) and ledger.spool_add(target, path, st.st_size)):
        for leftover in (target, target + ORIGIN):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
        log.error("gate: keeping %s: cannot record the spool entry (%s)", escape(path), reason)
        return VETO
    log.warning("gate: spooled %s as %s (%s); the next upload archives it", escape(path), escape(target), reason)
    return ALLOW


def _write_origin(target, original):
    try:
        fd = os.open(target + ORIGIN, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(os.fsencode(original))
            out.flush()
            os.fsync(out.fileno())
        return True
    except OSError:
        return False


def _unrecorded_spool(settings, recorded):
    """(spool path, original) of spooled copies the ledger has no row for
    (it was rebuilt meanwhile), from their ORIGIN files."""
    folder = os.path.abspath(settings.get("spool_dir"))
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    out = []
    for name in sorted(names):
        path = os.path.join(folder, name)
        if name.endswith(ORIGIN) or path in recorded or not os.path.isfile(path + ORIGIN):
            continue
        try:
            with open(path + ORIGIN, "rb") as f:
                out.append((path, os.fsdecode(f.read())))
        except OSError:
            continue
    return out


def _copy_synced(path, target):
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
        shutil.copyfileobj(src, out, 1024 * 1024)
        out.flush()
        os.fsync(out.fileno())


def spool_candidates(settings, ledger, report=None):
    """(candidate, key) for each spooled file, archived under its original
    name. An entry that no longer parses stays spooled and is reported."""
    from .archive import Outcome

    out = []
    rows = [(spool_path, original) for spool_path, original, _ in ledger.spooled()]
    for spool_path, original in rows + _unrecorded_spool(settings, {row[0] for row in rows}):
        if not os.path.exists(spool_path):
            ledger.spool_remove(spool_path)
            continue
        try:
            dateformat, live = dateformat_for(settings, original)
            if live is None:
                raise ConfigError(f"spooled {escape(spool_path)} ({escape(original)}) does not match the "
                                  "dateformat any more", "set the dateformat it was rotated with")
            cand = _candidate(original, live, dateformat)
            cand = discover.Candidate(spool_path, live, cand.stamp, cand.ext, live)
            key = build_key(check_template(settings.get("key_template", live)), settings.get("host"), live,
                            cand.stamp, cand.ext)
        except SwiftrotateError as exc:
            if report is not None:
                report.outcomes.append(Outcome(spool_path, "", "failed", error=exc))
            continue
        out.append((cand, key))
    return out


def dateformat_for(settings, path):
    """(dateformat, live log) of a rotated file: [log GLOB] sections are keyed
    by the live log, which is known only once a section's format parses."""
    import fnmatch

    def outside_olddir(live, olddir):
        """A file in the log's olddir belongs to the log in the folder above;
        where an absolute olddir does not say which folder: as named."""
        return live and (discover.live_outside_olddir(live, olddir) or live)

    for glob in settings.log_sections():
        fmt = settings.dateformat(glob)
        live = outside_olddir(discover.live_of(path, fmt), settings.get("olddir", glob))
        if live and fnmatch.fnmatchcase(live, glob):
            return fmt, live
    fmt = settings.dateformat()
    return fmt, outside_olddir(discover.live_of(path, fmt), settings.get("olddir"))
