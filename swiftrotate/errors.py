"""Typed errors and the exit codes they map to.

Backends translate their library's exceptions into these; commands raise
them; only cli/ turns them into exit codes (sysexits values, see docs/reference.md).
Must not: import anything of swiftrotate's (everything imports this).
"""
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    VETO = 1  # gate: logrotate keeps the file
    USAGE = 2
    DATAERR = 65  # bytes or names that cannot be archived or trusted
    NOINPUT = 66
    UNAVAILABLE = 69
    SOFTWARE = 70  # a bug: report it
    IOERR = 74  # the local disk
    TEMPFAIL = 75  # the next run retries
    NOPERM = 77
    CONFIG = 78
    INTERRUPTED = 130


class SwiftrotateError(Exception):
    """Root of every error swiftrotate reports on purpose."""

    exit_code = ExitCode.SOFTWARE
    hint = ""

    def __init__(self, message, hint=None):
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def line(self):
        """The one line shown to the operator: what failed, then the fix."""
        msg = str(self)
        return f"{msg} ({self.hint})" if self.hint else msg


class UsageError(SwiftrotateError):
    exit_code = ExitCode.USAGE


class ConfigError(SwiftrotateError):
    exit_code = ExitCode.CONFIG


class UnknownOption(ConfigError):
    """A store option its backend does not take; config.py names where it came from."""

    def __init__(self, message, hint=None, *, name, known):
        super().__init__(message, hint)
        self.name, self.known = name, known


class LogrotateConfError(ConfigError):
    """logrotate's own configuration is malformed at `file`:`line` (logrotate_conf.py). `kind` says
    what logrotate 3.21 does about it: "ignored" (that line), "stanza" (skips the stanza) or "file"
    (skips the rest of the file and undoes its global settings)."""

    def __init__(self, message, hint=None, *, file, line, kind):
        super().__init__(message, hint)
        self.file, self.line, self.kind = file, line, kind


class SourceMissing(SwiftrotateError):
    """A local input (file, folder, archive range) does not exist."""

    exit_code = ExitCode.NOINPUT


class IntegrityError(SwiftrotateError):
    """Bytes do not match their checksum or size."""

    exit_code = ExitCode.DATAERR


class Conflict(IntegrityError):
    """The store holds different content under a key we must not overwrite."""


class Incomplete(IntegrityError):
    """An object of ours whose parts are not all there (a Swift SLO with a
    missing or wrong segment): HEAD shows our metadata, GET fails. Never
    counts as archived. `info` is what HEAD showed; `missing` names the
    parts; `manifest` is the backend's record of every part, for repair()."""

    def __init__(self, message, hint=None, *, info=None, missing=(), manifest=None):
        super().__init__(message, hint)
        self.info, self.missing, self.manifest = info, list(missing), manifest


class UnsafeInput(SwiftrotateError):
    """A symlink, a non-regular file, or a key that would escape a folder."""

    exit_code = ExitCode.DATAERR


class BackendError(SwiftrotateError):
    """The store failed in a way a retry will not fix by itself."""

    exit_code = ExitCode.UNAVAILABLE


class NotFound(BackendError):
    """The key, container or bucket does not exist."""

    exit_code = ExitCode.NOINPUT


class AuthError(BackendError):
    """Credentials refused or missing (HTTP 401/403)."""

    exit_code = ExitCode.NOPERM


class TransientError(BackendError):
    """Network trouble, timeouts, 5xx after retries: the next run retries."""

    exit_code = ExitCode.TEMPFAIL


class DeadlineExceeded(TransientError):
    pass


class LockBusy(TransientError):
    pass


class LocalIOError(SwiftrotateError):
    """The local disk failed us (ENOSPC, EIO, permissions on our own files)."""

    exit_code = ExitCode.IOERR


# When several things fail, the exit code names the one that most needs a
# human: a refused credential, a bug or a conflict before a timeout, which
# only needs the next run.
SEVERITY = [ExitCode.NOPERM, ExitCode.CONFIG, ExitCode.SOFTWARE, ExitCode.DATAERR, ExitCode.UNAVAILABLE,
            ExitCode.IOERR, ExitCode.NOINPUT, ExitCode.TEMPFAIL]


def worst_exit(errors):
    codes = {e.exit_code for e in errors}
    for code in SEVERITY:
        if code in codes:
            return code
    return max(codes) if codes else ExitCode.OK
