"""The hook in ten Debian packages' own logrotate configs, under the real logrotate (issue 13).

The /etc/logrotate.d files of nginx, apache2, rsyslog (one pattern per line), mariadb (two absent
patterns under missingok, minsize 50M), postgresql-common (copytruncate), squid (nocreate,
rotate 2), unattended-upgrades (a trailing space), fail2ban, haproxy and dpkg (dpkg and
alternatives), fetched with `apt-get download` (tests/support/debian_confs.py), with Debian's
/etc/logrotate.conf as the main file. Each stanza gets only what the README asks for: `dateext`,
and the README's hook line `swiftrotate upload --compress gzip "$1"` at the end of its postrotate
script (a new postrotate where it has none). Nothing else in them changes, except:

- the packages' service commands are stubs on the PATH that log their call and exit 0
  (`invoke-rc.d`, `systemctl`, `fail2ban-client`, and rsyslog's absolute
  /usr/lib/rsyslog/rsyslog-rotate, rewritten to a bare `rsyslog-rotate` since there is no daemon
  to tell; haproxy's guarded call of it stays as is). logrotate and swiftrotate are the real ones:
  `swiftrotate` on the PATH runs this tree's `python -m swiftrotate` with the real clock and records
  its exit status; its config comes from $SWIFTROTATE_CONFIG (dest a local folder, host web01,
  settle_seconds 0: the logs are written just before each run).
- /var/log is a folder of the test, bind-mounted in a private mount namespace for each run (and
  /var/lib/mysql an empty tmpfs if it exists), so the configs keep their real paths and the
  machine's logs are never touched.

Days are faked with faketime: a first run that only records the logs, three daily runs, then three
jumps of a month or more, so that every log (daily, weekly or monthly) rotates at least three
times. Each live log gets new lines before each run (mariadb's is padded to its minsize). After
the runs every rotation (the live log's bytes just before the run that rotated it) is in the store
exactly once, nothing else is, logrotate exits 0 with no `error:` line, and every hook exits 0.
"""
import collections
import gzip
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest

import swiftrotate
from swiftrotate.backends.local import LocalBackend
from swiftrotate.logrotate_conf import read_config
from tests.support.clirun import write_config
from tests.support.debian_confs import LOGROTATE, PACKAGES, unavailable

FAKETIME = shutil.which("faketime") or "/usr/bin/faketime"
HOOK = 'swiftrotate upload --compress gzip "$1"'  # README.md, "The logrotate stanza"
FILES = [f for package, files in PACKAGES.items() if package != "logrotate" for f in files]
RUNS = ["2026-01-01 06:25:00", "2026-01-02 06:25:00", "2026-01-03 06:25:00", "2026-01-04 06:25:00",
        "2026-02-05 06:25:00", "2026-03-10 06:25:00", "2026-04-15 06:25:00"]
STUBS = ("invoke-rc.d", "systemctl", "fail2ban-client", "rsyslog-rotate")
RSYSLOG_ROTATE = "/usr/lib/rsyslog/rsyslog-rotate"
# The only lines a run may print: the store folder made on the first upload, and the warning for
# mariadb's two absent /var/lib/mysql patterns (main has no missingok from the stanza yet: issue 13).
# mariadb's absent /var/lib/mysql logs are silent: the hook takes the stanza's missingok
QUIET = (r"swiftrotate: created store folder ",)
KEY = re.compile(r"^web01(?P<live>/.+)-(?P<stamp>\d{8})(?P<gz>\.gz)?$")


