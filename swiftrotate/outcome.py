"""What became of one file in a run: the record upload, gate and spool
report, apart from the archiver so that the no-op hook, which only reports
"known", does not import the archiver's codecs, hashing and download.
"""
from dataclasses import dataclass
from typing import Optional

from .errors import SwiftrotateError


@dataclass
class Outcome:
    path: str
    key: str = ""
    status: str = ""  # uploaded, present, known, twin, would-upload, failed
    size: int = 0
    error: Optional[SwiftrotateError] = None
    removed: bool = False


class GateExit(int):
    """The gate's exit code (0 allow, 1 keep), marked when the file's key held other bytes in the
    store: its run record counts that as a conflict, as upload's does."""
    conflict = False

    @classmethod
    def of_conflict(cls, code):
        marked = cls(code)
        marked.conflict = True
        return marked
