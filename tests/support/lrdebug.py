"""The real logrotate's own reading of a config, as an oracle for swiftrotate/logrotate_conf.py.

`logrotate -d` (debug: changes nothing, runs no script) prints, for each stanza it built, the
pattern text and its frequency, rotate count, olddir, ifempty, minsize, maxsize, minage and mail;
`logrotate -d -f` also goes through a rotation of every log that exists, printing the rotated
name (dateext, olddir), copy/truncate, create with its mode, the compress command (compress
without delaycompress) and each script's arguments and text. Both runs happen in a private mount
namespace whose /var/log is an empty tmpfs holding only the logs asked for, so the machine's own
logs neither match nor change. Needs root (unshare, mount) and Debian's logrotate.
"""
import re
import shlex
import subprocess

LOGROTATE = "/usr/sbin/logrotate"
MARK = "=== forced ==="

HEADER = re.compile(
    r"(?P<text>.*?) (?:(?P<crit>after (?P<days>\d+) days |weekly |monthly |yearly |hourly |(?P<bytes>\d+) bytes )"
    r"|forced from command line )(?:\((?P<rotate>\d+) rotations\)\n|(?P<none>\(no old logs will be kept\)\n))?"
    r"(?:olddir is (?P<olddir>.*?), )?empty log files are (?P<notempty>not )?rotated, "
    r"(?:only log files >= (?P<minsize>\d+) bytes are rotated, )?"
    r"(?:log files >= (?P<maxsize>\d+) are rotated earlier, )?"
    r"(?:only log files older than (?P<minage>\d+) days are rotated, )?"
    r"(?:old logs mailed to (?P<mail>.*?)|old logs are removed)\n", re.S)


def run(conf, state, logs=(), dirs=()):
    """(plain output, forced output) of the real logrotate -d on `conf`, with /var/log a private
    tmpfs holding `logs` (each with one line) and `dirs` (folders, e.g. an olddir)."""
    setup = ["mount -t tmpfs -o mode=0755 swiftrotate-test /var/log"]
    setup += ["mkdir -p " + shlex.quote(d) for d in sorted(dirs)]
    for log in sorted(logs):
        setup.append("mkdir -p " + shlex.quote(log.rsplit("/", 1)[0]))
        setup.append("echo line > " + shlex.quote(log))
    lr = f"{LOGROTATE} -d -s {shlex.quote(str(state))} {shlex.quote(str(conf))} 2>&1"
    script = " && ".join(setup) + f"; {lr}; echo {shlex.quote(MARK)}; {lr.replace(' -d ', ' -d -f ')}"
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script],
                          capture_output=True, text=True, timeout=120)
    if MARK not in proc.stdout:
        raise AssertionError(f"logrotate did not run: {proc.returncode} {proc.stdout} {proc.stderr}")
    plain, forced = proc.stdout.split(MARK + "\n", 1)
    return plain, forced


def blocks(output):
    """One dict per stanza logrotate handled, in its order: the header's fields, and `body`, the
    lines of the rotation that follow it."""
    out = []
    for chunk in output.split("\nrotating pattern: ")[1:]:
        m = HEADER.match(chunk)
        assert m, f"unreadable logrotate -d block: {chunk[:300]!r}"
        d = m.groupdict()
        if d["crit"]:
            d["frequency"] = ("daily" if d["days"] == "1" else d["crit"]) if d["days"] else \
                "size" if d["bytes"] else d["crit"].strip()
        d["rotate"] = int(d["rotate"]) if d["rotate"] else 0 if d["none"] else -1
        d["body"] = chunk[m.end():]
        out.append(d)
    return out


def handled(output):
    m = re.search(r"^Handling (\d+) logs$", output, re.M)
    assert m, output[-2000:]
    return int(m[1])
