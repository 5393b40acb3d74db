"""scripts/manpage writes swiftrotate(1) from the click help: groff (Debian's
groff-base, installed by scripts/test) must format it without a warning, and
it must document every command and every option."""
import os
import pathlib
import subprocess
import sys

import click

from swiftrotate.cli.group import cli

REPO = pathlib.Path(__file__).resolve().parents[2]


def manpage():
    proc = subprocess.run([sys.executable, str(REPO / "scripts/manpage")], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def groff(page):
    # -ww: every warning; a wide line and no formatting codes, so names are not broken up
    return subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-rLL=300n", "-P-cbou"], input=page,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "LC_ALL": "C.UTF-8"})


def test_groff_formats_the_page_without_a_warning():
    proc = groff(manpage())
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("SWIFTROTATE(1)")


def test_groff_warns_about_a_broken_page():
    # the check above can fail: a request groff does not know is reported
    assert "macro 'XY' not defined" in groff(manpage() + ".XY broken\n").stderr


def option_names(roff):
    """The words of a section's .TP entries (`-o, --output DIR`), as typed."""
    return {word.rstrip(",") for line in roff.splitlines() if line.startswith(".B ")
            for word in line[3:].replace("\\-", "-").split()}


def test_the_page_documents_every_command_and_each_of_its_options():
    page = manpage()
    head, *sections = page.split('\n.SS "swiftrotate ')
    ctx = click.Context(cli, info_name="swiftrotate")
    assert [s.split(" ", 1)[0] for s in sections] == cli.list_commands(ctx)
    for name, section in zip(cli.list_commands(ctx), sections):
        names = option_names(section.split("\n.SH ")[0])
        for param in cli.get_command(ctx, name).params:
            if isinstance(param, click.Option):
                assert set(param.opts) <= names, (name, param.opts)
    names = option_names(head.split("\n.SH OPTIONS")[1])
    assert {opt for param in cli.params for opt in param.opts} <= names
    shown = groff(page).stdout
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "COMMANDS", "EXIT STATUS", "FILES"):
        assert f"\n{section}\n" in shown
