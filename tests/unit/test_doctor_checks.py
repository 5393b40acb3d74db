"""The pure parts of `swiftrotate doctor` (swiftrotate/commands/doctor/scripts.py, checks.py and
the /proc/mounts reading of places.py): how a logrotate script splits into commands, which run
the hook, what skips it or loses its status, the outage window, colliding dateformats. The
findings as the command prints them: tests/cli/test_doctor.py."""
import pytest

from swiftrotate.commands.doctor import checks, places
from swiftrotate.commands.doctor.scripts import (commands, hook_kind, status_lost, stoppers, unclosed_heredoc,
                                                   uses_arg2)
from swiftrotate.logrotate_conf import read


def test_a_script_splits_into_commands_with_their_lines_and_operators():
    script = (" echo same-line\n    a 2>&1 || true\n    # a comment; not a command\n"
              '    if [ -d /x ]; then\n      b "c d" \'e;f\' \\\n        g && h &\n    fi\n')
    cmds = commands(script, 10)
    assert [(c.line, c.words, c.before, c.after) for c in cmds] == [
        (10, ("echo", "same-line"), "", "\n"),
        (11, ("a", "2>&1"), "\n", "||"),
        (11, ("true",), "||", "\n"),
        (13, ("[", "-d", "/x", "]"), "\n", ";"),  # `if` dropped, `then` too
        (14, ("b", "c d", "e;f", "g"), ";", "&&"),  # a continued line is one command
        (15, ("h",), "&&", "&"),
    ]
    assert cmds[4].text == 'b "c d" \'e;f\' g'


@pytest.mark.parametrize("text, kind", [
    ('swiftrotate upload "$1"', "upload"),
    ('/usr/local/bin/swiftrotate --config /etc/s.conf upload -q "$1"', "upload"),
    ('SWIFTROTATE_CONFIG=/x timeout 300 nice -n 10 swiftrotate gate "$1"', "gate"),
    ('/opt/venv/bin/python3 -m swiftrotate upload "$1"', "upload"),
    ("swiftrotate ls", None),
    ('echo swiftrotate upload "$1"', None),
    ("logger swiftrotate", None),
])
def test_the_hook_is_swiftrotate_upload_or_gate_as_the_command_run(text, kind):
    (cmd,) = commands(text, 1)
    assert hook_kind(cmd) == kind


@pytest.mark.parametrize("text, used", [
    ('swiftrotate upload "$2"', True), ("x ${2:-none}", True), ("x $2", True),
    ("x '$2'", False), ("x \\$2", False), ("x $20", False), ("x $1 # not $2", False), ('x "it\'s $2"', True),
])
def test_arg2_is_seen_outside_single_quotes_comments_and_escapes(text, used):
    assert uses_arg2(text) is used


def test_what_stops_the_hook_and_what_loses_its_status():
    def judge(script):
        cmds = commands(script, 1)
        k = next(i for i, c in enumerate(cmds) if hook_kind(c))
        return [(sev, line) for sev, line, _, _ in stoppers(cmds, k)], status_lost(cmds, k)

    assert judge("false\nswiftrotate upload x\n") == ([], None)  # /bin/sh -c has no -e
    assert judge("set -eu\nfalse\nswiftrotate upload x\n") == ([("warning", 1)], None)
    assert judge("set -e\nswiftrotate upload x\n") == ([], None)  # nothing before it can fail
    assert judge("exit 0\nswiftrotate upload x\n") == ([("error", 1)], None)
    assert judge("exec >/dev/null\nswiftrotate upload x\n") == ([], None)  # only redirects
    assert judge("swiftrotate upload x\nexit $?\n") == ([], None)
    assert judge("swiftrotate upload x\nexit 0\n")[1] == "`exit 0` runs after it, and the script's status is " \
                                                        "that last command's"
    assert judge("swiftrotate upload x | logger")[1] == "`swiftrotate upload x | ...` replaces its exit status"
    assert judge("if true; then\n  swiftrotate upload x\nfi\n") == ([], None)  # `fi` is no command


@pytest.mark.parametrize("directives, days", [
    ({"rotate": 14, "frequency": "daily"}, 14), ({"rotate": 4, "frequency": "weekly"}, 28),
    ({"rotate": 12, "frequency": "monthly"}, 336), ({"rotate": 24, "frequency": "hourly"}, 1),
    ({"rotate": 4, "frequency": "weekly", "maxage": 10}, 10), ({"rotate": -1, "frequency": "daily"}, None),
    ({"rotate": -1, "frequency": "daily", "maxage": 3}, 3), ({"rotate": 5, "frequency": "size"}, 5),
])
def test_outage_window_is_rotate_times_the_shortest_period_capped_by_maxage(directives, days):
    assert checks.outage_days({"maxage": 0, **directives}) == days


