"""Settings: flags > SWIFTROTATE_* environment > INI file > the logrotate stanza that ran the
hook (under logrotate: olddir, dateformat, extension, dateyesterday) > defaults.

The INI file (--config, $SWIFTROTATE_CONFIG, else /etc/swiftrotate.conf when
it exists) has a [swiftrotate] section for general settings, one section per
store kind ([swift], [s3], [file]) for backend options, and [log GLOB]
sections whose settings apply to the logs that GLOB matches.

Also owns check_settings (every setting checked before a run) and open_store
(with its TLS warning). Must not: read files other than the INI, or touch a store
beyond opening it.
"""
import configparser
import fnmatch
import os
import re
import stat

import logging
import warnings

from .backends import check_scheme, get_backend, parse_size, parse_url
from .errors import ConfigError, UnknownOption
from .naming import DEFAULT_DATEFORMAT, check_dateformat, check_template

log = logging.getLogger("swiftrotate")

DEFAULT_CONFIG = "/etc/swiftrotate.conf"
DEFAULT_STATE_DIR = "/var/lib/swiftrotate"
SECRET_OPTIONS = {"key", "os_password", "password", "secret_access_key", "os_auth_token", "auth_token"}

GENERAL = {
    "dest": None,  # default: file://<state_dir>/archive
    "state_dir": DEFAULT_STATE_DIR,
    "host": None,  # default: short hostname
    "dateformat": DEFAULT_DATEFORMAT,
    "olddir": None,
    "extension": "",  # logrotate's extension: app.log rotates to app-20261102.log[.gz]
    "dateyesterday": "no",
    "key_template": "{host}/{path}{stamp}{ext}",
    "settle_seconds": "5",
    "deadline": "0",
    "lock_timeout": "60",
    "syslog_facility": "user",
    "syslog_socket": "/dev/log",  # used when stderr is not a terminal
    "expire_after": "0",  # days; 0 = keep forever
    "compress": "",  # gzip or zstd: compress uncompressed rotations on upload
    "spool_dir": "/var/spool/swiftrotate",
    "spool_cap": "1G",
    "gate_mode": "spool",
    "missingok": "no",  # yes: a log pattern that names no file is not an error (logrotate's missingok)
    "gate_deadline": "20",
    "gate_max_age": "86400",
    "runs_kept": "100",  # run records kept per log in the ledger
    "metrics_file": "",  # Prometheus textfile every run rewrites; empty: none
    "warn_pending_age": "1d",  # status: degraded when a rotated file waits this long
    "crit_pending_age": "2d",  # status: failing
    "warn_spool": "80%",  # status: degraded when the spool holds this share of spool_cap
    "crit_spool": "95%",  # status: failing
}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", re.ASCII)
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
PER_LOG = {"dateformat", "olddir", "extension", "dateyesterday", "key_template", "settle_seconds", "expire_after",
           "compress", "missingok"}