def hooked(text, name):
    """A package file with `dateext` and the hook added to its one stanza."""
    lines = text.splitlines()
    close = max(i for i, line in enumerate(lines) if line.strip() == "}")
    assert sum(line.count("{") for line in lines) == 1, name
    post = [i for i, line in enumerate(lines) if line.strip() == "postrotate"]
    if post:
        end = next(i for i in range(post[0], close) if lines[i].strip() == "endscript")
        lines[end:end] = ["\t\t" + HOOK]
        close += 1
    else:
        lines[close:close] = ["\tpostrotate", "\t\t" + HOOK, "\tendscript"]
        close += 3
    lines[close:close] = ["\tdateext"]
    out = "\n".join(lines) + "\n"
    return out.replace(f"\t\t{RSYSLOG_ROTATE}\n", "\t\trsyslog-rotate\n") if name == "rsyslog" else out


class DebianLab:
    """Debian's logrotate.conf and package files with the hook; their /var/log is root/var-log."""

    def __init__(self, root, etc):
        self.root = root
        self.varlog = root / "var-log"
        self.varlog.mkdir(mode=0o755)
        os.chmod(root, 0o755)
        confd = root / "logrotate.d"
        confd.mkdir()
        for name in FILES:
            (confd / name).write_text(hooked((etc / "logrotate.d" / name).read_text(), name))
        main = (etc / "logrotate.conf").read_text()
        assert "\ninclude /etc/logrotate.d\n" in main
        self.conf = root / "logrotate.conf"
        self.conf.write_text(main.replace("include /etc/logrotate.d", f"include {confd}"))
        self.state = root / "logrotate.state"
        self.calls = root / "calls"
        self.bin = root / "bin"
        self.bin.mkdir()
        for stub in STUBS:
            self._script(stub, f'echo "{stub} $*" >> {self.calls}\nexit 0\n')
        repo = os.path.dirname(os.path.dirname(swiftrotate.__file__))
        self._script("swiftrotate", (
            f"env -u LD_PRELOAD -u FAKETIME PYTHONPATH={shlex.quote(repo)} {sys.executable} -m swiftrotate \"$@\"\n"
            f"rc=$?\nprintf '%s %s\\n' $rc \"$(echo \"$*\" | tr '\\n' '~')\" >> {self.root / 'hooks'}\nexit $rc\n"))
        self.store = root / "store"
        self.swiftrotate_conf = write_config(root / "swiftrotate.conf", {"swiftrotate": {
            "dest": f"file://{self.store}", "state_dir": str(root / "state"), "host": "web01",
            "settle_seconds": "0", "syslog_socket": str(root / "no-syslog")}})  # not the machine's syslog
        self.reading = read_config([str(self.conf)])
        assert not self.reading.errors, self.reading.errors
        self.logs = self._logs()
        self.rotations = collections.defaultdict(list)  # live log -> sha256 of each rotation
        self.results = []

    def _script(self, name, body):
        path = self.bin / name
        path.write_text("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)

    def _logs(self):
        """Live log (its /var/log path) -> the stanza's minsize; a few names for each glob."""
        logs = {}
        for stanza in self.reading.stanzas:
            assert stanza.settings["dateext"] and HOOK in stanza.scripts["postrotate"][0], stanza.file
            for pattern in stanza.patterns:
                if pattern.startswith("/var/log/"):
                    names = ["access", "error"] if "*" in pattern else [""]
                    for n in names:
                        logs[pattern.replace("*", n)] = stanza.settings["minsize"] or 0
        return logs

    def local(self, log):
        return self.varlog / log[len("/var/log/"):]

    def write(self, when):
        for log, minsize in self.logs.items():
            path = self.local(log)
            path.parent.mkdir(mode=0o755, exist_ok=True)
            with open(path, "a") as f:
                f.writelines(f"{log} {when} line {i}\n" for i in range(5))
            if path.stat().st_size <= minsize:  # mariadb's monthly rotation needs minsize 50M
                os.truncate(path, minsize + 1)
                with open(path, "a") as f:
                    f.write(f"{log} {when} after the padding\n")

    def run(self, when):
        """One logrotate run at the faked time `when`; note which logs it rotated."""
        before = {log: hashlib.sha256(self.local(log).read_bytes()).hexdigest() for log in self.logs}
        sizes = {log: self.local(log).stat().st_size for log in self.logs}
        mounts = [f"mount --bind {shlex.quote(str(self.varlog))} /var/log"]
        if os.path.isdir("/var/lib/mysql"):  # mariadb's other two patterns must stay absent
            mounts.append("mount -t tmpfs swiftrotate-test /var/lib/mysql")
        script = " && ".join(mounts) + (f" && exec {FAKETIME} {shlex.quote(when)} {LOGROTATE} "
                                        f"-s {shlex.quote(str(self.state))} {shlex.quote(str(self.conf))}")
        env = {"PATH": f"{self.bin}:/usr/sbin:/usr/bin:/sbin:/bin", "SWIFTROTATE_CONFIG": self.swiftrotate_conf,
               "LANG": "C.UTF-8"}
        proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                              env=env, capture_output=True, text=True, timeout=300)
        self.results.append((when, proc))
        for log in self.logs:
            path = self.local(log)
            if not path.exists() or path.stat().st_size < sizes[log]:
                self.rotations[log].append(before[log])
        return proc

    def archived(self):
        """Live log -> sha256 of each object's (uncompressed) bytes; keys that name no live log."""
        backend = LocalBackend(str(self.store))
        out, strays = collections.defaultdict(list), []
        for info in backend.list():
            m = KEY.match(info.key)
            if not m or m["live"] not in self.logs:
                strays.append(info.key)
                continue
            data = b"".join(backend.open_read(info.key)[1])
            out[m["live"]].append(hashlib.sha256(gzip.decompress(data) if m["gz"] else data).hexdigest())
        return out, strays

    def hook_codes(self):
        path = self.root / "hooks"
        return [line.split(" ", 1) for line in path.read_text().splitlines()] if path.exists() else []


