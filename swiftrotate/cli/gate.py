"""`swiftrotate gate`: options, then commands/gate.py.

Must not: hold logic or print other than through output.py.
"""
import sys

import click

from ..commands import gate as core
from .context import log
from .options import pass_ctx, verbosity


@click.command()
@click.argument("file")
@click.option("--mode", type=click.Choice(["spool", "veto"]),
              help="When FILE cannot be archived now: spool it and allow the deletion (default), or veto.")
@verbosity
@pass_ctx
def gate(obj, file, mode):
    """Allow logrotate to delete FILE only once it is safely archived.

    \b
    For logrotate's preremove (since 3.8.4):
        preremove
            swiftrotate gate "$1"
        endscript
    Exit 0 (delete allowed) when FILE is archived and verified, when FILE is
    an uncompressed original whose .gz twin holds the same bytes, or when it
    could be archived now. Otherwise, by default, FILE is hard-linked into the
    spool folder and the deletion is allowed; the next upload archives the
    spool first. A full spool (spool_cap), or --mode veto, keeps FILE (exit 1):
    logrotate then skips that log's rotation until the store is back.
    """
    sys.exit(core.run(obj.settings, file, mode=mode, log=log, open_backend=obj.open_backend))