@pytest.mark.parametrize("a, b, collide", [
    ("-%Y%m%d", "-%Y%d%m", True), ("-%Y%m%d", "-%Y-%m-%d", False), ("-%Y%m%d", "-%Y%m%d%H", False),
    ("-%d%m%Y", "-%m%d%Y", True), ("-%Y%m%d%H", "-%Y%m%d%M", True),
])
def test_dateformats_collide_when_one_reads_the_others_stamps_as_another_time(a, b, collide):
    assert checks._collide(a, b) is collide and checks._collide(b, a) is collide


def test_mounts_are_read_with_escapes_and_the_longest_match_wins():
    mounts = places.parse_mounts("/dev/vda / ext4 rw 0 0\nsrv:/x /var/lib/with\\040space nfs4 rw 0 0\n"
                                 "tmpfs /var/lib tmpfs rw 0 0\n")
    assert mounts[1] == ("/var/lib/with space", "nfs4")
    assert places.mount_of("/var/lib/with space/state", mounts) == ("/var/lib/with space", "nfs4")
    assert places.mount_of("/var/lib/with", mounts) == ("/var/lib", "tmpfs")
    assert places.mount_of("/srv", mounts) == ("/", "ext4")
    assert [t for t in ("nfs", "cifs", "fuse.sshfs", "fuse", "9p") if places.remote(t)] == \
           ["nfs", "cifs", "fuse.sshfs", "fuse", "9p"]
    assert not any(places.remote(t) for t in ("ext4", "xfs", "tmpfs", "fuseblk", "btrfs", "zfs"))


def test_rotation_folders_are_the_olddir_else_the_patterns_folders(tmp_path):
    path = tmp_path / "c.conf"
    path.write_text("/var/log/a/x.log /var/log/b/*.log /var/log/*/y.log {\n  olddir old\n}\n"
                    "/var/log/c.log {\n  olddir /srv/old\n}\n/var/log/d/*.log {\n}\n")
    a, c, d = read(str(path))
    assert places.rotation_folders(a) == ["/var/log/a/old", "/var/log/b/old"]
    assert places.rotation_folders(c) == ["/srv/old"]
    assert places.rotation_folders(d) == ["/var/log/d"]


def test_an_unhooked_stanza_is_judged_only_on_its_scripts_arguments(tmp_path):
    path = tmp_path / "c.conf"
    path.write_text("/var/log/a.log {\n  rotate 0\n  copytruncate\n  lastaction\n    mail -s \"$2\" root\n"
                    "  endscript\n}\n")
    (stanza,) = read(str(path))
    assert [(f.line, f.severity) for f in checks.check_stanza(stanza, {})] == [(5, "error")]


def test_here_document_bodies_are_text_not_commands():
    """`<<`, `<<-` (leading tabs stripped from the body and the terminator), quoted terminators;
    `<<<` is a here-string, with no body. Line numbers go on counting through the bodies."""
    script = ("mail -s rotated root <<EOF\nexit codes: see /var/log/app.status\nEOF\n"
              "cat <<-'END' >/run/app.note\n\tset -e\n\tEND\n"
              'logger <<"A B" ; echo same-line\n. /etc/x\nA B\n'
              "grep -q x <<<exit\n"
              "swiftrotate upload \"$1\"\n")
    cmds = commands(script, 10)
    assert [(c.line, c.words[0]) for c in cmds] == [
        (10, "mail"), (13, "cat"), (16, "logger"), (16, "echo"), (19, "grep"), (20, "swiftrotate")]
    assert cmds[1].text == "cat <<-'END' >/run/app.note"
    k = len(cmds) - 1
    assert (stoppers(cmds, k), status_lost(cmds, k)) == ([], None)
    assert unclosed_heredoc(script, 10) is None
    # a shift in arithmetic is no here-document
    assert [c.words[0] for c in commands("n=$((1 << 2))\nswiftrotate upload x\n", 1)] == ["n=$((1", "swiftrotate"]


def test_a_here_document_never_closed_swallows_the_rest_of_the_script():
    """An indented terminator closes nothing (dash, as logrotate runs it): the hook is body text."""
    script = "    cat <<END >>/var/log/notes\n    rotated\n    END\n    swiftrotate upload \"$1\"\n"
    assert [c.words[0] for c in commands(script, 6)] == ["cat"]
    assert unclosed_heredoc(script, 6) == (6, "END", 7)
    assert unclosed_heredoc(script.replace("    END", "END"), 6) is None
    assert unclosed_heredoc(script.replace("<<END", "<<-END").replace("    END", "\t\tEND"), 6) is None
