"""Issue 13's pure parts: logrotate's command line and its script shell (logrotate_caller.py),
the stanza's values, their merge with swiftrotate's settings and where each comes from
(stanza_settings.py, config.Settings.source), and the /proc walk on a real process tree whose
top is named logrotate. The same under the real logrotate: tests/integration/test_logrotate_stanza.py."""
import json
import os

import subprocess
import sys
import time

import pytest

from swiftrotate.config import Settings
from swiftrotate.logrotate_caller import Call, config_paths, is_logrotate, script_call
from swiftrotate.logrotate_conf import read
from swiftrotate.logrotate_stanza import choose, take
from swiftrotate.stanza_settings import contradictions, missing_setting, unread_compression


@pytest.mark.parametrize("argv,configs", [
    (["/usr/sbin/logrotate", "/etc/logrotate.conf"], ("/etc/logrotate.conf",)),
    (["logrotate", "-s", "/var/lib/st", "-v", "a.conf", "/b.d"], ("/w/a.conf", "/b.d")),
    (["logrotate", "--state", "/st", "--log=/l", "-f", "--force", "-d", "/c"], ("/c",)),
    (["logrotate", "-vs", "/st", "-m", "/usr/bin/mail", "-l", "/log", "/c"], ("/c",)),
    (["logrotate", "-s/st", "--mail", "mutt", "/c", "--verbose", "/d"], ("/c", "/d")),
    (["logrotate", "--state=/st", "--skip-state-lock", "--wait-for-state-lock", "--", "-odd.conf"],
     ("/w/-odd.conf",)),
    (["logrotate", "-f"], ("/etc/logrotate.conf",)),
])
def test_config_paths_skip_logrotates_options_and_their_values(argv, configs):
    assert config_paths(argv, "/w") == configs


def test_the_script_shell_gives_script_and_arguments():
    assert script_call(["sh", "-c", "swiftrotate upload \"$1\"\n", "logrotate_script", "/d/a.log", "/d/a.log-1"]) \
        == ("swiftrotate upload \"$1\"\n", ("/d/a.log", "/d/a.log-1"))
    assert script_call(["/bin/sh", "-c", "x", "logrotate_script", "/d/*.log "]) == ("x", ("/d/*.log ",))
    assert script_call(["python3", "-m", "swiftrotate", "upload"]) is None
    assert Call(1, (), "x", ("/d/a.log", "/d/a.log-1")).rotated == "/d/a.log-1"
    assert Call(1, (), "x", ("/d/*.log ",)).rotated is None
    assert is_logrotate(["/usr/sbin/logrotate", "-s", "x"]) and not is_logrotate(["logrotate-wrapper"])


STANZAS = """compress
/var/log/app/*.log {
    daily
    dateext
    dateyesterday
    olddir archive
    rotate 9
    postrotate
        swiftrotate upload "$1"
    endscript
}
/var/log/web.log /var/log/api.log {
    dateext
    dateformat .%Y-%m-%d
    nocompress
    start 3
    sharedscripts
    lastaction
        swiftrotate upload "$1"
    endscript
    preremove
        swiftrotate gate "$1"
    endscript
}
"""


@pytest.fixture
def stanzas(tmp_path):
    path = tmp_path / "lr.conf"
    path.write_text(STANZAS)
    return read(str(path))


def test_take_keeps_what_names_the_rotations(stanzas):
    app, web = take(stanzas[0], '\n        swiftrotate upload "$1"\n'), take(stanzas[1])
    assert app.values == {"olddir": "archive", "dateformat": "-%Y%m%d", "extension": None, "dateyesterday": "yes",
                          "missingok": "no"}
    assert (app.dateext, app.compress_ext, app.rotate, app.start, app.shared) == (True, ".gz", 9, 1, False)
    assert app.where.endswith("lr.conf:2") and app.hook == "postrotate"
    assert web.values == {"olddir": None, "dateformat": ".%Y-%m-%d", "extension": None, "dateyesterday": "no",
                          "missingok": "no"}
    assert (web.compress_ext, web.start, web.shared, web.hook) == (None, 3, True, None)
    assert web.context() == "dateext yes, compression no, extension none, rotate 0, start 3"


def test_choose_finds_the_stanza_of_a_hook_call(stanzas):
    app, web = stanzas
    assert choose(stanzas, None, "/var/log/app/x.log") is app
    assert choose(stanzas, None, "/var/log/web.log /var/log/api.log ") is web
    assert choose(stanzas, None, "/var/log/other.log") is None
    # preremove's $1 is a rotated file: its stanza by the script text, or by its own layout
    gate = web.scripts["preremove"][0]
    assert choose(stanzas, gate, "/var/log/api.log.2026-11-02") is web
    assert choose(stanzas, None, "/var/log/app/archive/x.log-20261102") is app


