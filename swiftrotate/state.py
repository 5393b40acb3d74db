"""The state folder: where the ledger, the lock and rename journals live.

Owns: creating and checking the folder (root must not trust a folder others
can write), the run lock, opening the ledger, and the intents of uploads
that a killed run left behind. Must not: find files or archive them.
"""
import fcntl
import os
import time

from .discover import insecure_folder
from .errors import AuthError, ConfigError, LocalIOError, LockBusy, SwiftrotateError
from .ledger import Ledger, running
from .naming import escape


class StateLock:
    """flock on a file in the state folder (not /tmp: PrivateTmp makes /tmp
    private to each logrotate.service run), with a bounded wait."""

    def __init__(self, folder, timeout):
        self.path = os.path.join(folder, "lock")
        self.timeout = timeout

    def __enter__(self):
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise LocalIOError(f"cannot open the lock file {self.path}: {exc.strerror}",
                               "make state_dir writable for this user (under systemd: ReadWritePaths=)") from None
        end = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except BlockingIOError:
                if time.monotonic() >= end:
                    os.close(self.fd)
                    raise LockBusy(f"another swiftrotate holds {self.path} for more than {self.timeout}s",
                                   "the next run retries; raise lock_timeout if runs overlap often")
                time.sleep(0.1)

    def __exit__(self, *exc):
        os.close(self.fd)


def state_folder(settings):
    folder = os.path.abspath(settings.get("state_dir"))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise LocalIOError(f"cannot create state folder {folder}: {exc.strerror}",
                           "set state_dir (or SWIFTROTATE_STATE_DIR) to a writable folder") from None
    if os.geteuid() == 0 and insecure_folder(folder):
        # whoever can write there can plant ledger rows ("archived") or a
        # symlink that root's SQLite would follow
        raise ConfigError(f"state folder {folder} is writable by other users",
                          f"chmod 700 {folder}, or set state_dir to a folder only root can write")
    return folder



def open_ledger(folder):
    """The ledger in a state folder (see state_folder)."""
    return Ledger(os.path.join(folder, "ledger.sqlite"))


def stale_intents(ledger, dest):
    """(key, pid) of uploads started by a run that is gone (killed, or
    failed before it could clear up): their leftovers are ours to clear."""
    # a row with this run's own pid is an earlier run's, whose pid this one now has
    return [(key, pid) for key, pid in ledger.intents(dest) if pid == os.getpid() or not running(pid)]


def clear_stale(backend, ledger, dest, stale, report, deadline=0, start=0.0):
    """Remove what killed uploads left (segments, multipart uploads) that no
    object references; a row stays until that is proven done, except where
    the store refuses to tell (a policy without the listing): said once."""
    for key, pid in stale:
        if deadline and time.monotonic() - start > deadline:
            report.warnings.append("deadline reached: some leftovers of interrupted uploads wait for the next run")
            return
        try:
            done = backend.clear_leftovers(key, busy=lambda: ledger.busy(dest, key))
        except (AuthError, ConfigError) as exc:  # no retry will change it: stop asking on every run
            ledger.intent_remove(dest, key, pid)
            report.warnings.append(f"leftovers of an interrupted upload of {escape(key)} cannot be cleared here "
                                   f"({exc.line()}); remove them by hand, or allow listing them")
            continue
        except SwiftrotateError as exc:
            done, why = False, exc.line()
        else:
            why = "the store could not tell what is in use, or another run is uploading it"
        if done:
            ledger.intent_remove(dest, key, pid)
        else:
            report.warnings.append(f"leftovers of an interrupted upload of {escape(key)} not cleared yet ({why}); "
                                   "the next run retries")

