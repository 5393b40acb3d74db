"""What every command shares: the settings and the logging set-up. No
click here: the hook's own line runs without it (cli/hook.py).

Must not: run a command.
"""
import logging
import os
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
        from logging.handlers import SysLogHandler  # stdlib, but not worth its import on a terminal

        name = str(settings.get("syslog_facility")).lower()
        if name not in SysLogHandler.facility_names:
            raise ConfigError(f"syslog_facility = {name!r} is not a syslog facility",
                              "use user, daemon, local0 ... local7")
        try:
            sys_handler = SysLogHandler(address, facility=SysLogHandler.facility_names[name])
            sys_handler.setFormatter(logging.Formatter("swiftrotate[%(process)d]: %(message)s"))
            sys_handler.setLevel(logging.INFO)
            log.addHandler(sys_handler)
        except OSError:
            pass
    # Their DEBUG output can carry tokens and response bodies: never shown.
    for noisy in ("swiftclient", "botocore", "boto3", "urllib3", "s3transfer"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


def record_fatal(line):
    """Also send a run-ending error (a bad config, the lock busy) to syslog:
    under logrotate and cron nobody reads stderr. Before the config could be
    read, the default socket is all there is."""
    handlers = [h for h in log.handlers if type(h).__name__ == "SysLogHandler"]
    if not handlers and not sys.stderr.isatty() and os.path.exists(DEFAULT_SYSLOG):
        from logging.handlers import SysLogHandler

        try:
            handlers = [SysLogHandler(DEFAULT_SYSLOG)]
            handlers[0].setFormatter(logging.Formatter("swiftrotate[%(process)d]: %(message)s"))
        except OSError:
            return
    for handler in handlers:
        handler.handle(log.makeRecord(log.name, logging.ERROR, __file__, 0, "%s", (line,), None))
