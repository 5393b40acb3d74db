"""Under real logrotate (Debian 3.21, faked days), the plain hook line takes olddir, dateformat and
dateyesterday from the stanza that ran it (issue 13): nothing repeated in swiftrotate's config.
A rotation logrotate just made that the hook cannot find is exit 66, a numbered rotation under
lastaction is 78, a contradiction is one warning per run, and a run without logrotate is as before.
"""
import gzip
import json
import os
import re
import time

import pytest

from tests.support.clirun import run_cli, write_config
from tests.support.lrlab import Lab

DAYS = ["2026-11-01 00:10:00", "2026-11-02 00:10:00", "2026-11-03 00:10:00", "2026-11-04 00:10:00",
        "2026-11-05 00:10:00"]


@pytest.fixture
def lab(tmp_path):
    return make_lab(tmp_path)


def make_lab(tmp_path, **extra):
    cfg = write_config(tmp_path / "swiftrotate.conf", {"swiftrotate": {
        "dest": f"file://{tmp_path / 'store'}", "state_dir": str(tmp_path / "state"),
        "spool_dir": str(tmp_path / "spool"), "host": "web01", "settle_seconds": "0", **extra}})
    return Lab(tmp_path / "lab", cfg)


def archived(lab):
    store = lab.root.parent / "store"
    out = {}
    for p in store.rglob("*") if store.exists() else ():
        if p.is_file() and not p.name.endswith(".srmeta") and not p.name.startswith("."):
            data = p.read_bytes()
            out[str(p.relative_to(store))] = gzip.decompress(data) if p.name.endswith(".gz") else data
    return out


def assert_every_rotation_archived(lab, stamp_re):
    assert [p.returncode for p in lab.results] == [0] * len(lab.results), (
        [p.stderr for p in lab.results], lab.hook_output())
    assert "error" not in lab.hook_output().lower() and "warning" not in lab.hook_output().lower(), lab.hook_output()
    objects = archived(lab)
    for name in lab.logs:
        prefix = f"web01{lab.logs_dir / name}"
        mine = sorted(k for k in objects if k.startswith(prefix))
        # one object per rotation: four faked days after the first run
        assert len(mine) == len(DAYS) - 1, (name, sorted(objects), lab.hook_output())
        assert all(re.fullmatch(stamp_re, k[len(prefix):].removesuffix(".gz")) for k in mine), mine
        text = b"".join(objects[k] for k in mine).decode()
        assert text == "".join(lab.rotated_away(name)), name


@pytest.mark.parametrize("case", ["relative", "absolute", "dateyesterday", "dateformat"])
def test_olddir_stanza_with_the_plain_hook_archives_every_rotation(lab, tmp_path, case):
    olddir = str(tmp_path / "lab/archive") if case == "absolute" else "old"
    directives = ["compress"]
    stamp = r"-202611\d\d"
    if case == "dateyesterday":
        directives.append("dateyesterday")
        stamp = r"-2026(10|11)\d\d"
    if case == "dateformat":
        directives.append("dateformat .%Y-%m-%d")
        stamp = r"\.2026-11-\d\d"
    lab.configure(directives, olddir=olddir)  # the hook line: swiftrotate upload "$1", nothing else
    lab.days(DAYS)
    assert_every_rotation_archived(lab, stamp)
    if case == "dateyesterday":  # Nov 2's run names the file for Nov 1
        assert any(k.removesuffix(".gz").endswith("/app.log-20261101") for k in archived(lab)), sorted(archived(lab))


def test_dry_run_shows_each_setting_and_the_stanza_line_it_comes_from(lab):
    lab.configure(["compress", "dateyesterday"], olddir="old", extra_args="--dry-run")
    lab.days(DAYS[:2])
    out = lab.hook_output()
    stanza = f"logrotate stanza {lab.conf}:1"
    assert f"settings for {lab.logs_dir}/app.log: dateformat -%Y%m%d ({stanza}), olddir old ({stanza}), " \
           f"dateyesterday yes ({stanza})" in out, out
    assert f"{stanza}: dateext yes, compression .gz, extension none, rotate 30, start 1, hook postrotate" in out, out
    assert "would-upload" in out and "/old/app.log-202611" in out, out


