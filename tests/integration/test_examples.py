"""The shipped examples must work as shipped: logrotate accepts them, and run
under real logrotate over faked days they archive every line once, gzipped."""
import glob
import gzip
import os
import subprocess

import pytest

from tests.support.clirun import write_config
from tests.support.lrlab import LOGROTATE, Lab
from swiftrotate.config import Settings
from swiftrotate.naming import unit_id

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")


@pytest.mark.parametrize("conf", sorted(glob.glob(os.path.join(EXAMPLES, "logrotate.d", "*"))),
                         ids=os.path.basename)
def test_logrotate_accepts_the_example(conf, tmp_path):
    # -d parses and plans without touching anything (and runs no scripts)
    proc = subprocess.run([LOGROTATE, "-d", "-s", str(tmp_path / "state"), conf],
                          capture_output=True, text=True)
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")
              and "No such file" not in line and "stat of" not in line]
    assert errors == [], proc.stderr
    assert 'swiftrotate upload' in open(conf).read()


def test_example_swiftrotate_conf_parses():
    settings = Settings(os.path.join(EXAMPLES, "swiftrotate.conf"), environ={})
    assert settings.get("dest") == "swift://logs/prod"
    # olddir, dateformat, dateyesterday come from the stanza that runs the hook: not repeated here
    assert settings.get("olddir", "/var/log/myapp/*.log") is None
    assert settings.source("dateformat", "/var/log/myapp/a.log") == "default"


DAYS = ["2026-11-01 00:10:00", "2026-11-02 00:10:00", "2026-11-03 00:10:00", "2026-11-04 00:10:00"]
HOURS = ["2026-11-01 00:10:00", "2026-11-01 01:10:00", "2026-11-01 02:10:00", "2026-11-01 03:10:00"]


def lab_for(conf, tmp_path):
    """The example as shipped, its /var/log moved into tmp: the swiftrotate
    lines run this checkout (with a config whose store is a tmp folder), the
    daemons' reload lines are not ours to run here."""
    config = write_config(tmp_path / "swiftrotate.conf", {"swiftrotate": {
        "dest": f"file://{tmp_path / 'store'}", "state_dir": str(tmp_path / "state"),
        "spool_dir": str(tmp_path / "spool"), "host": "web01", "settle_seconds": "0"}})
    text = open(conf).read()
    stanza = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    patterns = stanza[:stanza.index("{")].split()
    lab = Lab(tmp_path / "lab", config, logs=[p[len("/var/log/"):].replace("*", "app") for p in patterns])
    for name in lab.logs:
        (lab.logs_dir / name).parent.mkdir(parents=True, exist_ok=True)
    lines, in_script = [], False
    for line in text.replace("/var/log/", f"{lab.logs_dir}/").splitlines():
        word = line.split()[0] if line.split() else ""
        if in_script and word == "swiftrotate":
            line = lab.hook_command(arg="", command=line.split(None, 1)[1])
        elif in_script and word != "endscript":
            line = "true"
        in_script = word in ("postrotate", "prerotate", "preremove", "firstaction", "lastaction") or (
            in_script and word != "endscript")
        lines.append(line)
    lab.write_conf("\n".join(lines) + "\n")
    return lab, tmp_path / "store"


@pytest.mark.parametrize("conf", sorted(glob.glob(os.path.join(EXAMPLES, "logrotate.d", "*"))),
                         ids=os.path.basename)
def test_the_example_archives_every_line_once_and_gzipped(conf, tmp_path):
    lab, store = lab_for(conf, tmp_path)
    lab.days(HOURS if "    hourly\n" in open(conf).read() else DAYS)
    assert [p.returncode for p in lab.results] == [0] * len(lab.results), (
        [p.stderr for p in lab.results], lab.hook_output())
    objects = {str(p.relative_to(store)): p.read_bytes() for p in store.rglob("*")
               if p.is_file() and not p.name.endswith(".srmeta") and not p.name.startswith(".")}
    assert objects, "nothing archived; hook output:\n" + lab.hook_output()
    # every example stores gzip: logrotate's own .gz, or --compress gzip on the way
    assert {key: data[:2] for key, data in objects.items()} == {key: b"\x1f\x8b" for key in objects}
    assert len({unit_id(key) for key in objects}) == len(objects)
    for name in lab.logs:
        prefix = f"web01{lab.logs_dir / name}-"
        archived = b"".join(gzip.decompress(objects[k]) for k in sorted(objects) if k.startswith(prefix))
        assert archived.decode() == "".join(lab.rotated_away(name)), name
        assert archived, name
