"""swiftrotate/logrotate_conf.py on small inline configs: logrotate 3.21's grammar, defaults,
includes, scripts, recovery from mistakes, and stanza_for (issue 13). What the real logrotate
makes of the same shapes: tests/integration/test_logrotate_debian_confs.py."""
import os

import pytest

from swiftrotate.errors import ConfigError, LogrotateConfError
from swiftrotate.logrotate_conf import glob_match, read, read_config, stanza_for
from swiftrotate.logrotate_directives import popt_split


@pytest.fixture
def conf(tmp_path):
    """conf(text, name="c.conf") -> path of a config file holding text."""
    def write(text, name="c.conf"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return str(path)
    return write


def test_a_stanza_starts_from_the_globals_in_force_and_overrides_them(conf):
    path = conf("compress\nrotate 4\nweekly\n/var/log/a.log {\n  rotate 7\n  nocompress\n}\n"
                "dateext\n/var/log/b.log {\n}\n")
    a, b = read(path)
    assert (a.settings["rotate"], a.settings["compress"], a.settings["dateext"]) == (7, False, False)
    assert (b.settings["rotate"], b.settings["compress"], b.settings["dateext"]) == (4, True, True)
    assert a.settings["frequency"] == b.settings["frequency"] == "weekly"
    assert (a.file, a.line, b.line) == (path, 4, 9)


def test_defaults_are_logrotates():
    from swiftrotate.logrotate_directives import DEFAULTS
    assert (DEFAULTS["frequency"], DEFAULTS["size"], DEFAULTS["rotate"], DEFAULTS["start"]) == ("size", 1 << 20, 0, 1)
    assert DEFAULTS["ifempty"] is True and DEFAULTS["create"] is False


def test_patterns_several_per_line_on_lines_before_the_brace_quoted_and_with_trailing_space(conf):
    (s,) = read(conf('/var/log/a.log "/var/log/b c.log"\n  # a comment line\n\'/var/log/d.log\'   \n{\n}\n'))
    assert s.patterns == ("/var/log/a.log", "/var/log/b c.log", "/var/log/d.log")
    assert s.pattern_text == '/var/log/a.log "/var/log/b c.log"\n  \n\'/var/log/d.log\'   \n'
    (t,) = read(conf("/var/log/unattended-upgrades.log \n/var/log/x.log\n{\n}\n"))
    assert t.pattern_text == "/var/log/unattended-upgrades.log \n/var/log/x.log\n"


def test_a_hash_is_a_comment_only_where_a_directive_or_pattern_could_start(conf):
    (s,) = read(conf("compress # after a flag: a comment\n/var/log/a.log # here: two more patterns {\n}\n"))
    assert s.settings["compress"] and s.patterns == ("/var/log/a.log", "#", "here:", "two", "more", "patterns")
    with pytest.raises(LogrotateConfError) as e:
        read(conf("rotate 5 # after a value: part of it\n/var/log/a.log {\n}\n"))
    assert (e.value.line, e.value.kind) == (1, "file") and "bad rotation count '5 # after a value" in str(e.value)
    (s,) = read(conf("/var/log/a.log {\n  dateformat -%Y%m%d # kept\n}\n"))
    assert s.settings["dateformat"] == "-%Y%m%d # kept"


def test_no_forms_and_directives_with_and_without_arguments(conf):
    path = conf("compress\ndelaycompress\ndateext\ncreate 0640 root adm\nolddir /old\nmail a@b.c\nsharedscripts\n"
                "copytruncate\nmissingok\nnotifempty\n/var/log/a.log {\n  nocompress\n  nodelaycompress\n"
                "  nodateext\n  nocreate\n  noolddir\n  nomail\n  nosharedscripts\n  nocopytruncate\n"
                "  nomissingok\n  ifempty\n}\n/var/log/b.log {\n  renamecopy\n}\n")
    a, b = read(path)
    for key in ("compress", "delaycompress", "dateext", "create", "sharedscripts", "missingok"):
        assert a.settings[key] is False and b.settings[key] is True, key
    assert a.settings["copytruncate"] is False
    assert (a.settings["olddir"], a.settings["mail"], a.settings["ifempty"]) == (None, None, True)
    assert (b.settings["olddir"], b.settings["mail"], b.settings["ifempty"]) == ("/old", "a@b.c", False)
    assert (b.settings["renamecopy"], b.settings["copytruncate"]) == (True, False)  # renamecopy clears it
    assert (b.settings["create_mode"], b.settings["create_owner"], b.settings["create_group"]) == (0o640, "root", "adm")


def test_values_read_as_logrotate_reads_them(conf):
    (s,) = read(conf("/var/log/a.log {\n  rotate = 010\n  start 0\n  maxage 0x1e\n  size 100k\n"
                     "  maxsize 2G\n  minsize 1M\n  extension .log\n  compresscmd /usr/bin/xz\n"
                     "  dateformat -%Y-%m-%d\n  dateyesterday\n  weekly 3\n  create root adm\n"
                     "  create 600\n  su www-data adm\n}\n"))
    st = s.settings
    assert (st["rotate"], st["start"], st["maxage"]) == (8, 0, 30)  # strtol base 0: octal, hex
    assert (st["size"], st["maxsize"], st["minsize"]) == (102400, 2 << 30, 1 << 20)
    assert (st["frequency"], st["weekday"]) == ("weekly", 3)  # weekly after size: the last one wins
    assert (st["compresscmd"], st["compressext"], st["extension"]) == ("/usr/bin/xz", ".xz", ".log")
    assert (st["dateformat"], st["dateyesterday"]) == ("-%Y-%m-%d", True)
    assert (st["create"], st["create_mode"], st["create_owner"], st["create_group"]) == (True, 0o600, "root", "adm")
    assert (st["su"], st["su_user"], st["su_group"]) == (True, "www-data", "adm")


def test_effective_compress_command_and_dateformat(conf):
    a, b = read(conf("/var/log/a.log {\n}\n/var/log/b.log {\n  hourly\n  rotate -1\n}\n"))
    assert (a.settings["compresscmd"], a.settings["uncompresscmd"], a.settings["compressext"]) == \
        ("/bin/gzip", "/bin/gunzip", ".gz")
    assert (a.settings["dateformat"], b.settings["dateformat"], b.settings["rotate"]) == ("-%Y%m%d", "-%Y%m%d%H", -1)


def test_scripts_are_kept_verbatim_with_their_line(conf):
    text = ("/var/log/a.log {\n  sharedscripts\n  postrotate\n    kill -HUP $(cat /run/x.pid) # keep\n"
            "    # a comment, kept\n    endscriptfoo\n  endscript\n  lastaction echo same line\n"
            "    echo \"$1\"\n  endscript }\n")
    (s,) = read(conf(text))
    assert s.scripts == {"postrotate": ("\n    kill -HUP $(cat /run/x.pid) # keep\n    # a comment, kept\n"
                                        "    endscriptfoo\n", 3),
                         "lastaction": (" echo same line\n    echo \"$1\"\n", 8)}


def test_a_global_script_reaches_every_later_stanza(conf):
    a, b = read(conf("/var/log/a.log {\n}\nprerotate\n  echo hi\nendscript\n/var/log/b.log {\n}\n"))
    assert a.scripts == {} and b.scripts == {"prerotate": ("\n  echo hi\n", 3)}


def test_include_a_folder_in_byte_order_without_taboo_files(conf, tmp_path):
    for name in ("b", "a", "B", ".h.dpkg-old", "x.bak", "x.dpkg-tmp", "x.dpkg-old", "x~", "x,v", "x.swp",
                 "x.disabled", "x.rhn-cfg-tmp-12", "x.ucf-dist", "x.skip", "keep.conf"):
        conf(f"/var/log/{name}.log {{\n}}\n", f"d/{name}")
    (tmp_path / "d" / "sub").mkdir()  # not a regular file: ignored
    conf("", "d/empty")
    reading = read_config([conf(f"tabooext + .skip\ninclude {tmp_path}/d\n")])
    assert [os.path.basename(s.file) for s in reading.stanzas] == [".h.dpkg-old", "B", "a", "b", "keep.conf"]
    assert not reading.errors
    only = read(conf(f"taboopat *.conf\ninclude {tmp_path}/d\n"))  # replaces the whole list
    assert "x.bak" in [os.path.basename(s.file) for s in only] and "keep.conf" not in [s.file for s in only]


def test_globals_of_a_file_reach_the_files_after_it_and_a_failed_file_is_undone(conf, tmp_path):
    conf("compress\n/var/log/1.log {\n}\nrotate 7\n", "d/1")
    conf("dateext\n/var/log/2.log {\n}\nrotate x\n", "d/2")
    conf("/var/log/3.log {\n}\n", "d/3")
    reading = read_config([conf(f"include {tmp_path}/d\n")])
    one, two, three = reading.stanzas  # 2.log stays: its stanza was closed before the mistake
    assert (three.settings["compress"], three.settings["rotate"], three.settings["dateext"]) == (True, 7, False)
    assert two.settings["dateext"] is True
    (e,) = reading.errors
    assert (e.file, e.line, e.kind) == (str(tmp_path / "d" / "2"), 4, "file")


def test_include_relative_to_the_folder_and_inside_a_stanza(conf, tmp_path):
    conf("rotate 9\n", "d/rot.inc")  # no stanza: a taboo-free name that is read twice, harmlessly
    conf("/var/log/a.log {\n  include rot.inc\n}\n", "d/a")  # logrotate chdir()s into d/
    conf("/var/log/b.log {\n  include ../one\n  daily\n}\n", "d/b")
    conf("monthly\n", "one")
    reading = read_config([conf(f"include {tmp_path}/d\n")])
    a, b = reading.stanzas
    assert (a.settings["rotate"], b.settings["frequency"]) == (9, "daily") and not reading.errors


def test_include_nesting_stops_at_sixteen(conf, tmp_path):
    reading = read_config([conf(f"include {tmp_path}/c.conf\n")])
    assert [e.kind for e in reading.errors] == ["ignored"] and "nesting too deep" in str(reading.errors[0])


def test_a_bad_stanza_is_skipped_up_to_a_brace_at_the_start_of_a_line(conf):
    reading = read_config([conf("/var/log/a.log {\n  rotate x\n  }\n/var/log/b.log {\n}\n/var/log/c.log {\n}\n")])
    assert [s.patterns for s in reading.stanzas] == [("/var/log/c.log",)]  # the indented } did not end it
    assert [(e.line, e.kind) for e in reading.errors] == [(2, "stanza")]


@pytest.mark.parametrize("text,line,kind,words", [
    ("bogus\n/var/log/a.log {\n}\n", 1, "ignored", "unknown option 'bogus'"),
    ("/var/log/a.log {\n}\n}\n", 3, "file", "unexpected }"),
    ("/var/log/a.log {\n} x\n", 2, "ignored", "unexpected text after }"),
    ("/var/log/a.log\n", 1, "file", "missing '{'"),
    ("/var/log/a.log {\n  postrotate\n    echo\n}\n", 2, "file", "without endscript"),
    ("/var/log/a.log {\n  tabooext .x\n}\n", 2, "stanza", "tabooext may not appear inside"),
    ("/var/log/a.log {\n  create 0640 root adm extra\n}\n", 2, "stanza", "extra arguments for create"),
    ("/var/log/a.log {\n  su root\n}\n", 2, "stanza", "no group for su"),
    ("/var/log/a.log {\n  size 10x\n}\n", 2, "stanza", "unknown unit 'x'"),
    ("/var/log/a.log {\n  weekly 8\n}\n", 2, "file", "bad weekly directive"),
    ("/var/log/a.log {\n  olddir /a b\n}\n", 2, "stanza", "bad olddir path"),
    ("/var/log/a.log {\n  rotate\n}\n", 2, "stanza", "argument expected after rotate count"),
    ("/var/log/a.log {\n  compress}\n", 2, "stanza", "not properly separated"),
    ("/var/log/a.log {\n/var/log/b.log {\n}\n", 2, "stanza", "unexpected log filename"),
    ("/var/log/a.log {\n  ;\n}\n", 2, "stanza", "lines must begin with a keyword"),
])
def test_a_mistake_is_a_typed_error_naming_file_and_line(conf, text, line, kind, words):
    path = conf(text)
    with pytest.raises(LogrotateConfError) as e:
        read(path)
    assert isinstance(e.value, ConfigError) and words in str(e.value)
    assert (e.value.file, e.value.line, e.value.kind) == (path, line, kind)
    assert str(e.value).startswith(f"{path}:{line}: ")


def test_an_unclosed_stanza_at_the_end_is_kept_as_logrotate_keeps_it(conf):
    (s,) = read(conf("/var/log/a.log {\n  rotate 2\n"))
    assert s.settings["rotate"] == 2


@pytest.mark.skipif(os.getuid() != 0, reason="logrotate checks ownership and mode only as root")
def test_as_root_a_group_writable_file_is_ignored(conf):
    path = conf("/var/log/a.log {\n}\n")
    os.chmod(path, 0o664)
    reading = read_config([path])
    assert reading.stanzas == () and "writable by group or others" in str(reading.errors[0])


def test_a_missing_path_is_an_error(tmp_path):
    reading = read_config([str(tmp_path / "nope")])
    assert reading.stanzas == () and reading.errors[0].kind == "ignored"


def test_popt_split():
    assert popt_split("a  'b c' \"d\\\"e\" f\\ g ") == ["a", "b c", 'd"e', "f g"]
    assert popt_split("'a\\b'") == ["a\\b"] and popt_split("a\\") is None and popt_split(" \n") is None


def test_glob_match_is_globs():
    assert glob_match("/var/log/nginx/*.log", "/var/log/nginx/access.log")
    assert not glob_match("/var/log/nginx/*.log", "/var/log/nginx/sub/access.log")
    assert not glob_match("/var/log/*", "/var/log/.hidden")  # no GLOB_PERIOD
    assert glob_match("/var/log/.*", "/var/log/.hidden") and glob_match("/var/log/a?[0-9][!x].log", "/var/log/ab1y.log")
    assert glob_match("/var/log/a\\*.log", "/var/log/a*.log") and not glob_match("/var/log/a\\*.log", "/var/log/ab.log")


def test_stanza_for_a_hooks_first_argument(conf):
    stanzas = read(conf("/var/log/nginx/*.log {\n  sharedscripts\n}\n/var/log/a.log /var/log/b.log {\n}\n"
                        "/var/log/syslog\n/var/log/mail.log\n{\n}\n/var/log/*/*.log {\n}\n"))
    nginx, ab, syslog, catch_all = stanzas
    assert stanza_for(stanzas, "/var/log/nginx/*.log ") is nginx  # sharedscripts: the pattern text
    assert stanza_for(stanzas, "/var/log/a.log /var/log/b.log ") is ab  # several patterns, trailing space
    assert stanza_for(stanzas, "/var/log/syslog\n/var/log/mail.log\n") is syslog  # one per line
    assert stanza_for(stanzas, "/var/log/syslog /var/log/mail.log") is syslog  # however spaced
    assert stanza_for(stanzas, "/var/log/nginx/access.log") is nginx  # a live log: first stanza wins
    assert stanza_for(stanzas, "/var/log/b.log") is ab
    assert stanza_for(stanzas, "/var/log/apache2/error.log") is catch_all
    assert stanza_for(stanzas, "/var/log/nginx/.hidden.log") is None
    assert stanza_for(stanzas, "/srv/other.log") is None