def test_a_rotated_file_the_hook_cannot_find_is_exit_66_naming_the_setting(lab):
    # no dateext: logrotate's $2 is app.log.1, which no dateformat reads
    lab.write_conf(f"{lab.logs_dir}/*.log {{\n    daily\n    rotate 3\n    missingok\n    create\n"
                   f"    postrotate\n        {lab.hook_command()}; echo \"exit=$?\" >> {lab.hook_log}\n"
                   "    endscript\n}\n")
    lab.days(DAYS[:2])
    out = lab.hook_output()
    assert out.count("exit=66") == 2, out  # app.log and web.log
    assert f"logrotate rotated {lab.logs_dir}/app.log.1 but swiftrotate does not find it" in out, out
    assert f"check dateext (add it to logrotate stanza {lab.conf}:1)" in out, out


def with_exit_codes(lab):
    """The hook line, then its exit code in the hook's log."""
    text = lab.conf.read_text()
    assert text.count(f"{lab.hook_log} 2>&1") == 1
    lab.write_conf(text.replace(f"{lab.hook_log} 2>&1", f'{lab.hook_log} 2>&1; echo "exit=$?" >> {lab.hook_log}'))


def test_olddir_overridden_by_swiftrotate_config_warns_and_exits_66(tmp_path):
    lab = make_lab(tmp_path, olddir="elsewhere")
    lab.configure(olddir="old")
    with_exit_codes(lab)
    lab.days(DAYS[:2])
    out = lab.hook_output()
    assert out.count(f"olddir: {tmp_path}/swiftrotate.conf, line 7 says 'elsewhere' but logrotate stanza "
                     f"{lab.conf}:1 says 'old'") == 2, out  # two logs, one rotating run
    assert f"logrotate rotated {lab.logs_dir}/old/app.log-20261102 but swiftrotate does not find it, so it would " \
           f"never be archived: check olddir (logrotate's is old, logrotate stanza {lab.conf}:1)" in out, out
    assert out.count("exit=66") == 2, out


def test_a_contradiction_is_one_warning_per_run_naming_both_values(tmp_path):
    lab = make_lab(tmp_path, dateyesterday="no")
    lab.configure(["dateyesterday", "sharedscripts"], hook="lastaction")
    lab.days(DAYS[:3])
    out = lab.hook_output()
    line = (f"dateyesterday: {tmp_path}/swiftrotate.conf, line 7 says 'no' but logrotate stanza "
            f"{lab.conf}:1 says 'yes'; swiftrotate's wins")
    assert out.count(line) == 2, out  # one lastaction run per rotating day, one warning in each
    assert [p.returncode for p in lab.results] == [0, 0, 0], lab.hook_output()
    assert len(archived(lab)) == 4


def test_a_numbered_rotation_under_lastaction_is_an_error_naming_the_fix(lab):
    lab.write_conf(f"{lab.logs_dir}/*.log {{\n    daily\n    rotate 3\n    missingok\n    create\n"
                   f"    sharedscripts\n    lastaction\n        {lab.hook_command()}; "
                   f"echo \"exit=$?\" >> {lab.hook_log}\n    endscript\n}}\n")
    lab.days(DAYS[:2])
    out = lab.hook_output()
    assert "exit=78" in out, out
    assert f"{lab.logs_dir}/app.log.1 is a numbered rotation of {lab.logs_dir}/app.log: no dateformat reads its " \
           f"name, so it is never archived (add dateext to logrotate stanza {lab.conf}:1, or run `swiftrotate " \
           "rename`)" in out, out


