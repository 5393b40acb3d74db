"""What became of one file in a run: the record upload, gate and spool
report, apart from the archiver so that the no-op hook, which only reports
"known", does not import the archiver's codecs, hashing and download.
"""


class Outcome:
    """A plain class, not a dataclass: the hook imports no dataclasses (with
    inspect, ~10 ms of a no-op run that must stay within 100 ms)."""

    __slots__ = ("path", "key", "status", "size", "error", "removed", "live", "stamp")

    def __init__(self, path, key="", status="", size=0, error=None, removed=False, live="", stamp=""):
        self.path, self.key = path, key
        self.status = status  # uploaded, present, known, twin, would-upload, failed
        self.size = size
        self.error = error  # a SwiftrotateError when failed
        self.removed = removed
        # its log and stamp, when the run knows them (the run record need not work them out)
        self.live, self.stamp = live, stamp

    def __repr__(self):
        return "Outcome(" + ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__) + ")"


class GateExit(int):
    """The gate's exit code (0 allow, 1 keep), marked when the file's key held other bytes in the
    store: its run record counts that as a conflict, as upload's does."""
    conflict = False

    @classmethod
    def of_conflict(cls, code):
        marked = cls(code)
        marked.conflict = True
        return marked