class Settings:
    def __init__(self, path=None, environ=None):
        self.environ = os.environ if environ is None else environ
        self.path = path or self.environ.get("SWIFTROTATE_CONFIG") or (
            DEFAULT_CONFIG if os.path.exists(DEFAULT_CONFIG) else None)
        self.parser = configparser.ConfigParser(interpolation=None, default_section="__none__")
        self.warnings = []
        if self.path:
            self._read(self.path)
        self.flags = {}
        self.stanza = None  # a logrotate_caller.Taken when a logrotate stanza ran us (under_logrotate.py)
        for name in sorted(set(self._section("swiftrotate")) - set(GENERAL)):
            raise ConfigError(f"{self.where('swiftrotate', name)}: unknown setting {name!r} in [swiftrotate]",
                              did_you_mean(name, GENERAL))
        for section in self.parser.sections():
            if section.startswith("log "):
                for name in sorted(set(self.parser[section]) - PER_LOG):
                    raise ConfigError(f"{self.where(section, name)}: setting {name!r} cannot be set per log "
                                      f"in [{section}]", did_you_mean(name, PER_LOG, "per-log settings are"))
            elif section not in ("swiftrotate", "swift", "s3", "file"):
                # not an error: a backend added by a plugin reads its own [scheme] section
                self.warnings.append(f"{self.path}: section [{section}] is not one swiftrotate knows "
                                     "([swiftrotate], [swift], [s3], [file], [log GLOB]); a typo?")

    def _read(self, path):
        try:
            with open(path, encoding="utf-8") as f:
                self.parser.read_file(f)
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist",
                              "pass an existing --config or unset SWIFTROTATE_CONFIG") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from None
        except configparser.Error as exc:
            raise ConfigError(f"{path}, line {_ini_line(exc)}: not valid INI: {_ini_problem(exc, path)}",
                              "write [section] headers and name = value lines") from None
        has_secret = any(opt in SECRET_OPTIONS for sec in self.parser.sections()
                         for opt in self.parser[sec])
        if has_secret and mode & (stat.S_IRWXG | stat.S_IRWXO):
            self.warnings.append(f"{path} holds credentials but is readable by group or others; "
                                 f"run: chmod 600 {path}")

    def where(self, section, option):
        """FILE, line N of `option` in [section] (configparser keeps no line numbers)."""
        header, inside = f"[{section}]".lower(), False
        try:
            with open(self.path, encoding="utf-8") as f:
                for number, text in enumerate(f, 1):
                    text = text.strip()
                    if text.startswith("["):
                        inside = text.lower() == header
                    elif inside and re.split(r"\s*[=:]", text, 1)[0].lower() == option:
                        return f"{self.path}, line {number}"
        except OSError:
            pass
        return str(self.path)

    def option_source(self, scheme, name):
        """Where a store option came from: its variable, or the file and line."""
        variable = f"SWIFTROTATE_{scheme.upper()}_{name.upper()}"
        if self.environ.get(variable):
            return variable
        return self.where(scheme, name)

    def _section(self, name):
        return dict(self.parser[name]) if self.parser.has_section(name) else {}

    def set_flags(self, **flags):
        self.flags.update({k: v for k, v in flags.items() if v is not None})

    def get(self, name, log=None):
        """One general setting, honouring the precedence and [log GLOB] sections."""
        return self._find(name, log)[0]

    def source(self, name, log=None):
        """Where get(name, log) comes from: a flag, a variable, FILE, line N, the logrotate stanza
        (FILE:LINE) that ran the hook, or the default."""
        origin = self._find(name, log)[1]
        if origin in ("flag", "default", "stanza"):
            return {"flag": f"--{name.replace('_', '-')}", "default": "default",
                    "stanza": getattr(self.stanza, "source", "")}[origin]
        return origin if origin.startswith("SWIFTROTATE_") else self.where(origin, name)

    def explicit(self, name, log=None):
        """(value, where) when swiftrotate itself sets `name` for `log` (not a default or the stanza)."""
        value, origin = self._find(name, log)
        return None if origin in ("default", "stanza") else (value, self.source(name, log))

    def _find(self, name, log):
        """(value, origin): "flag", the variable's name, a section, "stanza" or "default"."""
        if name in self.flags:
            return self.flags[name], "flag"
        env = self.environ.get("SWIFTROTATE_" + name.upper())
        if env is not None and env != "":
            return env, "SWIFTROTATE_" + name.upper()
        if isinstance(log, Section):  # that section's own value (a glob need not match itself)
            if name in PER_LOG and name in self.parser[log.section]:
                return self.parser[log.section][name], log.section
        elif log is not None and name in PER_LOG:
            for section in self.parser.sections():
                if section.startswith("log ") and fnmatch.fnmatchcase(log, section[4:].strip()):
                    if name in self.parser[section]:
                        return self.parser[section][name], section
        # one option, not dict(section): that would interpolate every key, on every file's lookup
        value = self.parser.get("swiftrotate", name, fallback=None) if self.parser.has_section("swiftrotate") else None
        if value is not None:
            return value, "swiftrotate"
        if self.stanza is not None and name in self.stanza.values:
            # under logrotate, the stanza that ran the hook takes the place of the defaults
            return self.stanza.values[name], "stanza"
        if name == "dest":
            return "file://" + os.path.join(os.path.abspath(self.get("state_dir")), "archive"), "default"
        if name == "host":
            # gethostname(2) is uname(2)'s nodename; os has it without importing socket (~10 ms)
            return os.uname().nodename.split(".")[0], "default"
        return GENERAL[name], "default"

    def implicit_dest(self):
        """The default archive URL when no flag, variable or file names
        dest, else None: that default sits on this machine's own disk."""
        if ("dest" in self.flags or self.environ.get("SWIFTROTATE_DEST")
                or self._section("swiftrotate").get("dest") is not None):
            return None
        return self.get("dest")

    def _bad(self, name, log, problem, fix=None):
        """The ConfigError for a value of `name` that cannot be used: where it is set, and the fix."""
        return ConfigError(f"{self.source(name, log)}: setting {name} = {self.get(name, log)!r} {problem}", fix)

    def get_int(self, name, log=None):
        value = self.get(name, log)
        try:
            return int(float(value))
        except (TypeError, ValueError):
            raise self._bad(name, log, "is not a number") from None

    def get_size(self, name, log=None):
        value = str(self.get(name, log))
        try:
            return parse_size(value)
        except ValueError:
            raise self._bad(name, log, "is not a size like 512M or 2G") from None

    def get_bool(self, name, log=None):
        value = str(self.get(name, log)).lower()
        if value in ("1", "yes", "true", "on"):
            return True
        if value in ("0", "no", "false", "off", ""):
            return False
        raise self._bad(name, log, "is not yes/no")

    def get_duration(self, name):
        try:
            return duration(self.get(name), name)
        except ConfigError:
            raise self._bad(name, None, "is not a duration", "write one like 3600, 90m, 36h or 2d") from None

    def get_percent(self, name):
        try:
            value = percent(self.get(name), name)
        except ConfigError:
            value = -1
        if not 0 <= value <= 100:
            raise self._bad(name, None, "is not a percentage of spool_cap", "write one from 0% to 100%, like 80%")
        return value

    def dateformat(self, log=None):
        value = self.get("dateformat", log)
        try:
            return check_dateformat(value)
        except ValueError as exc:
            raise ConfigError(str(exc), "use logrotate's specifiers, e.g. -%Y%m%d") from None

    def backend_options(self, scheme):
        """[scheme] section plus SWIFTROTATE_<SCHEME>_<OPTION> variables."""
        opts = self._section(scheme)
        prefix = f"SWIFTROTATE_{scheme.upper()}_"
        for key, value in self.environ.items():
            if key.startswith(prefix) and value != "":
                opts[key[len(prefix):].lower()] = value
        return opts

    def log_sections(self):
        """The [log GLOB] sections, as Section strings (the GLOB)."""
        return [Section(s) for s in self.parser.sections() if s.startswith("log ")]


