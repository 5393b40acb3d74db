"""What every command shares: the settings and the logging set-up. No
click here: the hook's own line runs without it (cli/hook.py).

Must not: run a command.
"""
import logging
import os
import socket
import sys

from ..config import Settings, open_store
from ..errors import ConfigError

log = logging.getLogger("swiftrotate")
DEFAULT_SYSLOG = "/dev/log"


class Context:
    def __init__(self, config, dest, state_dir, debug, verbose, quiet):
        self.settings = Settings(config)
        self.settings.set_flags(dest=dest, state_dir=state_dir)
        self.debug, self.verbose, self.quiet = debug, verbose, quiet
        setup_logging(self.settings, debug, verbose, quiet)
        for warning in self.settings.warnings:
            log.warning("%s", warning)

    def open_backend(self):
        return open_store(self.settings)

    def open_reader(self):
        """The store for ls and fetch: reading never creates its container."""
        return open_store(self.settings, create=False)


def setup_logging(settings, debug, verbose, quiet):
    for handler in log.handlers:
        if isinstance(handler, Syslog):
            handler.close()
    log.handlers.clear()
    log.propagate = False
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.ERROR if quiet else logging.WARNING
    log.setLevel(logging.DEBUG if debug else logging.INFO)
    err = logging.StreamHandler(sys.stderr)
    err.setFormatter(logging.Formatter("swiftrotate: %(message)s"))
    err.setLevel(level)
    log.addHandler(err)
    address = settings.get("syslog_socket")
    if not sys.stderr.isatty() and os.path.exists(address):
        # Under cron and logrotate nobody reads stderr live: keep a record.
        name = str(settings.get("syslog_facility")).lower()
        if name not in FACILITIES:
            raise ConfigError(f"syslog_facility = {name!r} is not a syslog facility",
                              "use user, daemon, local0 ... local7")
        try:
            log.addHandler(Syslog(address, FACILITIES[name]))
        except OSError:
            pass
    # Their DEBUG output can carry tokens and response bodies: never shown.
    for noisy in ("swiftclient", "botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


def record_fatal(line):
    """Also send a run-ending error (a bad config, the lock busy) to syslog:
    under logrotate and cron nobody reads stderr. Before the config could be
    read, the default socket is all there is."""
    handlers = [h for h in log.handlers if isinstance(h, Syslog)]
    if not handlers and not sys.stderr.isatty() and os.path.exists(DEFAULT_SYSLOG):
        try:
            handlers = [Syslog(DEFAULT_SYSLOG, FACILITIES["user"])]
        except OSError:
            return
    for handler in handlers:
        handler.handle(log.makeRecord(log.name, logging.ERROR, __file__, 0, "%s", (line,), None))


# logging.handlers.SysLogHandler.facility_names, which syslog_facility took before
FACILITIES = {"kern": 0, "user": 1, "mail": 2, "daemon": 3, "auth": 4, "security": 4, "syslog": 5, "lpr": 6,
              "news": 7, "uucp": 8, "cron": 9, "authpriv": 10, "ftp": 11, "ntp": 12, "console": 14,
              "solaris-cron": 15, **{f"local{n}": 16 + n for n in range(8)}}
SEVERITY = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3, logging.CRITICAL: 2}


class Syslog(logging.Handler):
    """What logging.handlers.SysLogHandler sends to a local socket (`<PRI>line\\0`), without
    importing logging.handlers: its pickle, queue and copy are ~8 ms of every hook run, and
    under logrotate every run logs its summary here."""

    def __init__(self, address, facility):
        super().__init__(logging.INFO)
        self.address, self.facility = address, facility
        self.setFormatter(logging.Formatter("swiftrotate[%(process)d]: %(message)s"))
        self.sock = self._connect()

    def _connect(self):
        for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):  # rsyslog and journald: datagrams
            sock = socket.socket(socket.AF_UNIX, kind)
            try:
                sock.connect(self.address)
                return sock
            except OSError:
                sock.close()
                if kind == socket.SOCK_STREAM:
                    raise

    def emit(self, record):
        try:
            data = f"<{self.facility * 8 + SEVERITY.get(record.levelno, 7)}>{self.format(record)}\0".encode("utf-8", "backslashreplace")
            try:
                self.sock.sendall(data)
            except OSError:  # the daemon restarted since we connected
                self.sock.close()
                self.sock = self._connect()
                self.sock.sendall(data)
        except Exception:
            self.handleError(record)

    def close(self):
        self.sock.close()
        super().close()