def test_contradictions_name_both_values_and_sources(stanzas):
    app = take(stanzas[0])
    lines = contradictions(app, {"olddir": ("old/", "--olddir"), "dateformat": ("-%Y%m%d", "/etc/s.conf, line 3"),
                                 "dateyesterday": ("no", "SWIFTROTATE_DATEYESTERDAY")})
    assert lines == [
        f"dateyesterday: SWIFTROTATE_DATEYESTERDAY says 'no' but logrotate stanza {app.where} says 'yes'; "
        "swiftrotate's wins (remove it from swiftrotate, or make the two agree)",
        f"olddir: --olddir says 'old/' but logrotate stanza {app.where} says 'archive'; "
        "swiftrotate's wins (remove it from swiftrotate, or make the two agree)"]
    assert contradictions(app, {"olddir": ("archive/", "--olddir"), "dateyesterday": ("yes", "x")}) == []
    # a stanza without olddir: an olddir of ours only adds a folder to search
    assert contradictions(take(stanzas[1]), {"olddir": ("old", "--olddir")}) == []


def test_missing_setting_names_what_keeps_2_from_being_found(stanzas):
    app = take(stanzas[0])
    live = "/var/log/app/x.log"
    assert missing_setting("/var/log/app/archive/x.log-20261102", live, None, "-%Y%m%d", app) == \
        f"olddir (logrotate's is archive, logrotate stanza {app.where})"
    assert missing_setting("/var/log/app/x.log.1", live, None, "-%Y%m%d", None) == "dateext"
    assert missing_setting("/var/log/app/archive/x.log-2026.11.02", live, "archive", "-%Y%m%d", app) \
        == f"dateformat (ours is -%Y%m%d, logrotate's is -%Y%m%d (logrotate stanza {app.where}))"
    with_extension = app._replace(extension=".log")
    # read as the stanza says (ours follows it): no longer extension's fault, so the dateformat's
    assert missing_setting("/var/log/app/archive/x-20261102.log", live, "archive", "-%Y%m%d", with_extension,
                           ".log").startswith("dateformat")
    # swiftrotate's own extension won over the stanza's
    assert missing_setting("/var/log/app/archive/x-20261102.log", live, "archive", "-%Y%m%d", with_extension,
                           ".txt") == f"extension (ours is .txt, logrotate's is .log (logrotate stanza {app.where}): " \
                                      "remove it from swiftrotate's config, or make the two agree)"
    assert missing_setting("/var/log/app/archive/x-20261102.log", live, "archive", "-%Y%m%d", with_extension) \
        .startswith("extension (ours is none, logrotate's is .log")


def test_an_extension_of_swiftrotates_that_differs_from_the_stanzas_is_a_contradiction(stanzas):
    app = take(stanzas[0])._replace(values={**take(stanzas[0]).values, "extension": ".log"})
    assert contradictions(app, {"extension": (".log", "--extension")}) == []
    assert contradictions(app, {"extension": (".txt", "--extension")}) == [
        f"extension: --extension says '.txt' but logrotate stanza {app.where} says '.log'; "
        "swiftrotate's wins (remove it from swiftrotate, or make the two agree)"]
    assert contradictions(take(stanzas[0]), {"extension": ("", "x")}) == []  # none and empty agree


def test_a_compression_suffix_swiftrotate_does_not_read_is_warned_about(stanzas):
    app = take(stanzas[0])
    assert unread_compression(app) is None and unread_compression(app._replace(compress_ext=".zst")) is None
    assert unread_compression(app._replace(compress_ext=".gzip")).startswith(
        f"logrotate stanza {app.where} compresses rotations to *.gzip, which swiftrotate does not read")