class Section(str):
    """A [log GLOB] section's GLOB. Given as `log` to Settings.get, it means
    that section's own values: "/var/log/[a]pp.log" does not match itself
    as a glob, so looking it up like a log path would miss its settings."""

    def __new__(cls, section):
        glob = super().__new__(cls, section[4:].strip())
        glob.section = section
        return glob


def open_store(settings, dest=None, *, create=True):
    """The backend named by --dest / config, with its options; create=False
    for reading (ls, fetch): it never creates the container."""
    url = dest or settings.get("dest")
    scheme = parse_url(url)[0]
    options = settings.backend_options(scheme)
    flags = {k: str(v).lower() for k, v in options.items()}
    if flags.get("insecure") in ("1", "yes", "true", "on") or flags.get("verify_tls") in ("0", "no", "false", "off"):
        log.warning("TLS certificate verification is OFF for %s: anyone on the path can read and change "
                    "archives; use cacert/ca_bundle instead", scheme)
        # Said once here; urllib3 would add two lines per request.
        warnings.filterwarnings("ignore", message="Unverified HTTPS request")
    for name in sorted(SECRET_OPTIONS & set(options)):
        # an auth failure names the source that was used, not every possible one
        options.setdefault("credentials_from", f"{name} from {settings.option_source(scheme, name)}")
    try:
        return get_backend(url, options, create=create)
    except UnknownOption as exc:
        raise ConfigError(f"{settings.option_source(scheme, exc.name)}: unknown {scheme}:// store option {exc.name!r}",
                          did_you_mean(exc.name, exc.known)) from None


def did_you_mean(name, known, listing="known"):
    """The hint for a misspelled setting: the close match, else the list."""
    import difflib  # only on this error path, not on every quiet run

    # "dest swift://x" (no "=") reads as the setting "dest swift"
    close = [name.split()[0]] if name.split()[0] in known else difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else f"{listing}: {', '.join(sorted(known))}"


