"""logrotate's `extension .log` under real logrotate (Debian 3.21, faked days): app.log rotates to
app-20261102.log[.gz] (the stamp inside the name), with a custom dateformat app.2026-11-02.log.gz,
in olddir too. The plain hook line reads extension from the stanza, archives every rotation once
under the log's own name (HOST/.../app.log-20261102.gz, as any rotation), and fetch returns it.
"""
import json
import re

import pytest

from tests.integration.test_logrotate_stanza import (DAYS, archived, make_lab, pending_in_the_metrics_and_status,
                                                     three_days_then_an_outage)
from tests.support.clirun import run_cli

CASES = {
    # case: (directives, olddir, the rotated names logrotate gives app.log, the archived stamps)
    "plain": (["extension .log"], None, r"app-202611\d\d\.log", r"-202611\d\d"),
    "compress": (["extension .log", "compress"], None, r"app-202611\d\d\.log\.gz", r"-202611\d\d"),
    "delaycompress": (["extension .log", "compress", "delaycompress"], None, r"app-202611\d\d\.log(\.gz)?",
                      r"-202611\d\d"),
    "dateformat": (["extension .log", "compress", "dateformat .%Y-%m-%d"], None, r"app\.2026-11-\d\d\.log\.gz",
                   r"\.2026-11-\d\d"),
    "olddir": (["extension .log", "compress"], "old", r"app-202611\d\d\.log\.gz", r"-202611\d\d"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_extension_rotations_are_archived_once_and_fetched_back(tmp_path, case):
    directives, olddir, local_re, stamp_re = CASES[case]
    lab = make_lab(tmp_path)
    # literal names: a *.log glob would also match app-20261102.log, and logrotate rotates it again
    lab.configure(directives, olddir=olddir, two_patterns=True, gate=case == "olddir",
                  rotate=2 if case == "olddir" else 30)
    lab.days(DAYS)
    out = lab.hook_output()
    assert [p.returncode for p in lab.results] == [0] * len(DAYS), ([p.stderr for p in lab.results], out)
    assert "error" not in out.lower() and "warning" not in out.lower() and "keeping" not in out, out
    local = [p.name for p in lab.rotated_files(olddir) if p.name.startswith("app")]
    assert local and all(re.fullmatch(local_re, n) for n in local), local  # logrotate's own names
    objects = archived(lab)
    for name in lab.logs:
        prefix = f"web01{lab.logs_dir / name}"
        mine = sorted(k for k in objects if k.startswith(prefix))
        assert len(mine) == len(DAYS) - 1, (name, sorted(objects), out)  # one object per rotation
        assert all(re.fullmatch(stamp_re, k[len(prefix):].removesuffix(".gz")) for k in mine), mine
        assert b"".join(objects[k] for k in mine).decode() == "".join(lab.rotated_away(name)), name
        fmt = ["--dateformat", ".%Y-%m-%d"] if case == "dateformat" else []
        fetched = run_cli("--config", str(lab.swiftrotate_conf), "fetch", str(lab.logs_dir / name), *fmt,
                          "--since", "2026-10-31", "--until", "2026-11-05", "--by-stamp", "--stdout", "--decompress")
        assert fetched.returncode == 0, fetched.stderr
        assert fetched.stdout == "".join(lab.rotated_away(name)), (name, fetched.stderr)
        listed = run_cli("--config", str(lab.swiftrotate_conf), "ls", "--log", str(lab.logs_dir / name),
                         "--since", "2026-10-31", "--until", "2026-11-05", "--by-stamp",
                         env={"SWIFTROTATE_DATEFORMAT": fmt[1]} if fmt else None)
        assert listed.returncode == 0 and [line.split()[-1] for line in listed.stdout.splitlines()] == mine, \
            (listed.stdout, listed.stderr)
    assert len(objects) == len(lab.logs) * (len(DAYS) - 1), sorted(objects)


def test_an_extension_of_swiftrotates_that_differs_from_the_stanzas_is_66_naming_it(tmp_path):
    """swiftrotate's own setting wins over the stanza's: logrotate's app-20261102.log is then not
    found, which is said (the contradiction, then exit 66 naming extension), never a quiet 0."""
    lab = make_lab(tmp_path, extension=".txt")
    lab.configure(["extension .log"], two_patterns=True)
    text = lab.conf.read_text()
    lab.write_conf(text.replace(f"{lab.hook_log} 2>&1", f'{lab.hook_log} 2>&1; echo "exit=$?" >> {lab.hook_log}'))
    lab.days(DAYS[:2])
    out = lab.hook_output()
    assert f"extension: {tmp_path}/swiftrotate.conf, line 7 says '.txt' but logrotate stanza {lab.conf}:1 says " \
           "'.log'" in out, out
    assert f"logrotate rotated {lab.logs_dir}/app-20261102.log but swiftrotate does not find it, so it would never " \
           f"be archived: check extension (ours is .txt, logrotate's is .log (logrotate stanza {lab.conf}:1)" in out, out
    assert out.count("exit=66") == 2, out
    assert not archived(lab)


def test_numbered_extension_rotations_under_lastaction_are_an_error_naming_the_fix(tmp_path):
    """Without dateext, logrotate's extension gives app.1.log.gz: no dateformat reads it, and
    without $2 (lastaction) only a look at the folder tells; exit 78, never a quiet 0."""
    lab = make_lab(tmp_path)
    log = lab.logs_dir / "app.log"
    lab.write_conf(f"{log} {{\n    daily\n    rotate 3\n    create\n    extension .log\n    compress\n"
                   f"    lastaction\n        {lab.hook_command()}; echo \"exit=$?\" >> {lab.hook_log}\n"
                   "    endscript\n}\n")
    lab.days(DAYS[:3])
    out = lab.hook_output()
    assert sorted(p.name for p in lab.rotated_files()) == ["app.1.log.gz", "app.2.log.gz"], lab.rotated_files()
    assert out.count("exit=78") == 2, out
    assert f"{lab.logs_dir}/app.1.log.gz is a numbered rotation of {log}: no dateformat reads its name" in out, out


def test_under_lastaction_extension_rotations_in_the_stanzas_olddir_that_swiftrotate_does_not_search_are_66(tmp_path):
    lab = make_lab(tmp_path, olddir="elsewhere")
    log = lab.logs_dir / "app.log"
    (lab.logs_dir / "old").mkdir()
    lab.write_conf(f"{log} {{\n    daily\n    rotate 3\n    create\n    dateext\n    extension .log\n"
                   f"    olddir old\n    lastaction\n        {lab.hook_command()}; "
                   f"echo \"exit=$?\" >> {lab.hook_log}\n    endscript\n}}\n")
    lab.days(DAYS[:3])
    out = lab.hook_output()
    assert out.count("exit=66") == 2, out
    assert f"{lab.logs_dir}/old/app-20261102.log sit in logrotate's olddir old" in out, out
    assert not archived(lab)


@pytest.mark.parametrize("case", ["plain", "olddir"])
def test_status_and_the_metrics_file_count_a_pending_extension_rotation(tmp_path, case):
    """app.log's stanza says `extension .log` (and, in one case, olddir old and compress), web.log's
    nothing, and swiftrotate's config names neither. During a store outage app-20261104.log[.gz]
    stays pending: `status` (no stanza at all), --nagios, --prometheus and the .prom file web.log's
    hook writes last (no extension in its stanza) must count it, with its age; after the next
    day's hooks catch up, status is healthy. Before the runs recorded their extension, all of them
    saw nothing pending for app.log."""
    prom = tmp_path / "node/swiftrotate.prom"
    prom.parent.mkdir()
    lab = make_lab(tmp_path, metrics_file=str(prom))
    app, web = (lab.logs_dir / name for name in lab.logs)
    olddir = "old" if case == "olddir" else None
    layouts = {app: "    extension .log\n" + ("    olddir old\n    compress\n" if olddir else ""), web: ""}
    if olddir:
        (lab.logs_dir / olddir).mkdir()
    three_days_then_an_outage(tmp_path, lab, layouts)
    # not app-20261104.log.gz: logrotate does not compress a rotation whose postrotate failed
    waiting = lab.logs_dir / (olddir or "") / "app-20261104.log"
    assert waiting.exists() and (lab.logs_dir / "web.log-20261104").exists(), (lab.rotated_files(olddir),
                                                                             lab.hook_output())
    logs = pending_in_the_metrics_and_status(lab, prom, app, web, waiting)
    assert logs[str(app)]["last_run"]["extension"] == ".log", logs
    assert logs[str(web)]["pending"]["files"] == 1 and logs[str(web)]["last_run"]["extension"] == "", logs
    nagios = run_cli("--config", str(lab.swiftrotate_conf), "status", "--nagios")
    assert nagios.returncode == 1 and "'pending_files'=2;" in nagios.stdout, nagios.stdout
    assert 30 * 3600 <= float(re.search(r"'oldest_pending_age'=([0-9.]+)s", nagios.stdout).group(1)) < 31 * 3600
    prometheus = run_cli("--config", str(lab.swiftrotate_conf), "status", "--prometheus").stdout
    assert f'swiftrotate_pending_files{{log="{app}"}} 1' in prometheus, prometheus
    (tmp_path / "store").unlink()
    (tmp_path / "store-away").rename(tmp_path / "store")
    lab.write_lines(DAYS[4])
    lab.run(DAYS[4])  # the next day's hooks archive the new rotations and the one left behind
    assert len(archived(lab)) == 8, (sorted(archived(lab)), lab.hook_output())
    proc = run_cli("--config", str(lab.swiftrotate_conf), "status", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(d["pending"]["files"] == 0 for d in json.loads(proc.stdout)["logs"]), proc.stdout
    assert f'swiftrotate_pending_files{{log="{app}"}} 0' in prom.read_text(), prom.read_text()