def test_the_stanza_takes_the_place_of_the_defaults_and_sources_are_named(tmp_path, stanzas):
    ini = tmp_path / "s.conf"
    ini.write_text("[swiftrotate]\nhost = h\ndateformat = -%Y%m%d%H\n[log /var/log/app/*.log]\nolddir = old\n")
    settings = Settings(str(ini), environ={})
    assert settings.explicit("dateyesterday", "/var/log/app/a.log") is None
    settings.stanza = take(stanzas[0])
    src = f"logrotate stanza {settings.stanza.where}"
    assert (settings.get("dateyesterday"), settings.source("dateyesterday")) == ("yes", src)
    assert (settings.get("dateformat"), settings.source("dateformat")) == ("-%Y%m%d%H", f"{ini}, line 3")
    assert settings.source("olddir", "/var/log/app/a.log") == f"{ini}, line 5"
    assert settings.explicit("olddir", "/var/log/app/a.log") == ("old", f"{ini}, line 5")
    assert (settings.get("olddir", "/var/log/b.log"), settings.source("olddir", "/var/log/b.log")) == ("archive", src)
    settings.set_flags(olddir="x")
    assert settings.source("olddir", "/var/log/app/a.log") == "--olddir"
    assert Settings(None, environ={"SWIFTROTATE_OLDDIR": "e"}).source("olddir") == "SWIFTROTATE_OLDDIR"
    assert Settings(None, environ={}).source("state_dir") == "default"


WALK = """
import json, os, subprocess, sys
if sys.argv[1:] == ["child"]:
    from swiftrotate import logrotate_caller
    c = logrotate_caller.find()
    print(json.dumps(c and [c.configs, c.script, c.args]))
else:  # this process plays logrotate: bash's exec -a gave it logrotate's argv[0]
    script = f"{os.environ['PY']} {sys.argv[0]} child"  # sys.executable follows argv[0] here
    subprocess.run(["/bin/sh", "-c", script, "logrotate_script", "/d/a.log", "/d/a.log-1"], check=True)
"""


def test_the_proc_walk_finds_logrotate_above_its_shell(tmp_path):
    script = tmp_path / "walk.py"
    script.write_text(WALK)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PY": sys.executable}
    run = ["bash", "-c", f'exec -a /usr/sbin/logrotate {sys.executable} "$@"', "x"]
    proc = subprocess.run(run + [str(script), "-s", "st", "c.conf"], capture_output=True, text=True, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [[str(script), f"{tmp_path}/c.conf"], f"{sys.executable} {script} child",
                                       ["/d/a.log", "/d/a.log-1"]]
    # not under logrotate: None
    proc = subprocess.run([sys.executable, str(script), "child"], capture_output=True, text=True, env=env)
    assert json.loads(proc.stdout) is None, proc.stderr


CACHED = """
import json, sys
from swiftrotate.config import Settings
from swiftrotate.logrotate_caller import Call
from swiftrotate.under_logrotate import _taken
settings = Settings(sys.argv[1], environ={})
taken = _taken(settings, Call(1, (sys.argv[2],), None, ("/var/log/app/a.log",)), "/var/log/app/a.log")
assert isinstance(taken.patterns, tuple) and isinstance(taken.hooked, tuple)  # from the cache's JSON too
print(json.dumps([taken.values["olddir"], "swiftrotate.logrotate_conf" in sys.modules]))
"""


def test_the_stanza_is_cached_until_a_file_or_folder_it_was_read_from_changes(tmp_path):
    (tmp_path / "state").mkdir()
    ini = tmp_path / "s.conf"
    ini.write_text(f"[swiftrotate]\nstate_dir = {tmp_path / 'state'}\n")
    (tmp_path / "d").mkdir()
    main = tmp_path / "lr.conf"
    main.write_text(f"include {tmp_path / 'd'}\n")
    (tmp_path / "d/app").write_text("/var/log/app/*.log {\n    dateext\n    olddir one\n}\n")

    def run():
        proc = subprocess.run([sys.executable, "-c", CACHED, str(ini), str(main)], capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def aged():  # a config written in the last 2 s may still be changing: read, never cached
        for path in [main, tmp_path / "d", *(tmp_path / "d").iterdir()]:
            os.utime(path, (time.time() - 60, time.time() - 60))

    assert run() == ["one", True]
    assert run() == ["one", True]  # just written: not cached
    aged()
    assert run() == ["one", True]  # read, parsed, cached
    assert run() == ["one", False]  # from the cache: the parser not even imported
    (tmp_path / "d/app").write_text("/var/log/app/*.log {\n    dateext\n    olddir two\n}\n")
    assert run() == ["two", True]
    aged()
    (tmp_path / "d/0first").write_text("/var/log/app/a.log {\n    olddir three\n}\n")  # a new file in the folder
    assert run() == ["three", True]
    aged()
    assert run() == ["three", True]
    assert run() == ["three", False]
    os.chmod(tmp_path / "state/logrotate-stanzas.json", 0o666)  # one others may write is not believed
    assert run() == ["three", True]