def _ini_line(exc):
    if isinstance(exc, configparser.ParsingError) and getattr(exc, "errors", None):
        return exc.errors[0][0]
    return getattr(exc, "lineno", "?")


def _nth_line(path, number):
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, text in enumerate(f, 1):
            if n == number:
                return text.strip()
    return ""


def _ini_problem(exc, path):
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"{exc.line.strip()!r} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError) and getattr(exc, "errors", None):
        return f"{_nth_line(path, exc.errors[0][0])!r} is not a name = value line"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"{exc.option!r} is set twice in [{exc.section}]"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"[{exc.section}] appears twice"
    return str(exc).splitlines()[0]


def duration(text, name="duration"):
    """'90', '90s', '15m', '36h', '2d', '1w' -> seconds."""
    m = _DURATION.fullmatch(str(text))
    if not m:
        raise ConfigError(f"setting {name} = {text!r} is not a duration like 3600, 36h or 2d")
    return float(m.group(1)) * _UNIT[m.group(2)]


def percent(text, name="percentage"):
    """'80%' or '80' -> 80.0."""
    try:
        return float(str(text).strip().rstrip("%"))
    except ValueError:
        raise ConfigError(f"setting {name} = {text!r} is not a percentage like 80%") from None


def implicit_dest_warning(settings):
    """One line for every run that archives to the default folder, or None."""
    url = settings.implicit_dest()
    if url is None:
        return None
    where = settings.path or DEFAULT_CONFIG
    return (f"no dest is set: archiving to {url}, on this machine's own disk, not off-site "
            f"(set dest in {where}, or pass --dest)")


def check_settings(settings):
    """Every setting a run may need, checked before it starts: a typo must
    fail the quiet day's run (exit 78), not the day something finally needs it."""
    check_scheme(settings.get("dest"))  # a typo'd scheme must not wait for the first new file
    for section in [None] + settings.log_sections():
        settings.dateformat(section)
        settings.get_bool("dateyesterday", section)
        settings.get_bool("missingok", section)
        check_template(settings.get("key_template", section))
        if any(c in (settings.get("extension", section) or "") for c in "/\0"):
            raise ConfigError(f"extension = {settings.get('extension', section)!r} holds a '/' or NUL",
                              "set logrotate's extension, e.g. .log")
        for name in ("settle_seconds", "expire_after"):
            if settings.get_int(name, section) < 0:
                raise ConfigError(f"setting {name} = {settings.get(name, section)!r} is negative")
        if (settings.get("compress", section) or None) not in (None, "gzip", "zstd"):
            raise ConfigError(f"compress = {settings.get('compress', section)!r} is neither gzip nor zstd")
    for name in ("deadline", "lock_timeout", "gate_deadline", "gate_max_age"):
        settings.get_int(name)
    settings.get_size("spool_cap")
    if settings.get("gate_mode") not in ("spool", "veto"):
        raise ConfigError(f"gate_mode = {settings.get('gate_mode')!r} is neither spool nor veto")
    check_status_settings(settings)


def check_metrics_file(settings):
    """metrics_file, or None: an absolute path to a *.prom file."""
    path = settings.get("metrics_file")
    if path and (not os.path.isabs(path) or not path.endswith(".prom") or os.path.isdir(path)):
        raise settings._bad("metrics_file", None, "is not an absolute path to a *.prom file (the node exporter's "
                            "textfile collector reads only those)", "name a .prom file in the collector's folder, "
                            "or leave it empty")
    return path or None


def check_status_settings(settings):
    """runs_kept, metrics_file and status's thresholds: every run records itself with them, and
    a typo there must not wait for the first day something is pending."""
    if settings.get_int("runs_kept") < 1:
        raise settings._bad("runs_kept", None, "keeps no run", "keep at least 1 run record per log, e.g. 100")
    check_metrics_file(settings)
    for warn, crit, get in (("warn_pending_age", "crit_pending_age", settings.get_duration),
                            ("warn_spool", "crit_spool", settings.get_percent)):
        if get(warn) > get(crit):
            raise settings._bad(warn, None, f"is above {crit} = {settings.get(crit)!r}", "warn before it is critical: "
                                f"make {warn} the smaller")

