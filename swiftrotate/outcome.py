"""What became of one file in a run: the record upload, gate and spool
report, apart from the archiver so that the no-op hook, which only reports
"known", does not import the archiver's codecs, hashing and download.
"""
from dataclasses import dataclass

from .errors import SwiftrotateError


@dataclass
class Outcome:
    path: str
    key: str = ""
    status: str = ""  # uploaded, present, known, twin, would-upload, failed
    size: int = 0
    error: SwiftrotateError = None
    removed: bool = False
    live: str = ""  # its log and stamp, when the run knows them (the run record need not work them out)
    stamp: str = ""
