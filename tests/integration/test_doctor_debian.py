"""`swiftrotate doctor` gives no false error on Debian's own logrotate configs with our hook
(issue 13 item 3): the /etc/logrotate.d files of eleven Debian packages and Debian's
/etc/logrotate.conf, fetched with `apt-get download` by the debian_etc fixture
(tests/conftest.py, tests/support/debian_confs.py), each stanza given `dateext` and the hook as the
README writes it (`swiftrotate upload "$1"`, last in postrotate). The real logrotate reads the
result as we do (that module's _compare, on `logrotate -d`)."""
import json
import re

from swiftrotate.logrotate_directives import SCRIPTS
from tests.integration.test_logrotate_debian_confs import _compare
from tests.support.debian_confs import CONFS
from tests.support.clirun import run_cli, write_config

HOOK = '\tswiftrotate upload "$1"\n'


def with_hook(text):
    """`text` with dateext and the hook in each stanza: the last line of its postrotate, else a
    postrotate of its own."""
    out, in_stanza, script, has_post = [], False, None, False
    for line in text.splitlines(keepends=True):
        words = line.split()
        first = words[0] if words and not words[0].startswith("#") else ""
        if script:
            if first == "endscript":
                out += [HOOK] if script == "postrotate" else []
                script = None
            out.append(line)
            continue
        if first in SCRIPTS:
            script, has_post = first, has_post or first == "postrotate"
        if in_stanza and first == "}":
            out += [] if has_post else ["\tpostrotate\n", HOOK, "\tendscript\n"]
            in_stanza, has_post = False, False
        out.append(line)
        if first and line.rstrip().endswith("{"):
            in_stanza = True
            out.append("\tdateext\n")
    return "".join(out)


def test_debian_configs_with_the_hook_give_no_false_error(debian_etc, tmp_path):  # noqa: F811
    folder = tmp_path / "logrotate.d"
    folder.mkdir()
    for name in CONFS:
        (folder / name).write_text(with_hook((debian_etc / "logrotate.d" / name).read_text()))
    conf = tmp_path / "logrotate.conf"
    conf.write_text((debian_etc / "logrotate.conf").read_text().replace("include /etc/logrotate.d",
                                                                      f"include {folder}"))
    reading = _compare(conf, tmp_path / "lr.state")  # the real logrotate reads what we read, hook included
    assert not reading.errors and len(reading.stanzas) == len(CONFS)
    for s in reading.stanzas:
        assert s.settings["dateext"] and s.scripts["postrotate"][0].endswith(HOOK), s.file

    cfg = write_config(tmp_path / "swiftrotate.conf", {"swiftrotate": {
        "dest": f"file://{tmp_path}/archive", "state_dir": str(tmp_path / "state"),
        "spool_dir": str(tmp_path / "spool")}})
    proc = run_cli("--config", cfg, "doctor", str(conf))
    lines = proc.stdout.splitlines()
    assert proc.returncode <= 1 and not [line for line in lines if ": error: " in line], proc.stdout
    doc = json.loads(run_cli("--config", cfg, "doctor", "--json", str(conf)).stdout)
    assert (doc["stanzas"], doc["hooked"], doc["errors"]) == (len(CONFS), len(CONFS), 0)
    # what it does say is true of these configs: squid keeps 2 days, postgresql-common copies,
    # mariadb's maxsize 500M can rotate it at each (daily) logrotate run: 6 runs, not 6 months
    warned = {re.sub(r":\d+$", "", f["file"]).rsplit("/", 1)[-1] for f in doc["findings"]
              if f["severity"] == "warning"}
    assert warned == {"squid", "postgresql-common", "mariadb"}, proc.stdout
