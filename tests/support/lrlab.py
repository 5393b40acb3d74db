"""Drive Debian's real logrotate over faked days, with swiftrotate as its hook.

faketime only wraps logrotate: the hook runs with the real clock (env -u),
since S3 signatures and mtimes must agree with the servers and the disk.
"""
import gzip
import os
import shutil
import subprocess
import sys

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"
FAKETIME = shutil.which("faketime") or "/usr/bin/faketime"


class Lab:
    def __init__(self, root, swiftrotate_conf, logs=("app.log", "web.log")):
        self.root = root
        self.logs_dir = root / "logs"
        self.logs_dir.mkdir(mode=0o755, parents=True)
        os.chmod(root, 0o755)
        self.conf = root / "logrotate.conf"
        self.state = root / "logrotate.state"
        self.hook_log = root / "hook.log"
        self.swiftrotate_conf = swiftrotate_conf
        self.logs = list(logs)
        self.written = {name: [] for name in self.logs}
        self.results = []

    def hook_command(self, arg='"$1"', extra="", command="upload"):
        return (f"env -u LD_PRELOAD -u FAKETIME {sys.executable} -m swiftrotate --config "
                f"{self.swiftrotate_conf} {command} {extra} {arg} >> {self.hook_log} 2>&1")

    def configure(self, directives=(), hook="postrotate", shared=False, extra_args="", olddir=None,
                  two_patterns=False, rotate=30, gate=False):
        if two_patterns:
            head = " ".join(str(self.logs_dir / n) for n in self.logs)
        else:
            head = f"{self.logs_dir}/*.log"
        lines = [f"{head} {{", "    daily", f"    rotate {rotate}", "    dateext", "    missingok", "    notifempty",
                 "    create 0640 root root"]
        lines += [f"    {d}" for d in directives]
        if olddir:
            (self.logs_dir / olddir).mkdir(exist_ok=True)
            lines.append(f"    olddir {olddir}")
        if shared:
            lines.append("    sharedscripts")
        lines += [f"    {hook}", "        " + self.hook_command(extra=extra_args), "    endscript"]
        if gate:
            lines += ["    preremove", "        " + self.hook_command(command="gate"), "    endscript"]
        lines.append("}")
        self.write_conf("\n".join(lines) + "\n")

    def write_conf(self, text):
        """The logrotate config: logrotate ignores one that group or others may write."""
        self.conf.write_text(text)
        os.chmod(self.conf, 0o644)

    def write_lines(self, tag, count=5):
        for name in self.logs:
            with open(self.logs_dir / name, "a") as f:
                for i in range(count):
                    line = f"{name} {tag} line {i}\n"
                    f.write(line)
                    self.written[name].append(line)

    def run(self, when):
        proc = subprocess.run([FAKETIME, when, LOGROTATE, "-s", str(self.state), str(self.conf)],
                              capture_output=True, text=True, timeout=300)
        self.results.append(proc)
        return proc

    def days(self, stamps, hours=False):
        """A first run records the logs (logrotate rotates nothing on a new
        state file), then one rotation per faked day (or hour)."""
        first = stamps[0]
        self.write_lines("setup")
        self.run(first)
        for when in stamps[1:]:
            self.write_lines(when)
            self.run(when)

    def hook_output(self):
        return self.hook_log.read_text() if self.hook_log.exists() else ""

    def rotated_files(self, olddir=None):
        folders = [self.logs_dir] + ([self.logs_dir / olddir] if olddir else [])
        return sorted(p for d in folders for p in d.iterdir()
                      if p.is_file() and p.name not in self.logs)

    def rotated_away(self, name):
        """Every line written to `name` that is no longer in the live log."""
        return self.written[name][: len(self.written[name]) - len(self.live_lines(name))]

    def live_lines(self, name):
        path = self.logs_dir / name
        return path.read_text().splitlines(keepends=True) if path.exists() else []

    def hook_command_via(self, wrapper, arg='"$1"', extra="", command="upload"):
        """hook_command, with the swiftrotate command line handed as arguments
        to `wrapper` (a command line of its own), e.g. one that may kill -9 it."""
        run = f"{sys.executable} -m swiftrotate"
        return self.hook_command(arg, extra, command).replace(run, f"{wrapper} {run}", 1)

    def configure_scripts(self, scripts, directives=(), rotate=2):
        """One `*.log` stanza like configure()'s, whose scripts are given as
        {"postrotate": command, "preremove": command, ...}."""
        lines = [f"{self.logs_dir}/*.log {{", "    daily", f"    rotate {rotate}", "    dateext", "    missingok",
                 "    notifempty", "    create 0640 root root"]
        lines += [f"    {d}" for d in directives]
        for hook, command in scripts.items():
            lines += [f"    {hook}", "        " + command, "    endscript"]
        lines.append("}")
        self.write_conf("\n".join(lines) + "\n")


def content(path_or_bytes, name):
    data = path_or_bytes if isinstance(path_or_bytes, bytes) else open(path_or_bytes, "rb").read()
    return gzip.decompress(data) if name.endswith(".gz") else data
