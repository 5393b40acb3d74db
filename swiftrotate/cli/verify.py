"""`swiftrotate verify`: options, then commands/verify, then output.

Must not: hold logic or print other than through output.py.
"""
import sys

import click

from ..commands import verify as core
from . import output
from .context import log
from .options import pass_ctx, verbosity


@click.command()
@click.option("--deep", is_flag=True, help="Also read every object in full and hash its bytes (a download of the "
              "whole archive, written nowhere): finds bytes changed under our metadata, which a HEAD cannot.")
@click.option("--sample", type=click.IntRange(1), metavar="N",
              help="Read N archives in full, chosen at random (a --deep that costs N downloads).")
@click.option("--since", metavar="DATE", help="Only archives whose stamp (rotation day) is DATE or later: "
              "2026-11-03, 'Nov 3 2026', 7d, 2w, yesterday. Default: every one.")
@click.option("--repair", is_flag=True, help="Archive again, from the local copy, what is missing, broken or read "
              "back wrong, where that copy still holds the ledger's bytes (or content); never overwrite "
              "another object.")
@click.option("--json", "as_json", is_flag=True, help="One JSON document on stdout: the counts and the findings.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=4, show_default=True,
              help="Archives checked in parallel.")
@verbosity
@pass_ctx
def verify(obj, deep, sample, since, repair, as_json, jobs):
    """Check that every archive the ledger records is still readable in the store.

    \b
    Each archive this host's ledger records for the dest is checked as
    upload checks its own: a HEAD must show the ledger's size and sha256,
    and a Swift large object must have every segment. Findings:
      missing  the object is gone
      broken   it is there but cannot be read whole (a segment is gone)
      differ   the store shows another size or sha256 than the ledger,
               or (--deep, --sample) its bytes do not hash to the ledger's
    Each is one line naming the key and the local copy, then a summary:
    verify: N checked, M missing, B broken, D differ

    \b
    Exit codes:
      0   every archive checked is whole and holds the ledger's bytes
          (with --repair: and every finding was repaired)
      65  something is missing, broken or differs (not repaired)
      66  the ledger records no archive in this dest (wrong --dest or
          --state-dir?)
      75  the store could not be reached or timed out: run it again later

    \b
    Examples:
      swiftrotate verify
      swiftrotate verify --since 30d --deep
      swiftrotate verify --deep --repair
    Weekly from cron, silent unless something is wrong (/etc/cron.d/):
      @weekly root /usr/local/bin/swiftrotate verify -q --sample 50
    """
    progress = output.VerifyProgress(show_bar=not obj.quiet, verbose=obj.verbose, as_json=as_json)
    result = core.run(obj.settings, deep=deep, sample=sample, since=since, repair_them=repair, jobs=jobs, log=log,
                      open_backend=obj.open_backend, on_start=progress.start, on_done=progress.done,
                      on_repair=progress.repaired)
    progress.finish()
    output.verify_summary(result, quiet=obj.quiet, as_json=as_json)
    sys.exit(result.exit_code)
