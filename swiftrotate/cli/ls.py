"""`swiftrotate ls`: options, then commands/ls.py.

Must not: hold logic or print other than through output.py.
"""
import click

from ..commands import ls as core
from . import output
from .context import pass_ctx, verbosity


@click.command("ls")
@click.argument("prefix", default="")
@verbosity
@pass_ctx
def ls(obj, prefix):
    """List archived objects under PREFIX (size, key), sorted by key.

    Keys are printed escaped (a control character as \\n, \\x1b, ...): a
    key is whatever someone with write access to the store chose."""
    core.run(prefix, open_backend=obj.open_reader, on_item=output.object_line)