def test_without_logrotate_nothing_is_taken_from_its_config(lab):
    """A manual or cron run reads no logrotate config: olddir comes only from swiftrotate."""
    lab.configure(["compress"], olddir="old")
    lab.days(DAYS[:3])
    assert len(archived(lab)) == 4, lab.hook_output()
    proc = run_cli("--config", str(lab.swiftrotate_conf), "upload", "--dry-run", str(lab.logs_dir / "app.log"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == (f"settings for {lab.logs_dir}/app.log: dateformat -%Y%m%d (default), "
                                           "olddir - (default), dateyesterday no (default), extension - (default)"), proc.stdout
    assert "would-upload" not in proc.stdout and "logrotate stanza" not in proc.stdout + proc.stderr
    proc = run_cli("--config", str(lab.swiftrotate_conf), "upload", "--dry-run", "--olddir", "old",
                   str(lab.logs_dir / "app.log"))
    assert "olddir old (--olddir)" in proc.stdout, proc.stdout


def test_the_gate_reads_the_stanza_too(lab):
    """preremove's $1 is a rotated file in olddir with a custom dateformat: the gate names it by the
    stanza's layout, so it neither vetoes nor archives it under a second key."""
    lab.configure(["compress", "dateformat .%Y-%m-%d"], olddir="old", rotate=2, gate=True)
    lab.days(DAYS)
    assert [p.returncode for p in lab.results] == [0] * len(DAYS), ([p.stderr for p in lab.results],
                                                                   lab.hook_output())
    assert "keeping" not in lab.hook_output() and "error" not in lab.hook_output().lower(), lab.hook_output()
    keys = sorted(archived(lab))
    assert len(keys) == 2 * (len(DAYS) - 1) and not any("/old/" in k for k in keys), keys


def test_the_stanzas_missingok_covers_a_pattern_that_names_nothing(lab):
    """mariadb's stanza lists logs that may be absent, under missingok: logrotate says nothing of
    them, so the hook must not warn of them on every run either (nor fail)."""
    absent = lab.logs_dir / "absent" / "mysqld.log"
    lab.write_conf(f"{lab.logs_dir}/*.log {absent} {{\n    daily\n    rotate 3\n    missingok\n    create\n"
                   f"    dateext\n    sharedscripts\n    postrotate\n        {lab.hook_command()}; "
                   f"echo \"exit=$?\" >> {lab.hook_log}\n    endscript\n}}\n")
    lab.days(DAYS[:3])
    out = lab.hook_output()
    assert out.count("exit=0") == 2 and "exit=" not in out.replace("exit=0", ""), out
    assert str(absent.parent) not in out and "warning" not in out.lower(), out
    assert len(archived(lab)) == 2 * len(lab.logs), (sorted(archived(lab)), out)


def test_under_lastaction_an_olddir_of_swiftrotates_that_hides_the_stanzas_is_66(tmp_path):
    """No $2 to check there: the rotations in the stanza's olddir, which swiftrotate's own olddir
    keeps the search away from, are named instead of left unarchived with exit 0."""
    lab = make_lab(tmp_path, olddir="elsewhere")
    lab.configure(["sharedscripts"], hook="lastaction", olddir="old")
    with_exit_codes(lab)
    lab.days(DAYS[:2])
    out = lab.hook_output()
    assert "exit=66" in out, out
    assert f"{lab.logs_dir}/old/app.log-20261102 and 1 more sit in logrotate's olddir old (logrotate stanza {lab.conf}:1), " \
           "which swiftrotate does not search: its own olddir elsewhere" in out, out
    assert not archived(lab)


def test_a_hook_the_shell_execs_still_refuses_a_rotation_it_cannot_find(lab):
    """bash as /bin/sh (or `exec` in the script) execs the hook: logrotate is then its parent and
    neither the script nor $2 reaches it. A per-log postrotate still runs only after its log rotated,
    so finding no rotation of it is exit 66, not "no rotated files found" and 0 (addextension's
    app.log-20261102.txt is a name swiftrotate does not read)."""
    log = lab.logs_dir / "app.log"
    lab.write_conf(f"{log} {{\n    daily\n    rotate 3\n    create\n    dateext\n    addextension .txt\n"
                   f"    postrotate\n        exec {lab.hook_command()}\n    endscript\n}}\n")
    lab.days(DAYS[:2])
    out = lab.hook_output()
    assert f"logrotate ran the postrotate hook for {log} (logrotate stanza {lab.conf}:1), so it has just rotated " \
           "it, but swiftrotate finds no rotation of it" in out, out
    assert any("error running non-shared postrotate script" in p.stderr for p in lab.results), \
        [p.stderr for p in lab.results]
    assert not archived(lab)


def test_a_hook_the_shell_execs_archives_as_usual(lab):
    lab.configure_scripts({"postrotate": "exec " + lab.hook_command()}, rotate=5)
    lab.days(DAYS[:3])
    assert [p.returncode for p in lab.results] == [0, 0, 0], [p.stderr for p in lab.results]
    assert len(archived(lab)) == 2 * len(lab.logs), (sorted(archived(lab)), lab.hook_output())


def test_the_gate_finds_the_stanza_of_a_file_in_an_absolute_olddir(tmp_path):
    """Two stanzas share the hook lines and keep rotations in absolute olddirs with a dateformat of
    their own: preremove's $1 (a file there) names no live log by itself. The stanza's patterns
    do; without them no stanza matched, the default dateformat applied, and the gate kept every
    archived file (exit 1) from then on, so the logs stopped rotating."""
    lab = make_lab(tmp_path)
    arch = {n: tmp_path / f"archive-{n}" for n in ("a", "b")}
    stanzas = []
    for n, name in zip(("a", "b"), lab.logs):
        arch[n].mkdir()
        stanzas.append(f"{lab.logs_dir / name} {{\n    daily\n    rotate 1\n    create\n    dateext\n"
                       f"    dateformat .%Y-%m-%d\n    olddir {arch[n]}\n"
                       f"    postrotate\n        {lab.hook_command()}\n    endscript\n"
                       f"    preremove\n        {lab.hook_command(command='gate')}\n    endscript\n}}\n")
    lab.write_conf("".join(stanzas))
    lab.days(DAYS)
    out = lab.hook_output()
    assert [p.returncode for p in lab.results] == [0] * len(DAYS), ([p.stderr for p in lab.results], out)
    assert "keeping" not in out and "no stanza" not in out, out
    objects = archived(lab)
    for name in lab.logs:
        mine = sorted(k for k in objects if k.startswith(f"web01{lab.logs_dir / name}."))
        assert len(mine) == len(DAYS) - 1, (name, sorted(objects), out)  # one per rotation, under the live log
    assert len(objects) == 2 * (len(DAYS) - 1), sorted(objects)


def three_days_then_an_outage(tmp_path, lab, layouts):
    """One daily stanza per log with the plain hook and its own layout lines; three days
    archived, then the store made unreachable and a fourth day rotated: the status tests'
    start (store-away holds the store)."""
    lab.write_conf("".join(
        f"{log} {{\n    daily\n    rotate 30\n    create\n    dateext\n{layout}"
        f"    postrotate\n        {lab.hook_command()}\n    endscript\n}}\n" for log, layout in layouts.items()))
    lab.days(DAYS[:3])
    assert len(archived(lab)) == 4, lab.hook_output()
    store = tmp_path / "store"
    store.rename(tmp_path / "store-away")
    store.write_text("the outage: no folder where the store was\n")
    lab.write_lines(DAYS[3])
    lab.run(DAYS[3])


def pending_in_the_metrics_and_status(lab, prom, app, web, waiting):
    """The outage's rotations of both logs pending in the .prom file the last hook wrote; with
    `waiting` aged 30 h, `status --json` degraded and counting it: its logs, by name."""
    metrics = prom.read_text()
    assert f'swiftrotate_pending_files{{log="{app}"}} 1' in metrics, metrics
    assert f'swiftrotate_pending_files{{log="{web}"}} 1' in metrics, metrics
    day_and_more = time.time() - 30 * 3600
    os.utime(waiting, (day_and_more, day_and_more))
    proc = run_cli("--config", str(lab.swiftrotate_conf), "status", "--json")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # degraded: waited over warn_pending_age
    logs = {d["log"]: d for d in json.loads(proc.stdout)["logs"]}
    assert logs[str(app)]["pending"]["files"] == 1, logs
    assert 30 * 3600 <= logs[str(app)]["pending"]["oldest_age_seconds"] < 31 * 3600, logs
    return logs


def test_status_and_the_metrics_file_see_each_stanzas_layout(tmp_path):
    """Review finding 5: app.log's stanza keeps rotations in olddir with a dateformat of its own,
    web.log's stanza uses the defaults, and swiftrotate's config names neither. During an outage
    the file stays pending: `status` (no stanza at all) and the .prom file web.log's hook writes
    last (its stanza's layout, not app.log's) must both count it, with its age. Before the runs
    recorded their layout, both saw nothing pending for app.log."""
    prom = tmp_path / "node/swiftrotate.prom"
    prom.parent.mkdir()
    lab = make_lab(tmp_path, metrics_file=str(prom))
    app, web = (lab.logs_dir / name for name in lab.logs)
    (lab.logs_dir / "old").mkdir()
    layouts = {app: "    dateformat .%Y-%m-%d\n    olddir old\n", web: ""}
    three_days_then_an_outage(tmp_path, lab, layouts)
    waiting = lab.logs_dir / "old/app.log.2026-11-04"
    assert waiting.exists() and (lab.logs_dir / "web.log-20261104").exists(), lab.hook_output()
    logs = pending_in_the_metrics_and_status(lab, prom, app, web, waiting)
    assert logs[str(app)]["last_run"]["olddir"] == "old" and logs[str(app)]["last_run"]["dateformat"] == ".%Y-%m-%d"
    assert logs[str(web)]["pending"]["files"] == 1, logs
    nagios = run_cli("--config", str(lab.swiftrotate_conf), "status", "--nagios")
    assert nagios.returncode == 1 and "'pending_files'=2;" in nagios.stdout, nagios.stdout
    assert 30 * 3600 <= float(re.search(r"'oldest_pending_age'=([0-9.]+)s", nagios.stdout).group(1)) < 31 * 3600
    prometheus = run_cli("--config", str(lab.swiftrotate_conf), "status", "--prometheus").stdout
    assert f'swiftrotate_pending_files{{log="{app}"}} 1' in prometheus, prometheus
