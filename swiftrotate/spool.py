"""The spool: rotated files the gate let logrotate delete before they were
archived, kept as hard links (or synced copies) until the next upload
archives them.

Owns: the spool folder, its ledger rows and the ORIGIN files beside each
copy (they survive a ledger rebuilt from scratch), and mapping a spooled
copy back to its log and key. Must not: upload anything itself.
"""
import os
import time

from . import discover
from .discover import dateformat_for  # noqa: F401  (here first; gate and repair import it from here)
from .errors import ConfigError, ExitCode, SwiftrotateError
from .naming import build_key, check_template, escape, match_rotated
from .outcome import Outcome

# Beside each spooled copy, the path it was spooled from, then NUL, its live log, NUL, its
# dateformat, and NUL, its logrotate extension when it has one: the ledger's spool rows are the
# first record of the path, this one survives a ledger rebuilt from scratch. The live log,
# dateformat and extension are the gate's, which knew them from its logrotate stanza: the run
# that drains the spool (another stanza's hook, the cron catch-up) may not, and would archive
# the copy under another key, or not find its stamp. (An older ORIGIN holds the path only.)
ORIGIN = ".origin"
ALLOW, VETO = ExitCode.OK, ExitCode.VETO


def candidate_of(path, live, dateformat, extension=""):
    stamp, ext = match_rotated(os.path.basename(path), os.path.basename(live), dateformat, extension)
    return discover.Candidate(path, live, stamp, ext)


def spool_folder(settings):
    folder = os.path.abspath(settings.get("spool_dir"))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise ConfigError(f"cannot use spool folder {folder}: {exc.strerror}",
                          "set spool_dir to a root-owned folder on the logs' filesystem") from None
    return folder


def spool(settings, ledger, path, st, reason, log):
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
    dateformat, live = dateformat_for(settings, path)
    extension = settings.get("extension", live) or "" if live else ""
    if not (_write_origin(target, path, live, dateformat, extension) and ledger.spool_add(target, path, st.st_size)):
        for leftover in (target, target + ORIGIN):
            try:
                os.unlink(leftover)
            except FileNotFoundError:
                pass
        log.error("gate: keeping %s: cannot record the spool entry (%s)", escape(path), reason)
        return VETO
    log.warning("gate: spooled %s as %s (%s); the next upload archives it", escape(path), escape(target), reason)
    return ALLOW


def _write_origin(target, original, live, dateformat, extension=""):
    try:
        fd = os.open(target + ORIGIN, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(b"\0".join(os.fsencode(x) for x in [original] + ([live, dateformat] if live else [])
                                + ([extension] if live and extension else [])))
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
        origin = _read_origin(path)
        if origin is not None:
            out.append((path, origin[0]))
    return out


def _read_origin(spool_path):
    """(original path, live log or None, dateformat or None, extension) from the ORIGIN file; None
    when unreadable."""
    try:
        with open(spool_path + ORIGIN, "rb") as f:
            parts = [os.fsdecode(x) for x in f.read().split(b"\0")]
    except OSError:
        return None
    return (*parts[:3], parts[3] if len(parts) == 4 else "") if len(parts) in (3, 4) else (parts[0], None, None, "")


def _copy_synced(path, target):
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with open(path, "rb") as src, os.fdopen(fd, "wb") as out:
        while True:  # shutil.copyfileobj, without shutil's import on every hook run
            chunk = src.read(1024 * 1024)
            if not chunk:
                break
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())


def spool_candidates(settings, ledger, report=None):
    """(candidate, key) for each spooled file, archived under its original
    name. An entry that no longer parses stays spooled and is reported."""
    out = []
    rows = [(spool_path, original) for spool_path, original, _ in ledger.spooled()]
    for spool_path, original in rows + _unrecorded_spool(settings, {row[0] for row in rows}):
        if not os.path.exists(spool_path):
            ledger.spool_remove(spool_path)
            continue
        try:
            origin = _read_origin(spool_path)
            if origin is not None and origin[0] == original and origin[1]:
                live, dateformat, extension = origin[1], origin[2], origin[3]
            else:
                dateformat, live = dateformat_for(settings, original)
                extension = settings.get("extension", live) or "" if live else ""
            if live is None:
                raise ConfigError(f"spooled {escape(spool_path)} ({escape(original)}) does not match the "
                                  "dateformat any more", "set the dateformat it was rotated with")
            cand = candidate_of(original, live, dateformat, extension)
            cand = discover.Candidate(spool_path, live, cand.stamp, cand.ext)
            key = build_key(check_template(settings.get("key_template", live)), settings.get("host"), live,
                            cand.stamp, cand.ext)
        except SwiftrotateError as exc:
            if report is not None:
                report.outcomes.append(Outcome(spool_path, "", "failed", error=exc))
            continue
        out.append((cand, key))
    return out


def drain(report, spooled, ledger, log):
    """A spooled copy is removed once its archive is verified."""
    for outcome in report.outcomes:
        if outcome.path in spooled and outcome.error is None:
            for path in (outcome.path, outcome.path + ORIGIN):
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
            ledger.spool_remove(outcome.path)
            log.info("archived spooled %s", escape(outcome.path))