def package_of(log, lab):
    stanza = next(s for s in lab.reading.stanzas if any(
        re.fullmatch(re.escape(p).replace(r"\*", "[^/]*"), log) for p in s.patterns))
    return os.path.basename(stanza.file)


@pytest.fixture
def lab(debian_etc, tmp_path):
    for tool in (FAKETIME, "unshare"):
        if not shutil.which(tool) and not os.path.exists(tool):
            unavailable(f"{tool} is missing (scripts/test installs faketime)")
    return DebianLab(tmp_path, debian_etc)


def test_every_rotation_of_ten_debian_packages_is_archived_once(lab):
    for when in RUNS:
        lab.write(when)
        proc = lab.run(when)
        assert proc.returncode == 0, f"logrotate at {when} exits {proc.returncode}:\n{proc.stderr}"
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert not errors, f"logrotate at {when}:\n{proc.stderr}"
        unexpected = [line for line in proc.stderr.splitlines() if not any(re.match(ok, line) for ok in QUIET)]
        assert not unexpected, f"logrotate at {when}:\n{proc.stderr}"
    codes = lab.hook_codes()
    assert codes and all(rc == "0" for rc, _ in codes), codes
    counts = {}  # package file -> the fewest rotations of any of its logs
    for log in lab.logs:
        name = package_of(log, lab)
        counts[name] = min(counts.get(name, len(lab.rotations[log])), len(lab.rotations[log]))
    print("rotations per package (fewest of its logs):", dict(sorted(counts.items())))
    assert set(counts) == set(FILES), sorted(counts)
    assert min(counts.values()) >= 3, dict(counts)
    archived, strays = lab.archived()
    assert not strays, strays
    for log in lab.logs:
        assert sorted(archived[log]) == sorted(lab.rotations[log]), (log, lab.results[-1][1].stderr)
    squid = "/var/log/squid/access.log"  # rotate 2: the older rotations are gone, but archived
    assert len(list(lab.local(squid).parent.glob("access.log-*"))) == 2 < len(lab.rotations[squid])
    calls = lab.calls.read_text()
    for call in ("invoke-rc.d nginx rotate", "fail2ban-client flushlogs", "rsyslog-rotate"):
        assert call in calls, calls
